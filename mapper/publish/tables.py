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
    "la": ["code", "name", "region_code", "region_name", "ruc_code", "ruc_name", "urban_rural"],
    "pcon": ["code", "name", "region_name", "cluster", "highly_rural", "rural", "urban"],
    "lsoa": ["code", "name", "lad_code", "lad_name", "region_code", "region_name", "ruc_code", "ruc_name", "urban_rural"],
}
#: BDUK funding counts of the premises without gigabit (present when BDUK files were fetched; see mapper/join/lsoa.py).
BDUK_COLUMNS = [f"bduk_{c}" for c in ("premises_n", *BDUK_FUNDING)]
SCORE_COLUMNS = ["frame_group", "score", "rank", "tier", "tier_label", "rank_in_class", "tier_in_class",
                 "rank_median", "rank_p05", "rank_p95", "top_tier_share", "tier_agreement", "stability",
                 "infra_need", "inclusion_need", "diagnosis", "routes", "diagnosis_reason"]
#: Change-over-time counts, present when a previous release is configured (see mapper/score/change.py).
CHANGE_COLUMNS = ["change_from_release", "premises_change_n", "gigabit_gain_n", "below_uso_change_n", "unable_30_change_n"]


def table_frame(level, cfg) -> pd.DataFrame:
    """The published table for a level, as a DataFrame (no geometry)."""
    frame = pd.DataFrame(level.frame.drop(columns="geometry"))
    names = level.indicators
    cols = [c for c in ID_COLUMNS[level.key] if c in frame.columns] + ["premises", "population"]
    cols += [c for c in ("nonres_premises",) if c in frame.columns]
    for n in names:
        cols += [f"{n}_num", f"{n}_den", f"{n}_share"]
    cols += [c for c in SCORE_COLUMNS if c in frame.columns]
    cols += [c for c in CHANGE_COLUMNS if c in frame.columns]
    cols += [c for c in BDUK_COLUMNS if c in frame.columns]
    cols += sorted(c for c in frame.columns if c.endswith("_pct_unweighted_mean"))  # postcode rates: never summed
    out = frame[cols].copy()
    for c in out.columns:
        if c.endswith(("_num", "_den")) or c in ("premises", "population", "nonres_premises") or c in BDUK_COLUMNS:
            out[c] = out[c].astype("Float64").round().astype("Int64")
        elif c.endswith("_pct_unweighted_mean"):
            out[c] = out[c].astype("float64").round(2)
        elif c.endswith("_share"):
            out[c] = out[c].astype("float64").round(6)
        elif c == "score":
            out[c] = out[c].astype("float64").round(3)
        elif c in ("rank_median", "infra_need", "inclusion_need"):
            out[c] = out[c].astype("float64").round(1)
        elif c in ("top_tier_share", "tier_agreement"):
            out[c] = out[c].astype("float64").round(3)
    out.insert(2, "release", level.coverage.meta.get("release_date"))
    return out.sort_values(["rank", "code"], na_position="last").reset_index(drop=True)


def _csv(frame: pd.DataFrame) -> str:
    return csv_text(frame)


def level_table(level, cfg) -> str:
    return _csv(table_frame(level, cfg))


def totals_table(level, cfg) -> str:
    tot = level.totals.copy()
    keep = ["area"] + [c for c in tot.columns if c in ("premises", "population", "nonres_premises")
                       or c.endswith(("_num", "_den", "_share"))]
    tot = tot[keep]
    for c in tot.columns[1:]:
        if c.endswith("_share"):
            tot[c] = tot[c].astype("float64").round(6)
        else:
            tot[c] = tot[c].astype("Float64").round().astype("Int64")
    return _csv(tot)


def metadata_json(level, cfg, frames, stem: str) -> str:
    """Provenance sidecar: sources, release, licences, attribution, method and field list."""
    meta = {
        "title": f"{cfg.title}: {level.title}",
        "table": f"{stem}.csv",
        "tool_version": __version__,
        "config_sha256": cfg.sha256,
        "coverage_release": level.coverage.meta.get("release_date"),
        "coverage_file": level.coverage.meta.get("file"),
        "coverage_variant": level.coverage.meta.get("variant"),
        "attribution": level.attributions,
        "sources": [{k: r[k] for k in ("file", "title", "publisher", "release", "licence", "sha256")} for r in level.sources],
        "score": {
            "indicators": {c.name: {"weight": c.weight, "direction": c.direction} for c in cfg.score.indicators},
            "normalisation": cfg.score.normalisation,
            "frame": cfg.score.frame,
            "stability": {"draws": cfg.stability.draws, "seed": cfg.stability.seed,
                          "weight_spread": cfg.stability.weight_spread,
                          "normalisations": list(cfg.stability.normalisations), "stable_share": cfg.stability.stable_share},
            "diagnosis": {"threshold": cfg.diagnosis.threshold, "route_threshold": cfg.diagnosis.route_threshold},
            "tiers": {"scheme": cfg.score.tiers.scheme, "k": cfg.score.tiers.k},
            "min_premises": cfg.score.min_premises,
            "class_column": level.class_col,
        },
        "methodology": "methodology.md",
        "fields": {
            f"{n}_num / {n}_den / {n}_share": f"{INDICATORS[n].label}: {INDICATORS[n].formula} "
            f"(counts are {INDICATORS[n].unit}{'; the numerator is a DERIVED ESTIMATE from published percentages' if INDICATORS[n].derived else ''}; share 0-1)"
            for n in level.indicators
        },
    }
    return json.dumps(meta, indent=2, ensure_ascii=False) + "\n"
