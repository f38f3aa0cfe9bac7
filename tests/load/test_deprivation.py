"""IoD 2025 (LSOA 2021) readers on the real Midlands files; bad inputs are real rows edited in tmp_path."""

from __future__ import annotations

import csv
import io

import pytest
from _paths import DATA

from mapper.errors import SchemaError, ValueProblem
from mapper.load import notices
from mapper.load.deprivation import DOMAINS, SUBDOMAINS, read_iod2025, read_iod2025_subdomains
from mapper.load.tables import read_table

IOD = DATA / "deprivation/IoD2025_File7_LSOA21_IMD_domains_midlands.csv"
SUB = DATA / "deprivation/IoD2025_File7_LSOA21_subdomains_midlands.csv"


def midlands_lsoa21():
    return set(read_table(DATA / "lookups/LSOA21_WD24_LAD24_lookup_midlands.csv", "lsoa21_lad", key="lsoa21_code")["lsoa21_code"])


def edited(tmp_path, source, edit):
    rows = list(csv.reader(io.StringIO(source.read_text("utf-8"))))
    edit(rows)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path = tmp_path / source.name
    path.write_text(buf.getvalue(), "utf-8")
    return path


def test_iod2025_covers_every_midlands_lsoa21():
    iod, sub = read_iod2025(IOD), read_iod2025_subdomains(SUB)
    assert len(iod) == len(sub) == 6_420
    assert set(iod["lsoa21_code"]) == set(sub["lsoa21_code"]) == midlands_lsoa21()
    assert not any("population" in c for c in iod.columns) and iod.attrs["population_denominators"] is False


def test_iod2025_values_by_name():
    iod = read_iod2025(IOD).set_index("lsoa21_code")
    assert [f"{d}_{k}" for k in ("decile", "rank", "score") for d in DOMAINS] == sorted(iod.columns, key=[
        f"{d}_{k}" for k in ("decile", "rank", "score") for d in DOMAINS].index)
    row = iod.loc["E01008881"]  # first row of the file
    assert (row["imd_decile"], row["imd_rank"], row["imd_score"]) == (2, 3696, 43.521)
    assert (row["education_decile"], row["education_rank"], row["living_environment_score"]) == (2, 4457, 41.59)
    assert str(iod["imd_rank"].dtype) == "Int64" and iod.isna().sum().sum() == 0
    assert iod["imd_decile"].value_counts().sort_index().tolist() == [807, 749, 635, 578, 583, 675, 579, 669, 598, 547]


def test_iod2025_subdomains_by_package_name():
    sub = read_iod2025_subdomains(SUB).set_index("lsoa21_code")
    assert len(sub.columns) == 3 * len(SUBDOMAINS)
    row = sub.loc["E01008881"]
    assert (row["geographical_barriers_score"], row["geographical_barriers_rank"], row["geographical_barriers_decile"]) == (21.719, 27404, 9)
    assert sub["wider_barriers_score"].min() < 0  # scores may be negative; never clipped


def test_official_subdomain_headings_are_accepted(tmp_path):
    """The File 7 spelling ("Geographical Barriers Sub-domain Score" ...) reads the same values."""
    def official(rows):
        names = {"children_and_young_people": "Children and Young People", "adult_skills": "Adult Skills",
                 "geographical_barriers": "Geographical Barriers", "wider_barriers": "Wider Barriers",
                 "indoors": "Indoors", "outdoors": "Outdoors"}
        suffix = {"score": "Score", "rank": "Rank (where 1 is most deprived)",
                  "decile": "Decile (where 1 is most deprived 10% of LSOAs)"}
        head = ["LSOA code (2021)"]
        for h in rows[0][1:]:
            stem, kind = h.rsplit("_", 1)
            head.append(f"{names[stem]} Sub-domain {suffix[kind]}")
        rows[0] = head
    a, b = read_iod2025_subdomains(SUB), read_iod2025_subdomains(edited(tmp_path, SUB, official))
    assert a.equals(b)


def test_missing_column_is_named(tmp_path):
    path = edited(tmp_path, IOD, lambda rows: rows[0].__setitem__(1, "IMD decile (2025)"))
    with pytest.raises(SchemaError, match=r"IoD2025_File7_LSOA21_IMD_domains_midlands\.csv: missing column\(s\) for a 'iod2025' table: imd_decile"):
        read_iod2025(path)


@pytest.mark.parametrize("column, value, message", [
    (1, "11", r"line 2, column 'Index of Multiple Deprivation \(IMD\) Decile \(where 1 is most deprived 10% of LSOAs\)': 11 is not a whole number from 1 to 10"),
    (9, "40000", r"line 2, column 'Index of Multiple Deprivation \(IMD\) Rank \(where 1 is most deprived\)': 40000 is not a whole number from 1 to 33,755"),
    (1, "3", r"line 2: 'Index of Multiple Deprivation \(IMD\) Decile .*' is 3 but rank 3,696 of 33,755 is decile 2"),
    (18, "high", r"line 2, column 'Income Score \(rate\)': 'high' is not a number"),
])
def test_bad_values_are_one_line_errors(tmp_path, column, value, message):
    path = edited(tmp_path, IOD, lambda rows: rows[1].__setitem__(column, value))
    with pytest.raises(ValueProblem, match=message):
        read_iod2025(path)


def test_blank_cell_is_missing_not_zero(tmp_path):
    notices.drain()
    iod = read_iod2025(edited(tmp_path, IOD, lambda rows: rows[1].__setitem__(18, "")))
    assert iod["income_score"].isna().sum() == 1 and iod.loc[0, "imd_score"] == 43.521
    assert any("1 blank or suppressed cell(s)" in n for n in notices.drain())
