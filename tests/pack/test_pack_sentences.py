"""Every generated comparison sentence, for every area of both levels, agrees with the numbers.

The expected shares are recomputed here from the published table (``table_frame``) by summing
counts, independently of ``mapper.pack.tables``. For each clause "<word> <comparator> (**y%**)"
the word must follow the exact shares, the printed shares must be those exact shares at the
printed precision, and the printed numbers must agree with the word (no "higher than" between
two shares that print alike).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from mapper.formatting import percent
from mapper.publish.tables import table_frame
from mapper.score import INDICATORS

CLAUSE = re.compile(r"(higher than|lower than|about the same as|the same as) (.+?) \(\*\*([\d.]+)%\*\*\)")
LABELS = {i.label: n for n, i in INDICATORS.items()}
JARGON = ("config.yaml", ".csv", "python -m", "mapper change", ">=", " < 60", "rank stays between", "`", "*why",
          "sha256", "Infrastructure need ")


def _levels(frames):
    return {"la": frames.la, "pcon": frames.pcon}


def _sum_share(rows: pd.DataFrame, name: str) -> float:
    num, den = rows[f"{name}_num"].astype("float64").sum(), rows[f"{name}_den"].astype("float64").sum()
    return num / den


def _expected(level, table: pd.DataFrame, row: pd.Series, name: str, comparator: str) -> float | None:
    """The exact share a comparator phrase refers to, from summed table counts."""
    comparator = comparator.replace("**", "")
    if comparator == "the Midlands as a whole":
        return _sum_share(table, name)
    if comparator in (f"the {row['region_name']}", str(row["region_name"])):
        return _sum_share(table[table["region_name"] == row["region_name"]], name)
    m = re.fullmatch(r"all (\d+) (.+) (local authorities|constituencies) together", comparator)
    if m:
        same = table[table[level.class_col] == row[level.class_col]]
        assert int(m.group(1)) == len(same), comparator
        assert m.group(2) == str(row[level.class_col]).lower()
        return _sum_share(same, name)
    if comparator == "England":
        bench = getattr(level, "benchmarks", None)
        eng = bench[bench["area"] == "England"].iloc[0]
        return float(eng[f"{name}_num"]) / float(eng[f"{name}_den"])
    raise AssertionError(f"unknown comparator {comparator!r}")


def check_clause(subject_text: str, subject: float, word: str, comp_text: str, comp: float) -> None:
    decimals = len(subject_text.split(".")[1]) if "." in subject_text else 0
    assert len(comp_text.split(".")[1] if "." in comp_text else "") == decimals, (subject_text, comp_text)
    assert percent(subject, decimals) == subject_text + "%", (subject, subject_text)
    assert percent(comp, decimals) == comp_text + "%", (comp, comp_text)
    a, b = float(subject_text), float(comp_text)
    if word == "higher than":
        assert subject > comp and a > b
    elif word == "lower than":
        assert subject < comp and a < b
    elif word == "the same as":
        assert subject == comp and a == b
    else:
        assert subject != comp and a == b


def _area_markdown(cfg, frames, level, code):
    from mapper.pack.documents import to_markdown
    from mapper.pack.narrative import build_blocks
    from mapper.pack.tables import area_facts, class_totals, pack_table

    facts = area_facts(level, cfg, frames, code, pack_table(level, cfg), class_totals(level))
    scored = [c.name for c in cfg.score.indicators if c.name in facts.figures]
    blocks = build_blocks(facts, cfg, scored=scored, maps=[], attributions=level.attributions or [])
    return facts, blocks, to_markdown(blocks)


@pytest.fixture(scope="module")
def all_documents(cfg, frames):
    """(level, table row, markdown, facts, blocks) for every area of both levels."""
    out = []
    for _key, level in _levels(frames).items():
        table = table_frame(level, cfg, estimate_names=False)
        for _, row in table.iterrows():
            facts, blocks, md = _area_markdown(cfg, frames, level, row["code"])
            out.append((level, table, row, md, facts, blocks))
    return out


def test_every_comparison_sentence_of_every_area_agrees_with_the_numbers(all_documents):
    checked = 0
    for level, table, row, md, _, _ in all_documents:
        compare = md.split("## How it compares\n")[1].split("\n## ")[0]
        items = [ln for ln in compare.splitlines() if ln.startswith("- ")]
        assert items, row["name"]
        for item in items:
            m = re.match(r"- (.+?): \*\*([\d.]+)%\*\* in (.+?); (.+)\.$", item)
            assert m, item
            label = m.group(1).removesuffix(" (estimate)")
            name = LABELS[label]
            subject = float(row[f"{name}_num"]) / float(row[f"{name}_den"])
            clauses = CLAUSE.findall(m.group(4))
            assert len(clauses) >= 3, item
            for word, comparator, value in clauses:
                check_clause(m.group(2), subject, word, value, _expected(level, table, row, name, comparator))
                checked += 1
        case = md.split("## Case for investment\n")[1].split("\n## ")[0]
        m = re.search(r"premises \(\*\*([\d.]+)%\*\*\) cannot get gigabit-capable broadband .*? "
                      r"That share is (.+?%\*\*\))\.(?:\s|$)", case)
        assert m, case[:300]
        subject = float(row["no_gigabit_num"]) / float(row["no_gigabit_den"])
        clauses = CLAUSE.findall(m.group(2))
        assert len(clauses) >= 2
        for word, comparator, value in clauses:
            check_clause(m.group(1), subject, word, value, _expected(level, table, row, "no_gigabit", comparator))
            checked += 1
    assert checked > 170 * 5 * 3


def test_the_issue_examples_are_fixed(all_documents):
    docs = {(lv.key, row["name"]): md for lv, _, row, md, _, _ in all_documents}
    gainsborough = docs[("pcon", "Gainsborough")]
    # the 2024 seat: neighbourhoods counted with IoD 2025; each comparison word follows the numbers
    assert re.search(r"Neighbourhoods in the 20% most deprived in England \(IoD 2025\): \*\*17\.0%\*\* in Gainsborough; "
                     r"lower than the East Midlands \(\*\*18\.9%\*\*\), lower than the Midlands as a whole "
                     r"\(\*\*24\.2%\*\*\)", gainsborough)
    amber = docs[("la", "Amber Valley")]
    line = next(ln for ln in amber.splitlines() if ln.startswith("- Premises without gigabit-capable broadband:"))
    assert "higher than the Midlands as a whole" in line


def test_case_for_investment_length_and_content(all_documents):
    from mapper.pack.documents import plain_text, word_count

    for _level, _, row, _md, _facts, blocks in all_documents:
        start = next(i for i, b in enumerate(blocks) if b[0] == "h" and b[2] == "Case for investment")
        end = next(i for i, b in enumerate(blocks) if i > start and b[0] == "h")
        words = word_count(blocks[start + 1:end])
        assert 150 <= words <= 250, (row["name"], words)
        text = " ".join(plain_text(b[1]) for b in blocks[start + 1:end])
        assert "cannot get gigabit-capable broadband" in text
        assert "England comparison is not available in this build (national file not loaded)" in text \
            or "England (" in text
        assert "Funded-build data (BDUK" in text or "Building Digital UK" in text
        assert "Trend:" in text
        assert "ranks" in text or "no priority score" in text
        assert "evidence points to" in text or "not enough data" in text or "Neither" in text


def test_titles_say_the_level_and_no_internals_leak(all_documents):
    for level, _, row, md, _facts, _ in all_documents:
        noun = "local authority" if level.key == "la" else "constituency"
        assert md.startswith(f"# {row['name']} ({noun}): digital connectivity evidence\n")
        for word in JARGON:
            assert word not in md, (row["name"], word)
        assert "between **1st** and **1st**" not in md
        assert "## Method" not in md and "## Caveats" not in md  # these are in the annex, once


def test_rank_wording_when_the_interval_is_one_rank(all_documents):
    seen = 0
    for _, _, row, md, _, _ in all_documents:
        if pd.notna(row.get("rank_p05")) and int(row["rank_p05"]) == int(row["rank_p95"]):
            assert "in at least 90% of trials" in md
            seen += 1
    assert seen >= 1


def test_midlands_group_sentences_agree_with_the_numbers(cfg, frames, pack_dir):
    """'x% in the East Midlands (...), higher than y% in the West Midlands' and the rural/urban pair."""
    md = (pack_dir / "narrative/midlands.md").read_text("utf-8")
    la = table_frame(frames.la, cfg, estimate_names=False)
    pat = re.compile(r"^- (.+?): \*\*([\d.]+)%\*\* (?:in the (East Midlands)|across the \*\*\d+\*\* (rural) local "
                     r"authorities) .*?, (higher than|lower than|about the same as|the same as) \*\*([\d.]+)%\*\* "
                     r"(?:in the (West Midlands)|across the \*\*\d+\*\* (urban) local authorities)", re.M)
    checked = 0
    for m in pat.finditer(md):
        name = LABELS[m.group(1).removesuffix(" (estimate)")]
        if m.group(3):
            a = _sum_share(la[la["region_name"] == "East Midlands"], name)
            b = _sum_share(la[la["region_name"] == "West Midlands"], name)
        else:
            a = _sum_share(la[la["urban_rural"] == "Rural"], name)
            b = _sum_share(la[la["urban_rural"] == "Urban"], name)
        check_clause(m.group(2), a, m.group(5), m.group(6), b)
        checked += 1
    assert checked >= 2 * len(cfg.score.indicators)
    # the USO shares differ in the third significant figure: shown with enough decimals, never "the same"
    line = next(ln for ln in md.splitlines() if ln.startswith("- Premises below the USO") and "East Midlands" in ln)
    assert "the same as" not in line and re.search(r"\*\*0\.\d\d+%\*\*", line)


def test_england_and_bduk_when_loaded(cfg, frames):
    """With a national benchmark and BDUK counts (as issue 15 and `make fetch` add them), the case for investment
    compares with England and says what is funded; every comparison still agrees with the numbers."""
    import copy

    from mapper.pack.documents import to_markdown
    from mapper.pack.narrative import build_blocks
    from mapper.pack.tables import area_facts, class_totals, pack_table

    level = copy.copy(frames.la)
    table = table_frame(level, cfg, estimate_names=False)
    england = {"area": "England"}
    for n in level.indicators:  # an England row made of whole numbers: 3x the Midlands counts plus one
        england[f"{n}_num"] = 3 * table[f"{n}_num"].astype("float64").sum() + 1
        england[f"{n}_den"] = 3 * table[f"{n}_den"].astype("float64").sum()
        england[f"{n}_share"] = england[f"{n}_num"] / england[f"{n}_den"]
    level.benchmarks = pd.DataFrame([england])
    level.england_areas = dict.fromkeys(level.indicators, 296)
    frame = level.frame.copy()
    frame["england_rank_no_gigabit"] = range(1, len(frame) + 1)
    for col, value in (("bduk_no_gigabit_now_n", 900), ("bduk_contract_n", 500), ("bduk_commercial_n", 250),
                       ("bduk_residual_n", 150)):
        frame[col] = value
    level.frame = frame
    ptable = pack_table(level, cfg)
    for col in ("bduk_no_gigabit_now_n", "bduk_contract_n", "bduk_commercial_n", "bduk_residual_n"):
        ptable[col] = ptable["code"].map(frame.set_index("code")[col])
    for code in table["code"]:
        facts = area_facts(level, cfg, frames, code, ptable, class_totals(level))
        blocks = build_blocks(facts, cfg, scored=[c.name for c in cfg.score.indicators], maps=[],
                              attributions=level.attributions)
        md = to_markdown(blocks)
        row = table.set_index("code").loc[code].copy()
        row["code"] = code
        assert "not available in this build" not in md
        case = md.split("## Case for investment\n")[1].split("\n## ")[0]
        assert "England (**" in case and "English local authorities on this measure" in case
        assert "**900** premises without gigabit now: **500** in a signed Project Gigabit contract, **250** in " \
               "suppliers' commercial plans and **150** with no funded or commercial plan" in case
        m = re.search(r"premises \(\*\*([\d.]+)%\*\*\) cannot get gigabit-capable broadband .*? That share is "
                      r"(.+?%\*\*\))\.(?:\s|$)", case)
        subject = float(row["no_gigabit_num"]) / float(row["no_gigabit_den"])
        words = CLAUSE.findall(m.group(2))
        assert [c for _, c, _ in words][-1] == "England"
        for word, comparator, value in words:
            check_clause(m.group(1), subject, word, value, _expected(level, table, row, "no_gigabit", comparator))
        from mapper.pack.documents import word_count
        start = next(i for i, b in enumerate(blocks) if b[0] == "h" and b[2] == "Case for investment")
        end = next(i for i, b in enumerate(blocks) if i > start and b[0] == "h")
        assert 150 <= word_count(blocks[start + 1:end]) <= 250, code


def test_every_indicator_has_its_own_sentence_phrase():
    """No indicator falls back to the generic "are counted in '<label>'" wording in a count sentence."""
    from mapper.pack.narrative import PHRASES
    from mapper.score import INDICATORS

    assert set(INDICATORS) <= set(PHRASES), sorted(set(INDICATORS) - set(PHRASES))
