"""Intervention diagnosis: what kind of help does an area need?

Two sub-indices, each 0-100 (100 = most need), computed within the same
reference frame as the score:

* **infrastructure need**: premises that cannot get a good connection
  (default: no gigabit, below the USO, unable to get 30 Mbit/s, non-residential
  premises without gigabit);
* **inclusion need**: people and places where connections exist but are less
  used (default: deprivation, education and skills deprivation, older
  population, premises with full fibre available but not taking it up).

Each sub-index is the weighted mean of the area's **percentile rank** (0-100)
on each of its indicators, over the indicators that have data for the area
(weights rescaled). Percentile ranks put shares with very different ranges on
one scale and make the threshold readable: 60 means "ranks above 60% of areas
on average".

Label rule (``diagnosis.threshold``, default 60):

=====================  ==========================
infrastructure >= T    inclusion >= T   label
=====================  ==========================
yes                    yes              Both
yes                    no               Infrastructure bid
no                     yes              Digital-inclusion bid
no                     no               Neither
=====================  ==========================

Route flags add the specific programme to the reason text when the area is in
the top ``route_threshold`` percent of its frame (default: top fifth):
mobile not-spots -> rural mobile route (e.g. the Shared Rural Network); a large
non-residential gigabit gap -> business-premises support (gigabit vouchers,
business connectivity); full fibre widely available (no-full-fibre share below
the frame median) but low take-up -> digital-inclusion support (skills,
affordability, awareness).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import DiagnosisConfig, IndicatorChoice
from ..formatting import percent
from .composite import INSUFFICIENT
from .indicators import INDICATORS, available_indicators, compute_indicators

LABELS = ("Both", "Infrastructure bid", "Digital-inclusion bid", "Neither")

#: Used when config.yaml has no ``diagnosis`` section.
DEFAULT_INFRASTRUCTURE = (
    IndicatorChoice("no_gigabit", 1.0), IndicatorChoice("below_uso", 1.0),
    IndicatorChoice("unable_30", 1.0), IndicatorChoice("nonres_no_gigabit", 0.5),
)
DEFAULT_INCLUSION = (
    IndicatorChoice("deprived_population", 1.0), IndicatorChoice("education_deprived", 1.0),
    IndicatorChoice("older_population", 0.5), IndicatorChoice("ff_low_takeup", 1.0),
)

MOBILE_ROUTE = ("no_outdoor_4g_land", "no_indoor_4g")
BUSINESS_ROUTE = "nonres_no_gigabit"
TAKEUP_ROUTE = "ff_low_takeup"


def chosen(dcfg: DiagnosisConfig) -> tuple[tuple[IndicatorChoice, ...], tuple[IndicatorChoice, ...]]:
    return dcfg.infrastructure or DEFAULT_INFRASTRUCTURE, dcfg.inclusion or DEFAULT_INCLUSION


def _pct_rank(values: pd.Series, groups: pd.Series) -> pd.Series:
    """Percentile rank 0-100 within each group (ties share the average); missing stays missing."""
    return values.astype("float64").groupby(groups).rank(method="average", pct=True) * 100.0


def sub_index(frame: pd.DataFrame, choices, groups: pd.Series) -> tuple[pd.Series, pd.DataFrame, list[str]]:
    """(sub-index 0-100, per-indicator percentile ranks, indicators used) for the indicators the frame has."""
    avail = set(available_indicators(frame))
    used = [c for c in choices if c.weight > 0 and c.name in avail]
    pct = pd.DataFrame(index=frame.index)
    if not used:
        return pd.Series(np.nan, index=frame.index), pct, []
    data = compute_indicators(frame, [c.name for c in used])
    for c in used:
        pct[c.name] = _pct_rank(data[f"{c.name}_share"], groups)
    w = np.array([c.weight for c in used])
    have = pct.notna().to_numpy()
    weights = np.where(have, w[None, :], 0.0)
    total = weights.sum(axis=1)
    vals = np.nansum(pct.to_numpy() * weights, axis=1) / np.where(total > 0, total, 1.0)
    return pd.Series(np.where(total > 0, vals, np.nan), index=frame.index), pct, [c.name for c in used]


def _share_text(shares: dict[str, pd.Series], i, name: str) -> str:
    share = shares[name][i]
    label = INDICATORS[name].label[0].lower() + INDICATORS[name].label[1:]
    return f"{label} {percent(share)}" if pd.notna(share) else f"{label} (no data)"


def diagnose(frame: pd.DataFrame, dcfg: DiagnosisConfig) -> pd.DataFrame:
    """A copy of ``frame`` with ``infra_need``, ``inclusion_need``, ``diagnosis``, ``routes`` and ``diagnosis_reason``.

    ``frame`` must carry ``frame_group`` (from :func:`mapper.score.score_areas`).
    """
    out = frame.copy()
    groups = out["frame_group"] if "frame_group" in out else pd.Series("all", index=out.index)
    infra_choices, incl_choices = chosen(dcfg)
    infra, infra_pct, infra_used = sub_index(out, infra_choices, groups)
    incl, incl_pct, incl_used = sub_index(out, incl_choices, groups)
    out["infra_need"] = infra.round(1)
    out["inclusion_need"] = incl.round(1)
    t = dcfg.threshold
    hi_infra, hi_incl = infra >= t, incl >= t
    label = np.select([hi_infra & hi_incl, hi_infra, hi_incl], list(LABELS[:3]), default=LABELS[3])
    label = np.where(infra.isna() & incl.isna(), INSUFFICIENT, label)
    out["diagnosis"] = pd.array(label, dtype="string")

    wanted = {*infra_used, *incl_used, *MOBILE_ROUTE, BUSINESS_ROUTE, TAKEUP_ROUTE, "no_full_fibre"}
    have = [n for n in available_indicators(out) if n in wanted]
    data = compute_indicators(out, have)
    shares = {n: data[f"{n}_share"] for n in have}
    route_pct = {n: _pct_rank(shares[n], groups)
                 for n in (*MOBILE_ROUTE, BUSINESS_ROUTE, TAKEUP_ROUTE, "no_full_fibre") if n in shares}
    # Everything per area is computed column-wise first; the loop below only writes the sentences.
    def top(pct: pd.DataFrame) -> list:
        has = pct.notna().any(axis=1)
        return pct.fillna(-1.0).idxmax(axis=1).where(has).tolist() if len(pct.columns) else [None] * len(out)

    def flag(name: str, op=np.greater_equal, cut=dcfg.route_threshold) -> np.ndarray:
        return op(route_pct[name].to_numpy(), cut) if name in route_pct else np.zeros(len(out), dtype=bool)

    mobile = [flag(n) for n in MOBILE_ROUTE]
    business = flag(BUSINESS_ROUTE)
    takeup = flag(TAKEUP_ROUTE) & flag("no_full_fibre", np.less, 50.0)  # low take-up where full fibre is widespread
    parts = (("infrastructure", infra.tolist(), top(infra_pct)), ("inclusion", incl.tolist(), top(incl_pct)))
    routes, reasons = [], []
    for k, i in enumerate(out.index):
        r, why = [], []
        for part, values, drivers in parts:
            value = values[k]
            if pd.isna(value):
                why.append(f"{part} need: no data")
                continue
            driver = f" (strongest: {_share_text(shares, i, drivers[k])})" if isinstance(drivers[k], str) else ""
            why.append(f"{part} need {value:.0f} {'>=' if value >= t else '<'} {t:g}{driver}")
        mob = [n for n, hit in zip(MOBILE_ROUTE, mobile) if hit[k]]
        if mob:
            r.append("rural mobile (e.g. Shared Rural Network)")
            why.append(f"mobile not-spots: {_share_text(shares, i, mob[0])}")
        if business[k]:
            r.append("business premises (gigabit vouchers, business connectivity)")
            why.append(f"business gap: {_share_text(shares, i, BUSINESS_ROUTE)}")
        if takeup[k]:
            r.append("digital inclusion where full fibre is available (skills, affordability, awareness)")
            why.append(f"low take-up: {_share_text(shares, i, TAKEUP_ROUTE)}")
        routes.append("; ".join(r))
        reasons.append("; ".join(why))
    out["routes"] = pd.array(routes, dtype="string")
    out["diagnosis_reason"] = pd.array(reasons, dtype="string")
    return out
