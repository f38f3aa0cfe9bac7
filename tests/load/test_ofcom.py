"""The Ofcom loader on every real file in the repo, the 2026 schema samples and the
hand-made 2018/2019 fixtures."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from _paths import DATA, LA_FILE, LA_RES_FILE, TESTDATA

from mapper.errors import SchemaError, ValueProblem
from mapper.load.ofcom import inspect_summary, load_ofcom, parse_file_name

PCON = DATA / "ofcom/pcon"
HANDMADE = TESTDATA / "ofcom/handmade"


def raw_column_sum(path, column, encoding):
    with open(path, encoding=encoding, newline="") as fh:
        return sum(int(row[column]) for row in csv.DictReader(fh))


@pytest.mark.parametrize(
    "name, level, variant, release, revision, rows, encoding",
    [
        ("laua/202507_fixed_laua_coverage_r01_midlands.csv", "laua", "all", "202507", "r01", 65, "utf-8"),
        ("laua/202507_fixed_laua_res_coverage_r01_midlands.csv", "laua", "residential", "202507", "r01", 65, "utf-8"),
        ("pcon/202009_fixed_pcon_coverage_r01.csv", "parl_const", "all", "202009", "r01", 650, "utf-8"),
        ("pcon/202109_fixed_pcon_coverage_r01.csv", "parl_const", "all", "202109", "r01", 650, "utf-8"),
        ("pcon/202209_fixed_pcon_coverage_r02.csv", "parl_const", "all", "202209", "r02", 650, "cp1252"),
        ("pcon/202209_fixed_pcon_res_coverage_r02.csv", "parl_const", "residential", "202209", "r02", 650, "cp1252"),
        ("pcon/202401_fixed_pcon_coverage_r01.csv", "parl_const", "all", "202401", "r01", 650, "cp1252"),
        ("pcon/202401_fixed_pcon_res_coverage_r01.csv", "parl_const", "residential", "202401", "r01", 650, "cp1252"),
    ],
)
def test_real_fixed_files_detected_and_totals_match_raw(name, level, variant, release, revision, rows, encoding):
    path = DATA / "ofcom" / name
    table = load_ofcom(path)
    meta = table.meta
    assert (meta["level"], meta["variant"], meta["release"], meta["revision"]) == (level, variant, release, revision)
    assert meta["rows"] == rows and meta["encoding"] == encoding
    assert meta["unmapped_columns"] == []
    assert meta["premises"] == raw_column_sum(path, "All Premises", encoding)
    assert int(table.data["gigabit_n"].sum()) == raw_column_sum(path, "Number of premises with Gigabit availability", encoding)
    assert int(table.data["below_uso_n"].sum()) == raw_column_sum(path, "Number of premises below the USO", encoding)


def test_midlands_la_july_2025_real_totals():
    all_, res = load_ofcom(LA_FILE), load_ofcom(LA_RES_FILE)
    assert all_.meta["premises"] == 5_101_207
    assert res.meta["premises"] == 4_785_824
    assert all_.meta["premises"] - res.meta["premises"] == 315_383  # non-residential premises
    row = all_.data.set_index("code").loc["E07000035"]  # Derbyshire Dales: lowest gigabit share
    assert row["name"] == "Derbyshire Dales" and row["gigabit_pct"] == 57.3


def test_cp1252_names_decoded():
    data = load_ofcom(PCON / "202401_fixed_pcon_coverage_r01.csv").data
    assert "YNYS MÔN" in set(data["name"])  # byte 0xD4 in cp1252


def test_column_order_differs_between_releases_but_values_read_by_name():
    d2020 = load_ofcom(PCON / "202009_fixed_pcon_coverage_r01.csv").data.set_index("code")
    d2024 = load_ofcom(PCON / "202401_fixed_pcon_coverage_r01.csv").data.set_index("code")
    # FWA % sits in different positions (col 30 in 2020, col 16 in 2024); both map to fwa_decent_pct
    assert "fwa_decent_pct" in d2020 and "fwa_decent_pct" in d2024
    assert d2024.loc["W07000049", "fwa_decent_pct"] == 43.6
    assert d2020.loc["E14000530", "fwa_decent_pct"] == 0.0
    assert d2020.loc["E14000530", "gigabit_n"] == 2004 and d2020.loc["E14000530", "full_fibre_n"] == 2004


def test_2018_schema_from_documentation():
    t = load_ofcom(HANDMADE / "201809_fixed_pcon_coverage_r01.csv")
    assert t.meta["encoding"] == "cp1252" and t.meta["line_ends"] == "CRLF"
    assert t.meta["unmapped_columns"] == []
    d = t.data.set_index("code")
    assert d.loc["W07000041", "name"] == "Ynys Môn"
    # 'FTTP' is full fibre; 'unable meet USO' is below the USO; '(Count premises)' are counts
    assert d.loc["E14000799", "full_fibre_n"] == 200 and d.loc["E14000799", "full_fibre_pct"] == 10
    assert d.loc["E14000799", "below_uso_n"] == 80 and d.loc["E14000799", "below_uso_pct"] == 4
    assert d.loc["E14000799", "fwa_sfbb_n"] == 400
    assert "gigabit_n" not in d.columns
    # 2018 'SFBB availability' is the 30-300 Mbit/s band (issue 14): read as that band, never as superfast-or-better
    assert "sfbb_n" not in d.columns and d.loc["E14000799", "speed_30_300_n"] == 1600
    assert t.meta["release_overrides"] == {"sfbb": "speed_30_300"}


def test_2019_name_only_schema_from_documentation():
    t = load_ofcom(HANDMADE / "201909_fixed_pcon_coverage_r01.csv")
    assert t.meta["level"] == "parl_const" and t.meta["name_only"] is True
    assert t.meta["encoding"] == "utf-8" and t.meta["line_ends"] == "LF"
    assert t.meta["unmapped_columns"] == []
    assert t.data["code"].isna().all()
    assert list(t.data["name"]) == ["LUDLOW", "ASHFIELD", "YNYS MÔN"]
    assert "gigabit_n" not in t.data and int(t.data["full_fibre_n"].sum()) == 150 + 900 + 50


def test_2026_output_area_decent_broadband_alias_and_no_full_fibre():
    t = load_ofcom(TESTDATA / "ofcom/202601_fixed_oa_coverage_r1_sample.csv")
    assert t.meta["level"] == "output_area" and t.meta["revision"] == "r01"
    assert "below_uso" in t.meta["count_measures"]  # "unable to receive decent broadband from fixed or FWA"
    assert "full_fibre" not in t.meta["measures"]
    assert t.meta["unmapped_columns"] == []
    assert t.data.loc[0, "code"] == "E00005233" and t.data.loc[0, "premises"] == 509


def test_postcode_files_are_rates_only():
    t = load_ofcom(TESTDATA / "ofcom/202601_fixed_pc_coverage_r2_CR_sample.csv")
    assert t.meta["level"] == "postcode" and t.meta["rates_only"]
    assert t.meta["count_measures"] == [] and t.meta["premises"] is None
    assert not any(c.endswith("_n") for c in t.data.columns)
    assert t.data.loc[0, "code"] == "CR0 5BX"
    res = load_ofcom(TESTDATA / "ofcom/202601_fixed_pc_coverage_res_r1_CR_sample.csv")
    assert res.meta["variant"] == "residential"


def test_bom_crlf_copy_reads_identically(tmp_path):
    copy = tmp_path / LA_FILE.name
    copy.write_bytes(b"\xef\xbb\xbf" + LA_FILE.read_bytes().replace(b"\n", b"\r\n"))
    a, b = load_ofcom(LA_FILE), load_ofcom(copy)
    assert b.meta["encoding"] == "utf-8-sig" and b.meta["line_ends"] == "CRLF"
    pd.testing.assert_frame_equal(a.data, b.data)


def test_suppressed_cells_become_missing_and_are_counted(tmp_path):
    lines = LA_FILE.read_text("utf-8").splitlines()
    header = next(csv.reader([lines[0]]))
    rows = [next(csv.reader([ln])) for ln in lines[1:]]
    col = header.index("Number of premises below the USO")
    rows[0][col], rows[1][col], rows[2][col] = "*", "<3", ""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header] + rows)
    path = tmp_path / "202507_fixed_laua_coverage_r01_x.csv"
    path.write_text(buf.getvalue(), "utf-8")
    t = load_ofcom(path)
    assert t.meta["suppressed"] == {"below_uso_n": 3}
    assert t.data["below_uso_n"].isna().sum() == 3
    assert int(t.data["below_uso_n"].sum()) == int(load_ofcom(LA_FILE).data["below_uso_n"].iloc[3:].sum())


def test_unknown_schema_names_file_and_missing_column(tmp_path):
    path = tmp_path / "mystery.csv"
    path.write_text("laua,laua_name,Gigabit availability (% premises)\nE1,A,50\n", "utf-8")
    with pytest.raises(SchemaError, match=r"mystery\.csv.*missing required column.*All Premises"):
        load_ofcom(path)
    path.write_text("area,value\nE1,3\n", "utf-8")
    with pytest.raises(SchemaError, match=r"mystery\.csv: cannot tell the geography"):
        load_ofcom(path)


def test_impossible_values_are_rejected_with_line_and_column(tmp_path):
    text = LA_FILE.read_text("utf-8").splitlines()
    text[2] = text[2].replace("E07000033,Ashfield", "E07000033,Ashfield", 1)
    header = next(csv.reader([text[0]]))
    row = next(csv.reader([text[2]]))
    row[header.index("Gigabit availability (% premises)")] = "130"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, row])
    path = tmp_path / "bad.csv"
    path.write_text(buf.getvalue(), "utf-8")
    with pytest.raises(ValueProblem, match=r"bad\.csv: line 2, column 'Gigabit availability \(% premises\)': percentage outside 0-100"):
        load_ofcom(path)


def test_takeup_and_mobile_files():
    take = load_ofcom(DATA / "ofcom/laua/202507_full_fibre_take-up_laua_r01_midlands.csv")
    assert take.meta["product"] == "full_fibre_takeup" and take.meta["rows"] == 65 and take.meta["rates_only"]
    mob = load_ofcom(DATA / "ofcom/mobile/202507_mobile_coverage_laua_r01_midlands.csv")
    assert mob.meta["product"] == "mobile_coverage" and mob.meta["rows"] == 65 and mob.meta["unmapped_columns"] == []
    d = mob.data
    assert int(d["mway_count"].isna().sum()) == 28
    no_mway = d["mway_count"].isna()
    assert d.loc[no_mway, "4G_mway_in_0_pct"].isna().all()  # whole-blank group: missing, not 0
    assert d.loc[~no_mway, "4G_mway_in_0_pct"].notna().all()
    sums = d[[f"4G_prem_in_{i}_pct" for i in range(5)]].sum(axis=1)
    assert np.allclose(sums, 100, atol=0.1)
    summary = inspect_summary(mob)
    assert summary["blank_handling"]["group_rows_entirely_blank_left_missing"] > 0
    g45 = load_ofcom(DATA / "ofcom/mobile/202507_mobile_coverage_4G5G_r01_midlands.csv")
    assert g45.meta["product"] == "mobile_4g5g" and g45.meta["rows"] == 65 and g45.meta["levels_found"] == ["Local authority"]


def test_parse_file_name_variants():
    assert parse_file_name("202601_fixed_pc_coverage_res_r1_CR.csv")["variant"] == "residential"
    assert parse_file_name("202601_fixed_pc_coverage_res_r1_CR.csv")["revision"] == "r01"
    assert parse_file_name("renamed.csv") == {"release": None, "release_date": None, "revision": None, "variant": "all"}


# --- issue 15: national LA files and the July 2025 constituency file (2024 seats) ---

NATIONAL = DATA / "ofcom/national"


def test_national_la_files_load_and_england_sums_to_the_benchmark():
    from mapper.load.national import england_benchmark

    cov = load_ofcom(NATIONAL / "202507_fixed_laua_coverage_r01.csv")
    take = load_ofcom(NATIONAL / "202507_full_fibre_take-up_laua_r01.csv")
    assert cov.meta["rows"] == take.meta["rows"] == 361 and cov.meta["unmapped_columns"] == []
    assert (cov.meta["encoding"], cov.meta["line_ends"]) == ("utf-8", "CRLF")
    assert (NATIONAL / "202507_full_fibre_take-up_laua_r01.csv").read_bytes()[:3] == b"\xef\xbb\xbf"  # BOM on disk
    assert (take.meta["encoding"], take.meta["line_ends"]) == ("utf-8-sig", "CRLF")
    assert take.meta["level"] == "laua" and take.data["code"].str.startswith("\ufeff").sum() == 0
    assert list(cov.data["code"]) == list(take.data["code"])
    england = cov.data[cov.data["code"].str.startswith("E")]
    assert len(england) == 296
    base = england_benchmark(NATIONAL / "202507_fixed_coverage_UK_and_nations_r01.csv")["premises"]
    assert int(england["premises"].sum()) == base == 26_986_731
    assert cov.meta["premises"] == 32_369_839


def test_national_la_midlands_rows_equal_the_midlands_files():
    for national, midlands in (("202507_fixed_laua_coverage_r01.csv", LA_FILE),
                               ("202507_full_fibre_take-up_laua_r01.csv", DATA / "ofcom/laua/202507_full_fibre_take-up_laua_r01_midlands.csv")):
        mid = load_ofcom(midlands).data
        nat = load_ofcom(NATIONAL / national).data
        sub = nat[nat["code"].isin(mid["code"])].reset_index(drop=True)
        pd.testing.assert_frame_equal(sub, mid)


def test_july_2025_constituencies_2024_seats():
    import geopandas as gpd
    from _paths import ROOT

    t = load_ofcom(PCON / "202507_fixed_pcon_coverage_r01.csv")
    assert (t.meta["level"], t.meta["rows"], t.meta["encoding"], t.meta["release"]) == ("parl_const", 650, "cp1252", "202507")
    assert t.meta["unmapped_columns"] == [] and "Ynys Môn" in set(t.data["name"])
    assert t.meta["premises"] == 32_369_839
    d = t.data.set_index("code")
    assert int(d.loc[d.index.str.startswith("E14"), "premises"].sum()) == 26_986_731
    seats = set(gpd.read_file(ROOT / "boundaries/PCON24_BGC_midlands.geojson")["PCON24CD"])
    assert len(seats) == 104 and seats <= set(d.index)  # every 2024 Midlands seat has a coverage row
    midlands = d.loc[sorted(seats)]
    la = load_ofcom(LA_FILE).data
    assert int(midlands["premises"].sum()) == int(la["premises"].sum()) == 5_101_207
    for measure in ("gigabit_n", "full_fibre_n", "below_uso_n", "sfbb_n"):  # seats and LAs tile the same area
        assert int(midlands[measure].sum()) == int(la[measure].sum()), measure
    assert int(midlands["below_uso_n"].sum()) == 5_261 and int(midlands["matched_premises"].sum()) == 5_089_054
