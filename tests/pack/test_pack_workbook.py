"""The workbook: cover, plain-English headers over code names, number formats, figures equal to the published
table, England rows, sources with links, pack areas beside comparators, change with baselines; CSV equivalents."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from mapper.publish.tables import table_frame

BOOK = "midlands_evidence_pack.xlsx"


@pytest.fixture(scope="module")
def wb(pack_dir):
    return load_workbook(pack_dir / BOOK)


def _records(ws) -> list[dict]:
    """Rows of a table sheet keyed by the code names in row 2."""
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def _cells(ws, code: str) -> list:
    col = [c.value for c in ws[2]].index(code) + 1
    return [ws.cell(row=r, column=col) for r in range(3, ws.max_row + 1)]


def test_sheets_headers_and_panes(wb):
    assert wb.sheetnames[0] == "Cover"
    for name in ("Summary", "Pack areas", "Ranked LAs", "Ranked constituencies", "LA indicators",
                 "Constituency indicators", "Constituency change 2010 seats", "Definitions", "Indicators", "Sources", "Method"):
        assert name in wb.sheetnames
    for ws in wb.worksheets:
        assert all(c.font.bold for c in ws[1] if c.value is not None), ws.title
        if ws.title in ("Cover", "Method"):
            assert ws.freeze_panes == "A2"
            continue
        assert ws.freeze_panes in ("A3", "C3"), ws.title
        codes = [c.value for c in ws[2]]
        plain = [c.value for c in ws[1]]
        assert all(isinstance(c, str) for c in codes) and plain != codes, ws.title
    ws = wb["LA indicators"]
    header = dict(zip([c.value for c in ws[2]], [c.value for c in ws[1]]))
    assert header["no_gigabit_share"] == "Premises without gigabit-capable broadband (share)"
    assert "estimate" in header["no_indoor_4g_num_estimate"]
    assert header["rank"] == "Priority rank (1 = highest)"
    assert wb.properties.created.year == 2025 and wb.properties.created.month == 7
    assert wb.properties.modified == wb.properties.created


def test_cover_says_what_release_how_to_cite_and_licence(wb):
    text = "\n".join(f"{a}: {b}" for a, b in wb["Cover"].iter_rows(min_row=2, values_only=True))
    for needle in ("What this is", "Data release: local authorities", "July 2025", "How to cite",
                   "Data release: constituencies: Westminster constituencies (2024 boundaries)",
                   "Change over time: Westminster constituencies (2010-2024 boundaries): Ofcom Connected Nations, "
                   "September 2020 to January 2024", "Contains Ofcom data", "Open Government Licence",
                   "Constituency change 2010 seats: change over time per 2010-2024 constituency"):
        assert needle in text, needle
    assert "England comparison" not in text  # national files are loaded, so no 'not available' line


def test_indicator_sheet_equals_published_table(cfg, frames, wb):
    ws = wb["LA indicators"]
    codes = [c.value for c in ws[2]]
    table = table_frame(frames.la, cfg)  # the published names: estimated columns end in _estimate
    assert codes[:len(table.columns)] == list(table.columns)
    assert "no_indoor_4g_num_estimate" in codes and "no_indoor_4g_num" not in codes
    assert ws.max_row == len(table) + 2
    col = {h: i for i, h in enumerate(codes)}
    for r, (_, row) in zip(ws.iter_rows(min_row=3), table.iterrows()):
        assert r[col["code"]].value == row["code"]
        cell = r[col["no_gigabit_num"]]
        assert isinstance(cell.value, int) and cell.value == int(row["no_gigabit_num"])
        assert cell.number_format == "#,##0"
        share = r[col["no_gigabit_share"]]
        assert isinstance(share.value, float) and share.value == row["no_gigabit_share"]
        assert share.number_format == ("0.00%" if share.value < 0.01 else "0.0%")
        assert r[col["rank"]].value == (None if pd.isna(row["rank"]) else int(row["rank"]))


def test_summary_shares_are_percentages_from_summed_counts(frames, wb):
    ws = wb["Summary"]
    recs = _records(ws)
    mid = next(r for r in recs if r["level"] == frames.la.title and r["area"] == "Midlands"
               and r["indicator"] == "no_gigabit")
    la = frames.la.frame
    num = int((la["premises"] - la["gigabit_n"]).sum())
    assert mid["count"] == num and mid["denominator"] == int(la["premises"].sum())
    assert abs(mid["share"] - num / la["premises"].sum()) < 1e-6
    for cell in _cells(ws, "share"):
        if cell.value is not None:
            assert cell.number_format in ("0.0%", "0.00%"), cell.number_format
            if cell.value < 0.01:
                assert cell.number_format == "0.00%"  # 0.127% and 0.083% stay distinct
    england = [r for r in recs if r["area"] == "England"]
    assert england and all(r["note"] for r in england if r["share"] is None)


def test_weights_method_and_sources(cfg, wb):
    weights = {r["indicator"]: c for r, c in zip(_records(wb["Indicators"]), _cells(wb["Indicators"], "weight"))}
    for choice in cfg.score.indicators:
        assert weights[choice.name].value == choice.weight
        assert weights[choice.name].number_format == "0.00"  # 0.35 shows as 0.35, not 0.4
    method = list(wb["Method"].iter_rows(min_row=2, values_only=True))
    text = "\n".join(str(b or "") for _, b in method)
    assert method and "**" not in text and "`" not in text and "|" not in text and "\n#" not in text
    sources = _records(wb["Sources"])
    assert all(s["url"] and s["url"].startswith("https://") for s in sources)
    assert {"title", "publisher", "release", "licence", "url"} <= set(sources[0])


def test_pack_areas_show_figures_beside_comparators(cfg, frames, wb):
    recs = [r for r in _records(wb["Pack areas"]) if r["code"] == "E07000142"]
    row = next(r for r in recs if r["indicator"] == "no_gigabit")
    t = table_frame(frames.la, cfg, estimate_names=False).set_index("code").loc["E07000142"]
    assert row["count"] == int(t["no_gigabit_num"]) and row["denominator"] == int(t["no_gigabit_den"])
    assert abs(row["share"] - t["no_gigabit_num"] / t["no_gigabit_den"]) < 1e-6
    tot = frames.la.totals.set_index("area")
    assert abs(row["region_share"] - tot.loc["East Midlands", "no_gigabit_share"]) < 1e-6
    assert abs(row["midlands_share"] - tot.loc["Midlands", "no_gigabit_share"]) < 1e-6
    assert row["class_share"] is not None and row["rank"] == int(t["rank"])
    assert len(recs) == len(frames.la.indicators)


def test_change_sheet_has_both_releases_and_baselines(frames, wb):
    recs = _records(wb["Constituency change 2010 seats"])
    pcon = frames.pcon10.frame.set_index("code")
    for r in recs[:-1]:
        f = pcon.loc[r["code"]]
        assert r["change_from_release"] == "2020-09" and r["later_release"] == "2024-01"
        assert r["gigabit_now"] == int(f["gigabit_n"]) and r["premises_now"] == int(f["premises"])
        assert r["gigabit_then"] + r["gigabit_gain_n"] == r["gigabit_now"]
        assert r["premises_then"] + r["premises_change_n"] == r["premises_now"]
        assert r["below_uso_then"] + r["below_uso_change_n"] == r["below_uso_now"]
    total = recs[-1]
    assert total["code"] == "Midlands"
    assert total["gigabit_gain_n"] == sum(r["gigabit_gain_n"] for r in recs[:-1])
    assert abs(total["gigabit_share_now"] - total["gigabit_now"] / total["premises_now"]) < 1e-6


def test_definitions_cover_every_column(wb):
    defined = {r["column"] for r in _records(wb["Definitions"])}
    for ws in wb.worksheets:
        if ws.title in ("Cover", "Method", "Definitions"):
            continue
        assert {c.value for c in ws[2]} <= defined, ws.title


def test_csv_equivalents_match_sheets(pack_dir, wb):
    for ws in wb.worksheets:
        path = pack_dir / "csv" / (ws.title.lower().replace(" ", "_") + ".csv")
        rows = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
        text = ws.title in ("Cover", "Method")  # one header row; table sheets add the code-name row
        if not text:
            assert rows[0] == [c.value for c in ws[2]], ws.title
        assert len(rows) == ws.max_row - (1 if text else 2) + 1, ws.title
