"""The accessible companion page: the map's figures as plain HTML tables.

No script, no map. One table per group of figures (overview: rank, score, tier
and diagnosis; then fixed broadband, business premises, mobile, adoption, need),
each with a caption, column headers with ``scope="col"`` and the area name as
the row header (``scope="row"``); then the region and study-area totals (summed
counts, shares recomputed), the method statement and the sources. Built from the
level's area table (:func:`mapper.render.data.area_table`), with the map's views
so the rounding is the map's. It prints on A4 landscape with readable columns:
each table is narrow enough for the page and its header repeats on every page.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from jinja2 import Environment
from markupsafe import Markup

from ..formatting import count, is_missing, percent_of
from .data import VIEW_GROUPS, View, fmt_value, value_of
from .data import _num as _rounded

_ENV = Environment(autoescape=True, keep_trailing_newline=True)


@lru_cache(maxsize=1)
def _template():
    """The page template, compiled once per process (a split level renders hundreds of pages)."""
    return _ENV.from_string(_TEMPLATE)

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}: {{ level_title }}: table</title>
<style>
  body {font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; margin: 1rem; color: #222;}
  table {border-collapse: collapse; font-size: 0.85rem; margin-bottom: 1.2rem;}
  caption {text-align: left; font-weight: 600; padding: 0.4rem 0; font-size: 1rem;}
  th, td {border: 1px solid #ccc; padding: 0.2rem 0.4rem; vertical-align: top;}
  thead th {background: #f0f0f0; position: sticky; top: 0; min-width: 5em;}
  td.num {text-align: right; white-space: nowrap;}
  td.text {min-width: 22em;}
  .est {font-style: italic;}
  nav a {margin-right: 0.6rem;}
  a {color: #0b57a4;}
  a:focus-visible {outline: 3px solid #1f5fbf;}
  .wrap {overflow-x: auto;}
  .method table {font-size: 0.8rem;}
  @page {size: A4 landscape; margin: 10mm;}
  @media print {
    body {margin: 0; font-size: 8pt;}
    nav, .screen-only {display: none;}
    .wrap {overflow: visible;}
    table {font-size: 7pt; width: 100%; max-width: 100%; page-break-inside: auto;}
    thead {display: table-header-group;}
    thead th {position: static; min-width: 0;}
    tr {break-inside: avoid;}
    td.text {min-width: 0;}
    th, td {overflow-wrap: break-word; hyphens: auto; padding: 0.1rem 0.2rem;}
    td.num {white-space: normal;}
    td.code {white-space: nowrap;}
    section.group {break-before: page;}
    section.group:first-of-type {break-before: auto;}
    a {color: inherit; text-decoration: none;}
  }
</style>
</head>
<body>
<main>
<h1>{{ title }}</h1>
<p>{{ level_title }}. Data: {% for d in dates %}{{ d }}{% if not loop.last %}; {% endif %}{% endfor %}.</p>
<nav aria-label="On this page"><a href="{{ map_href }}">Back to the map ({{ map_href }}, same folder)</a>{% for s in sections %} <a href="#{{ s.id }}">{{ s.title }}</a>{% endfor %}{% if totals_rows %} <a href="#totals">Totals</a>{% endif %}{% if method_html %} <a href="#method">Method</a>{% endif %}</nav>
<p>Shares are numerator / denominator, both counts; totals sum the counts first. "(estimate)" and <span class="est">italic ≈ counts</span> mark figures derived from Ofcom's published percentages. {{ note }}{% if csv_href %} The full table is also in {{ csv_href }} (CSV, same folder).{% endif %}</p>
{% for s in sections %}<section class="group" id="{{ s.id }}">
<h2>{{ s.title }}</h2>
<div class="wrap">
<table>
<caption>{{ s.caption }}</caption>
<thead><tr>{% for h in s.headers %}<th scope="col">{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{{ s.body }}</tbody>
</table>
</div>
</section>
{% endfor %}{% if totals_rows %}<section id="totals">
<h2>Totals</h2>
<div class="wrap">
<table>
<caption>Totals: share (count) of each indicator, counts summed over the areas and shares recomputed from the sums</caption>
<thead><tr>{% for h in totals_headers %}<th scope="col">{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in totals_rows %}<tr><th scope="row">{{ row[0] }}</th>{% for cell in row[1:] %}<td class="num">{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
</table>
</div>
</section>
{% endif %}{% if method_html %}<section id="method" class="method">
<h2>Method</h2>
{{ method_html }}
</section>
{% endif %}<h2>Sources and licences</h2>
<ul>{% for line in attributions %}<li>{{ line }}</li>{% endfor %}</ul>
<ul>{% for s in sources %}<li>{{ s.title }} ({{ s.publisher }}, {{ s.release }}, {{ s.licence }})</li>{% endfor %}</ul>
</main>
</body>
</html>
"""


#: The five characters Jinja's autoescape (markupsafe) replaces, and their replacements.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


def _rows_html(rows: list[list[dict]]) -> Markup:
    """The ``<tr>`` lines of a table body, every text escaped (the second cell is the row header).

    Written in Python rather than as a template loop: a split national level has
    hundreds of pages of thousands of cells, and this is about ten times faster.

    >>> str(_rows_html([[_cell(1, cls="num"), _cell("A & B", href="a.html")]]))
    '<tr><td class="num">1</td><th scope="row"><a href="a.html">A &amp; B</a></th></tr>\\n'
    """
    out = []
    for row in rows:
        parts = ["<tr>"]
        for i, cell in enumerate(row):
            text = cell["text"].translate(_ESCAPES)
            if i == 1:
                href = cell["href"]
                parts.append(f'<th scope="row"><a href="{str(href).translate(_ESCAPES)}">{text}</a></th>' if href
                             else f'<th scope="row">{text}</th>')
            elif cell["cls"]:
                parts.append(f'<td class="{cell["cls"].translate(_ESCAPES)}">{text}</td>')
            else:
                parts.append(f"<td>{text}</td>")
        parts.append("</tr>\n")
        out.append("".join(parts))
    return Markup("".join(out))


def _cell(text, *, cls: str | None = None, href: str | None = None) -> dict:
    return {"text": "" if text is None else str(text), "cls": cls, "href": href}


def _text(x) -> str | None:
    return None if is_missing(x) else str(x)


def _view_text(view: View, row) -> str:
    """The area's value in one view, rounded and written as the map shows it."""
    x = value_of(view, row)
    if x is None:
        return "no data"
    if view.cats is not None:
        return view.cats[x]
    return fmt_value(x, view.fmt, view.dec)


#: Per-area detail columns of the overview table when any area has them.
DETAILS = (("rank_p05", "Rank, 5th percentile"), ("rank_p95", "Rank, 95th percentile"),
           ("score_rate", "Score on rates"), ("rank_rate", "Rank on rates"), ("tier_rate", "Tier on rates"),
           ("score_count", "Score on counts"), ("rank_count", "Rank on counts"), ("tier_count", "Tier on counts"),
           ("routes", "Funding routes flagged"), ("diagnosis_reason", "Diagnosis reason"))


#: Detail columns written as sentences: a table of their own, so the overview stays narrow enough to print.
WORDS = ("routes", "diagnosis_reason")
#: The two questions (depth = rates, size = counts): a table of their own, for the same reason.
TWO_QUESTIONS = ("score_rate", "rank_rate", "tier_rate", "score_count", "rank_count", "tier_count")
#: At most this many indicators (two columns each) per printed table; a larger group is split into parts.
MAX_INDICATORS_PER_TABLE = 5


def _parts(members: list, size: int = MAX_INDICATORS_PER_TABLE) -> list[list]:
    """``members`` cut into near-equal parts of at most ``size`` (8 -> 4 + 4, not 5 + 3)."""
    n = -(-len(members) // size) if members else 0
    return [members[round(i * len(members) / n):round((i + 1) * len(members) / n)] for i in range(n)]


def _count_text(num, den, derived: bool) -> str:
    if num is None:
        return "no data"
    return f"{'≈' if derived else ''}{count(num)} of {count(den)}"



def _group_section(group: str, gtitle: str, members: list[int], part: int, n_parts: int, records: list[dict], lead,
                   names: list[str], inds: list[dict], by_ind: dict) -> dict:
    """One table of an indicator group (count and share of each member), part ``part`` of ``n_parts``."""
    gh = ["Rank", "Area"]
    for i in members:
        gh += [f"{inds[i]['label']}: count of {inds[i]['unit']}", f"{inds[i]['label']}: share"]
    grows = []
    for r in records:
        row = lead(r)
        for i in members:
            n, d = names[i], inds[i]
            num, den = _rounded(r.get(f"{n}_num"), 0), _rounded(r.get(f"{n}_den"), 0)
            v = by_ind.get(i)
            share = (_view_text(v, r) if v is not None and num is not None else percent_of(num, den))
            cls = "num est" if d["derived"] else "num"
            row += [_cell(_count_text(num, den, d["derived"]), cls=cls), _cell(share, cls=cls)]
        grows.append(row)
    suffix = f" (part {part} of {n_parts})" if n_parts > 1 else ""
    return {"id": group if part == 1 else f"{group}-{part}", "title": gtitle + suffix, "headers": gh, "rows": grows,
            "caption": f"{gtitle}{suffix}: count and share for each area ({len(grows)} areas)"}

def table_page(table: pd.DataFrame, views: list[View], names: list[str], inds: list[dict], *, class_col: str,
               class_label: str, title: str, level_title: str, dates: list[str], map_href: str, csv_href: str | None,
               attributions: list[str], sources: list[dict], href_col: str | None = None, note: str = "",
               method_html=None, totals: list[dict] | None = None, england: dict | None = None,
               records: list[dict] | None = None) -> str:
    """The companion page of one map page, from the level's area table (``render.data.area_table``).

    ``table`` holds the areas of the page (all, one split group, or the overview's
    groups); ``views`` and ``inds`` are the page's views and indicator specs, so
    the figures and their rounding are the map's. ``href_col`` names a column of
    links for the area names (the overview's per-group table pages). ``records`` are the
    rows of ``table`` as dicts, when the caller has them already (split levels).
    """
    by_ind = {v.ind: v for v in views if v.ind is not None}
    key_views = [v for v in views if v.ind is None]
    rank = table["rank"] if "rank" in table.columns else pd.Series(np.nan, index=table.index)
    order = (pd.DataFrame({"missing": rank.isna().to_numpy(), "rank": rank.astype("float64").fillna(0).to_numpy(),
                           "code": table["code"].astype(str).to_numpy()})
             .sort_values(["missing", "rank", "code"], kind="stable").index)
    all_records = table.to_dict("records") if records is None else records
    records = [all_records[table.index.get_loc(i)] for i in order]

    def lead(r) -> list[dict]:
        code = str(r["code"])
        return [_cell(_rounded(r.get("rank"), 0), cls="num"),
                _cell(_text(r.get("name")) or code, href=r.get(href_col) if href_col else None)]

    def detail_text(k, val) -> str:
        if is_missing(val):
            return ""
        if isinstance(val, (int, float, np.integer, np.floating)):
            return f"{float(val):.1f}" if k.startswith("score_") else str(int(round(float(val))))
        return str(val)

    present = [(k, h) for k, h in DETAILS if k in table.columns and table[k].notna().any()
               and k not in WORDS and k not in TWO_QUESTIONS]
    headers = ["Rank", "Area", "Code", class_label, "Region", "Premises"] + [v.label for v in key_views] + [h for _, h in present]
    rows = []
    for r in records:
        row = lead(r) + [_cell(str(r["code"]), cls="code"), _cell(_text(r.get(class_col))), _cell(_text(r.get("region_name"))),
                         _cell(count(_rounded(r.get("premises"), 0), missing=""), cls="num")]
        row += [_cell(_view_text(v, r), cls=None if v.cats is not None else "num") for v in key_views]
        row += [_cell(detail_text(k, r.get(k)), cls="num") for k, _ in present]
        rows.append(row)
    sections = [{"id": "overview", "title": "Rank, score, tier and diagnosis", "headers": headers, "rows": rows,
                 "caption": f"{title}: {level_title}, {len(rows)} areas, sorted by rank"}]
    questions = [(k, h) for k, h in DETAILS if k in TWO_QUESTIONS and k in table.columns and table[k].notna().any()]
    if questions:
        qrows = [lead(r) + [_cell(detail_text(k, r.get(k)), cls="num") for k, _ in questions] for r in records]
        sections.append({"id": "rates-counts", "title": "Depth and size", "headers": ["Rank", "Area"] + [h for _, h in questions],
                         "rows": qrows, "caption": f"Depth (rates) and size (counts): score, rank and tier on each, "
                                                   f"for each area ({len(qrows)} areas)"})
    words = [(k, h) for k, h in DETAILS if k in WORDS and k in table.columns and table[k].notna().any()]
    if words:
        diag = [v for v in key_views if v.key == "diagnosis"]
        dh = ["Rank", "Area"] + [v.label for v in diag] + [h for _, h in words]
        drows = [lead(r) + [_cell(_view_text(v, r)) for v in diag]
                 + [_cell("" if is_missing(r.get(k)) else str(r.get(k)), cls="text") for k, _ in words] for r in records]
        sections.append({"id": "diagnosis", "title": "Diagnosis in words", "headers": dh, "rows": drows,
                         "caption": f"Diagnosis, funding routes flagged and the reason, for each area ({len(drows)} areas)"})
    for group, gtitle in VIEW_GROUPS:
        parts = _parts([i for i, d in enumerate(inds) if d["group"] == group])
        for p, members in enumerate(parts, start=1):
            sections.append(_group_section(group, gtitle, members, p, len(parts), records, lead, names,
                                           inds, by_ind))
    totals_rows, totals_headers = [], []
    tot = list(totals or []) + ([england] if england else [])
    if tot:  # one row per indicator, one column per total: narrow enough for the page
        totals_headers = ["Indicator"] + [t["a"] for t in tot]
        for i, d in enumerate(inds):
            v = by_ind.get(i)
            dec = v.dec if v is not None else 1
            cells = []
            for t in tot:
                nd = t["nd"][i] if i < len(t["nd"]) else None
                if nd is None:
                    cells.append("not available")
                else:
                    share = fmt_value(nd[0] / nd[1], "pct", dec) if nd[1] else "n/a"
                    cells.append(f"{share} ({_count_text(nd[0], nd[1], d['derived'])})")
            totals_rows.append([d["label"]] + cells)
    for section in sections:
        section["body"] = _rows_html(section.pop("rows"))
    return _template().render(
        title=title, level_title=level_title, dates=dates, map_href=map_href, csv_href=csv_href, note=note,
        sections=sections, totals_rows=totals_rows, totals_headers=totals_headers, method_html=method_html,
        attributions=attributions or [], sources=sources or [],
    )
