"""Composite score, ranks and tiers within a reference frame.

Each indicator share is normalised within the frame, weighted and summed into a
0-100 score (100 = most need); areas are ranked and put into tiers overall and
within their rural/urban class. Functions take a frame and return a new one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import NORMALISATIONS, ScoreConfig
from ..errors import ConfigError
from .classify import bounds as class_bounds
from .classify import classify
from .indicators import Indicator, compute_indicators

INSUFFICIENT = "Insufficient data"


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of each column (ties share the average rank), as floats.

    >>> average_ranks(np.array([[10.0], [30.0], [20.0], [20.0]])).ravel().tolist()
    [1.0, 4.0, 2.5, 2.5]
    """
    out = np.empty(x.shape, dtype="float64")
    for j in range(x.shape[1]):
        _, inverse, counts = np.unique(x[:, j], return_inverse=True, return_counts=True)
        before = np.cumsum(counts) - counts
        out[:, j] = (before + (counts + 1) / 2.0)[inverse.ravel()]
    return out


def normalise_matrix(x: np.ndarray, method: str, floor: float = 0.0) -> np.ndarray:
    """Put every column of an (areas x indicators) array without missing values on a common scale.

    * ``minmax``: (x - min) / max(max - min, ``floor``): 0 for the lowest area, 1 for the highest
      unless the whole range is narrower than ``floor`` (then the highest gets range / floor < 1,
      so a spread of a few tenths of a percent is not blown up to the full scale); 0 when constant.
    * ``rank``: percentile rank in (0, 1], ties share the average rank.
    * ``zscore``: (x - mean) / standard deviation (population), 0 when constant.

    The one normalisation of the tool: the published score (:func:`normalise`) and every
    Monte Carlo draw of :mod:`mapper.score.stability` use it.

    >>> normalise_matrix(np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]]), "minmax").tolist()
    [[0.0, 0.0], [0.5, 0.0], [1.0, 0.0]]
    >>> normalise_matrix(np.array([[0.000], [0.001], [0.006]]), "minmax", floor=0.05).ravel().round(3).tolist()
    [0.0, 0.02, 0.12]
    """
    x = np.asarray(x, dtype="float64")
    if method == "minmax":
        lo, hi = x.min(axis=0), x.max(axis=0)
        span = np.maximum(hi - lo, floor)
        return np.where(hi > lo, (x - lo) / np.where(span > 0, span, 1.0), 0.0)
    if method == "rank":
        return average_ranks(x) / x.shape[0]
    if method == "zscore":
        sd = x.std(axis=0)
        return np.where(sd > 0, (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0), 0.0)
    raise ConfigError(f"unknown normalisation {method!r}; choose one of {', '.join(NORMALISATIONS)}")


def normalise(values: pd.Series, method: str, floor: float = 0.0) -> pd.Series:
    """:func:`normalise_matrix` of one indicator share (a new Series; NaN stays NaN, the rest is normalised).

    >>> normalise(pd.Series([1.0, 2.0, 3.0]), "minmax").tolist()
    [0.0, 0.5, 1.0]
    """
    x = values.astype("float64")
    out = pd.Series(np.nan, index=x.index)
    have = x.notna().to_numpy()
    if have.any():
        out[have] = normalise_matrix(x.to_numpy()[have][:, None], method, floor)[:, 0]
    return out


def _weights(cfg: ScoreConfig) -> np.ndarray:
    weights = np.array([c.weight for c in cfg.indicators], dtype=float)
    return weights / weights.sum()


def count_shares(frame: pd.DataFrame, cfg: ScoreConfig) -> np.ndarray:
    """(areas x indicators): each area's share of the frame's total count of each indicator's numerator.

    "Where is the gap biggest": an area holding 4% of the frame's premises without gigabit scores
    0.04 on that indicator, whatever its own size. For ``direction: reverse`` the count is the
    denominator minus the numerator. Unit-free, so counts of premises and of neighbourhoods mix.
    """
    cols = []
    for c in cfg.indicators:
        num = frame[f"{c.name}_num"].astype("float64").to_numpy()
        if c.direction == "reverse":
            num = frame[f"{c.name}_den"].astype("float64").to_numpy() - num
        total = num.sum()
        cols.append(num / total if total > 0 else np.zeros(len(num)))
    return np.column_stack(cols) if cols else np.zeros((len(frame), 0))


def rate_composite(frame: pd.DataFrame, cfg: ScoreConfig) -> pd.Series:
    """"Where is the gap deepest": weighted mean of normalised shares, 0-100 (100 = most need)."""
    weights = _weights(cfg)
    parts = []
    for choice in cfg.indicators:
        z = normalise(frame[f"{choice.name}_share"], cfg.normalisation,
                      cfg.range_floor if cfg.normalisation == "minmax" else 0.0)
        if choice.direction == "reverse":
            z = -z if cfg.normalisation == "zscore" else 1.0 - z
        parts.append(z.to_numpy())
    raw = np.column_stack(parts) @ weights if parts else np.zeros(len(frame))
    # Rounded to 12 decimals: the means and SDs above are sums whose last bits depend on row order,
    # and that noise must neither split a tie nor (rescaled below) turn equal areas into 0 and 100.
    raw = pd.Series(np.round(raw, 12), index=frame.index)
    if cfg.normalisation == "zscore":  # unbounded: rescale the composite to 0-100
        lo, hi = raw.min(), raw.max()
        raw = (raw - lo) / (hi - lo) if hi > lo else raw * 0.0
    return raw * 100.0


def count_composite(frame: pd.DataFrame, cfg: ScoreConfig) -> pd.Series:
    """"Where is the gap biggest": weighted mean of the area's shares of the frame's totals, in percent."""
    raw = count_shares(frame, cfg) @ _weights(cfg) if len(cfg.indicators) else np.zeros(len(frame))
    return pd.Series(np.round(raw, 12) * 100.0, index=frame.index)


def combined_score(rate: pd.Series, count: pd.Series) -> pd.Series:
    """Both questions at once: the mean of the area's percentile ranks on the rate and count scores (0-100)."""
    return ((rate.rank(method="average", pct=True) + count.rank(method="average", pct=True)) / 2.0 * 100.0).round(9)


def composite(frame: pd.DataFrame, cfg: ScoreConfig) -> pd.Series:
    """The headline score of ``cfg.ranking`` for one frame of areas (all must have every share)."""
    if cfg.ranking == "rate":
        return rate_composite(frame, cfg)
    if cfg.ranking == "count":
        return count_composite(frame, cfg)
    return combined_score(rate_composite(frame, cfg), count_composite(frame, cfg))


def assign_tiers(score: pd.Series, cfg: ScoreConfig) -> pd.Series:
    """Tier 1 (highest priority) .. k from the score; missing score -> 0 (insufficient)."""
    tiers = pd.Series(0, index=score.index, dtype="int64")
    valid = score.dropna()
    if valid.empty:
        return tiers
    k = cfg.tiers.k
    values = valid.to_numpy()
    if cfg.tiers.scheme == "fixed":
        bins = np.digitize(values, cfg.tiers.thresholds, right=False)  # 0 .. k-1, low to high
    else:
        k_eff = max(1, min(k, len(np.unique(values))))
        if k_eff == 1:
            bins, n_classes = np.zeros(len(values), dtype=int), 1
        else:
            bounds = class_bounds(values, k_eff, cfg.tiers.scheme)
            bins, n_classes = classify(values, bounds), len(bounds)
        # Ties can leave fewer classes than asked for: number them so the top class is always tier 1.
        bins = bins + (k - n_classes)
    tiers.loc[valid.index] = k - np.asarray(bins, dtype=int)
    return tiers


FRAME_LABELS = {"study_area": "the study area", "region": "its region", "group": "its county or combined authority",
                "all": "every area loaded"}




def _rank_and_tier(score: pd.Series, groups: pd.Series, cfg: ScoreConfig) -> tuple[pd.Series, pd.Series]:
    rank = score.groupby(groups).rank(ascending=False, method="min").astype("Int64")
    tiers = pd.Series(0, index=score.index, dtype="int64")
    for g in sorted(groups.unique()):
        idx = (groups == g) & score.notna()
        if idx.any():
            tiers.loc[idx] = assign_tiers(score.loc[idx], cfg)
    return rank, tiers


def score_areas(frame: pd.DataFrame, cfg: ScoreConfig, *, class_col: str | None, frame_col: str | None = None,
                source_label: str = "input", registry: dict[str, Indicator] | None = None) -> pd.DataFrame:
    """Indicators, scores, ranks and tiers, overall and within ``class_col``.

    Two questions, both always answered, each with a score, rank (1 = highest need) and tier
    (1 = highest priority, 0 = insufficient data):

    * ``score_rate`` / ``rank_rate`` / ``tier_rate``: where the gap is deepest (shares);
    * ``score_count`` / ``rank_count`` / ``tier_count``: where the gap is biggest (the area's
      share of the frame's total count of each indicator).

    ``score`` / ``rank`` / ``tier`` / ``tier_label`` are the headline ranking chosen by
    ``cfg.ranking`` (rate, count, or combined: the mean of the two percentile ranks), and
    ``rank_in_class`` / ``tier_in_class`` rank it within ``class_col`` (whose values are copied to
    ``rank_class``, so a table says which class an area was ranked in). Areas with fewer than
    ``cfg.min_premises`` premises, or a missing share, are "Insufficient data": no score, rank or tier.

    The reference frame: normalisation, ranks and tiers are computed separately within each
    value of ``frame_col`` (e.g. region), or across every row when it is None. An area's
    score therefore says how it compares with the other areas of its frame, never with
    areas outside it.
    """
    names = [c.name for c in cfg.indicators]
    out = compute_indicators(frame, names, source_label=source_label, registry=registry)
    shares = out[[f"{n}_share" for n in names]]
    premises = out["premises"].astype("float64") if "premises" in out else pd.Series(np.inf, index=out.index)
    sufficient = shares.notna().all(axis=1) & (premises.fillna(0) >= cfg.min_premises)
    groups = (out[frame_col].astype("string").fillna("(none)") if frame_col is not None
              else pd.Series("all", index=out.index, dtype="string"))
    out["frame_group"] = groups
    scores = {key: pd.Series(np.nan, index=out.index) for key in ("rate", "count", "combined")}
    for g in sorted(groups.unique()):
        idx = sufficient & (groups == g)
        if idx.any():
            part = out.loc[idx]
            scores["rate"].loc[idx] = rate_composite(part, cfg)
            scores["count"].loc[idx] = count_composite(part, cfg)
            scores["combined"].loc[idx] = combined_score(scores["rate"].loc[idx], scores["count"].loc[idx])
    for key in ("rate", "count"):
        out[f"score_{key}"] = scores[key]
        out[f"rank_{key}"], out[f"tier_{key}"] = _rank_and_tier(scores[key], groups, cfg)
    score = scores[cfg.ranking]
    out["score"] = score
    out["rank"], out["tier"] = _rank_and_tier(score, groups, cfg)
    out["tier_label"] = out["tier"].map(lambda t: f"Tier {t}" if t > 0 else INSUFFICIENT)
    out["ranked_in_frame"] = groups.map(score.groupby(groups).count()).astype("int64")
    if class_col is not None:
        out["rank_class"] = out[class_col]
        keys = [groups, out[class_col]]
        out["rank_in_class"] = score.groupby(keys).rank(ascending=False, method="min").astype("Int64")
        tiers = pd.Series(0, index=out.index, dtype="int64")
        for _, idx in out.groupby(keys).groups.items():
            tiers.loc[idx] = assign_tiers(score.loc[idx], cfg)
        out["tier_in_class"] = tiers
    return out
