"""Rank stability: how much an area's rank depends on choices in the method.

The published score uses one set of weights and one normalisation. Bid
assessors ask "how sure are you?", so this module re-scores every area many
times (Monte Carlo, seeded, default 1,000 draws). In each draw:

* every weight is multiplied by an independent factor drawn uniformly from
  ``[1 - spread, 1 + spread]`` (default ±25%), then the weights are rescaled to
  sum to 1 (zero weights stay zero);
* the normalisation is drawn at random from ``stability.normalisations``
  (min-max, percentile rank, z-score by default).

Per area we report the median rank, the 5th-95th percentile rank interval, the
share of draws that put it in the top tier, and the share of draws that agree
with its published tier. A draw's tiers hold the same number of areas as the
published tiers (tier 1 = that many areas from the top of the draw's ranking),
so "top-tier share" means the same for every tier scheme. An area is
**stable** when the draws agree with its published tier at least
``stable_share`` of the time (default 80%), otherwise **volatile**.

Everything is vectorised with NumPy: the normalised indicator matrix is built
once per normalisation, all draws are scored with one matrix product, and ranks
come from one ``argsort`` over the draws (ties are broken by area code order).
The same seed gives the same figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import ScoreConfig, StabilityConfig
from .composite import count_shares, normalise_matrix

COLUMNS = ("rank_median", "rank_p05", "rank_p95", "top_tier_share", "tier_agreement", "stability")


#: Cells (draws x areas) scored at once: bounds the memory of the draws (about 8 bytes a cell per array),
#: so 1,000 draws over 180,000 areas run in batches instead of one 1.4 GB score matrix.
BATCH_CELLS = 4_000_000


def _ranks_of(scores: np.ndarray) -> np.ndarray:
    """Ranks 1..n within each row of a (draws x areas) score array, highest score first (ties by area order)."""
    draws, n = scores.shape
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty((draws, n), dtype="int32")
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(1, n + 1, dtype="int32"), (draws, n)), axis=1)
    return ranks


def draw_ranks(shares: np.ndarray, weights: np.ndarray, reverse: np.ndarray, stab: StabilityConfig,
               rng: np.random.Generator, *, counts: np.ndarray | None = None, ranking: str = "rate",
               floor: float = 0.0, batch_cells: int = BATCH_CELLS) -> np.ndarray:
    """Ranks (1 = highest need) of every area in every draw: an (areas x draws) int32 array.

    ``ranking`` is the published question: ``rate`` scores the normalised ``shares`` (the
    normalisation drawn at random; ``floor`` as in the published min-max), ``count`` scores
    ``counts`` (each area's share of the frame's total of each indicator, see
    :func:`mapper.score.composite.count_shares`), ``combined`` ranks each draw on the mean of
    the area's percentile positions on both. The weights vary in every draw either way.

    Every random number is drawn first; the draws are then scored in batches of about
    ``batch_cells`` cells, so the result does not depend on the batch size and memory stays
    near the size of the returned rank array.
    """
    n, k = shares.shape
    draws = stab.draws
    factors = rng.uniform(1.0 - stab.weight_spread, 1.0 + stab.weight_spread, size=(draws, k))
    w = weights[None, :] * factors
    total = w.sum(axis=1, keepdims=True)
    w = w / np.where(total > 0, total, 1.0)
    method_of_draw = rng.integers(0, len(stab.normalisations), size=draws)
    z_of = []
    for method in stab.normalisations:
        z = normalise_matrix(shares, method, floor if method == "minmax" else 0.0)
        flip = 1.0 - z if method != "zscore" else -z
        z_of.append(np.where(reverse[None, :], flip, z))
    out = np.empty((n, draws), dtype="int32")
    step = max(1, batch_cells // max(n, 1))
    for start in range(0, draws, step):
        stop = min(draws, start + step)
        wb, mb = w[start:stop], method_of_draw[start:stop]
        rate = np.empty((stop - start, n), dtype="float64")
        for m, z in enumerate(z_of):
            sel = mb == m
            if sel.any():
                rate[sel] = wb[sel] @ z.T
        if ranking == "rate" or counts is None:
            ranks = _ranks_of(rate)
        else:
            count = wb @ counts.T
            if ranking == "count":
                ranks = _ranks_of(count)
            else:  # combined: higher = more need on both
                ranks = _ranks_of((n + 1 - _ranks_of(rate)).astype("float64") + (n + 1 - _ranks_of(count)))
        out[:, start:stop] = ranks.T
    return out


def summarise_ranks(ranks: np.ndarray, tiers: np.ndarray, k: int, stable_share: float,
                    chunk_cells: int = BATCH_CELLS) -> pd.DataFrame:
    """Per-area summary of an (areas x draws) rank array, given the published tiers (1..k); in row chunks."""
    counts = np.array([(tiers == t).sum() for t in range(1, k + 1)])
    bounds = np.cumsum(counts)
    n, draws = ranks.shape
    p05, p50, p95 = (np.empty(n) for _ in range(3))
    top, agreement = np.empty(n), np.empty(n)
    step = max(1, chunk_cells // max(draws, 1))
    for start in range(0, n, step):
        part = ranks[start:start + step]
        draw_tiers = np.searchsorted(bounds, part, side="left") + 1
        p05[start:start + step], p50[start:start + step], p95[start:start + step] = np.percentile(part, [5, 50, 95], axis=1)
        agreement[start:start + step] = (draw_tiers == tiers[start:start + step, None]).mean(axis=1)
        top[start:start + step] = (draw_tiers == 1).mean(axis=1)
    return pd.DataFrame({
        "rank_median": p50,
        "rank_p05": np.floor(p05).astype("int64"),
        "rank_p95": np.ceil(p95).astype("int64"),
        "top_tier_share": top,
        "tier_agreement": agreement,
        "stability": np.where(agreement >= stable_share, "stable", "volatile"),
    })


def rank_stability(scored: pd.DataFrame, score_cfg: ScoreConfig, stab: StabilityConfig) -> pd.DataFrame:
    """A copy of ``scored`` (output of :func:`mapper.score.score_areas`) with the stability columns.

    Draws run separately within each reference-frame group, like the published
    ranks. Areas without a score get missing values.
    """
    out = scored.copy()
    out["rank_median"] = np.nan
    out["rank_p05"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["rank_p95"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["top_tier_share"] = np.nan
    out["tier_agreement"] = np.nan
    out["stability"] = pd.array([pd.NA] * len(out), dtype="string")
    if stab.draws == 0:
        return out
    names = [c.name for c in score_cfg.indicators]
    weights = np.array([c.weight for c in score_cfg.indicators], dtype="float64")
    reverse = np.array([c.direction == "reverse" for c in score_cfg.indicators])
    groups = out["frame_group"] if "frame_group" in out else pd.Series("all", index=out.index)
    for gi, g in enumerate(sorted(groups.dropna().unique())):
        idx = out.index[(groups == g) & out["score"].notna()]
        if len(idx) == 0:
            continue
        if "code" in out:  # draws follow area-code order, so input row order never changes the figures
            idx = out.loc[idx].sort_values("code").index
        rng = np.random.default_rng([stab.seed, gi])
        shares = out.loc[idx, [f"{n}_share" for n in names]].to_numpy(dtype="float64")
        counts = count_shares(out.loc[idx], score_cfg)
        ranks = draw_ranks(shares, weights, reverse, stab, rng, counts=counts, ranking=score_cfg.ranking,
                           floor=score_cfg.range_floor)
        summary = summarise_ranks(ranks, out.loc[idx, "tier"].to_numpy(), score_cfg.tiers.k, stab.stable_share)
        summary.index = idx
        for col in COLUMNS:
            out.loc[idx, col] = summary[col].to_numpy()
    return out
