"""The accessible companion page: the map's figures as a plain HTML table.

No script, no map: a caption, column headers with ``scope="col"``, the area
name as the row header (``scope="row"``), and every number as text. It is what
a screen-reader user, or anyone printing the figures, opens instead of the map.
"""

from __future__ import annotations

from jinja2 import Environment

from ..formatting import count, number, percent, percent_of, signed

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title|e }}: table</title>
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
<h1>{{ title|e }}</h1>
<p>{{ level_title|e }}. Data: {% for d in dates %}{{ d|e }}{% if not loop.last %}; {% endif %}{% endfor %}.</p>
<p><a href="{{ map_href|e }}">Back to the map</a> · <a href="methodology.md">Methodology</a>{% if csv_href %} · <a href="{{ csv_href|e }}">CSV download</a>{% endif %}</p>
<p>Shares are numerator / denominator, both counts. "(estimate)" marks counts derived from Ofcom's published percentages. {{ note|e }}</p>
<div class="wrap">
<table>
<caption>{{ caption|e }}</caption>
<thead><tr>{% for h in headers %}<th scope="col">{{ h|e }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in rows %}<tr>{% for cell in row %}{% if loop.index0 == row_header %}<th scope="row">{% if cell.href %}<a href="{{ cell.href|e }}">{{ cell.text|e }}</a>{% else %}{{ cell.text|e }}{% endif %}</th>{% else %}<td{% if cell.num %} class="num"{% elif cell.wide %} class="text"{% endif %}>{% if cell.href %}<a href="{{ cell.href|e }}">{{ cell.text|e }}</a>{% else %}{{ cell.text|e }}{% endif %}</td>{% endif %}{% endfor %}</tr>
{% endfor %}</tbody>
</table>
</div>
<h2>Sources and licences</h2>
<ul>{% for line in attributions %}<li>{{ line|e }}</li>{% endfor %}</ul>
<ul>{% for s in sources %}<li>{{ s.title|e }} ({{ s.publisher|e }}, {{ s.release|e }}, {{ s.licence|e }})</li>{% endfor %}</ul>
</main>
</body>
</html>
"""


def _cell(text, *, num: bool = False, href: str | None = None, wide: bool = False) -> dict:
    return {"text": "" if text is None else str(text), "num": num, "href": href, "wide": wide}


def table_page(payload: dict, *, title: str, level_title: str, dates: list[str], map_href: str,
               csv_href: str | None, attributions: list[str], sources: list[dict], note: str = "") -> str:
    """The companion page for one map page, from the same payload (so the figures are the same)."""
    inds = payload["inds"]
    views = payload["views"]
    key_views = [i for i, v in enumerate(views) if v.get("ind") is None]
    headers = ["Rank", "Area", "Code", payload["class_label"], "Region", "Premises"]
    headers += [views[i]["label"] for i in key_views]
    for d in inds:
        headers += [f"{d['label']}: count of {d['unit']}", f"{d['label']}: share"]
    extra = [("rank_p05", "Rank, 5th percentile"), ("rank_p95", "Rank, 95th percentile"),
             ("diagnosis_reason", "Diagnosis reason")]
    present = [(k, h) for k, h in extra if any(k in (f["properties"].get("x") or {}) for f in payload["geo"]["features"])]
    headers += [h for _, h in present]
    feats = sorted(payload["geo"]["features"],
                   key=lambda f: (f["properties"].get("rk") is None, f["properties"].get("rk") or 0, f["properties"]["c"]))
    rows = []
    for f in feats:
        p = f["properties"]
        row = [_cell(p.get("rk"), num=True), _cell(p["n"], href=p.get("table_href")), _cell(p["c"]), _cell(p.get("k")),
               _cell(p.get("r")), _cell(count(p.get("p"), missing=""), num=True)]
        for i in key_views:
            v, x = views[i], p["v"][i]
            if x is None:
                text = "no data"
            elif "cats" in v:
                text = v["cats"][x]
            elif v["fmt"] == "prob":
                text = percent(x, 0)
            elif v["fmt"] == "int":
                text = signed(x)
            else:
                text = number(x)
            row.append(_cell(text, num="cats" not in v))
        for (num, den) in p["nd"]:
            row += [_cell(f"{count(num)} of {count(den)}" if num is not None else "no data", num=True),
                    _cell(percent_of(num, den), num=True)]
        x = p.get("x") or {}
        row += [_cell(x.get(k), num=k != "diagnosis_reason", wide=k == "diagnosis_reason") for k, _ in present]
        rows.append(row)
    caption = f"{title}: {level_title}, {len(rows)} areas, sorted by rank"
    env = Environment(autoescape=False)
    return env.from_string(_TEMPLATE).render(
        title=title, level_title=level_title, dates=dates, map_href=map_href, csv_href=csv_href, note=note,
        caption=caption, headers=headers, rows=rows, row_header=1, attributions=attributions or [], sources=sources or [],
    )
