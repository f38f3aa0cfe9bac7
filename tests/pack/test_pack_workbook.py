"""The workbook: sheets, formats, numbers stored as numbers equal to the published table; CSV equivalents."""

from __future__ import annotations

import csv
import io

import pandas as pd
from openpyxl import load_workbook

from mapper.publish.tables import table_frame


def test_sheets_and_formatting(pack_dir):
    wb = load_workbook(pack_dir / "midlands_evidence_pack.xlsx")
    for name in ("Summary", "Pack areas", "Ranked LAs", "Ranked constituencies", "LA indicators",
                 "Constituency indicators", "Indicators", "Sources", "Method"):
        assert name in wb.sheetnames
    for ws in wb.worksheets:
        assert all(c.font.bold for c in ws[1] if c.value is not None), ws.title
        assert ws.freeze_panes in ("A2", "C2"), ws.title
        assert ws.column_dimensions["A"].width >= 8
    assert wb.properties.created.year == 2025 and wb.properties.created.month == 7
    assert wb.properties.modified == wb.properties.created


def test_indicator_sheet_equals_published_table(cfg, frames, pack_dir):
    wb = load_workbook(pack_dir / "midlands_evidence_pack.xlsx")
    ws = wb["LA indicators"]
    header = [c.value for c in ws[1]]
    table = table_frame(frames.la, cfg)
    assert header[:len(table.columns)] == list(table.columns)
    assert ws.max_row == len(table) + 1
    col = {h: i for i, h in enumerate(header)}
    for r, (_, row) in zip(ws.iter_rows(min_row=2), table.iterrows()):
        assert r[col["code"]].value == row["code"]
        cell = r[col["no_gigabit_num"]]
        assert isinstance(cell.value, int) and cell.value == int(row["no_gigabit_num"])
        assert cell.number_format == "#,##0"
        share = r[col["no_gigabit_share"]]
        assert isinstance(share.value, float) and share.value == row["no_gigabit_share"]
        assert share.number_format == "0.0%"
        assert r[col["rank"]].value == (None if pd.isna(row["rank"]) else int(row["rank"]))


def test_summary_uses_summed_counts(frames, pack_dir):
    wb = load_workbook(pack_dir / "midlands_evidence_pack.xlsx")
    rows = list(wb["Summary"].iter_rows(values_only=True))
    header = rows[0]
    recs = [dict(zip(header, r)) for r in rows[1:]]
    mid = next(r for r in recs if r["level"] == frames.la.title and r["area"] == "Midlands" and r["indicator"] == "no_gigabit")
    la = frames.la.frame
    num = int((la["premises"] - la["gigabit_n"]).sum())
    assert mid["count"] == num and mid["denominator"] == int(la["premises"].sum())
    assert abs(mid["share"] - num / la["premises"].sum()) < 1e-6


def test_csv_equivalents_match_sheets(pack_dir):
    wb = load_workbook(pack_dir / "midlands_evidence_pack.xlsx")
    for ws in wb.worksheets:
        path = pack_dir / "csv" / (ws.title.lower().replace(" ", "_") + ".csv")
        rows = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
        assert rows[0] == [c.value for c in ws[1]], ws.title
        assert len(rows) == ws.max_row, ws.title
