"""The pack workbook (XLSX via openpyxl) and its CSV equivalents, one CSV per sheet.

Every sheet is a plain table (header in row 1, frozen below it) so the CSV of a
sheet holds exactly its cells. Numbers are stored as numbers with number
formats: counts ``#,##0``, shares (0-1) ``0.0%``, scores ``0.0``.
"""

from __future__ import annotations

import io

import pandas as pd

from .._io import FORMULA_TRIGGERS, csv_text
from ..score import INDICATORS
from .tables import CHANGE_COLUMNS, DIAGNOSIS_COLUMNS, LEVEL_NOUN, STABILITY_COLUMNS, _clean

RANK_COLUMNS = ("code", "name", "region_name", "ruc_name", "urban_rural", "cluster", "premises", "score", "rank",
                "tier", "tier_label", "rank_in_class", "tier_in_class")
COUNT_FORMAT, SHARE_FORMAT, SCORE_FORMAT, INT_FORMAT = "#,##0", "0.0%", "0.0", "0"


def _number_format(col: str) -> str | None:
    if col.endswith("_share") or col in ("top_tier_share", "tier_agreement", "highly_rural", "rural", "urban"):
        return SHARE_FORMAT
    if col.endswith(("_num", "_den", "_n")) or col in ("premises", "population", "nonres_premises", "Count", "Of",
                                                      "count", "denominator"):
        return COUNT_FORMAT
    if col in ("score", "rank_median", "infra_need", "inclusion_need", "Weight"):
        return SCORE_FORMAT
    if col in ("rank", "tier", "rank_in_class", "tier_in_class", "rank_p05", "rank_p95", "areas"):
        return INT_FORMAT
    return None


def ranked_sheet(table: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in RANK_COLUMNS if c in table.columns]
    cols += [c for c in (*STABILITY_COLUMNS, "tier_agreement", *DIAGNOSIS_COLUMNS, "routes") if c in table.columns]
    return table[cols].copy()


def change_sheet(table: pd.DataFrame) -> pd.DataFrame | None:
    cols = [c for c in (*CHANGE_COLUMNS, "premises_change_n") if c in table.columns]
    if "gigabit_gain_n" not in cols:
        return None
    return table[["code", "name", *[c for c in ("region_name",) if c in table.columns], *cols]].copy()


def summary_sheet(levels, cfg) -> pd.DataFrame:
    """Region and Midlands totals per indicator, long form: counts summed, share recomputed."""
    rows = []
    for level in levels:
        tot = level.totals
        for name in level.indicators:
            ind = INDICATORS[name]
            if f"{name}_num" not in tot.columns:
                continue
            for _, r in tot.iterrows():
                rows.append({
                    "level": level.title, "area": r["area"], "indicator": name, "label": ind.label,
                    "count": _clean(round(float(r[f"{name}_num"]))) if pd.notna(r[f"{name}_num"]) else None,
                    "denominator": _clean(round(float(r[f"{name}_den"]))) if pd.notna(r[f"{name}_den"]) else None,
                    "share": None if pd.isna(r[f"{name}_share"]) else round(float(r[f"{name}_share"]), 6),
                    "unit": ind.unit, "derived_estimate": "yes" if ind.derived else "no",
                    "in_score": "yes" if name in {c.name for c in cfg.score.indicators} else "no",
                })
    return pd.DataFrame(rows)


def pack_areas_sheet(facts_list) -> pd.DataFrame:
    rows = []
    for f in facts_list:
        r = f.row
        rows.append({"level": LEVEL_NOUN[f.level][0], "code": f.code, "name": f.name, "region": f.region,
                     "class": f.area_class, "premises": r.get("premises"), "score": r.get("score"), "rank": r.get("rank"),
                     "of": f.n_scored, "tier": r.get("tier"), "diagnosis": r.get("diagnosis")})
    return pd.DataFrame(rows, columns=["level", "code", "name", "region", "class", "premises", "score", "rank", "of",
                                       "tier", "diagnosis"])


def indicators_sheet(cfg) -> pd.DataFrame:
    weights = {c.name: c for c in cfg.score.indicators}
    return pd.DataFrame([{
        "indicator": n, "label": i.label, "formula": i.formula, "numerator": i.numerator_label,
        "denominator": i.unit, "source": i.source, "derived_estimate": "yes" if i.derived else "no",
        "in_score": "yes" if n in weights else "no",
        "Weight": weights[n].weight if n in weights else None,
        "direction": weights[n].direction if n in weights else None,
    } for n, i in INDICATORS.items()])


def sources_sheet(frames, registry: dict) -> pd.DataFrame:
    lines = registry.get("attribution_lines", {})
    rows = []
    for r in frames.sources:
        key = r.get("attribution_key")
        rows.append({"file": r["file"], "title": r["title"], "publisher": r["publisher"], "release": r["release"],
                     "licence": r["licence"], "sha256": r["sha256"], "bytes": r["bytes"],
                     "attribution": lines[key].format(year=r.get("year") or "") if key in lines else ""})
    return pd.DataFrame(rows)


def method_sheet(method_md: str) -> pd.DataFrame:
    lines = [ln.rstrip() for ln in method_md.strip().splitlines() if ln.strip()]
    return pd.DataFrame({"method": lines})


def sheets(cfg, frames, tables: dict, facts_list, registry: dict, method_md: str) -> dict[str, pd.DataFrame]:
    """Sheet name -> table, in workbook order (names are also the CSV file stems)."""
    out = {"Summary": summary_sheet((frames.la, frames.pcon), cfg), "Pack areas": pack_areas_sheet(facts_list)}
    out["Ranked LAs"] = ranked_sheet(tables["la"])
    out["Ranked constituencies"] = ranked_sheet(tables["pcon"])
    out["LA indicators"] = tables["la"]
    out["Constituency indicators"] = tables["pcon"]
    for key, title in (("la", "LA change"), ("pcon", "Constituency change")):
        ch = change_sheet(tables[key])
        if ch is not None:
            out[title] = ch
    out["Indicators"] = indicators_sheet(cfg)
    out["Sources"] = sources_sheet(frames, registry)
    out["Method"] = method_sheet(method_md)
    return out


def csv_name(sheet: str) -> str:
    return sheet.lower().replace(" ", "_") + ".csv"


def to_csv(frame: pd.DataFrame) -> bytes:
    return csv_text(frame).encode("utf-8")


def to_xlsx(book: dict[str, pd.DataFrame], *, title: str, created) -> bytes:
    """Write the sheets with bold headers, frozen panes, widths and number formats."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDDDDD")
    for name, frame in book.items():
        ws = wb.create_sheet(title=name[:31])
        cols = list(frame.columns)
        ws.append(cols)
        for cell in ws[1]:
            cell.font = bold
            cell.fill = fill
            cell.alignment = Alignment(vertical="top", wrap_text=False)
        for values in frame.itertuples(index=False, name=None):
            ws.append([_clean(v) for v in values])
            for cell in ws[ws.max_row]:  # text that looks like a formula is stored as text, never run
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
                    cell.data_type = "s"
                    cell.quotePrefix = True
        widths = {}
        for j, col in enumerate(cols, start=1):
            fmt = _number_format(col)
            letter = get_column_letter(j)
            if fmt:
                for row in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    row[0].number_format = fmt
            longest = max([len(str(col))] + [len(f"{v:,.1f}" if isinstance(v, float) else str(v))
                                             for v in frame[col].head(400) if _clean(v) is not None])
            widths[letter] = min(60, max(8, longest + 2))
        for letter, width in widths.items():
            ws.column_dimensions[letter].width = width
        ws.freeze_panes = "C2" if len(cols) > 2 and cols[:2] == ["code", "name"] else "A2"
        if len(frame):
            ws.auto_filter.ref = ws.dimensions
    props = wb.properties
    props.title = title
    props.creator = "Midlands connectivity gap mapper"
    props.lastModifiedBy = "Midlands connectivity gap mapper"
    props.created = created
    props.modified = created
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
