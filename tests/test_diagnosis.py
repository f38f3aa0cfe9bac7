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


CFG = DiagnosisConfig(infrastructure=(IndicatorChoice("no_gigabit", 1.0),),
                      inclusion=(IndicatorChoice("deprived_population", 1.0),), threshold=60, route_threshold=80)


def test_sub_indices_are_percentile_ranks():
    f = frame()
    infra, pct, used = sub_index(f, CFG.infrastructure, f["frame_group"])
    assert used == ["no_gigabit"]
    assert infra.tolist() == [100.0, 75.0, 50.0, 25.0]


def test_labels_follow_the_rule():
    out = diagnose(frame(), CFG)
    assert out["infra_need"].tolist() == [100.0, 75.0, 50.0, 25.0]
    assert out["inclusion_need"].tolist() == [25.0, 75.0, 100.0, 50.0]
    assert out["diagnosis"].tolist() == ["Infrastructure bid", "Both", "Digital-inclusion bid", "Neither"]
    assert "infrastructure need 100 >= 60" in out.loc[0, "diagnosis_reason"]
    assert "premises without gigabit-capable broadband 40.0%" in out.loc[0, "diagnosis_reason"]


def test_weights_are_rescaled_over_indicators_with_data():
    f = frame()
    f["below_uso_n"] = pd.array([pd.NA, 0, 1, 2], dtype="Int64")  # A has no below-USO figure
    cfg = DiagnosisConfig(infrastructure=(IndicatorChoice("no_gigabit", 1.0), IndicatorChoice("below_uso", 3.0)),
                          inclusion=CFG.inclusion)
    out = diagnose(f, cfg)
    # A: only no_gigabit (100). B: (75 + 3 * 100/3) / 4 ... below_uso ranks among B, C, D: 33.3, 66.7, 100
    assert out.loc[0, "infra_need"] == 100.0
    assert out.loc[1, "infra_need"] == pytest.approx((75 + 3 * 100 / 3) / 4, abs=0.05)


def test_indicators_missing_at_a_level_are_skipped():
    out = diagnose(frame(), DiagnosisConfig(infrastructure=(IndicatorChoice("no_gigabit", 1.0), IndicatorChoice("no_indoor_4g", 1.0)),
                                            inclusion=CFG.inclusion))
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
