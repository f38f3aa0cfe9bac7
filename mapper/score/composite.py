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
from .classify import bounds as class_bounds, classify
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


def normalise_matrix(x: np.ndarray, method: str) -> np.ndarray:
    """Put every column of an (areas x indicators) array without missing values on a common scale.

    * ``minmax``: (x - min) / (max - min), 0 when all values are equal.
    * ``rank``: percentile rank in (0, 1], ties share the average rank.
    * ``zscore``: (x - mean) / standard deviation (population), 0 when constant.

    The one normalisation of the tool: the published score (:func:`normalise`) and every
    Monte Carlo draw of :mod:`mapper.score.stability` use it.

    >>> normalise_matrix(np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]]), "minmax").tolist()
    [[0.0, 0.0], [0.5, 0.0], [1.0, 0.0]]
    """
    x = np.asarray(x, dtype="float64")
    if method == "minmax":
        lo, hi = x.min(axis=0), x.max(axis=0)
        span = np.where(hi > lo, hi - lo, 1.0)
        return np.where(hi > lo, (x - lo) / span, 0.0)
    if method == "rank":
        return average_ranks(x) / x.shape[0]
    if method == "zscore":
        sd = x.std(axis=0)
        return np.where(sd > 0, (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0), 0.0)
    raise ConfigError(f"unknown normalisation {method!r}; choose one of {', '.join(NORMALISATIONS)}")


def normalise(values: pd.Series, method: str) -> pd.Series:
    """:func:`normalise_matrix` of one indicator share (a new Series; NaN stays NaN, the rest is normalised).

    >>> normalise(pd.Series([1.0, 2.0, 3.0]), "minmax").tolist()
    [0.0, 0.5, 1.0]
    """
    x = values.astype("float64")
    out = pd.Series(np.nan, index=x.index)
    have = x.notna().to_numpy()
    if have.any():
        out[have] = normalise_matrix(x.to_numpy()[have][:, None], method)[:, 0]
    return out


def composite(frame: pd.DataFrame, cfg: ScoreConfig) -> pd.Series:
    """Weighted mean of normalised indicator shares, on a 0-100 scale (100 = most need)."""
    weights = np.array([c.weight for c in cfg.indicators], dtype=float)
    weights = weights / weights.sum()
    parts = []
    for choice in cfg.indicators:
        z = normalise(frame[f"{choice.name}_share"], cfg.normalisation)
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
            bins = np.zeros(len(values), dtype=int)
        else:
            bins = classify(values, class_bounds(values, k_eff, cfg.tiers.scheme))
        bins = bins + (k - k_eff)  # keep tier 1 for the top class when k is reduced
    tiers.loc[valid.index] = k - np.asarray(bins, dtype=int)
    return tiers


FRAME_LABELS = {"study_area": "the study area", "region": "its region", "group": "its county or combined authority",
                "all": "every area loaded"}


def score_areas(frame: pd.DataFrame, cfg: ScoreConfig, *, class_col: str | None, frame_col: str | None = None,
                source_label: str = "input", registry: dict[str, Indicator] | None = None) -> pd.DataFrame:
    """Indicators, score, rank and tier, overall and within ``class_col``.

    Returns a new frame with ``score`` (0-100), ``rank`` (1 = highest need),
    ``tier`` (1 = highest priority, 0 = insufficient data), ``tier_label``,
    ``frame_group`` and, when ``class_col`` is given, ``rank_in_class`` and
    ``tier_in_class``. Areas with fewer than ``cfg.min_premises`` premises, or
    a missing share, are "Insufficient data": no score, rank or tier.

    The reference frame: normalisation, ranks and tiers are computed separately
    within each value of ``frame_col`` (e.g. region), or across every row when
    it is None. An area's score therefore says how it compares with the other
    areas of its frame, never with areas outside it.
    """
    names = [c.name for c in cfg.indicators]
    out = compute_indicators(frame, names, source_label=source_label, registry=registry)
    shares = out[[f"{n}_share" for n in names]]
    premises = out["premises"].astype("float64") if "premises" in out else pd.Series(np.inf, index=out.index)
    sufficient = shares.notna().all(axis=1) & (premises.fillna(0) >= cfg.min_premises)
    groups = (out[frame_col].astype("string").fillna("(none)") if frame_col is not None
              else pd.Series("all", index=out.index, dtype="string"))
    out["frame_group"] = groups
    score = pd.Series(np.nan, index=out.index)
    tiers = pd.Series(0, index=out.index, dtype="int64")
    for g in sorted(groups.unique()):
        idx = sufficient & (groups == g)
        if idx.any():
            score.loc[idx] = composite(out.loc[idx], cfg)
            tiers.loc[idx] = assign_tiers(score.loc[idx], cfg)
    out["score"] = score
    out["rank"] = score.groupby(groups).rank(ascending=False, method="min").astype("Int64")
    out["tier"] = tiers
    out["tier_label"] = out["tier"].map(lambda t: f"Tier {t}" if t > 0 else INSUFFICIENT)
    out["ranked_in_frame"] = groups.map(score.groupby(groups).count()).astype("int64")
    if class_col is not None:
        keys = [groups, out[class_col]]
        out["rank_in_class"] = score.groupby(keys).rank(ascending=False, method="min").astype("Int64")
        tiers = pd.Series(0, index=out.index, dtype="int64")
        for _, idx in out.groupby(keys).groups.items():
            tiers.loc[idx] = assign_tiers(score.loc[idx], cfg)
        out["tier_in_class"] = tiers
    return out


