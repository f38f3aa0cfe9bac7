"""Tables and metadata written next to each map (CSV + JSON sidecar).

CSV layout: one row per area, sorted by rank then code; every indicator as
numerator count, denominator count and share (0-1); then score, rank and tier.
Numbers are written with fixed precision so reruns are byte-identical.
"""

from __future__ import annotations

import json

import pandas as pd

from .. import __version__
from .._io import csv_text
from ..join.lsoa import BDUK_FUNDING
from ..score import INDICATORS

ID_COLUMNS = {
    "la": ["code", "name", "region_code", "region_name", "group_code", "group_name", "ruc_code", "ruc_name",
           "urban_rural"],
    "pcon": ["code", "name", "region_code", "region_name", "group_name", "urban_rural"],
    "pcon10": ["code", "name", "region_name", "group_name", "cluster", "highly_rural", "rural", "urban"],
    "lsoa": ["code", "name", "lad_code", "lad_name", "region_code", "region_name", "ruc_code", "ruc_name", "urban_rural"],
}
#: BDUK funding counts of the premises without gigabit (present when BDUK files were fetched; see mapper/join/lsoa.py).
BDUK_COLUMNS = [f"bduk_{c}" for c in ("premises_n", *BDUK_FUNDING)]
#: The headline ranking (score.ranking), then both questions side by side: deepest gap (rate), biggest gap (count).
SCORE_COLUMNS = ["frame_group", "score", "rank", "tier", "tier_label", "rank_class", "rank_in_class", "tier_in_class",
                 "score_rate", "rank_rate", "tier_rate", "score_count", "rank_count", "tier_count",
                 "rank_median", "rank_p05", "rank_p95", "top_tier_share", "tier_agreement", "stability",
                 "infra_need", "inclusion_need", "diagnosis", "routes", "diagnosis_reason"]
#: Change-over-time counts, present when a previous release is configured (see mapper/score/change.py).
CHANGE_COLUMNS = ["change_from_release", "change_flags", "premises_change_n", "gigabit_gain_n", "below_uso_change_n",
                  "unable_30_change_n"]
COUNT_COLUMNS = ("premises", "population", "nonres_premises")
ESTIMATE = "_estimate"


def indicator_columns(name: str) -> dict[str, str]:
    """Published column names of one indicator: estimates say so in the name, with their rounding margin.

    >>> indicator_columns("no_gigabit")["num"], indicator_columns("no_indoor_4g")["num"]
    ('no_gigabit_num', 'no_indoor_4g_num_estimate')
    """
    ind = INDICATORS.get(name)
    est = ind is not None and ind.derived
    cols = {"num": f"{name}_num{ESTIMATE if est else ''}", "den": f"{name}_den",
            "share": f"{name}_share{ESTIMATE if est else ''}"}
    if est and ind.pct_step:
        cols["margin"] = f"{name}_num_rounding"
    return cols


def published_names(columns) -> dict[str, str]:
    """Canonical -> published column name for every estimated indicator's numerator and share in ``columns``.

    >>> published_names(["no_indoor_4g_num", "no_gigabit_num"])
    {'no_indoor_4g_num': 'no_indoor_4g_num_estimate'}
    """
    out = {}
    for c in columns:
        for part in ("num", "share"):
            name = str(c).removesuffix(f"_{part}")
            if name != c and name in INDICATORS:
                published = indicator_columns(name)[part]
                if published != c:
                    out[c] = published
    return out


def table_frame(level, cfg, *, estimate_names: bool = True) -> pd.DataFrame:
    """The published table for a level, as a DataFrame (no geometry).

    Estimated indicators (derived from Ofcom's rounded percentages) carry ``_estimate`` in
    their numerator and share column names, and ``<indicator>_num_rounding``: how far the
    count can be off from the rounding of the published percentage alone (+/-).
    ``estimate_names=False`` keeps the canonical ``<indicator>_num`` / ``_share`` names (for
    code that reads the figures; anything written out is renamed with :func:`published_names`).
    """
    frame = pd.DataFrame(level.frame.drop(columns="geometry"))
    rename: dict[str, str] = {}
    cols = [c for c in ID_COLUMNS.get(level.key, ["code", "name"]) if c in frame.columns]
    cols += [c for c in COUNT_COLUMNS if c in frame.columns]
    for n in level.indicators:
        names = indicator_columns(n)
        rename.update({f"{n}_num": names["num"], f"{n}_share": names["share"]})
        cols += [f"{n}_num", f"{n}_den", f"{n}_share"]
        if "margin" in names:
            frame[names["margin"]] = frame[f"{n}_den"].astype("float64") * INDICATORS[n].pct_step / 200.0
            cols.append(names["margin"])
        if f"england_rank_{n}" in frame.columns:
            cols.append(f"england_rank_{n}")
    cols += [c for c in SCORE_COLUMNS if c in frame.columns]
    cols += [c for c in CHANGE_COLUMNS if c in frame.columns]
    cols += [c for c in BDUK_COLUMNS if c in frame.columns]
    cols += sorted(c for c in frame.columns if c.endswith("_pct_unweighted_mean"))  # postcode rates: never summed
    out = frame[cols].copy()
    for c in out.columns:
        if c.endswith(("_num", "_den", "_rounding")) or c in COUNT_COLUMNS or c in BDUK_COLUMNS:
            out[c] = out[c].astype("Float64").round().astype("Int64")
        elif c.endswith("_pct_unweighted_mean"):
            out[c] = out[c].astype("float64").round(2)
        elif c.endswith("_share"):
            out[c] = out[c].astype("float64").round(6)
        elif c in ("score", "score_rate", "score_count"):
            out[c] = out[c].astype("float64").round(3)
        elif c in ("rank_median", "infra_need", "inclusion_need"):
            out[c] = out[c].astype("float64").round(1)
        elif c in ("top_tier_share", "tier_agreement"):
            out[c] = out[c].astype("float64").round(3)
    if estimate_names:
        out = out.rename(columns=rename)
    out.insert(2, "release", level.release)
    return out.sort_values(["rank", "code"], na_position="last").reset_index(drop=True)


def _csv(frame: pd.DataFrame) -> str:
    return csv_text(frame)


def level_table(level, cfg) -> str:
    return _csv(table_frame(level, cfg))


def totals_frame(level) -> pd.DataFrame:
    """Regions, the study area and (with national files) England and the UK: counts summed, shares recomputed.

    Every row names its ``scope`` (region, study area, benchmark), the ``level`` its counts were summed from
    and the data ``release``. Estimated indicators say so in their column names, as in the area table.
    """
    tot = level.totals.copy()
    tot.insert(1, "scope", ["region"] * (len(tot) - 1) + ["study area"])
    if getattr(level, "benchmarks", None) is not None:
        bench = level.benchmarks.copy()
        bench.insert(1, "scope", "benchmark")
        tot = pd.concat([tot, bench], ignore_index=True)
    rename = {}
    for n in level.indicators:
        names = indicator_columns(n)
        rename.update({f"{n}_num": names["num"], f"{n}_share": names["share"]})
    keep = ["area", "scope", "level", "release"] + [c for c in tot.columns if c in COUNT_COLUMNS
                                                    or c.endswith(("_num", "_den", "_share"))]
    tot = tot[[c for c in keep if c in tot.columns]]
    for c in tot.columns[4:]:
        if c.endswith("_share"):
            tot[c] = tot[c].astype("float64").round(6)
        else:
            tot[c] = tot[c].astype("Float64").round().astype("Int64")
    return tot.rename(columns=rename)


def totals_table(level, cfg) -> str:
    return _csv(totals_frame(level))


def metadata_json(level, cfg, frames, stem: str) -> str:
    """Provenance sidecar: sources, release, licences, attribution, method and field list."""
    meta = {
        "title": f"{cfg.title}: {level.title}",
        "table": f"{stem}.csv",
        "tool_version": __version__,
        "config_sha256": cfg.sha256,
        "level": level.title,
        "coverage_release": level.release,
        "older_than_other_levels": getattr(level, "older_note", None),
        "coverage_file": level.coverage.meta.get("file"),
        "coverage_variant": level.coverage.meta.get("variant"),
        "attribution": level.attributions,
        "sources": [{k: r[k] for k in ("file", "title", "publisher", "release", "licence", "sha256")} for r in level.sources],
        "score": {
            "indicators": {c.name: {"weight": c.weight, "direction": c.direction}
                           for c in (getattr(level, "score_indicators", None) or cfg.score.indicators)},
            "ranking": cfg.score.ranking,
            "normalisation": cfg.score.normalisation,
            "range_floor": cfg.score.range_floor,
            "frame": cfg.score.frame,
            "stability": {"draws": cfg.stability.draws, "seed": cfg.stability.seed,
                          "weight_spread": cfg.stability.weight_spread,
                          "normalisations": list(cfg.stability.normalisations), "stable_share": cfg.stability.stable_share},
            "diagnosis": {"threshold": cfg.diagnosis.threshold, "route_threshold": cfg.diagnosis.route_threshold,
                          "floors": {k: {"count": c, "share": sh} for k, (c, sh) in cfg.diagnosis.floors.items()}},
            "tiers": {"scheme": cfg.score.tiers.scheme, "k": cfg.score.tiers.k},
            "min_premises": cfg.score.min_premises,
            "class_column": level.class_col,
            "rank_in_class_ranks_within": level.class_label,
        },
        "methodology": "methodology.md",
        "fields": {
            " / ".join(indicator_columns(n).values()): f"{INDICATORS[n].label}: {INDICATORS[n].formula} "
            f"(counts are {INDICATORS[n].unit}"
            + ("; the numerator is an ESTIMATE from published percentages (columns marked _estimate"
               + ("; _num_rounding is its +/- margin from the percentage's rounding" if INDICATORS[n].pct_step else "")
               + ")" if INDICATORS[n].derived else "")
            + "; share 0-1)"
            for n in level.indicators
        },
    }
    return json.dumps(meta, indent=2, ensure_ascii=False) + "\n"
