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

Absolute floors (``diagnosis.floors``): a relative test alone gives absurd advice (an
urban district "top fifth for mobile not-spots" with 25 premises lacking indoor 4G).
So a sub-index counts as high, and a route flag is raised, only when the area also
has at least ``count`` premises (or neighbourhoods) in the gap **and** at least
``share`` of its premises in it. An area that passes the relative test but not the
floor is told so in its reason ("relatively high for the study area, but only 25
premises").

Route flags (each: top ``route_threshold`` percent of the frame AND its floor):
mobile not-spots (premises with no indoor 4G) in a rural area -> rural mobile route
(e.g. the Shared Rural Network, which targets rural not-spots); business premises
without gigabit -> business-premises support (vouchers, business connectivity); full
fibre widely available (no-full-fibre share below the frame median) but not taken up
-> adoption support. Ofcom publishes take-up of full fibre only, so premises "not
taking it up" may take gigabit cable or a copper service: this is adoption of the
full fibre already built, not a count of people offline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import DiagnosisConfig, IndicatorChoice
from ..formatting import count, percent
from .composite import INSUFFICIENT
from .indicators import INDICATORS, available_indicators, compute_indicators

LABELS = ("Both", "Infrastructure bid", "Digital-inclusion bid", "Neither")

#: Used when config.yaml has no ``diagnosis`` section.
DEFAULT_INFRASTRUCTURE = (
    IndicatorChoice("no_gigabit", 1.0), IndicatorChoice("below_uso", 1.0),
    IndicatorChoice("unable_30", 1.0), IndicatorChoice("nonres_no_gigabit", 0.5),
)
DEFAULT_INCLUSION = (
    IndicatorChoice("deprived_lsoas", 1.0), IndicatorChoice("education_deprived_lsoas", 1.0),
    IndicatorChoice("older_population", 0.5),
)

#: The indicator each floor is checked on (count of its numerator and its share), per part.
FLOOR_INDICATORS = {"infrastructure": ("no_gigabit",), "inclusion": ("deprived_lsoas", "deprived_population"),
                    "mobile": ("no_indoor_4g",), "business": ("nonres_no_gigabit",), "takeup": ("ff_low_takeup",)}
MOBILE_ROUTE = ("no_indoor_4g",)
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


def _lower(text: str) -> str:
    return text[0].lower() + text[1:]


def _figure(data: pd.DataFrame, i, name: str) -> str:
    """'premises without gigabit-capable broadband: 30,433 (40.1%)'."""
    share, num = data.at[i, f"{name}_share"], data.at[i, f"{name}_num"]
    label = _lower(INDICATORS[name].label)
    if pd.isna(share):
        return f"{label}: no data"
    return f"{label}: {count(num)} ({percent(share)})"


def floor_check(data: pd.DataFrame, part: str, floors: dict) -> tuple[np.ndarray, str | None]:
    """(areas meeting the absolute floor of ``part``, the indicator it was checked on or None if none is present)."""
    name = next((n for n in FLOOR_INDICATORS[part] if f"{n}_share" in data.columns), None)
    if name is None:
        return np.ones(len(data), dtype=bool), None
    min_count, min_share = floors.get(part, (0.0, 0.0))
    num = data[f"{name}_num"].astype("float64").to_numpy()
    share = data[f"{name}_share"].astype("float64").to_numpy()
    return (num >= min_count) & (share >= min_share), name


def _floor_text(data: pd.DataFrame, i, name: str, part: str, floors: dict, *, unit: str) -> str:
    """'but only 25 premises with no indoor 4G (0.04%): fewer than 250 and under 1%'."""
    min_count, min_share = floors[part]
    num, share = data.at[i, f"{name}_num"], data.at[i, f"{name}_share"]
    short = ([f"fewer than {count(min_count)}"] if num < min_count else []) + \
        ([f"under {percent(min_share, 0 if min_share * 100 >= 1 else 1)}"] if share < min_share else [])
    return f"but only {count(num)} {unit} ({percent(share, 2 if share < 0.001 else 1)}): {' and '.join(short)}"


def _is_rural(frame: pd.DataFrame) -> np.ndarray:
    """Areas classed rural: the RUC 2021 urban/rural flag, or a mySociety cluster naming rural."""
    for col in ("urban_rural", "cluster"):
        if col in frame.columns:
            text = frame[col].astype("string").str.casefold().fillna("")
            return text.str.contains("rural").to_numpy(dtype=bool)
    return np.ones(len(frame), dtype=bool)


def diagnose(frame: pd.DataFrame, dcfg: DiagnosisConfig, *, area_noun: str = "areas") -> pd.DataFrame:
    """A copy of ``frame`` with ``infra_need``, ``inclusion_need``, ``diagnosis``, ``routes`` and ``diagnosis_reason``.

    ``frame`` must carry ``frame_group`` (from :func:`mapper.score.score_areas`). A part is high only
    when its sub-index reaches ``dcfg.threshold`` and the area meets the part's absolute floor; a flag
    needs the route percentile and its floor (mobile also a rural area). ``area_noun`` words the reasons
    ("ranks above 96% of local authorities").
    """
    out = frame.copy()
    groups = out["frame_group"] if "frame_group" in out else pd.Series("all", index=out.index)
    infra_choices, incl_choices = chosen(dcfg)
    infra, infra_pct, infra_used = sub_index(out, infra_choices, groups)
    incl, incl_pct, incl_used = sub_index(out, incl_choices, groups)
    out["infra_need"] = infra.round(1)
    out["inclusion_need"] = incl.round(1)
    wanted = {*infra_used, *incl_used, *MOBILE_ROUTE, BUSINESS_ROUTE, TAKEUP_ROUTE, "no_full_fibre",
              *(n for names in FLOOR_INDICATORS.values() for n in names)}
    have = [n for n in available_indicators(out) if n in wanted]
    data = compute_indicators(out, have)
    floors = dcfg.floors
    t = dcfg.threshold
    infra_floor, infra_name = floor_check(data, "infrastructure", floors)
    incl_floor, incl_name = floor_check(data, "inclusion", floors)
    rel_infra, rel_incl = (infra >= t).to_numpy(), (incl >= t).to_numpy()
    hi_infra, hi_incl = rel_infra & infra_floor, rel_incl & incl_floor
    label = np.select([hi_infra & hi_incl, hi_infra, hi_incl], list(LABELS[:3]), default=LABELS[3])
    label = np.where(infra.isna() & incl.isna(), INSUFFICIENT, label)
    out["diagnosis"] = pd.array(label, dtype="string")

    route_pct = {n: _pct_rank(data[f"{n}_share"], groups)
                 for n in (*MOBILE_ROUTE, BUSINESS_ROUTE, TAKEUP_ROUTE, "no_full_fibre") if f"{n}_share" in data}

    def relative(name: str, op=np.greater_equal, cut=dcfg.route_threshold) -> np.ndarray:
        return op(route_pct[name].to_numpy(), cut) if name in route_pct else np.zeros(len(out), dtype=bool)

    rural = _is_rural(out)
    mobile_rel = relative(MOBILE_ROUTE[0])
    business_rel = relative(BUSINESS_ROUTE)
    takeup_rel = relative(TAKEUP_ROUTE) & relative("no_full_fibre", np.less, 50.0)  # widespread full fibre
    mobile_floor, _ = floor_check(data, "mobile", floors)
    business_floor, _ = floor_check(data, "business", floors)
    takeup_floor, _ = floor_check(data, "takeup", floors)

    # Everything per area is computed column-wise first; the loop below only writes the sentences.
    def top(pct: pd.DataFrame) -> list:
        has = pct.notna().any(axis=1)
        return pct.fillna(-1.0).idxmax(axis=1).where(has).tolist() if len(pct.columns) else [None] * len(out)

    parts = (("Infrastructure", infra.tolist(), top(infra_pct), rel_infra, infra_floor, infra_name, "infrastructure"),
             ("Inclusion", incl.tolist(), top(incl_pct), rel_incl, incl_floor, incl_name, "inclusion"))
    flags = ((MOBILE_ROUTE[0], mobile_rel, mobile_floor, "mobile", "rural mobile (e.g. Shared Rural Network)",
              "premises with no indoor 4G"),
             (BUSINESS_ROUTE, business_rel, business_floor, "business",
              "business premises (gigabit vouchers, business connectivity)", "business premises"),
             (TAKEUP_ROUTE, takeup_rel, takeup_floor, "takeup",
              "adoption support where full fibre is built (take-up of full fibre)", "premises"))
    routes, reasons = [], []
    for k, i in enumerate(out.index):
        r, why = [], []
        for part, values, drivers, rel, floor_ok, floor_name, key in parts:
            value = values[k]
            if pd.isna(value):
                why.append(f"{part}: no data")
                continue
            driver = f"; strongest: {_figure(data, i, drivers[k])}" if isinstance(drivers[k], str) else ""
            where = f"ranks above {value:.0f}% of {area_noun} on average"
            if rel[k] and floor_ok[k]:
                why.append(f"{part} need is high ({where}){driver}")
            elif rel[k]:
                unit = "premises" if key == "infrastructure" else INDICATORS[floor_name].unit
                why.append(f"{part} need is relatively high ({where}), "
                           + _floor_text(data, i, floor_name, key, floors, unit=_lower(unit)) + driver)
            else:
                why.append(f"{part} need is not high ({where}; high means {t:g}% or more){driver}")
        for name, rel, floor_ok, key, route, unit in flags:
            if not rel[k]:
                continue
            if key == "mobile" and not rural[k]:
                why.append("no mobile route: mobile not-spots are relatively common here, but the area is urban and the "
                           "Shared Rural Network targets rural not-spots")
            elif floor_ok[k]:
                r.append(route)
                why.append(f"route: {route}: {_figure(data, i, name)}")
            else:
                why.append(f"no {key} route: relatively high, " + _floor_text(data, i, name, key, floors, unit=unit))
        routes.append("; ".join(r))
        reasons.append("; ".join(why))
    out["routes"] = pd.array(routes, dtype="string")
    out["diagnosis_reason"] = pd.array(reasons, dtype="string")
    return out
