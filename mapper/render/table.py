"""The accessible companion page: the map's figures as a plain HTML table.

No script, no map: a caption, column headers with ``scope="col"``, the area
name as the row header (``scope="row"``), and every number as text. It is what
a screen-reader user, or anyone printing the figures, opens instead of the map.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from jinja2 import Environment

from ..formatting import count, is_missing, number, percent, percent_of, signed
from .data import View, _num as _rounded, value_of

_ENV = Environment(autoescape=True)

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}: table</title>
<style>
  body {font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; margin: 1rem; color: #222;}
  table {border-collapse: collapse; font-size: 0.85rem;}
  caption {text-align: left; font-weight: 600; padding: 0.4rem 0; font-size: 1rem;}
  th, td {border: 1px solid #ccc; padding: 0.2rem 0.4rem; vertical-align: top;}
  thead th {min-width: 7em;}
  td.text {min-width: 26em;}
  thead th {background: #f0f0f0; position: sticky; top: 0;}
  td.num {text-align: right; white-space: nowrap;}
  a {color: #0b57a4;}
  a:focus-visible {outline: 3px solid #1f5fbf;}
  .wrap {overflow-x: auto;}
</style>
</head>
<body>
<main>
<h1>{{ title }}</h1>
<p>{{ level_title }}. Data: {% for d in dates %}{{ d }}{% if not loop.last %}; {% endif %}{% endfor %}.</p>
<p><a href="{{ map_href }}">Back to the map</a> · <a href="methodology.md">Methodology</a>{% if csv_href %} · <a href="{{ csv_href }}">CSV download</a>{% endif %}</p>
<p>Shares are numerator / denominator, both counts. "(estimate)" marks counts derived from Ofcom's published percentages. {{ note }}</p>
<div class="wrap">
<table>
<caption>{{ caption }}</caption>
<thead><tr>{% for h in headers %}<th scope="col">{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in rows %}<tr>{% for cell in row %}{% if loop.index0 == row_header %}<th scope="row">{% if cell.href %}<a href="{{ cell.href }}">{{ cell.text }}</a>{% else %}{{ cell.text }}{% endif %}</th>{% else %}<td{% if cell.num %} class="num"{% elif cell.wide %} class="text"{% endif %}>{% if cell.href %}<a href="{{ cell.href }}">{{ cell.text }}</a>{% else %}{{ cell.text }}{% endif %}</td>{% endif %}{% endfor %}</tr>
{% endfor %}</tbody>
</table>
</div>
<h2>Sources and licences</h2>
<ul>{% for line in attributions %}<li>{{ line }}</li>{% endfor %}</ul>
<ul>{% for s in sources %}<li>{{ s.title }} ({{ s.publisher }}, {{ s.release }}, {{ s.licence }})</li>{% endfor %}</ul>
</main>
</body>
</html>
"""


def _cell(text, *, num: bool = False, href: str | None = None, wide: bool = False) -> dict:
    return {"text": "" if text is None else str(text), "num": num, "href": href, "wide": wide}


def _text(x) -> str | None:
    return None if is_missing(x) else str(x)


def _view_text(view: View, row) -> str:
    """The area's value in a score/tier/category view, rounded as the map shows it."""
    x = value_of(view, row)
    if x is None:
        return "no data"
    if view.cats is not None:
        return view.cats[x]
    if view.fmt == "prob":
        return percent(x, 0)
    if view.fmt == "int":
        return signed(x)
    return number(x)


#: Per-area detail columns shown after the indicators when any area has them.
DETAILS = (("rank_p05", "Rank, 5th percentile"), ("rank_p95", "Rank, 95th percentile"),
           ("diagnosis_reason", "Diagnosis reason"))


def table_page(table: pd.DataFrame, views: list[View], names: list[str], inds: list[dict], *, class_col: str,
               class_label: str, title: str, level_title: str, dates: list[str], map_href: str, csv_href: str | None,
               attributions: list[str], sources: list[dict], href_col: str | None = None, note: str = "") -> str:
    """The companion page of one map page, from the level's area table (``render.data.area_table``).

    ``table`` holds the areas of the page (all, one split group, or the overview's
    groups); ``views`` and ``inds`` are the page's views and indicator specs, so
    the figures and their rounding are the map's. ``href_col`` names a column of
    links for the area names (the overview's per-group table pages).
    """
    key_views = [v for v in views if v.ind is None]
    headers = ["Rank", "Area", "Code", class_label, "Region", "Premises"]
    headers += [v.label for v in key_views]
    for d in inds:
        headers += [f"{d['label']}: count of {d['unit']}", f"{d['label']}: share"]
    present = [(k, h) for k, h in DETAILS if k in table.columns and table[k].notna().any()]
    headers += [h for _, h in present]
    rank = table["rank"] if "rank" in table.columns else pd.Series(np.nan, index=table.index)
    order = (pd.DataFrame({"missing": rank.isna().to_numpy(), "rank": rank.astype("float64").fillna(0).to_numpy(),
                           "code": table["code"].astype(str).to_numpy()})
             .sort_values(["missing", "rank", "code"], kind="stable").index)
    records = table.to_dict("records")
    rows = []
    for i in order:
        r = records[i]
        code = str(r["code"])
        rk = _rounded(r.get("rank"), 0)
        row = [_cell(rk, num=True), _cell(_text(r.get("name")) or code, href=r.get(href_col) if href_col else None),
               _cell(code), _cell(_text(r.get(class_col))), _cell(_text(r.get("region_name"))),
               _cell(count(_rounded(r.get("premises"), 0), missing=""), num=True)]
        row += [_cell(_view_text(v, r), num=v.cats is None) for v in key_views]
        for n in names:
            num, den = _rounded(r.get(f"{n}_num"), 0), _rounded(r.get(f"{n}_den"), 0)
            row += [_cell(f"{count(num)} of {count(den)}" if num is not None else "no data", num=True),
                    _cell(percent_of(num, den), num=True)]
        for k, _ in present:
            val = r.get(k)
            text = None if is_missing(val) else (_rounded(val, 2) if isinstance(val, (int, float, np.integer, np.floating))
                                                 else str(val))
            row.append(_cell(text, num=k != "diagnosis_reason", wide=k == "diagnosis_reason"))
        rows.append(row)
    caption = f"{title}: {level_title}, {len(rows)} areas, sorted by rank"
    return _ENV.from_string(_TEMPLATE).render(
        title=title, level_title=level_title, dates=dates, map_href=map_href, csv_href=csv_href, note=note,
        caption=caption, headers=headers, rows=rows, row_header=1, attributions=attributions or [], sources=sources or [],
    )
