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
    return f"{int(round(float(x))):,}"


def _pct(x) -> str:
    return f"{100 * float(x):.1f}%"


def _level(frames, key):
    return {"la": frames.la, "pcon": frames.pcon}[key]


def _docx_before_method(path):
    """(paragraph texts, bold runs) of the document up to the 'Method' heading."""
    doc = Document(str(path))
    texts, bold = [], []
    for p in doc.paragraphs:
        if p.style.name.startswith("Heading") and p.text.strip() == "Method":
            break
        texts.append(p.text)
        bold += [r.text for r in p.runs if r.bold]
    return doc, texts, bold


def _allowed(level, cfg, code) -> set[str]:
    """Every formatted figure the narrative of ``code`` may quote, computed here independently."""
    table = table_frame(level, cfg)
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
            out.add(_pct(v))
        elif col.endswith("change_n") or col == "gigabit_gain_n":
            out.add(f"{int(v):+,}")
        else:
            out.update({_int(v), f"{float(v):.1f}"})
    tot = level.totals.set_index("area")
    region = row.get("region_name")
    cls = row[level.class_col]
    same = table[table[level.class_col] == cls]
    for n in available_indicators(level.frame):
        for area in ("Midlands", region):
            if area in tot.index and pd.notna(tot.loc[area, f"{n}_share"]):
                out.add(_pct(tot.loc[area, f"{n}_share"]))
        num, den = same[f"{n}_num"].astype("float64").sum(), same[f"{n}_den"].astype("float64").sum()
        if den > 0:
            out.add(_pct(num / den))
    out.update({_int(len(same)), _int(same["score"].notna().sum()), _int(table["score"].notna().sum()),
                _int(cfg.score.tiers.k)})
    return out


def test_headline_sentence_is_the_issue_example(cfg, frames, pack_dir):
    t = table_frame(frames.la, cfg).set_index("code").loc["E07000142"]
    expected = (f"In West Lindsey, {_int(t['no_gigabit_num'])} of {_int(t['no_gigabit_den'])} premises "
                f"({_pct(t['no_gigabit_share'])}) cannot get gigabit-capable broadband (Ofcom Connected Nations, July 2025).")
    _, texts, _ = _docx_before_method(pack_dir / "narrative/E07000142_west-lindsey.docx")
    assert expected in texts
    md = (f"In West Lindsey, **{_int(t['no_gigabit_num'])}** of **{_int(t['no_gigabit_den'])}** premises "
          f"(**{_pct(t['no_gigabit_share'])}**) cannot get gigabit-capable broadband (Ofcom Connected Nations, July 2025).")
    assert md in (pack_dir / "narrative/E07000142_west-lindsey.md").read_text("utf-8")


@pytest.mark.parametrize("slug, level_key, code", [
    ("E07000142_west-lindsey", "la", "E07000142"),
    ("E14000707_gainsborough", "pcon", "E14000707"),
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
    md = (pack_dir / f"narrative/{slug}.md").read_text("utf-8").split("\n## Method\n")[0]
    md_bold = [m.replace("\\", "") for m in re.findall(r"\*\*(.+?)\*\*", md)]
    assert md_bold == bold


@pytest.mark.parametrize("slug, level_key, code", [
    ("E07000142_west-lindsey", "la", "E07000142"),
    ("E14000707_gainsborough", "pcon", "E14000707"),
])
def test_count_sentences_match_one_indicator_and_the_map_layer(cfg, frames, pack_dir, slug, level_key, code):
    """'N of M unit (x%)' triples equal one indicator of the table row and of the GeoPackage (map) layer."""
    import geopandas as gpd

    level = _level(frames, level_key)
    row = table_frame(level, cfg).set_index("code").loc[code]
    layer = {"la": "local_authorities", "pcon": "constituencies"}[level_key]
    geo = gpd.read_file(pack_dir / "midlands_connectivity.gpkg", layer=layer).set_index("code").loc[code]
    names = available_indicators(level.frame)
    triples = {(_int(row[f"{n}_num"]), _int(row[f"{n}_den"]), _pct(row[f"{n}_share"])): n
               for n in names if pd.notna(row[f"{n}_share"])}
    for n in names:  # the map layer carries the same numbers as the table
        if pd.notna(row[f"{n}_share"]):
            assert (_int(geo[f"{n}_num"]), _int(geo[f"{n}_den"]), _pct(geo[f"{n}_share"])) in triples
    _, texts, _ = _docx_before_method(pack_dir / f"narrative/{slug}.docx")
    found = re.findall(r"([\d,]+) of ([\d,]+) [a-z -]*?premises \(([\d.]+%)\)|([\d,]+) of ([\d,]+) people \(([\d.]+%)\)",
                       "\n".join(texts))
    quoted = [tuple(x for x in f if x) for f in found]
    assert len(quoted) >= 4
    for triple in quoted:
        assert triple in triples, triple
    for n in [c.name for c in cfg.score.indicators]:
        assert (_int(row[f"{n}_num"]), _int(row[f"{n}_den"]), _pct(row[f"{n}_share"])) in quoted


def test_embedded_table_and_map(cfg, frames, pack_dir):
    t = table_frame(frames.la, cfg).set_index("code").loc["E07000142"]
    doc, _, _ = _docx_before_method(pack_dir / "narrative/E07000142_west-lindsey.docx")
    assert len(doc.inline_shapes) == 1
    figures = doc.tables[0]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in figures.rows[1:]}
    for n in available_indicators(frames.la.frame):
        label = INDICATORS[n].label
        assert rows[label][1] == _int(t[f"{n}_num"])
        assert rows[label][3] == _pct(t[f"{n}_share"])
        assert rows[label][6] == _pct(frames.la.totals.iloc[-1][f"{n}_share"])
    md = (pack_dir / "narrative/E07000142_west-lindsey.md").read_text("utf-8")
    assert "](../maps/E07000142_west-lindsey.png)" in md


def test_optional_sentences_follow_the_columns(cfg, frames, pack_dir):
    """Mobile and take-up sentences exist only where their columns exist (LA yes, constituency no)."""
    la = (pack_dir / "narrative/E07000142_west-lindsey.md").read_text("utf-8")
    pcon = (pack_dir / "narrative/E14000707_gainsborough.md").read_text("utf-8")
    assert "Mobile not-spots: an estimated" in la and "derived estimates" in la
    assert "Full-fibre take-up:" in la
    assert "non-residential (business and other) premises" in la
    assert "Mobile not-spots" not in pcon and "Full-fibre take-up" not in pcon
    assert ("no_indoor_4g_share" in frames.pcon.frame.columns) is False
    if "diagnosis" in frames.la.frame.columns:
        diag = frames.la.frame.set_index("code").loc["E07000142", "diagnosis"]
        assert f"**{diag}**" in la
    if "gigabit_gain_n" in frames.pcon.frame.columns:
        assert "Change over time: since **September 2020**" in pcon
