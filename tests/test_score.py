"""Indicators, normalisation, tiers and totals on hand-computed examples, plus properties."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from mapper.config import IndicatorChoice, ScoreConfig, TierConfig
from mapper.errors import ConfigError
from mapper.score import assign_tiers, compute_indicators, normalise, score_areas, totals


def cfg(**kw):
    base = {"indicators": (IndicatorChoice("no_gigabit", 1.0), IndicatorChoice("below_uso", 1.0)),
                "normalisation": "minmax", "tiers": TierConfig("quantiles", 2), "min_premises": 10, "ranking": "rate"}
    base.update(kw)
    return ScoreConfig(**base)


FRAME = pd.DataFrame({
    "code": ["A", "B", "C", "D"],
    "cls": ["Urban", "Urban", "Rural", "Rural"],
    "premises": pd.array([100, 200, 50, 5], dtype="Int64"),
    "gigabit_n": pd.array([90, 100, 10, 5], dtype="Int64"),
    "below_uso_n": pd.array([0, 20, 10, 0], dtype="Int64"),
})


def test_shares_from_counts():
    out = compute_indicators(FRAME, ["no_gigabit", "below_uso"])
    assert list(out["no_gigabit_num"]) == [10, 100, 40, 0]
    assert list(out["no_gigabit_share"]) == [0.1, 0.5, 0.8, 0.0]
    assert list(out["below_uso_share"]) == [0.0, 0.1, 0.2, 0.0]
    assert "no_gigabit_share" not in FRAME  # input untouched


def test_missing_column_is_a_clear_config_error():
    with pytest.raises(ConfigError, match="indicator 'no_full_fibre' needs column.*full_fibre_n.*2019.csv"):
        compute_indicators(FRAME, ["no_full_fibre"], source_label="2019.csv")


@pytest.mark.parametrize("method, expected", [
    ("minmax", [0.0, 0.25, 1.0]),
    ("rank", [1 / 3, 2 / 3, 1.0]),
    ("zscore", [-0.9805807, -0.3922323, 1.3728129]),  # sd is the population sd, sqrt(26/9)
])
def test_normalisation_hand_computed(method, expected):
    out = normalise(pd.Series([1.0, 2.0, 5.0]), method)
    assert np.allclose(out, expected)


def test_constant_indicator_normalises_to_zero():
    for m in ("minmax", "zscore"):
        assert normalise(pd.Series([3.0, 3.0]), m).tolist() == [0.0, 0.0]


def test_score_rank_tier_and_insufficient_data():
    out = score_areas(FRAME, cfg(), class_col="cls").set_index("code")
    # D has 5 premises < min_premises 10: no score
    assert np.isnan(out.loc["D", "score"]) and out.loc["D", "tier"] == 0 and out.loc["D", "tier_label"] == "Insufficient data"
    # A: gig (0.1-0.1)/(0.8-0.1)=0, uso 0 -> 0 ; B: 0.4/0.7=0.5714, 0.5 -> 53.57 ; C: 1, 1 -> 100
    assert out.loc["A", "score"] == 0 and out.loc["C", "score"] == 100
    assert out.loc["B", "score"] == pytest.approx(100 * (0.4 / 0.7 + 0.5) / 2)
    assert list(out.loc[["C", "B", "A"], "rank"]) == [1, 2, 3]
    assert out.loc["C", "tier"] == 1 and out.loc["A", "tier"] == 2
    assert out.loc["A", "rank_in_class"] == 2 and out.loc["C", "rank_in_class"] == 1


def test_fixed_threshold_and_natural_breaks_tiers():
    s = pd.Series([5.0, 15.0, 35.0, 80.0, np.nan])
    fixed = assign_tiers(s, cfg(tiers=TierConfig("fixed", 3, (10.0, 50.0))))
    assert fixed.tolist() == [3, 2, 2, 1, 0]
    nb = assign_tiers(pd.Series([1.0, 2.0, 3.0, 50.0, 51.0, 52.0]), cfg(tiers=TierConfig("natural_breaks", 2)))
    assert nb.tolist() == [2, 2, 2, 1, 1, 1]
    q = assign_tiers(pd.Series([1.0, 2.0, 3.0, 4.0]), cfg(tiers=TierConfig("quantiles", 2)))
    assert q.tolist() == [2, 2, 1, 1]


def test_reverse_direction_flips():
    c = cfg(indicators=(IndicatorChoice("no_gigabit", 1.0, "reverse"),))
    out = score_areas(FRAME, c, class_col=None).set_index("code")
    assert out.loc["A", "score"] == 100 and out.loc["C", "score"] == 0


def test_totals_sum_counts_then_divide():
    ind = compute_indicators(FRAME, ["no_gigabit"])
    tot = totals(ind, ["premises", "no_gigabit_num", "no_gigabit_den"], by="cls", label="Midlands")
    mid = tot.set_index("area").loc["Midlands"]
    assert mid["no_gigabit_num"] == 150 and mid["no_gigabit_den"] == 355
    assert mid["no_gigabit_share"] == pytest.approx(150 / 355)
    assert mid["no_gigabit_share"] != pytest.approx(ind["no_gigabit_share"].mean())  # not an average of rates
    assert tot.set_index("area").loc["Rural", "no_gigabit_share"] == pytest.approx(40 / 55)


areas = st.lists(
    st.tuples(st.integers(10, 10_000), st.floats(0, 1), st.floats(0, 1)), min_size=3, max_size=25
)


def _frame(rows):
    prem = [p for p, _, _ in rows]
    return pd.DataFrame({
        "code": [f"E{i:03d}" for i in range(len(rows))],
        "premises": pd.array(prem, dtype="Int64"),
        "gigabit_n": pd.array([int(p * g) for p, g, _ in rows], dtype="Int64"),
        "below_uso_n": pd.array([int(p * u) for p, _, u in rows], dtype="Int64"),
    })


@settings(max_examples=60, deadline=None)
@given(areas, st.sampled_from(["minmax", "rank", "zscore"]))
# found by hypothesis: z-scores that cancel exactly, where summation-order noise split ties / became 0 vs 100
@example(rows=[(187, 0.0625, 0.0), (10, 0.25, 1.0), (10, 0.25, 1.0)], method="zscore")
@example(rows=[(27, 0.0625, 0.0), (10, 1.0, 0.0), (10, 1.0, 1.0)], method="zscore")
def test_property_shares_bounded_and_order_free(rows, method):
    frame = _frame(rows)
    c = cfg(normalisation=method)
    out = score_areas(frame, c, class_col=None)
    shares = out[["no_gigabit_share", "below_uso_share"]].to_numpy()
    assert ((shares >= 0) & (shares <= 1)).all()
    assert out["score"].between(0, 100).all()
    shuffled = score_areas(frame.iloc[::-1].reset_index(drop=True), c, class_col=None)
    a = out.set_index("code").sort_index()
    b = shuffled.set_index("code").sort_index()
    assert np.allclose(a["score"], b["score"]) and (a["rank"] == b["rank"]).all()


@settings(max_examples=60, deadline=None)
@given(areas, st.integers(0, 2), st.integers(1, 500))
def test_property_more_unserved_premises_never_lowers_score(rows, which, extra):
    frame = _frame(rows)
    c = cfg()
    before = score_areas(frame, c, class_col=None)["score"].iloc[which]
    worse = frame.copy()
    worse.loc[which, "premises"] += extra  # new premises without gigabit or decent broadband
    worse.loc[which, "below_uso_n"] += extra
    after = score_areas(worse, c, class_col=None)["score"].iloc[which]
    assert after >= before - 1e-9


def test_reference_frame_normalises_and_ranks_within_each_group():
    # Hand-made: two regions; within each, min-max runs over that region's areas only.
    f = pd.DataFrame({
        "code": ["A", "B", "C", "D"], "region": ["East", "East", "West", "West"],
        "premises": pd.array([100, 100, 100, 100], dtype="Int64"),
        "gigabit_n": pd.array([50, 90, 98, 99], dtype="Int64"),
        "below_uso_n": pd.array([0, 0, 0, 0], dtype="Int64"),
    })
    c = cfg(indicators=(IndicatorChoice("no_gigabit", 1.0),))
    whole = score_areas(f, c, class_col=None)
    framed = score_areas(f, c, class_col=None, frame_col="region")
    assert whole["rank"].tolist() == [1, 2, 3, 4]
    assert whole["score"].round(3).tolist() == [100.0, round(100 * 9 / 49, 3), round(100 * 1 / 49, 3), 0.0]
    # C (2% without gigabit) is the worst of the West, so it scores 100 and ranks 1 there
    assert framed["score"].tolist() == [100.0, 0.0, 100.0, 0.0]
    assert framed["rank"].tolist() == [1, 2, 1, 2]
    assert framed["frame_group"].tolist() == ["East", "East", "West", "West"]
    assert framed["ranked_in_frame"].tolist() == [2, 2, 2, 2]


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=2, max_size=80),
       st.integers(min_value=2, max_value=9))
@settings(max_examples=200, deadline=None)
def test_quantile_classes_equal_mapclassify(values, k):
    """The NumPy quantile classifier (tiers and legends) gives mapclassify.Quantiles' bounds and classes exactly."""
    import warnings

    import mapclassify

    from mapper.score.classify import classify, quantile_bounds

    y = np.asarray(values, dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ref = mapclassify.Quantiles(y, k=k)
    assert quantile_bounds(y, k).tolist() == np.asarray(ref.bins).tolist()
    assert classify(y, quantile_bounds(y, k)).tolist() == np.asarray(ref.yb).tolist()



@given(st.one_of(
    st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=2, max_size=60),
    st.lists(st.integers(min_value=0, max_value=6).map(float), min_size=2, max_size=60),  # many ties
    st.lists(st.floats(min_value=0, max_value=1, allow_nan=False).map(lambda v: round(v ** 4, 3)), min_size=2,
             max_size=60)),  # skewed, rounded like published shares
    st.integers(min_value=2, max_value=7))
@settings(max_examples=200, deadline=None)
def test_natural_breaks_equal_mapclassify(values, k):
    """Our NumPy Fisher-Jenks gives mapclassify.FisherJenks' breaks exactly (same float32 sums, same tie rule)."""
    import warnings

    import mapclassify

    from mapper.score.classify import natural_breaks_bounds

    y = np.asarray(values, dtype="float64")
    assume(len(np.unique(y)) >= k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # mapclassify warns that numba is not installed
        ref = mapclassify.FisherJenks(y, k=k)
    assert natural_breaks_bounds(y, k).tolist() == np.asarray(ref.bins).tolist()


def test_natural_breaks_refuses_fewer_distinct_values_than_classes():
    from mapper.score.classify import natural_breaks_bounds

    with pytest.raises(ValueError, match="Fewer unique values"):
        natural_breaks_bounds([1.0, 1.0, 2.0], 3)


def test_a_build_does_not_import_mapclassify_or_scipy():
    """Class breaks are computed in NumPy: importing and classifying pulls in neither (they cost ~2 s a build)."""
    import subprocess
    import sys

    code = ("import sys; import numpy as np; from mapper.score import classify; import mapper.pipeline; "
            "classify.bounds(np.arange(50.0) ** 3, 5, 'natural_breaks'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mapclassify', 'scipy', 'sklearn')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- issue 14: two questions (rate and count), a combined ranking, an honest range, honest tiers --------------

SCALE = pd.DataFrame({  # hand-made: a big city with a small share, and small rural districts with large shares
    "code": ["CITY", "R1", "R2", "R3"],
    "premises": pd.array([100_000, 2_000, 4_000, 1_000], dtype="Int64"),
    "gigabit_n": pd.array([95_000, 1_000, 3_600, 700], dtype="Int64"),   # without: 5,000 (5%), 1,000 (50%), 400 (10%), 300 (30%)
})


def test_rate_and_count_answer_different_questions_and_are_both_published():
    c = cfg(indicators=(IndicatorChoice("no_gigabit", 1.0),), tiers=TierConfig("quantiles", 2), ranking="combined")
    out = score_areas(SCALE, c, class_col=None).set_index("code")
    # deepest: R1 (50%) > R3 (30%) > R2 (10%) > CITY (5%)
    assert out["rank_rate"].to_dict() == {"CITY": 4, "R1": 1, "R2": 3, "R3": 2}
    # biggest: CITY holds 5,000 of the 6,700 premises without gigabit, R1 1,000, R2 400, R3 300
    assert out["rank_count"].to_dict() == {"CITY": 1, "R1": 2, "R2": 3, "R3": 4}
    assert out.loc["CITY", "score_count"] == pytest.approx(100 * 5000 / 6700)
    # combined: mean of the two percentile ranks (0.25 .. 1): CITY (0.25 + 1) / 2, R1 (1 + 0.75) / 2, R2 0.5, R3 0.5
    assert out["score"].round(6).to_dict() == {"CITY": 62.5, "R1": 87.5, "R2": 50.0, "R3": 50.0}
    assert out["rank"].to_dict() == {"CITY": 2, "R1": 1, "R2": 3, "R3": 3}
    assert {"tier_rate", "tier_count", "score_rate"} <= set(out.columns)


def test_each_ranking_can_be_the_headline():
    for ranking, top in (("rate", "R1"), ("count", "CITY"), ("combined", "R1")):
        c = cfg(indicators=(IndicatorChoice("no_gigabit", 1.0),), ranking=ranking)
        out = score_areas(SCALE, c, class_col=None).set_index("code")
        assert out["rank"].idxmin() == top, ranking


def test_range_floor_does_not_stretch_tiny_differences_to_the_full_scale():
    # below the USO: 0.1%, 0.2%, 0.6% of premises. Plain min-max makes 0.6% worth 100 points;
    # with a 5-point floor it is worth (0.006 - 0.001) / 0.05 = 10 points, 0.2% is 2 points.
    f = pd.DataFrame({"code": ["A", "B", "C"], "premises": pd.array([1000] * 3, dtype="Int64"),
                      "below_uso_n": pd.array([1, 2, 6], dtype="Int64")})
    plain = score_areas(f, cfg(indicators=(IndicatorChoice("below_uso", 1.0),)), class_col=None)
    floored = score_areas(f, cfg(indicators=(IndicatorChoice("below_uso", 1.0),), range_floor=0.05), class_col=None)
    assert plain["score"].round(6).tolist() == [0.0, 20.0, 100.0]
    assert floored["score"].round(6).tolist() == [0.0, 2.0, 10.0]
    assert floored["rank"].tolist() == plain["rank"].tolist()  # the order is the same, only the stretch differs


def test_tied_scores_keep_tier_1_for_the_top_class():
    # five areas, three distinct scores: quantile bounds merge, the top class must still be tier 1
    s = pd.Series([10.0, 10.0, 10.0, 50.0, 90.0])
    tiers = assign_tiers(s, cfg(tiers=TierConfig("quantiles", 5)))
    assert tiers.iloc[-1] == 1 and tiers.iloc[0] > tiers.iloc[-1]


def test_rank_class_column_is_the_class_ranked_within():
    out = score_areas(FRAME, cfg(), class_col="cls")
    assert out["rank_class"].tolist() == FRAME["cls"].tolist()
    for cls, part in out[out["score"].notna()].groupby("rank_class"):
        expected = part["score"].rank(ascending=False, method="min").astype(int).tolist()
        assert part["rank_in_class"].astype(int).tolist() == expected, cls
