"""Intervention diagnosis on a hand-computed example (tiny hand-made frame)."""

import pandas as pd
import pytest

from mapper.config import DiagnosisConfig, IndicatorChoice
from mapper.score.diagnosis import diagnose, sub_index


def frame():
    # Four hand-made areas. Infrastructure: no_gigabit share 0.4, 0.3, 0.1, 0.0 ->
    # percentile ranks 100, 75, 50, 25. Inclusion: deprived share 0.0, 0.5, 0.9, 0.1 -> 25, 75, 100, 50.
    return pd.DataFrame({
        "code": ["A", "B", "C", "D"],
        "frame_group": ["all"] * 4,
        "premises": [100, 100, 100, 100],
        "gigabit_n": [60, 70, 90, 100],
        "population": [1000, 1000, 1000, 1000],
        "deprived_population": [0, 500, 900, 100],
    })


#: No absolute floors: these tests pin the relative rule (the floors have tests of their own below).
NO_FLOORS = dict.fromkeys(("infrastructure", "inclusion", "mobile", "business", "takeup"), (0.0, 0.0))
CFG = DiagnosisConfig(infrastructure=(IndicatorChoice("no_gigabit", 1.0),),
                      inclusion=(IndicatorChoice("deprived_population", 1.0),), threshold=60, route_threshold=80,
                      floors=NO_FLOORS)


def test_sub_indices_are_percentile_ranks():
    f = frame()
    infra, _pct, used = sub_index(f, CFG.infrastructure, f["frame_group"])
    assert used == ["no_gigabit"]
    assert infra.tolist() == [100.0, 75.0, 50.0, 25.0]


def test_labels_follow_the_rule():
    out = diagnose(frame(), CFG)
    assert out["infra_need"].tolist() == [100.0, 75.0, 50.0, 25.0]
    assert out["inclusion_need"].tolist() == [25.0, 75.0, 100.0, 50.0]
    assert out["diagnosis"].tolist() == ["Infrastructure bid", "Both", "Digital-inclusion bid", "Neither"]
    assert "Infrastructure need is high (ranks above 100% of areas on average)" in out.loc[0, "diagnosis_reason"]
    assert "premises without gigabit-capable broadband: 40 (40.0%)" in out.loc[0, "diagnosis_reason"]


def test_weights_are_rescaled_over_indicators_with_data():
    f = frame()
    f["below_uso_n"] = pd.array([pd.NA, 0, 1, 2], dtype="Int64")  # A has no below-USO figure
    cfg = DiagnosisConfig(infrastructure=(IndicatorChoice("no_gigabit", 1.0), IndicatorChoice("below_uso", 3.0)),
                          inclusion=CFG.inclusion, floors=NO_FLOORS)
    out = diagnose(f, cfg)
    # A: only no_gigabit (100). B: (75 + 3 * 100/3) / 4 ... below_uso ranks among B, C, D: 33.3, 66.7, 100
    assert out.loc[0, "infra_need"] == 100.0
    assert out.loc[1, "infra_need"] == pytest.approx((75 + 3 * 100 / 3) / 4, abs=0.05)


def test_indicators_missing_at_a_level_are_skipped():
    out = diagnose(frame(), DiagnosisConfig(infrastructure=(IndicatorChoice("no_gigabit", 1.0), IndicatorChoice("no_indoor_4g", 1.0)),
                                            inclusion=CFG.inclusion, floors=NO_FLOORS))
    assert out["infra_need"].tolist() == [100.0, 75.0, 50.0, 25.0]


def test_business_route_flag():
    f = frame()
    f["nonres_premises"] = [10, 10, 10, 10]
    f["nonres_gigabit_n"] = [1, 9, 9, 9]  # A has by far the largest business gap
    out = diagnose(f, CFG)
    assert "business premises" in out.loc[0, "routes"]
    assert out.loc[1, "routes"] == ""


def test_real_la_level_diagnosis(frames):
    la = frames.la.frame
    assert set(la["diagnosis"]) <= {"Both", "Infrastructure bid", "Digital-inclusion bid", "Neither"}
    assert la["infra_need"].between(0, 100).all() and la["inclusion_need"].between(0, 100).all()
    both = la["diagnosis"] == "Both"
    assert ((la.loc[both, "infra_need"] >= 60) & (la.loc[both, "inclusion_need"] >= 60)).all()


# --- issue 14: absolute floors, rurality, plain reasons (hand-made frames) ----------------------------------

def mobile_frame():
    """Five hand-made areas; E is 'top fifth' for no indoor 4G in relative terms, with 25 premises (0.04%)."""
    return pd.DataFrame({
        "code": list("ABCDE"), "frame_group": ["all"] * 5, "urban_rural": ["Urban", "Urban", "Rural", "Rural", "Urban"],
        "premises": [60_000] * 5, "gigabit_n": [50_000] * 5,
        "mobile_premises": [60_000] * 5, "no_indoor_4g_est": [0, 5, 10, 20, 25],
    })


def test_relatively_high_but_tiny_mobile_gap_gets_no_flag_and_says_why():
    out = diagnose(mobile_frame(), DiagnosisConfig(threshold=60, route_threshold=80))  # the default floors
    assert out.loc[4, "routes"] == ""
    assert "no mobile route: mobile not-spots are relatively common here, but the area is urban" in out.loc[4, "diagnosis_reason"]
    rural = mobile_frame().assign(urban_rural="Rural")
    out = diagnose(rural, DiagnosisConfig(threshold=60, route_threshold=80))
    assert out.loc[4, "routes"] == ""
    assert "no mobile route: relatively high, but only 25 premises with no indoor 4G (0.04%): fewer than 250 and under 1%" \
        in out.loc[4, "diagnosis_reason"]


def test_a_mobile_gap_above_the_floors_in_a_rural_area_is_flagged():
    f = mobile_frame().assign(urban_rural="Rural")
    f.loc[4, "no_indoor_4g_est"] = 900  # 1.5% of 60,000: above 250 and 1%
    out = diagnose(f, DiagnosisConfig(threshold=60, route_threshold=80))
    assert out.loc[4, "routes"] == "rural mobile (e.g. Shared Rural Network)"
    assert "route: rural mobile (e.g. Shared Rural Network): premises with no indoor 4G from any operator (estimate): 900 (1.5%)" \
        in out.loc[4, "diagnosis_reason"]


def test_infrastructure_need_below_its_floor_is_not_high():
    # A: 40 of 100 premises without gigabit ranks first, but 40 premises is under the 1,000 floor
    out = diagnose(frame(), DiagnosisConfig(infrastructure=CFG.infrastructure, inclusion=CFG.inclusion, threshold=60,
                                            route_threshold=80))
    assert out.loc[0, "infra_need"] == 100.0 and out.loc[0, "diagnosis"] != "Infrastructure bid"
    assert "Infrastructure need is relatively high (ranks above 100% of areas on average), but only 40 premises (40.0%): " \
           "fewer than 1,000" in out.loc[0, "diagnosis_reason"]


def test_real_la_routes_respect_the_floors(frames, cfg):
    """On the real data: every flagged area meets its floor, and every mobile flag is a rural area."""
    la = frames.la.frame
    floors = cfg.diagnosis.floors
    mobile = la["routes"].fillna("").str.contains("rural mobile")
    assert (la.loc[mobile, "urban_rural"] == "Rural").all()
    assert (la.loc[mobile, "no_indoor_4g_num"] >= floors["mobile"][0]).all()
    assert (la.loc[mobile, "no_indoor_4g_share"] >= floors["mobile"][1]).all()
    business = la["routes"].fillna("").str.contains("business premises")
    assert (la.loc[business, "nonres_no_gigabit_num"] >= floors["business"][0]).all()
    high_infra = la["diagnosis"].isin(["Infrastructure bid", "Both"])
    assert (la.loc[high_infra, "no_gigabit_num"] >= floors["infrastructure"][0]).all()
    assert (la.loc[high_infra, "no_gigabit_share"] >= floors["infrastructure"][1]).all()
    nc = la.set_index("name").loc["Newcastle-under-Lyme"]
    assert "rural mobile" not in (nc["routes"] or "")
