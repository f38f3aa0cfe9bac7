"""The UK and nations benchmark readers on Ofcom's real July 2025 files, cross-checked against
the national local-authority file; bad inputs are real rows edited in tmp_path."""

from __future__ import annotations

import csv
import io

import pytest
from _paths import DATA

from mapper.errors import SchemaError, ValueProblem
from mapper.load import notices
from mapper.load.national import (
    SPEED_MEASURES,
    benchmark_counts,
    benchmark_wide,
    england_benchmark,
    la_totals_by_nation,
    mobile_benchmark_counts,
    read_fixed_benchmarks,
    read_mobile_benchmarks,
    uk_benchmark,
)
from mapper.load.ofcom import load_ofcom

NATIONAL = DATA / "ofcom/national"
FIXED = NATIONAL / "202507_fixed_coverage_UK_and_nations_r01.csv"
MOBILE = NATIONAL / "202507_mobile_coverage_UK_and_nations_r01.csv"
LA_UK = NATIONAL / "202507_fixed_laua_coverage_r01.csv"
LOCATIONS = ["UK", "England", "Northern Ireland", "Scotland", "Wales"]


def edited(tmp_path, source, edit, name=None):
    """A copy of a real file with ``edit(rows)`` applied to its parsed rows (header first)."""
    rows = list(csv.reader(io.StringIO(source.read_text("utf-8"))))
    edit(rows)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path = tmp_path / (name or source.name)
    path.write_text(buf.getvalue(), "utf-8")
    return path


def test_fixed_benchmarks_layout():
    t = read_fixed_benchmarks(FIXED)
    assert t.meta["rows"] == 495 and t.meta["dropped_speeds"] == [] and t.meta["missing_cells"] == 0
    assert t.meta["locations"] == LOCATIONS and t.meta["dates"] == ["Jul-25"]
    assert t.meta["encoding"] == "utf-8" and t.meta["line_ends"] == "CRLF" and t.meta["release"] == "202507"
    d = t.data
    assert set(d["premise_type"]) == {"All", "Residential", "Commercial"}
    assert set(d["rurality"]) == {"Total", "Urban", "Rural"}
    assert sorted(d["measure"].unique()) == sorted(SPEED_MEASURES.values())
    assert str(d["count"].dtype) == "Int64" and d["count"].notna().all()


def test_england_and_uk_benchmark_counts():
    eng, uk = england_benchmark(FIXED), uk_benchmark(FIXED)
    assert eng["premises"] == 26_986_731 and uk["premises"] == 32_369_839
    assert eng["gigabit_n"] == 23_404_863 and eng["full_fibre_n"] == 21_020_569
    assert uk["gigabit_n"] == 27_814_286
    assert eng["below_10down_or_1up_n"] == 245_367 and "below_uso_n" not in eng
    # shares come from counts: England gigabit 86.7 %, rural England gigabit 59.9 % (the published figures)
    assert round(100 * eng["gigabit_n"] / eng["premises"], 1) == 86.7
    rural = benchmark_counts(read_fixed_benchmarks(FIXED), "england", "all", "rural")  # labels match in any case
    assert rural["premises"] == 3_418_596 and round(100 * rural["gigabit_n"] / rural["premises"], 1) == 59.9


def test_benchmark_equals_the_sum_of_the_national_la_file():
    """Every mapped or derived measure equals the sum over Ofcom's local authorities, per nation."""
    la = la_totals_by_nation(LA_UK).set_index("location")
    table = read_fixed_benchmarks(FIXED)
    shared = ["premises", "matched_premises", "sfbb_n", "ufbb100_n", "ufbb_n", "full_fibre_n", "gigabit_n",
              "unable_2_n", "unable_10_n", "unable_30_n"]
    for location in LOCATIONS:
        bench = benchmark_counts(table, location)
        assert {m: bench[m] for m in shared} == {m: int(la.loc[location, m]) for m in shared}, location
    # ... but the national "<10 Mbit/s DL or <1 Mbit/s UL" row is not the LA files' "below the USO"
    assert int(la.loc["England", "below_uso_n"]) == 25_769
    assert benchmark_counts(table, "England")["below_10down_or_1up_n"] == 245_367


def test_benchmark_blocks_add_up():
    wide = benchmark_wide(read_fixed_benchmarks(FIXED)).set_index(["location", "premise_type", "rurality"])
    counts = list(wide.columns)
    for loc in LOCATIONS:
        for ptype in ("All", "Residential", "Commercial"):
            assert (wide.loc[(loc, ptype, "Urban"), counts] + wide.loc[(loc, ptype, "Rural"), counts]
                    == wide.loc[(loc, ptype, "Total"), counts]).all(), (loc, ptype)
        for rur in ("Total", "Urban", "Rural"):
            assert (wide.loc[(loc, "Residential", rur), counts] + wide.loc[(loc, "Commercial", rur), counts]
                    == wide.loc[(loc, "All", rur), counts]).all(), (loc, rur)
    nations = sum(wide.loc[(n, "All", "Total"), counts] for n in LOCATIONS[1:])
    assert (nations == wide.loc[("UK", "All", "Total"), counts]).all()


def test_unknown_block_names_what_the_file_has():
    with pytest.raises(SchemaError, match=r"no benchmark rows for 'Midlands'.*locations \['England'"):
        benchmark_counts(read_fixed_benchmarks(FIXED), "Midlands")


def test_renamed_header_names_file_and_missing_column(tmp_path):
    def rename(rows):
        rows[0][rows[0].index("Premises")] = "Premises count"
    path = edited(tmp_path, FIXED, rename)
    with pytest.raises(SchemaError, match=r"202507_fixed_coverage_UK_and_nations_r01\.csv: missing column\(s\).*count \(one of \['Premises'\]\)"):
        read_fixed_benchmarks(path)


@pytest.mark.parametrize("column, value, message", [
    ("Premises", "-5", r"line 3, column 'Premises': '-5' is not a whole, non-negative number"),
    ("Premises", "81339.5", r"line 3, column 'Premises': '81339.5' is not a whole"),
    ("Premises", "approx", r"line 3, column 'Premises': 'approx' is not a number"),
    ("% Premises", "3.0", r"line 3, column '% Premises': 3 but Premises / Premise Base = 0.25%"),
    ("% Premises", "130", r"line 3, column '% Premises': percentage 130 is outside 0-100"),
    ("Premises", "40000000", r"line 3, column 'Premises': 40,000,000 is larger than the block's Premise Base"),
])
def test_bad_cells_are_one_line_errors(tmp_path, column, value, message):
    def edit(rows):
        rows[2][rows[0].index(column)] = value  # line 3: UK, All, Total, Unclassified
    with pytest.raises(ValueProblem, match=message):
        read_fixed_benchmarks(edited(tmp_path, FIXED, edit))


def test_missing_premise_base_and_repeats(tmp_path):
    path = edited(tmp_path, FIXED, lambda rows: rows.pop(1))
    with pytest.raises(SchemaError, match=r"no 'Premise Base' row for \['UK', 'All', 'Total'\]"):
        read_fixed_benchmarks(path)
    path = edited(tmp_path, FIXED, lambda rows: rows.insert(3, list(rows[2])), name="repeat.csv")
    with pytest.raises(SchemaError, match=r"repeat\.csv: line 4: the combination \['UK', 'All', 'Total', 'Unclassified'\]"):
        read_fixed_benchmarks(path)


def test_unknown_speed_rows_are_left_out_and_suppressed_cells_missing(tmp_path):
    def edit(rows):
        rows[2][3] = ">=1000 Mbit/s"  # an unknown label
        rows[3][rows[0].index("Premises")] = ""  # UK, All, Total, <2 Mbit/s: blank
    notices.drain()
    t = read_fixed_benchmarks(edited(tmp_path, FIXED, edit))
    assert t.meta["dropped_speeds"] == [">=1000 Mbit/s"] and t.meta["rows"] == 494
    uk = benchmark_counts(t, "UK")
    assert uk["unable_2_n"] is None and "unclassified_n" not in uk and uk["matched_premises"] is None
    said = notices.drain()
    assert any("left out 1 row(s)" in n and ">=1000 Mbit/s" in n for n in said)
    assert any("blank or suppressed" in n for n in said)


def test_load_ofcom_dispatches_the_long_format_files():
    assert load_ofcom(FIXED).meta["product"] == "fixed_benchmarks"
    assert load_ofcom(MOBILE).meta["product"] == "mobile_benchmarks"


def test_mobile_benchmarks_value_error_cell_is_missing_and_reported():
    notices.drain()
    t = read_mobile_benchmarks(MOBILE)
    assert t.meta["rows"] == 1035 and t.meta["missing_lines"] == [654]
    row = t.data[t.data["line"] == 654].iloc[0]
    assert (row["location"], row["technology"], row["coverage_type"], row["rurality"], row["mno"]) == \
        ("Scotland", "4G", "Premises (Outdoor)", "Urban", "None")
    assert row[["coverage_pct", "volume"]].isna().all()
    assert any("#VALUE!" in n and "[654]" in n for n in notices.drain())
    assert set(t.data["mno"]) == {"All", "At least one", "EE", "None", "O2", "Three", "Vodafone"}  # 'None' is a label


def test_mobile_benchmark_counts_england():
    t = read_mobile_benchmarks(MOBILE)
    eng = mobile_benchmark_counts(t, "England")
    assert eng["mobile_premises"] == eng["mobile_premises_5g"] == 26_980_295
    assert eng["no_indoor_4g"] == 88_015 and eng["no_outdoor_5g"] == 613_307
    # the published England share of premises with indoor 4G from all four operators: 89.01 %
    assert round(100 * (eng["mobile_premises"] - eng["not_all_4g_indoor"]) / eng["mobile_premises"], 2) == 89.01
    assert mobile_benchmark_counts(t, "Scotland", "Urban")["mobile_premises"] == 2_322_949
    nations = [mobile_benchmark_counts(t, n) for n in LOCATIONS[1:]]
    uk = mobile_benchmark_counts(t, "UK")
    assert all(uk[k] == sum(n[k] for n in nations) for k in uk)



def test_mobile_volume_matches_labels_loosely_and_names_a_missing_row():
    from mapper.load.national import mobile_volume

    t = read_mobile_benchmarks(MOBILE)
    assert mobile_volume(t, " england ", "4g", "premises (indoor)", "NONE") == 88_015  # as header_key compares
    with pytest.raises(SchemaError, match=r"no row for Atlantis, 4G, Premises \(Indoor\), Total, MNO All; "
                                          r"the file has locations \["):
        mobile_benchmark_counts(t, "Atlantis")


def test_mobile_percentage_checked_against_volumes(tmp_path):
    def edit(rows):
        rows[1][rows[0].index("Coverage percentage")] = "80.31"  # UK 4G indoor All: published 88.31
    with pytest.raises(ValueProblem, match=r"line 2, column 'Coverage percentage': 80.31 but volume / \(At least one \+ None\) = 88.31"):
        read_mobile_benchmarks(edited(tmp_path, MOBILE, edit))


def test_la_totals_need_national_codes(tmp_path):
    with pytest.raises(SchemaError, match="not an England/Scotland/Wales/Northern Ireland GSS code"):
        la_totals_by_nation(edited(tmp_path, LA_UK, lambda rows: rows[1].__setitem__(0, "K02000001")))
