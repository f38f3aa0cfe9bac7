"""The Midlands-wide narrative: every figure equals counts summed over the published table, then divided.

Expected values are recomputed here from ``mapper.publish.tables.table_frame`` (the published CSV), independently of
``mapper.pack.tables``; a tampered figure is shown to be caught.
"""

from __future__ import annotations

import calendar
import re

import pandas as pd
import pytest
from docx import Document

from mapper.publish.tables import table_frame
from mapper.score import available_indicators

MD = "narrative/midlands.md"
DOCX = "narrative/midlands.docx"


def _int(x) -> str:
    return f"{round(float(x)):,}"


def _pct(x) -> str:
    return f"{100 * float(x):.1f}%"


def _pcts(x) -> set[str]:
    """A share printed with 0 to 3 decimals (comparisons add decimals until different shares differ)."""
    return {f"{100 * float(x):.{d}f}%" for d in range(4)}


def _ordinal(n) -> str:
    n = int(n)
    return f"{n:,}" + ("th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th"))


def _month(release: str) -> str:
    year, month = release.split("-")
    return f"{calendar.month_name[int(month)]} {year}"


def _sums(table: pd.DataFrame, name: str) -> tuple[float, float]:
    return table[f"{name}_num"].astype("float64").sum(), table[f"{name}_den"].astype("float64").sum()


def _homes(table: pd.DataFrame) -> tuple[float, float]:
    both = table[["no_gigabit_num", "no_gigabit_den", "nonres_no_gigabit_num", "nonres_no_gigabit_den"]].dropna()
    both = both.astype("float64")
    return ((both["no_gigabit_num"] - both["nonres_no_gigabit_num"]).sum(),
            (both["no_gigabit_den"] - both["nonres_no_gigabit_den"]).sum())


def _top(cfg, frames) -> pd.DataFrame:
    la = table_frame(frames.la, cfg, estimate_names=False)
    return la[la["rank"].notna()].sort_values(["rank", "code"]).head(10)


def _paragraphs(path):
    """(doc, [(style, text, bold runs)]) up to the 'Method' heading."""
    doc = Document(str(path))
    out = []
    for p in doc.paragraphs:
        if p.style.name.startswith("Heading") and p.text.strip() == "Method":
            break
        out.append((p.style.name, p.text, [r.text for r in p.runs if r.bold]))
    return doc, out


def _section(paras, heading: str) -> list[str]:
    """Texts of the paragraphs under one level-2 heading."""
    out, inside = [], False
    for style, text, _ in paras:
        if style.startswith("Heading"):
            inside = text.strip() == heading
        elif inside:
            out.append(text)
    return out


def allowed_figures(cfg, frames) -> set[str]:
    """Every formatted figure the Midlands narrative may quote, from summed table counts."""
    la, pcon = table_frame(frames.la, cfg, estimate_names=False), table_frame(frames.pcon, cfg, estimate_names=False)
    groups = [la] + [la[la["region_name"] == r] for r in la["region_name"].dropna().unique()] \
        + [la[la[frames.la.class_col] == c] for c in la[frames.la.class_col].dropna().unique()]
    out: set[str] = set()
    for g in groups:
        for n in available_indicators(frames.la.frame):
            num, den = _sums(g, n)
            if den > 0:
                out.update({_int(num), _int(den), *_pcts(num / den)})
        num, den = _homes(g)
        out.update({_int(num), _int(den), *_pcts(num / den)})
        out.add(_int(len(g)))
    out.update({_int(len(pcon)), _int(la["score"].notna().sum()), _int(cfg.score.tiers.k), _int(10)})
    for _, row in _top(cfg, frames).iterrows():
        out.update({_int(row["rank"]), _int(row["tier"]), f"{row['score']:.1f}", _ordinal(row["rank_p05"]),
                    _ordinal(row["rank_p95"]), str(row["stability"])})
    for t in (la, pcon):
        out.update(_int(v) for v in t["diagnosis"].value_counts())
    pcon10 = table_frame(frames.pcon10, cfg, estimate_names=False)  # change over time: the 2010-2024 seats
    out.add(_int(len(pcon10)))
    for c in ("gigabit_gain_n", "below_uso_change_n", "unable_30_change_n", "premises_change_n"):
        out.add(_int(abs(pcon10[c].astype('float64').sum())))
    out.update(_month(r) for r in pcon10["change_from_release"].dropna().unique())
    out.update(_month(lv.coverage.meta["release_date"]) for lv in (frames.la, frames.pcon, frames.pcon10))
    england = frames.la.benchmarks.set_index("area").loc["England"]
    for n in available_indicators(frames.la.frame):
        if f"{n}_share" in england.index and pd.notna(england[f"{n}_share"]):
            out.update(_pcts(england[f"{n}_share"]))
    return out


def _md_bold(md: str) -> list[str]:
    return [m.replace("\\", "") for m in re.findall(r"\*\*(.+?)\*\*", md)]


def stray_figures(bold: list[str], allowed: set[str]) -> list[str]:
    """Bold segments with a digit that are not an allowed figure (what the test asserts is empty)."""
    return [b for b in bold if re.search(r"\d", b) and b not in allowed]


def test_the_midlands_narrative_is_written_without_any_pack_area(cfg, frames):
    from mapper.pack import render_pack

    files = render_pack(cfg, frames, [], progress=False)
    assert {MD, DOCX} <= set(files)
    shared = (MD, DOCX, "narrative/annex.md", "narrative/annex.docx")
    assert not [f for f in files if f.startswith("narrative/") and f not in shared]


def test_headline_sentence(cfg, frames, pack_dir):
    la = table_frame(frames.la, cfg, estimate_names=False)
    num, den = _sums(la, "no_gigabit")
    tot = frames.la.totals.set_index("area").loc["Midlands"]
    assert (num, den) == (tot["no_gigabit_num"], tot["no_gigabit_den"])  # level.totals = summed counts
    text = (f"Across the Midlands, {_int(num)} of {_int(den)} premises ({_pct(num / den)}) cannot get "
            "gigabit-capable broadband (Ofcom Connected Nations, July 2025).")
    _, paras = _paragraphs(pack_dir / DOCX)
    assert text in [t for _, t, _ in paras]
    md = (pack_dir / MD).read_text("utf-8")
    assert (f"Across the Midlands, **{_int(num)}** of **{_int(den)}** premises (**{_pct(num / den)}**) cannot get "
            "gigabit-capable broadband (Ofcom Connected Nations, July 2025).") in md
    for c in cfg.score.indicators:  # one key-figure sentence per scored indicator
        n, d = _sums(la, c.name)
        assert f"Across the Midlands, {_int(n)} of {_int(d)} " in "\n".join(_section(paras, "Key figures"))


def test_every_bold_figure_is_a_summed_table_figure(cfg, frames, pack_dir):
    allowed = allowed_figures(cfg, frames)
    _, paras = _paragraphs(pack_dir / DOCX)
    bold = [b for _, _, runs in paras for b in runs]
    assert len([b for b in bold if re.search(r"\d", b)]) > 100
    assert stray_figures(bold, allowed) == []
    md = (pack_dir / MD).read_text("utf-8")
    assert _md_bold(md) == bold  # the Markdown quotes the same figures in the same order


def test_a_tampered_figure_is_caught(cfg, frames, pack_dir):
    md = (pack_dir / MD).read_text("utf-8")
    la = table_frame(frames.la, cfg, estimate_names=False)
    real = _int(_sums(la, "no_gigabit")[0])
    wrong = _int(_sums(la, "no_gigabit")[0] + 1)
    tampered = md.replace(f"**{real}**", f"**{wrong}**", 1)
    assert tampered != md
    assert stray_figures(_md_bold(tampered), allowed_figures(cfg, frames)) == [wrong]


def test_regions_and_rural_urban_sum_counts_then_divide(cfg, frames, pack_dir):
    la = table_frame(frames.la, cfg, estimate_names=False)
    _, paras = _paragraphs(pack_dir / DOCX)
    em, wm = (la[la["region_name"] == r] for r in ("East Midlands", "West Midlands"))
    (en, ed), (wn, wd) = _sums(em, "no_gigabit"), _sums(wm, "no_gigabit")
    assert (f"Premises without gigabit-capable broadband: {_pct(en / ed)} in the East Midlands ({_int(en)} of "
            f"{_int(ed)} premises), higher than {_pct(wn / wd)} in the West Midlands ({_int(wn)} of {_int(wd)} "
            "premises).") in _section(paras, "East Midlands and West Midlands")
    (en, ed), (wn, wd) = _sums(em, "below_uso"), _sums(wm, "below_uso")  # 0.127% v 0.083%: never "the same"
    assert (f"Premises below the USO (no decent broadband): {100 * en / ed:.2f}% in the East Midlands ({_int(en)} of "
            f"{_int(ed)} premises), higher than {100 * wn / wd:.2f}% in the West Midlands") in \
        "\n".join(_section(paras, "East Midlands and West Midlands"))
    rural, urban = (la[la["urban_rural"] == c] for c in ("Rural", "Urban"))
    (rn, rd), (un, ud) = _sums(rural, "no_gigabit"), _sums(urban, "no_gigabit")
    assert (f"Premises without gigabit-capable broadband: {_pct(rn / rd)} across the {len(rural)} rural local "
            f"authorities ({_int(rn)} of {_int(rd)} premises), higher than {_pct(un / ud)} across the {len(urban)} "
            f"urban local authorities ({_int(un)} of {_int(ud)} premises).") in _section(paras, "Rural and urban areas")
    # an average of the LA percentages would differ: the text uses summed counts
    assert _pct(rural["no_gigabit_share"].mean()) != _pct(rn / rd)


def test_top_ten_priority_las(cfg, frames, pack_dir):
    _, paras = _paragraphs(pack_dir / DOCX)
    items = [t for t in _section(paras, "Priority local authorities") if re.match(r"\d+\. ", t)]
    k = cfg.score.tiers.k
    short = {"Infrastructure bid": "infrastructure", "Digital-inclusion bid": "digital inclusion",
             "Both": "infrastructure and digital inclusion", "Neither": "no single need stands out"}

    def ranks(r):
        if int(r["rank_p05"]) == int(r["rank_p95"]):
            return f"ranks {_ordinal(r['rank_p05'])} in at least 90% of trials"
        return f"ranks between {_ordinal(r['rank_p05'])} and {_ordinal(r['rank_p95'])} in 90% of trials"

    expected = [f"{int(r['rank'])}. {r['name']} ({r['region_name']}, {r['urban_rural']}): tier {int(r['tier'])} of {k}, "
                f"score {r['score']:.1f}; {ranks(r)} ({r['stability']}); evidence points to {short[r['diagnosis']]}."
                for _, r in _top(cfg, frames).iterrows()]
    assert items == expected
    assert len(items) == 10


def test_nonresidential_gap_mobile_takeup_change_and_diagnoses(cfg, frames, pack_dir):
    la, pcon = table_frame(frames.la, cfg, estimate_names=False), table_frame(frames.pcon, cfg, estimate_names=False)
    _, paras = _paragraphs(pack_dir / DOCX)
    text = "\n".join(_section(paras, "The whole connectivity picture"))
    nn, nd = _sums(la, "nonres_no_gigabit")
    hn, hd = _homes(la)
    assert nd == la["nonres_premises"].astype("float64").sum()
    assert (f"Of the {_int(nd)} non-residential (business and other) premises in the Midlands, {_int(nn)} "
            f"({_pct(nn / nd)}) cannot get gigabit-capable broadband, against {_pct(hn / hd)} of homes "
            f"({_int(hn)} of {_int(hd)} residential premises)") in text
    assert nn / nd > 2 * hn / hd  # the business gap is the story here
    mn, md_ = _sums(la, "no_indoor_4g")
    assert f"Mobile not-spots: an estimated {_int(mn)} of {_int(md_)} premises ({_pct(mn / md_)})" in text
    assert "derived estimates" in text and "derived estimate" in text.split("Full-fibre take-up:")[1]
    pcon10 = table_frame(frames.pcon10, cfg, estimate_names=False)
    since = _month(pcon10["change_from_release"].iloc[0])
    gain = int(pcon10["gigabit_gain_n"].astype("float64").sum())
    assert (f"summed over the {len(pcon10)} Midlands constituencies (Westminster constituencies (2010-2024 boundaries), "
            "the level Ofcom's earlier releases are compared on): "
            f"between {since} and January 2024, the number of premises able to get gigabit-capable broadband "
            f"{'rose' if gain > 0 else 'fell'} by {abs(gain):,}") in text
    assert "2020-09" not in text and since == "September 2020"
    diag = _section(paras, "The interventions they need")
    for label, t in (("Local authorities", la), ("Constituencies", pcon)):
        counts = t["diagnosis"].value_counts()
        line = next(x for x in diag if x.startswith(label))
        for name in ("Infrastructure bid", "Digital-inclusion bid", "Both", "Neither"):
            assert f"{name} {counts[name]}" in line
        assert f"({len(t)})" in line


def test_table_maps_and_sources(cfg, frames, pack_files, pack_dir):
    doc = Document(str(pack_dir / DOCX))
    header = [c.text for c in doc.tables[0].rows[0].cells]
    assert header == ["Indicator", "Count", "Of", "Midlands", "East Midlands", "West Midlands", "Rural", "Urban", "England"]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in doc.tables[0].rows[1:]}
    tot = frames.la.totals.set_index("area")
    assert rows["Premises without gigabit-capable broadband"][1:] == [
        _int(tot.loc["Midlands", "no_gigabit_num"]), f"{_int(tot.loc['Midlands', 'no_gigabit_den'])} premises",
        *(_pct(tot.loc[a, "no_gigabit_share"]) for a in ("Midlands", "East Midlands", "West Midlands")),
        *(_pct(frames.la.frame.loc[frames.la.frame["urban_rural"] == c, "no_gigabit_num"].sum()
               / frames.la.frame.loc[frames.la.frame["urban_rural"] == c, "no_gigabit_den"].sum())
          for c in ("Rural", "Urban")),
        _pct(frames.la.benchmarks.set_index("area").loc["England", "no_gigabit_share"])]
    uso = rows["Premises below the USO (no decent broadband)"]
    assert uso[4] != uso[5]  # East and West Midlands differ, so they print differently
    assert len(doc.inline_shapes) == 2
    blobs = [doc.part.related_parts[s._inline.graphic.graphicData.pic.blipFill.blip.embed].blob for s in doc.inline_shapes]
    assert blobs == [pack_files["maps/midlands_la_tiers.png"], pack_files["maps/midlands_la_gap.png"]]
    md = (pack_dir / MD).read_text("utf-8")
    assert "](../maps/midlands_la_tiers.png)" in md
    assert "\n## Method\n" not in md and "annex" in md  # method and sources are in the annex, once
    texts = [p.text for p in doc.paragraphs]
    assert any("Contains Ofcom data © Ofcom 2020, 2024, 2025" in t for t in texts)
