"""Every figure in the narratives equals the published table, the totals and the map data (GeoPackage)."""

from __future__ import annotations

import calendar
import re

import pandas as pd
import pytest
from docx import Document

from mapper.publish.tables import table_frame
from mapper.score import INDICATORS, available_indicators


def _int(x) -> str:
    return f"{round(float(x)):,}"


def _pct(x) -> str:
    return f"{100 * float(x):.1f}%"


def _level(frames, key):
    return {"la": frames.la, "pcon": frames.pcon}[key]


def _docx_before_method(path):
    """(paragraph texts, bold runs) of the whole document (method and sources are in the annex)."""
    doc = Document(str(path))
    texts, bold = [], []
    for p in doc.paragraphs:
        texts.append(p.text)
        bold += [r.text for r in p.runs if r.bold]
    return doc, texts, bold


def _ordinal(n) -> str:
    n = int(n)
    return f"{n:,}" + ("th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th"))


def _pcts(share: float) -> set[str]:
    """A share as printed with 0 to 3 decimals (comparisons add decimals until different shares differ)."""
    return {f"{100 * float(share):.{d}f}%" for d in range(4)}


def _allowed(level, cfg, code) -> set[str]:
    """Every formatted figure the narrative of ``code`` may quote, computed here independently."""
    table = table_frame(level, cfg, estimate_names=False)
    row = table[table["code"] == code].iloc[0]
    out = set()
    for col, v in row.items():
        if pd.isna(v) if not isinstance(v, str) else False:
            continue
        if isinstance(v, str):
            out.add(v)
            if re.fullmatch(r"\d{4}-\d{2}", v):  # a release month is quoted as 'September 2020'
                out.add(f"{calendar.month_name[int(v[5:])]} {v[:4]}")
        elif col.endswith("_share") or col == "top_tier_share":
            out.update(_pcts(v))
        elif col.endswith("change_n") or col == "gigabit_gain_n":
            out.update({f"{int(v):+,}", _int(abs(v))})
        else:
            out.update({_int(v), f"{float(v):.1f}"})
            if col.startswith(("rank", "england_rank")):
                out.add(_ordinal(v))
    for n in available_indicators(level.frame):  # exact num / den, printed with 0-3 decimals
        if pd.notna(row[f"{n}_num"]) and row[f"{n}_den"]:
            out.update(_pcts(float(row[f"{n}_num"]) / float(row[f"{n}_den"])))
    out.add(f"{calendar.month_name[int(level.coverage.meta['release_date'][5:])]} {level.coverage.meta['release_date'][:4]}")
    tot = level.totals.set_index("area")
    region = row.get("region_name")
    cls = row[level.class_col]
    same = table[table[level.class_col] == cls]
    for n in available_indicators(level.frame):
        for area in ("Midlands", region):
            if area in tot.index and pd.notna(tot.loc[area, f"{n}_share"]):
                out.update(_pcts(tot.loc[area, f"{n}_share"]))
        england = level.benchmarks.set_index("area") if level.benchmarks is not None else None
        if england is not None and f"{n}_share" in england.columns and pd.notna(england.loc["England", f"{n}_share"]):
            out.update(_pcts(england.loc["England", f"{n}_share"]))
        num, den = same[f"{n}_num"].astype("float64").sum(), same[f"{n}_den"].astype("float64").sum()
        if den > 0:
            out.update(_pcts(num / den))
    out.update({_int(len(same)), _int(same["score"].notna().sum()), _int(table["score"].notna().sum()),
                _int(cfg.score.tiers.k)})
    out.update(_int(n) for n in (getattr(level, "england_areas", None) or {}).values())  # 'of 296 English LAs'
    if pd.notna(row.get("rank_in_class")):
        out.add(_ordinal(row["rank_in_class"]))
    return out


def test_headline_sentence_is_the_issue_example(cfg, frames, pack_dir):
    t = table_frame(frames.la, cfg, estimate_names=False).set_index("code").loc["E07000142"]
    expected = (f"In West Lindsey, {_int(t['no_gigabit_num'])} of {_int(t['no_gigabit_den'])} premises "
                f"({_pct(t['no_gigabit_share'])}) cannot get gigabit-capable broadband (Ofcom Connected Nations, July 2025).")
    _, texts, _ = _docx_before_method(pack_dir / "narrative/E07000142_west-lindsey.docx")
    assert expected in texts
    md = (f"In West Lindsey, **{_int(t['no_gigabit_num'])}** of **{_int(t['no_gigabit_den'])}** premises "
          f"(**{_pct(t['no_gigabit_share'])}**) cannot get gigabit-capable broadband (Ofcom Connected Nations, July 2025).")
    assert md in (pack_dir / "narrative/E07000142_west-lindsey.md").read_text("utf-8")


@pytest.mark.parametrize("slug, level_key, code", [
    ("E07000142_west-lindsey", "la", "E07000142"),
    ("E14001243_gainsborough", "pcon", "E14001243"),
])
def test_every_bold_figure_is_in_the_table_or_totals(cfg, frames, pack_dir, slug, level_key, code):
    level = _level(frames, level_key)
    allowed = _allowed(level, cfg, code)
    _, _, bold = _docx_before_method(pack_dir / f"narrative/{slug}.docx")
    numeric = [b for b in bold if re.search(r"\d", b)]
    assert len(numeric) > 20
    stray = [b for b in numeric if b not in allowed]
    assert stray == []
    # the Markdown quotes the same figures in the same order
    md = (pack_dir / f"narrative/{slug}.md").read_text("utf-8")
    md_bold = [m.replace("\\", "") for m in re.findall(r"\*\*(.+?)\*\*", md)]
    assert md_bold == bold


@pytest.mark.parametrize("slug, level_key, code", [
    ("E07000142_west-lindsey", "la", "E07000142"),
    ("E14001243_gainsborough", "pcon", "E14001243"),
])
def test_count_sentences_match_one_indicator_and_the_map_layer(cfg, frames, pack_dir, slug, level_key, code):
    """'N of M unit (x%)' triples equal one indicator of the table row and of the GeoPackage (map) layer."""
    import geopandas as gpd

    level = _level(frames, level_key)
    row = table_frame(level, cfg, estimate_names=False).set_index("code").loc[code]
    layer = {"la": "local_authorities", "pcon": "constituencies"}[level_key]
    geo = gpd.read_file(pack_dir / "midlands_connectivity.gpkg", layer=layer).set_index("code").loc[code]
    names = available_indicators(level.frame)
    triples = {(_int(row[f"{n}_num"]), _int(row[f"{n}_den"]), _pct(row[f"{n}_share"])): n
               for n in names if pd.notna(row[f"{n}_share"])}
    for n in names:  # the map layer carries the same numbers as the table
        if pd.notna(row[f"{n}_share"]):
            assert (_int(geo[f"{n}_num"]), _int(geo[f"{n}_den"]), _pct(geo[f"{n}_share"])) in triples
    _, texts, _ = _docx_before_method(pack_dir / f"narrative/{slug}.docx")
    found = re.findall(r"([\d,]+) of ([\d,]+) [a-z -]*?premises \(([\d.]+%)\)|([\d,]+) of ([\d,]+) people \(([\d.]+%)\)"
                       r"|([\d,]+) of ([\d,]+) neighbourhoods \(LSOAs\) \(([\d.]+%)\)",
                       "\n".join(texts))
    quoted = [tuple(x for x in f if x) for f in found]
    assert len(quoted) >= 4
    for triple in quoted:
        assert triple in triples, triple
    for n in [c.name for c in cfg.score.indicators]:
        assert (_int(row[f"{n}_num"]), _int(row[f"{n}_den"]), _pct(row[f"{n}_share"])) in quoted


def test_embedded_table_and_maps(cfg, frames, pack_files, pack_dir):
    t = table_frame(frames.la, cfg, estimate_names=False).set_index("code").loc["E07000142"]
    doc, _, _ = _docx_before_method(pack_dir / "narrative/E07000142_west-lindsey.docx")
    assert len(doc.inline_shapes) == 2  # tiers and premises without gigabit
    blobs = [doc.part.related_parts[s._inline.graphic.graphicData.pic.blipFill.blip.embed].blob for s in doc.inline_shapes]
    assert blobs == [pack_files["maps/E07000142_west-lindsey_tiers.png"], pack_files["maps/E07000142_west-lindsey_gap.png"]]
    figures = doc.tables[0]
    header = [c.text for c in figures.rows[0].cells]
    assert header == ["Indicator", "Count", "Of", "Share", "East Midlands", "All rural", "Midlands", "England"]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in figures.rows[1:]}
    for n in available_indicators(frames.la.frame):
        ind = INDICATORS[n]
        label = ind.label if ind.label in rows else f"{ind.label} (estimate)"
        assert not ind.derived or "estimate" in label  # estimates are called estimates
        assert rows[label][1] == _int(t[f"{n}_num"])
        share, midlands = rows[label][3], rows[label][6]
        d = len(share.rstrip("%").split(".")[1])
        assert share == f"{100 * t[f'{n}_num'] / t[f'{n}_den']:.{d}f}%"
        assert midlands == f"{100 * frames.la.totals.iloc[-1][f'{n}_share']:.{d}f}%"
    md = (pack_dir / "narrative/E07000142_west-lindsey.md").read_text("utf-8")
    assert "](../maps/E07000142_west-lindsey_tiers.png)" in md and "](../maps/E07000142_west-lindsey_gap.png)" in md


def test_optional_sentences_follow_the_columns(cfg, frames, pack_dir):
    """Mobile and take-up sentences exist only where their columns exist (LA yes, constituency no)."""
    la = (pack_dir / "narrative/E07000142_west-lindsey.md").read_text("utf-8")
    pcon = (pack_dir / "narrative/E14001243_gainsborough.md").read_text("utf-8")
    assert "Mobile not-spots: an estimated" in la and "derived estimates" in la
    assert "Full-fibre take-up:" in la
    assert "non-residential (business and other) premises" in la
    assert "Mobile not-spots" not in pcon and "Full-fibre take-up" not in pcon
    assert ("no_indoor_4g_share" in frames.pcon.frame.columns) is False
    if "diagnosis" in frames.la.frame.columns:
        diag = frames.la.frame.set_index("code").loc["E07000142", "diagnosis"]
        assert diag == "Infrastructure bid" and "The evidence points to infrastructure" in la
    if "gigabit_gain_n" in frames.pcon.frame.columns:
        assert "Change over time: between **September 2020** and **January 2024**" in pcon
