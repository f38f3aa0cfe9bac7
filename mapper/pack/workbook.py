"""The pack workbook (XLSX via openpyxl) and its CSV equivalents, one CSV per sheet.

Sheets, in order: Cover (what it is, releases, how to cite, licence), Summary (regions,
Midlands and England, counts summed then divided), Pack areas (each chosen area's figures
beside its comparators), ranked areas, every indicator per level, change over time with
both releases and their baselines, Definitions (every column: plain-English header, code
name, meaning), Indicators, Sources (with links) and Method (plain text, one paragraph per
row).

Table sheets have two header rows: plain-English names (row 1, bold) and the code names
used by the CSV files and the published tables (row 2, grey); data start on row 3 and the
panes are frozen below the headers. The CSV of a sheet has one header row of code names and
exactly the sheet's data. Numbers are stored as numbers with formats: counts ``#,##0``,
shares as percentages (``0.0%``, or ``0.00%`` below 1% so small shares stay distinct),
scores ``0.0``, weights ``0.00``, ranks and tiers ``0``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pandas as pd

from .._io import FORMULA_TRIGGERS, csv_text
from ..formatting import labels
from ..publish.tables import published_names
from ..score import INDICATORS
from .annex import source_url, unique_sources
from .documents import markdown_lines, strip_markdown
from .tables import (
    DIAGNOSIS_COLUMNS,
    RATE_COUNT_COLUMNS,
    STABILITY_COLUMNS,
    _clean,
    benchmark_row,
    level_noun,
    level_release,
    month_text,
    pack_table,
    release_text,
)

COUNT_FORMAT, SCORE_FORMAT, INT_FORMAT, WEIGHT_FORMAT = "#,##0", "0.0", "0", "0.00"
SHARE_FORMAT, SMALL_SHARE_FORMAT = "0.0%", "0.00%"
ENGLAND_NOTE = "Not available in this build: the national (England) file is not loaded."

RANK_COLUMNS = ("code", "name", "region_name", "ruc_name", "urban_rural", "cluster", "premises", "score", "rank",
                "tier", "tier_label", "rank_in_class", "tier_in_class", *RATE_COUNT_COLUMNS)

#: Plain-English headers of the non-indicator columns (indicator columns are named from the registry).
HEADERS: dict[str, str] = labels("workbook_headers")
#: Meanings of the non-indicator columns, for the Definitions sheet.
MEANINGS = {
    "code": "ONS GSS code of the area", "release": "Month of the Ofcom release the row's coverage figures come from",
    "score": "Composite priority score: weighted, rescaled indicator shares, 0-100, 100 = most need",
    "rank": "Rank on the priority score among the scored areas of the level (1 = most need)",
    "tier": "Priority tier from the score (1 = highest priority); 0 = insufficient data",
    "rank_p05": "5th percentile of the rank when weights and rescaling vary (the best rank in 90% of trials)",
    "rank_p95": "95th percentile of the rank when weights and rescaling vary (the worst rank in 90% of trials)",
    "infra_need": "Mean percentile rank on the infrastructure indicators, 0-100",
    "inclusion_need": "Mean percentile rank on the digital-inclusion indicators, 0-100",
    "gigabit_gain_n": "Premises with gigabit in the later release minus the earlier release (counts)",
    "premises_change_n": "All premises in the later release minus the earlier release",
    "below_uso_change_n": "Premises below the USO, later minus earlier release (negative = fewer in the gap)",
    "unable_30_change_n": "Premises unable to get 30 Mbit/s, later minus earlier release (negative = fewer in the gap)",
}


@dataclass
class Sheet:
    """One sheet: its table (code-name columns, as in the CSV) and how it is shown."""

    frame: pd.DataFrame
    kind: str = "table"                   # "table" (two header rows) or "text" (wrapped prose)
    widths: dict[str, int] = field(default_factory=dict)


def _estimate(ind) -> str:
    return "" if not ind.derived or "estimate" in ind.label.lower() else " (estimate)"


def header_label(col: str) -> str:
    """The plain-English header of a column code name.

    >>> header_label("no_gigabit_share"), header_label("rank")
    ('Premises without gigabit-capable broadband (share)', 'Priority rank (1 = highest)')
    """
    if col.endswith("_num_rounding") and col.removesuffix("_num_rounding") in INDICATORS:
        ind = INDICATORS[col.removesuffix("_num_rounding")]
        return f"{ind.label}: +/- rounding margin of the estimated count"
    col = col.removesuffix("_estimate")
    for suffix, what in (("_num", "count"), ("_den", "out of"), ("_share", "share")):
        name = col[: -len(suffix)]
        if col.endswith(suffix) and name in INDICATORS:
            ind = INDICATORS[name]
            if suffix == "_den":
                return f"{ind.label}{_estimate(ind)}: out of ({ind.unit})"
            return f"{ind.label}{_estimate(ind)} ({what})"
    if col.startswith("england_rank_") and col.removeprefix("england_rank_") in INDICATORS:
        return f"Rank in England: {INDICATORS[col.removeprefix('england_rank_')].label}"
    if col.startswith("bduk_"):
        return "BDUK premises in plans: " + col.removeprefix("bduk_").removesuffix("_n").replace("_", " ")
    if col.endswith("_pct_unweighted_mean"):
        return col.removesuffix("_pct_unweighted_mean").replace("_", " ").capitalize() + " (unweighted mean of postcode %)"
    return HEADERS.get(col, col.replace("_", " ").capitalize())


def _meaning(col: str) -> str:
    for suffix in ("_num", "_den", "_share"):
        name = col[: -len(suffix)]
        if col.endswith(suffix) and name in INDICATORS:
            ind = INDICATORS[name]
            part = {"_num": f"number of {ind.numerator_label}", "_den": f"all {ind.unit} (the denominator)",
                    "_share": f"count / out of: {ind.formula}"}[suffix]
            return part + ("; a DERIVED ESTIMATE from published percentages" if ind.derived else "")
    return MEANINGS.get(col, header_label(col))


def _number_format(col: str, value) -> str | None:
    if col.endswith("_share") or col in ("share", "top_tier_share", "tier_agreement", "highly_rural", "rural", "urban",
                                         "weight_share") or col.startswith("gigabit_share_"):
        return SMALL_SHARE_FORMAT if isinstance(value, (int, float)) and abs(value) < 0.01 and value != 0 else SHARE_FORMAT
    if col.endswith(("_num", "_den", "_n", "_then", "_now")) or col in ("premises", "population", "nonres_premises",
                                                                         "count", "denominator", "bytes"):
        return COUNT_FORMAT
    if col in ("score", "rank_median", "infra_need", "inclusion_need", "score_rate", "score_count"):
        return SCORE_FORMAT
    if col == "weight":
        return WEIGHT_FORMAT
    if col in ("rank", "tier", "rank_in_class", "tier_in_class", "rank_p05", "rank_p95", "areas", "of", "rank_rate",
               "tier_rate", "rank_count", "tier_count") or col.startswith("england_rank_"):
        return INT_FORMAT
    return None


# --- sheets -------------------------------------------------------------------------

def cover_sheet(cfg, frames, levels, registry: dict, book_names: list[str], places_credit: str | None,
                changes: dict | None = None) -> pd.DataFrame:
    from .. import __version__
    from ..load.provenance import attributions

    release = month_text(level_release(frames.la))
    rows = [
        ("Title", f"{cfg.title} (evidence pack workbook)"),
        ("What this is", "Figures behind the Midlands digital connectivity evidence pack: totals, the chosen areas "
                         "beside their comparators, every area ranked, every indicator, change over time. Every share "
                         "is a count divided by a count; regional and Midlands figures add counts, then divide."),
    ]
    for lv in levels.values():
        rows.append((f"Data release: {level_noun(lv.key, True)}", f"{lv.title}: Ofcom Connected Nations, "
                     f"{month_text(level_release(lv))}"))
    for key, lv in (changes or {}).items():
        if key in levels:
            continue
        earlier = lv.frame["change_from_release"].dropna() if "change_from_release" in lv.frame.columns else []
        since = f"{month_text(str(earlier.iloc[0]))} to " if len(earlier) else ""
        rows.append((f"Change over time: {lv.title}", f"Ofcom Connected Nations, {since}{month_text(level_release(lv))}"
                     " (a separate level: these seats were abolished at the 2024 general election)"))
    if all(benchmark_row(lv) is None for lv in levels.values()):
        rows.append(("England comparison", ENGLAND_NOTE))
    rows += [
        ("Estimates", "Mobile not-spot and full-fibre take-up figures are derived from published percentages and are "
                      "labelled as estimates wherever they appear."),
        ("How to cite", f"{cfg.title}: evidence pack, data release {release} (Midlands connectivity gap mapper "
                        f"{__version__}); cite the original sources listed in the Sources sheet."),
        ("Licence", "The figures are derived from open data (Open Government Licence v3.0 unless stated in the Sources "
                    "sheet); keep the attribution lines below with anything you reuse."),
    ]
    for line in attributions(unique_sources(frames), registry):
        rows.append(("Attribution", line))
    if places_credit:
        rows.append(("Attribution (maps)", places_credit))
    rows.append(("Method and data quality", "See the annex document of the pack (Annex: method, data quality and "
                                            "sources) and the Method sheet."))
    for name in book_names:
        rows.append(("Sheet", f"{name}: {SHEET_NOTES.get(name, '')}".rstrip(": ")))
    return pd.DataFrame(rows, columns=["item", "detail"])


SHEET_NOTES = {
    "Summary": "East Midlands, West Midlands, the Midlands and England per indicator and level (counts summed, then divided)",
    "Pack areas": "each chosen area's figures beside its region, rural/urban class, the Midlands and England",
    "Ranked LAs": "local authorities by priority rank, with tier, stability and intervention",
    "Ranked constituencies": "constituencies by priority rank, with tier, stability and intervention",
    "LA indicators": "every indicator of every local authority (count, out of, share)",
    "Constituency indicators": "every indicator of every constituency (count, out of, share)",
    "LA change": "change over time per local authority: both releases, baselines and differences",
    "Constituency change": "change over time per constituency: both releases, baselines and differences",
    "Constituency change 2010 seats": "change over time per 2010-2024 constituency (the seats abolished at the 2024 "
                                      "general election): both releases, baselines and differences",
    "Definitions": "every column: plain-English header, code name and meaning",
    "Indicators": "indicator definitions, sources and weights in the priority score",
    "Sources": "every input file with release, licence, link and checksum",
    "Method": "the method statement as plain text",
}


def summary_sheet(levels, cfg) -> pd.DataFrame:
    """Region, Midlands and England totals per indicator, long form: counts summed, share recomputed."""
    rows = []
    scored = {c.name for c in cfg.score.indicators}
    for level in levels.values():
        england = benchmark_row(level)
        tot = level.totals
        for name in level.indicators:
            ind = INDICATORS[name]
            if f"{name}_num" not in tot.columns:
                continue
            base = {"level": level.title, "data_release": level_release(level), "indicator": name,
                    "label": ind.label, "estimate": "yes" if ind.derived else "no",
                    "in_score": "yes" if name in scored else "no", "unit": ind.unit}
            for _, r in tot.iterrows():
                rows.append({**base, "area": r["area"],
                             "count": _clean(round(float(r[f"{name}_num"]))) if pd.notna(r[f"{name}_num"]) else None,
                             "denominator": _clean(round(float(r[f"{name}_den"]))) if pd.notna(r[f"{name}_den"]) else None,
                             "share": None if pd.isna(r[f"{name}_share"]) else round(float(r[f"{name}_share"]), 6),
                             "note": ""})
            if england is not None:
                rows.append({**base, "area": "England", "count": england.get(f"{name}_num"),
                             "denominator": england.get(f"{name}_den"), "share": england.get(f"{name}_share"),
                             "note": "" if england.get(f"{name}_share") is not None else "not in the national file"})
            else:
                rows.append({**base, "area": "England", "count": None, "denominator": None, "share": None,
                             "note": ENGLAND_NOTE})
    cols = ["level", "data_release", "area", "indicator", "label", "estimate", "in_score", "count", "denominator",
            "unit", "share", "note"]
    return _whole_counts(pd.DataFrame(rows, columns=cols), ("count", "denominator"))


def _whole_counts(frame: pd.DataFrame, cols) -> pd.DataFrame:
    """Count columns as whole numbers (nullable), so the CSV says 296066, not 296066.0."""
    for c in cols:
        frame[c] = pd.to_numeric(frame[c], errors="coerce").round().astype("Int64")
    return frame


def pack_areas_sheet(facts_list) -> pd.DataFrame:
    """Each pack area's figures (every indicator) beside its region, class, Midlands and England shares."""
    rows = []
    for f in facts_list:
        r = f.row
        for name, fig in f.figures.items():
            rows.append({
                "level": level_noun(f.level), "code": f.code, "name": f.name, "data_release": f.release,
                "indicator": name, "label": fig.label, "estimate": "yes" if fig.derived else "no",
                "count": fig.num, "denominator": fig.den, "unit": fig.unit, "share": fig.share,
                "region": f.region, "region_share": fig.region_share, "class": f.area_class,
                "class_share": fig.class_share, "midlands_share": fig.midlands_share,
                "england_share": fig.england_share, "rank": r.get("rank"), "of": f.n_scored, "tier": r.get("tier"),
                "intervention": r.get("diagnosis"),
            })
    cols = ["level", "code", "name", "data_release", "indicator", "label", "estimate", "count", "denominator", "unit",
            "share", "region", "region_share", "class", "class_share", "midlands_share", "england_share", "rank", "of",
            "tier", "intervention"]
    out = _whole_counts(pd.DataFrame(rows, columns=cols), ("count", "denominator", "rank", "of", "tier"))
    for c in ("share", "region_share", "class_share", "midlands_share", "england_share"):
        out[c] = pd.to_numeric(out[c], errors="coerce").round(6)
    return out


def ranked_sheet(table: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in RANK_COLUMNS if c in table.columns]
    cols += [c for c in (*STABILITY_COLUMNS, "tier_agreement", *DIAGNOSIS_COLUMNS, "routes") if c in table.columns]
    cols += sorted(c for c in table.columns if c.startswith("england_rank_"))
    return table[cols].copy()


def change_sheet(level, table: pd.DataFrame) -> pd.DataFrame | None:
    """Both releases per area: baselines (earlier counts), later counts and the differences, plus a Midlands row."""
    if "gigabit_gain_n" not in table.columns:
        return None
    frame = pd.DataFrame(level.frame.drop(columns="geometry")).set_index("code")
    rows = []
    for _, t in table.iterrows():
        f = frame.loc[t["code"]]
        row = {"code": t["code"], "name": t["name"], "region_name": t.get("region_name"),
               "change_from_release": t.get("change_from_release"), "later_release": level_release(level)}
        for stem, now_col, change_col in (("premises", "premises", "premises_change_n"),
                                          ("gigabit", "gigabit_n", "gigabit_gain_n"),
                                          ("below_uso", "below_uso_n", "below_uso_change_n"),
                                          ("unable_30", "unable_30_n", "unable_30_change_n")):
            now, change = _clean(f.get(now_col)), _clean(t.get(change_col))
            row[f"{stem}_then"] = round(now - change) if now is not None and change is not None else None
            row[f"{stem}_now"] = round(now) if now is not None else None
            row[change_col] = round(change) if change is not None else None
        rows.append(row)
    out = pd.DataFrame(rows)
    total = {"code": "Midlands", "name": "Midlands (sum of the areas)", "region_name": None,
             "change_from_release": next(iter(out["change_from_release"].dropna()), None),
             "later_release": level_release(level)}
    for c in out.columns:
        if c.endswith(("_then", "_now", "_n")):
            total[c] = int(out[c].dropna().sum()) if out[c].notna().any() else None
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    for when in ("then", "now"):
        out[f"gigabit_share_{when}"] = [round(g / p, 6) if pd.notna(g) and pd.notna(p) and p else None
                                         for g, p in zip(out[f"gigabit_{when}"], out[f"premises_{when}"])]
    out = _whole_counts(out, [c for c in out.columns if c.endswith(("_then", "_now", "_n")) and "_share_" not in c])
    order = ["code", "name", "region_name", "change_from_release", "later_release",
             "premises_then", "premises_now", "premises_change_n",
             "gigabit_then", "gigabit_now", "gigabit_gain_n", "gigabit_share_then", "gigabit_share_now",
             "below_uso_then", "below_uso_now", "below_uso_change_n",
             "unable_30_then", "unable_30_now", "unable_30_change_n"]
    return out[[c for c in order if c in out.columns]]


def indicators_sheet(cfg) -> pd.DataFrame:
    weights = {c.name: c for c in cfg.score.indicators}
    total = sum(c.weight for c in cfg.score.indicators) or 1.0
    return pd.DataFrame([{
        "indicator": n, "label": i.label, "formula": i.formula, "numerator": i.numerator_label,
        "denominator": i.unit, "source": i.source, "estimate": "yes" if i.derived else "no",
        "in_score": "yes" if n in weights else "no",
        "weight": weights[n].weight if n in weights else None,
        "weight_share": weights[n].weight / total if n in weights else None,
        "direction": weights[n].direction if n in weights else None,
    } for n, i in INDICATORS.items()])


def sources_sheet(frames, registry: dict) -> pd.DataFrame:
    lines = registry.get("attribution_lines", {})
    rows = []
    for r in unique_sources(frames):
        key = r.get("attribution_key")
        rows.append({"title": r["title"], "publisher": r["publisher"], "release": release_text(r["release"]),
                     "licence": r["licence"], "url": source_url(r), "file": r["file"], "sha256": r["sha256"],
                     "bytes": r["bytes"], "attribution": lines[key].format(year=r.get("year") or "") if key in lines else ""})
    return pd.DataFrame(rows, columns=["title", "publisher", "release", "licence", "url", "file", "sha256", "bytes",
                                       "attribution"])


def method_sheet(method_md: str) -> pd.DataFrame:
    """The method statement as plain text: one paragraph or bullet per row under its section, no Markdown."""
    rows: list[tuple[str, str]] = []
    section = ""
    for kind, value in markdown_lines(method_md):
        if kind == "h":
            section = strip_markdown(value[1])
            rows.append((section, ""))
        elif kind == "p":
            rows.append((section, strip_markdown(value)))
        elif kind == "li":
            rows.append((section, "• " + strip_markdown(value)))
        elif kind == "table" and value:
            header = [strip_markdown(c) for c in value[0]]
            for r in value[1:]:
                cells = [strip_markdown(c) for c in r]
                rows.append((section, "• " + "; ".join(f"{h}: {c}" for h, c in zip(header, cells) if c)))
    return pd.DataFrame(rows, columns=["section", "text"])


def definitions_sheet(book: dict[str, Sheet]) -> pd.DataFrame:
    seen: dict[str, tuple[str, str]] = {}
    for _name, sheet in book.items():
        if sheet.kind != "table":
            continue
        for c in sheet.frame.columns:
            seen.setdefault(c, (header_label(c), _meaning(c)))
    return pd.DataFrame([{"column": c, "header": h, "meaning": m} for c, (h, m) in seen.items()],
                        columns=["column", "header", "meaning"])


def sheets(cfg, frames, levels: dict, tables: dict, facts_list, registry: dict, method_md: str, *,
           places_credit: str | None = None, changes: dict | None = None) -> dict[str, Sheet]:
    """Sheet name -> :class:`Sheet`, in workbook order (names are also the CSV file stems).

    ``changes``: the levels whose change over time gets a sheet (default: those of ``levels`` that carry it);
    the 2010-2024 seats appear only there.
    """
    names = {"la": ("Ranked LAs", "LA indicators", "LA change"),
             "pcon": ("Ranked constituencies", "Constituency indicators", "Constituency change"),
             "pcon10": ("Ranked constituencies 2010", "Constituency indicators 2010", "Constituency change 2010 seats")}
    body: dict[str, Sheet] = {"Summary": Sheet(summary_sheet(levels, cfg)),
                              "Pack areas": Sheet(pack_areas_sheet(facts_list))}
    for key in levels:
        ranked, _, _ = names.get(key, (f"Ranked {key}", f"{key} indicators", f"{key} change"))
        body[ranked] = Sheet(ranked_sheet(tables[key]))
    for key in levels:
        _, inds, _ = names.get(key, (f"Ranked {key}", f"{key} indicators", f"{key} change"))
        body[inds] = Sheet(tables[key].rename(columns=published_names(tables[key].columns)))  # estimates say so
    for key, level in (changes if changes is not None else levels).items():
        _, _, change = names.get(key, (f"Ranked {key}", f"{key} indicators", f"{key} change"))
        ch = change_sheet(level, tables[key] if key in tables else pack_table(level, cfg))
        if ch is not None:
            body[change] = Sheet(ch)
    body["Definitions"] = Sheet(pd.DataFrame())
    body["Indicators"] = Sheet(indicators_sheet(cfg))
    body["Sources"] = Sheet(sources_sheet(frames, registry))
    body["Method"] = Sheet(method_sheet(method_md), kind="text", widths={"section": 28, "text": 120})
    body["Definitions"] = Sheet(definitions_sheet(body), widths={"column": 30, "header": 55, "meaning": 90})
    cover = Sheet(cover_sheet(cfg, frames, levels, registry, list(body), places_credit, changes), kind="text",
                  widths={"item": 30, "detail": 120})
    return {"Cover": cover, **body}


def csv_name(sheet: str) -> str:
    return sheet.lower().replace(" ", "_") + ".csv"


def to_csv(sheet: Sheet) -> bytes:
    return csv_text(sheet.frame).encode("utf-8")


def to_xlsx(book: dict[str, Sheet], *, title: str, created) -> bytes:
    """Write the sheets: two header rows (plain English, code names), frozen panes, widths and number formats."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    code_font = Font(italic=True, size=8, color="666666")
    fill = PatternFill("solid", fgColor="DDDDDD")
    wrap_top = Alignment(vertical="top", wrap_text=True)
    for name, sheet in book.items():
        sheet = sheet if isinstance(sheet, Sheet) else Sheet(sheet)  # a bare DataFrame is a table sheet
        frame = sheet.frame
        ws = wb.create_sheet(title=name[:31])
        cols = list(frame.columns)
        text = sheet.kind == "text"
        ws.append([header_label(c) for c in cols])
        for cell in ws[1]:
            cell.font, cell.fill, cell.alignment = bold, fill, wrap_top
        first = 2
        if not text:
            ws.append(cols)
            for cell in ws[2]:
                cell.font = code_font
            first = 3
        formats = [(j, c) for j, c in enumerate(cols, start=1)]
        for values in frame.itertuples(index=False, name=None):
            ws.append([_clean(v) for v in values])
            r = ws.max_row
            for (j, col), _v in zip(formats, values):
                cell = ws.cell(row=r, column=j)
                value = cell.value
                if isinstance(value, str):
                    if value.startswith(FORMULA_TRIGGERS):  # text that looks like a formula is stored as text
                        cell.data_type = "s"
                        cell.quotePrefix = True
                    if text:
                        cell.alignment = wrap_top
                    continue
                fmt = _number_format(col, value)
                if fmt and value is not None:
                    cell.number_format = fmt
            if text and name == "Method" and values[1] == "":
                ws.cell(row=r, column=1).font = bold
        for j, col in enumerate(cols, start=1):
            letter = get_column_letter(j)
            if col in sheet.widths:
                width = sheet.widths[col]
            else:
                sample = [len(f"{v:,.1f}" if isinstance(v, float) else str(v)) for v in frame[col].head(400)
                          if _clean(v) is not None]
                width = min(45, max(9, min(len(header_label(col)), 28) + 2, max(sample or [0]) + 2))
            ws.column_dimensions[letter].width = width
        ws.row_dimensions[1].height = 45 if not text else 18
        if text:
            ws.freeze_panes = "A2"
        else:
            ws.freeze_panes = f"C{first}" if cols[:2] == ["code", "name"] else f"A{first}"
            if len(frame):
                ws.auto_filter.ref = f"A2:{get_column_letter(len(cols))}{ws.max_row}"
        ws.sheet_view.zoomScale = 100
    props = wb.properties
    props.title = title
    props.creator = "Midlands connectivity gap mapper"
    props.lastModifiedBy = "Midlands connectivity gap mapper"
    props.created = created
    props.modified = created
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
