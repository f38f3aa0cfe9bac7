"""Lookups for the 2024 constituencies and the England-wide tables, read through
``read_table`` on the real files."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from _paths import DATA, ROOT

from mapper.errors import SchemaError
from mapper.load.tables import read_table

LOOKUPS = DATA / "lookups"


def midlands_lsoa21():
    return set(read_table(LOOKUPS / "LSOA21_WD24_LAD24_lookup_midlands.csv", "lsoa21_lad", key="lsoa21_code")["lsoa21_code"])


def pcon24_seats():
    return set(gpd.read_file(ROOT / "boundaries/PCON24_BGC_midlands.geojson")["PCON24CD"])


def test_pcon24_region():
    t = read_table(LOOKUPS / "PCON24_RGN_midlands.csv", "pcon24_region", key="pcon_code")
    assert len(t) == 104 and set(t["pcon_code"]) == pcon24_seats()
    assert t["region_code"].value_counts().to_dict() == {"E12000005": 57, "E12000004": 47}
    assert t["n_lsoa21"].sum() == 6_420 and t["area_share_in_region"].min() >= 0.988


def test_pcon24_region_optional_columns_may_be_absent(tmp_path):
    """An ONS-style lookup without the derived columns reads too; the extras are missing, not 0."""
    src = pd.read_csv(LOOKUPS / "PCON24_RGN_midlands.csv")
    path = tmp_path / "pcon24_rgn.csv"
    src[["PCON24CD", "PCON24NM", "RGN24CD", "RGN24NM"]].to_csv(path, index=False)
    t = read_table(path, "pcon24_region", key="pcon_code")
    assert len(t) == 104 and t["n_lsoa21"].isna().all() and t["area_share_in_region"].isna().all()
    src[["PCON24CD", "PCON24NM", "RGN24NM"]].to_csv(path, index=False)
    with pytest.raises(SchemaError, match=r"pcon24_rgn\.csv: missing column\(s\) for a 'pcon24_region' table: region_code"):
        read_table(path, "pcon24_region")


def test_lsoa21_point_fit_puts_every_midlands_lsoa_in_exactly_one_seat():
    t = read_table(LOOKUPS / "LSOA21_PCON24_pointfit_midlands.csv", "lsoa21_pcon24", key="lsoa21_code")  # key: once each
    assert len(t) == 6_420 and set(t["lsoa21_code"]) == midlands_lsoa21()
    assert set(t["pcon_code"]) == pcon24_seats()
    sizes = t["pcon_code"].value_counts()
    assert (sizes.min(), sizes.max()) == (52, 86)
    regions = read_table(LOOKUPS / "PCON24_RGN_midlands.csv", "pcon24_region", key="pcon_code")
    assert sizes.sort_index().tolist() == regions.set_index("pcon_code")["n_lsoa21"].sort_index().astype(int).tolist()
    # every seat's LSOAs lie in one region (the LSOA -> LAD -> region chain agrees with the seat's region)
    lad = read_table(LOOKUPS / "LSOA21_WD24_LAD24_lookup_midlands.csv", "lsoa21_lad", key="lsoa21_code")
    rgn = read_table(LOOKUPS / "LAD24_RGN24_lookup_midlands.csv", "lad_region", key="lad_code")
    chain = t.merge(lad, on="lsoa21_code").merge(rgn, on="lad_code").merge(
        regions[["pcon_code", "region_code"]], on="pcon_code", suffixes=("", "_seat"))
    assert len(chain) == 6_420 and (chain["region_code"] == chain["region_code_seat"]).all()


def test_pcon10_pcon24_is_many_to_many_between_the_midlands_sets():
    t = read_table(LOOKUPS / "PCON10_PCON24_lookup_midlands.csv", "pcon10_pcon24")
    assert len(t) == 207 and not t.duplicated(["pcon10_code", "pcon24_code"]).any()
    assert t["pcon24_code"].nunique() == 104 and set(t["pcon24_code"]) == pcon24_seats()
    old = set(gpd.read_file(ROOT / "boundaries/PCON21_BUC_midlands.geojson")["PCON21CD"])
    assert t["pcon10_code"].nunique() == 105 and set(t["pcon10_code"]) == old
    assert t["pcon10_code"].duplicated().any() and t["pcon24_code"].duplicated().any()  # both directions split
    assert not any("weight" in c or "share" in c for c in t.columns)  # no weights: overlap only


def test_england_lad_region_and_ew_ruc():
    lad = read_table(LOOKUPS / "LAD24_RGN24_lookup_england.csv", "lad_region", key="lad_code")
    assert len(lad) == 296 and lad["region_code"].nunique() == 9 and lad["lad_code"].str.startswith("E").all()
    midlands = read_table(LOOKUPS / "LAD24_RGN24_lookup_midlands.csv", "lad_region", key="lad_code")
    sub = lad[lad["region_code"].isin(["E12000004", "E12000005"])].reset_index(drop=True)
    assert sub.sort_values("lad_code").reset_index(drop=True).equals(midlands.sort_values("lad_code").reset_index(drop=True))
    ruc = read_table(LOOKUPS / "RUC21_LAD24_ew.csv", "ruc21", key="code")
    assert len(ruc) == 318 and ruc["code"].str[0].value_counts().to_dict() == {"E": 296, "W": 22}
    assert set(lad["lad_code"]) <= set(ruc["code"])
    boundaries = set(gpd.read_file(ROOT / "boundaries/LAD24_BUC_uk.geojson")["LAD24CD"])
    assert len(boundaries) == 361 and set(lad["lad_code"]) == {c for c in boundaries if c.startswith("E")}
