"""Non-residential premises, mobile not-spots and full-fibre take-up, on the real July 2025 files."""

import csv

import pandas as pd
import pytest
from _paths import DATA, LA_FILE, LA_RES_FILE

from mapper.errors import ValueProblem
from mapper.join.companion_counts import mobile_counts, non_residential, takeup_counts
from mapper.load.ofcom import load_ofcom


def test_non_residential_equals_all_minus_residential_for_every_la_and_measure():
    a, r = load_ofcom(LA_FILE).data, load_ofcom(LA_RES_FILE).data
    nr = non_residential(a, r, all_file="all.csv", res_file="res.csv").set_index("code")
    assert int(nr["nonres_premises"].sum()) == 315_383
    assert len(nr) == 65
    ai, ri = a.set_index("code"), r.set_index("code")
    for m in ("premises", "gigabit_n", "below_uso_n", "unable_30_n"):
        assert (nr[f"nonres_{m}"] == ai[m] - ri[m]).all(), m
        assert (nr[f"nonres_{m}"] >= 0).all(), m


def test_residential_above_all_is_an_error_naming_area_and_measure():
    a, r = load_ofcom(LA_FILE).data, load_ofcom(LA_RES_FILE).data.copy()
    r.loc[r["code"] == "E07000137", "gigabit_n"] = 10**7
    with pytest.raises(ValueProblem, match=r"res\.csv: residential gigabit_n for E07000137 .* exceeds all premises"):
        non_residential(a, r, all_file="all.csv", res_file="res.csv")


def test_business_gigabit_gap_is_larger_than_homes(frames):
    mid = frames.la.totals.iloc[-1]
    nonres_share = mid["nonres_no_gigabit_num"] / mid["nonres_no_gigabit_den"]
    home_share = (mid["no_gigabit_num"] - mid["nonres_no_gigabit_num"]) / (mid["premises"] - mid["nonres_premises"])
    assert nonres_share > 2 * home_share


def test_mobile_derived_counts():
    mob = load_ofcom(DATA / "ofcom/mobile/202507_mobile_coverage_laua_r01_midlands.csv").data
    out = mobile_counts(mob).set_index("code")
    row = mob.set_index("code").loc["E07000032"]  # Amber Valley
    assert out.loc["E07000032", "no_indoor_4g_est"] == round(row["prem_count"] * row["4G_prem_in_0_pct"] / 100)
    assert out.loc["E07000032", "no_outdoor_4g_land_est"] == round(row["pixel_count"] * row["4G_geo_out_0_pct"] / 100)
    assert (out["not_all_4g_indoor_est"] >= out["no_indoor_4g_est"]).all()


def test_takeup_weighted_by_full_fibre_premises():
    cov = load_ofcom(LA_FILE).data
    take = load_ofcom(DATA / "ofcom/laua/202507_full_fibre_take-up_laua_r01_midlands.csv").data
    out = takeup_counts(take, cov).set_index("code")
    with open(DATA / "ofcom/laua/202507_full_fibre_take-up_laua_r01_midlands.csv", encoding="utf-8") as fh:
        raw = {r["laua"]: int(r["Full-fibre take-up (% of full-fibre coverage)"]) for r in csv.DictReader(fh)}
    ff = cov.set_index("code")["full_fibre_n"]
    assert out.loc["E06000015", "ff_not_taken_up_est"] == round(ff["E06000015"] * (1 - raw["E06000015"] / 100))
    assert len(out) == 65


def test_la_table_has_new_indicator_columns(built):
    t = pd.read_csv(built / "midlands_la_priority.csv")
    for n in ("nonres_no_gigabit", "nonres_below_uso", "nonres_unable_30"):
        assert {f"{n}_num", f"{n}_den", f"{n}_share"} <= set(t.columns), n
    # estimates say so in their column names, with the rounding margin where the percentage step is known
    for n in ("no_indoor_4g", "partial_indoor_4g", "no_outdoor_4g_land", "no_outdoor_5g", "ff_low_takeup"):
        assert {f"{n}_num_estimate", f"{n}_den", f"{n}_share_estimate", f"{n}_num_rounding"} <= set(t.columns), n
        assert f"{n}_num" not in t.columns
    # take-up is published in whole percent: +/- half a percent of the premises with full fibre
    assert (t["ff_low_takeup_num_rounding"] == (t["ff_low_takeup_den"] * 0.005).round().astype(int)).all()
    assert t["nonres_premises"].sum() == 315_383
    meta = (built / "midlands_la_priority.meta.json").read_text("utf-8")
    assert "ESTIMATE from published percentages" in meta
    pc = pd.read_csv(built / "midlands_constituency2010_priority.csv")
    assert (pc["nonres_no_gigabit_num"] >= 0).all() and pc["nonres_premises"].notna().all()
