"""LSOA-level aggregation: output-area counts summed, postcode rates flagged unweighted, BDUK streamed."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from _paths import ROOT, TESTDATA
from shapely.geometry import box

from mapper.errors import JoinError, SchemaError
from mapper.join import Audit
from mapper.join.lsoa import (
    assign_points,
    bduk_aggregate,
    bduk_columns,
    normalise_oa_lookup,
    oa_to_lsoa,
    postcode_lsoa_lookup,
    postcode_to_lsoa,
)
from mapper.load.ofcom import load_ofcom

OA_FILE = TESTDATA / "ofcom/202601_fixed_oa_coverage_r1_sample.csv"
PC_FILE = TESTDATA / "ofcom/202601_fixed_pc_coverage_r2_CR_sample.csv"
BDUK_FILE = TESTDATA / "bduk/202605_BDUK_uprn_release_sample.csv"

#: HAND-MADE lookup rows: the three real London OAs of the schema sample, put in two invented LSOA codes
#: (E01999901/E01999902) so that one LSOA has two OAs. Not ONS data.
HANDMADE_LOOKUP = pd.DataFrame({"OA21CD": ["E00005233", "E00174805", "E00178816"],
                                "LSOA21CD": ["E01999901", "E01999901", "E01999902"],
                                "LAD22CD": ["E09000008"] * 3})


def two_squares() -> gpd.GeoDataFrame:
    """Two 1 km squares side by side in British National Grid (hand-made)."""
    return gpd.GeoDataFrame({"code": ["L1", "L2"]}, geometry=[box(400000, 280000, 401000, 281000), box(401000, 280000, 402000, 281000)],
                            crs="EPSG:27700")


def test_oa_counts_are_summed_and_rates_recomputed():
    table = load_ofcom(OA_FILE)
    audit = Audit()
    out = oa_to_lsoa(table.data, normalise_oa_lookup(HANDMADE_LOOKUP), audit=audit, meta=table.meta)
    raw = pd.read_csv(OA_FILE)
    one = raw[raw["output_area"].isin(["E00005233", "E00174805"])]
    row = out.set_index("lsoa21_code").loc["E01999901"]
    assert row["premises"] == one["All Premises"].sum() == 672
    assert row["gigabit_n"] == one["Number of premises with Gigabit availability"].sum()
    assert row["gigabit_pct"] == pytest.approx(100 * row["gigabit_n"] / row["premises"])
    assert row["oa_count"] == 2
    # totals reconcile with the file
    assert out["premises"].sum() == raw["All Premises"].sum()
    assert out["below_uso_n"].sum() == raw["Number of premises unable to receive decent broadband from fixed or FWA"].sum()
    assert "full_fibre_n" not in out and any("no full-fibre columns" in n for n in audit.notes)
    assert audit.joins[-1].matched == 3


def test_oa_suppressed_cells_are_counted_not_invented():
    data = load_ofcom(OA_FILE).data.copy()
    data.loc[0, "gigabit_n"] = pd.NA
    out = oa_to_lsoa(data, normalise_oa_lookup(HANDMADE_LOOKUP), audit=(audit := Audit()))
    assert out["suppressed_cells"].sum() == 1
    assert any("lower bound" in n and "gigabit_n" in n for n in audit.notes)


def test_oa_missing_from_coverage_is_a_join_error():
    look = pd.concat([HANDMADE_LOOKUP, pd.DataFrame({"OA21CD": ["E00999999"], "LSOA21CD": ["E01999902"], "LAD22CD": ["x"]})])
    with pytest.raises(JoinError, match="E00999999"):
        oa_to_lsoa(load_ofcom(OA_FILE).data, normalise_oa_lookup(look), audit=Audit())


def test_lookup_schema_errors():
    with pytest.raises(SchemaError, match=r"missing field\(s\) \['LSOA21CD'\]"):
        normalise_oa_lookup(pd.DataFrame({"OA21CD": ["a"]}))
    with pytest.raises(SchemaError, match="more than one LSOA"):
        normalise_oa_lookup(pd.DataFrame({"OA21CD": ["a", "a"], "LSOA21CD": ["x", "y"]}))


def test_assign_points_inside_outside_on_boundary_and_missing():
    east = np.array([400500, 401500, 500000, 401000, np.nan, 0])
    north = np.array([280500, 280500, 280500, 280500, 280500, 0])
    assert assign_points(east, north, two_squares()).tolist() == [0, 1, -1, 0, -1, -1]


def test_assign_points_matches_an_sjoin_on_real_midlands_postcodes():
    lsoa = gpd.read_file(ROOT / "boundaries/LSOA21_BSC_midlands.geojson").rename(columns={"LSOA21CD": "code"})
    pts = pd.read_csv(ROOT / "data/lookups/NSPD_postcode_LAD25_grid_midlands.csv", dtype=str).iloc[::50]
    got = postcode_lsoa_lookup(pts, lsoa, audit=(audit := Audit()))
    geo = gpd.GeoDataFrame(pts.assign(postcode=pts["pcd7"].str.replace(" ", "")),
                           geometry=gpd.points_from_xy(pts["east1m"].astype(float), pts["north1m"].astype(float)), crs=27700)
    ref = gpd.sjoin(geo, lsoa[["code", "geometry"]].to_crs(27700), predicate="intersects").drop_duplicates("postcode")
    merged = got.merge(ref[["postcode", "code"]], on="postcode", how="outer")
    assert len(got) > 0.95 * len(pts)
    assert (merged["lsoa21_code"] == merged["code"]).all()
    assert "point in polygon" in audit.joins[-1].note


def test_postcode_rates_are_unweighted_means_and_flagged():
    table = load_ofcom(PC_FILE)
    assert table.meta["rates_only"]
    pts = pd.DataFrame({"pcd7": ["CR0 5BX", "CR0 5BY", "CR0 5LP"], "east1m": [400100, 400200, 401500],
                        "north1m": [280100, 280200, 280500]})  # hand-made grid refs inside the two squares
    look = postcode_lsoa_lookup(pts, two_squares().to_crs(4326))
    out = postcode_to_lsoa(table.data, look, audit=(audit := Audit()), meta=table.meta)
    assert out.attrs["weighting"] == "unweighted"
    assert all(c.endswith("_pct_unweighted_mean") for c in out.columns if "pct" in c)
    assert not any(c.endswith("_n") and c != "postcodes_n" for c in out.columns)
    l1 = table.data[table.data["code"].isin(["CR0 5BX", "CR0 5BY"])]
    assert out.set_index("lsoa21_code").loc["L1", "gigabit_pct_unweighted_mean"] == pytest.approx(l1["gigabit_pct"].mean())
    assert out["postcodes_n"].tolist() == [2, 1]
    assert any("UNWEIGHTED" in n for n in audit.notes)


def test_bduk_counts_by_status_gigabit_and_contract():
    sample = pd.read_csv(BDUK_FILE, dtype=str, keep_default_na=False)
    pts = pd.DataFrame({"pcd7": sample["postcode"], "east1m": 400500, "north1m": 280500})  # hand-made: all in L1
    look = postcode_lsoa_lookup(pts, two_squares())
    res = bduk_aggregate([BDUK_FILE], look, audit=(audit := Audit()), block_size=1 << 10)
    assert res.rows == len(sample) == 8
    assert res.lad["premises_n"].sum() == 8 and res.lad["grey_black_n"].sum() == 8
    assert res.lad["current_gigabit_n"].sum() == (sample["current_gigabit"] == "true").sum()
    assert res.lad["future_gigabit_n"].sum() == (sample["future_gigabit"] == "true").sum()
    rut = res.lad.set_index("lad_code").loc["E06000017"]
    assert rut["premises_n"] == 1 and rut["future_gigabit_n"] == (sample.loc[sample["local_authority_district_ons_code"] == "E06000017", "future_gigabit"] == "true").sum()
    assert res.lsoa.set_index("lsoa21_code").loc["L1", "premises_n"] == 8
    c = res.contracts.set_index("lad_code").loc["E06000017"]
    assert (c["contract_name"], c["supplier"], c["final_coverage_date"]) == tuple(
        sample.loc[sample["local_authority_district_ons_code"] == "E06000017",
                   ["bduk_gis_contract_name", "bduk_gis_supplier", "bduk_gis_final_coverage_date"]].iloc[0])
    assert res.contracts["premises_n"].sum() == 8 and audit.totals["bduk"]["rows"] == 8


def test_bduk_aliases_and_missing_columns(tmp_path):
    renamed = tmp_path / "old.csv"
    text = BDUK_FILE.read_text().replace("bduk_gis_final_coverage_date", "gis_final_coverage_date", 1)
    renamed.write_text(text)
    assert bduk_columns(renamed)["final_coverage_date"] == "gis_final_coverage_date"
    broken = tmp_path / "Rutland.csv"
    broken.write_text(BDUK_FILE.read_text().replace("subsidy_control_status", "status", 1))
    with pytest.raises(SchemaError, match=r"Rutland.csv: not a BDUK premises-in-plans file: missing column\(s\) \['subsidy_control_status'\]"):
        bduk_aggregate([broken], None, audit=Audit())


def test_bduk_funding_of_the_gap_and_the_residual(tmp_path):
    """Hand-made variants of the real sample row (real 28-column schema): one premises per funding route."""
    sample = pd.read_csv(BDUK_FILE, dtype=str, keep_default_na=False)
    row = sample.iloc[0].to_dict()
    cases = [  # (status, current, future, bduk_gis) -> expected category
        ("Gigabit Grey/Black", "true", "false", "false"),    # gigabit now: not in the gap
        ("Gigabit White", "false", "false", "true"),         # signed Project Gigabit contract
        ("Gigabit Grey/Black", "false", "true", "false"),    # commercial plan
        ("Gigabit Under Review", "false", "false", "false"),  # under review, no plan
        ("Gigabit White", "false", "false", "false"),        # white, no plan
        ("Gigabit White", "false", "false", "false"),        # white, no plan
        ("Gigabit Grey/Black", "false", "false", "false"),   # grey/black, no plan
    ]
    rows = [{**row, "uprn": str(i), "subsidy_control_status": s, "current_gigabit": c, "future_gigabit": f, "bduk_gis": g}
            for i, (s, c, f, g) in enumerate(cases)]
    path = tmp_path / "East_Midlands_handmade.csv"
    pd.DataFrame(rows, columns=sample.columns).to_csv(path, index=False)
    lad = bduk_aggregate([path], None, audit=Audit()).lad.iloc[0]
    assert lad["premises_n"] == 7 and lad["no_gigabit_now_n"] == 6
    assert (lad["contract_n"], lad["commercial_n"]) == (1, 1)
    assert (lad["under_review_unplanned_n"], lad["white_unplanned_n"], lad["other_unplanned_n"]) == (1, 2, 1)
    assert lad["residual_n"] == 4
    assert lad["contract_n"] + lad["commercial_n"] + lad["residual_n"] == lad["no_gigabit_now_n"]
