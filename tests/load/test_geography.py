"""Telling the 2010-2024 and 2024 constituency sets apart, on the real Ofcom files and boundaries."""

from __future__ import annotations

import geopandas as gpd
import pytest
from _paths import DATA, ROOT

from mapper.errors import JoinError, SchemaError
from mapper.load.geography import (
    PCON10,
    PCON24,
    SHARED_S14,
    code_sets,
    constituency_set,
    require_same_constituency_set,
)
from mapper.load.ofcom import load_ofcom
from mapper.load.tables import read_table

PCON = DATA / "ofcom/pcon"


@pytest.mark.parametrize("name, expected", [
    ("202507_fixed_pcon_coverage_r01.csv", PCON24),
    ("202401_fixed_pcon_coverage_r01.csv", PCON10),
    ("202401_fixed_pcon_res_coverage_r01.csv", PCON10),
    ("202209_fixed_pcon_coverage_r02.csv", PCON10),
    ("202109_fixed_pcon_coverage_r01.csv", PCON10),
    ("202009_fixed_pcon_coverage_r01.csv", PCON10),
])
def test_real_ofcom_constituency_files(name, expected):
    assert constituency_set(load_ofcom(PCON / name).data["code"], source=name) == expected


def test_real_boundaries_and_lookup_columns():
    assert constituency_set(gpd.read_file(ROOT / "boundaries/PCON24_BGC_midlands.geojson")["PCON24CD"]) == PCON24
    assert constituency_set(gpd.read_file(ROOT / "boundaries/PCON21_BUC_midlands.geojson")["PCON21CD"]) == PCON10
    lookup = read_table(DATA / "lookups/PCON10_PCON24_lookup_midlands.csv", "pcon10_pcon24")
    assert constituency_set(lookup["pcon10_code"]) == PCON10 and constituency_set(lookup["pcon24_code"]) == PCON24


def test_shared_scottish_codes_are_exactly_the_codes_both_releases_use():
    old = set(load_ofcom(PCON / "202401_fixed_pcon_coverage_r01.csv").data["code"])
    new = set(load_ofcom(PCON / "202507_fixed_pcon_coverage_r01.csv").data["code"])
    assert old & new == SHARED_S14
    assert all(code_sets(c) == {PCON10} for c in old - SHARED_S14)
    assert all(code_sets(c) == {PCON24} for c in new - SHARED_S14)


def test_mixed_sets_are_refused_naming_both():
    old = load_ofcom(PCON / "202401_fixed_pcon_coverage_r01.csv").data["code"]
    new = load_ofcom(PCON / "202507_fixed_pcon_coverage_r01.csv").data["code"]
    with pytest.raises(SchemaError, match=r"mixed\.csv: mixes constituency boundary sets: 1 code\(s\) of the 2010-2024 seats \(e\.g\. \['E14000530'\]\)"):
        constituency_set(list(new) + ["E14000530"], source="mixed.csv")
    with pytest.raises(JoinError, match=r"PCON21_BUC_midlands\.geojson holds 2010-2024 .* but 202507.csv holds 2024 Westminster"):
        require_same_constituency_set(new, "202507.csv", old, "PCON21_BUC_midlands.geojson")
    assert require_same_constituency_set(new, "a", new, "b") == PCON24


def test_other_codes_and_edge_cases():
    with pytest.raises(SchemaError, match=r"lads: 1 code\(s\) are not Westminster constituency codes .*\['E07000142'\]"):
        constituency_set(["E14001063", "E07000142"], source="lads")
    with pytest.raises(SchemaError, match="only codes shared by the 2010 and 2024"):
        constituency_set(["S14000027", "S14000051"])
    with pytest.raises(SchemaError, match="1 blank constituency code"):
        constituency_set(["E14001063", " "])
    with pytest.raises(SchemaError, match="no constituency codes"):
        constituency_set([])
    # shared codes go with either set; case and spaces do not matter
    assert constituency_set(["s14000027", " n05000001 "]) == PCON24
    assert constituency_set(["S14000027", "N06000018"]) == PCON10
    assert code_sets("E14001606") == set() and code_sets("W07000113") == set()
