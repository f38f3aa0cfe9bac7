"""Counts derived from Ofcom's companion files, per local authority (or constituency).

* **Non-residential premises** = all-premises file minus residential file, for every
  count measure, matched by area code. Residential must never exceed all premises:
  a violation is an error naming the area and the measure, never a negative count.
* **Mobile not-spots**: Ofcom publishes mobile coverage as % of premises and % of
  landmass. Premises counts are *derived estimates*: ``prem_count x share / 100``;
  landmass figures use ``pixel_count`` (Ofcom's landmass grid cells) as the weight.
* **Full-fibre take-up**: % of premises with full fibre that take a full-fibre
  service. Premises with full fibre but no take-up are a derived estimate,
  ``full_fibre_n x (1 - take-up / 100)``, weighted by premises with full fibre.

All functions return new frames and leave their inputs unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ValueProblem

COUNT_MEASURES = ("premises", "gigabit_n", "below_uso_n", "unable_30_n", "unable_10_n", "full_fibre_n", "sfbb_n")


def non_residential(all_df: pd.DataFrame, res_df: pd.DataFrame, *, all_file: str, res_file: str) -> pd.DataFrame:
    """``nonres_<measure>`` = all - residential for each shared count measure, by ``code``."""
    measures = [m for m in COUNT_MEASURES if m in all_df.columns and m in res_df.columns]
    a = all_df.set_index("code")[measures]
    r = res_df.set_index("code")[measures].reindex(a.index)
    missing = r.index[r["premises"].isna()].tolist()
    if missing:
        raise ValueProblem(f"{res_file}: no residential row for area(s) {missing[:5]} that {all_file} has; "
                           "use files of the same release")
    diff = a.astype("Float64") - r.astype("Float64")
    bad = diff < 0
    if bad.to_numpy().any():
        code, measure = next((c, m) for c in diff.index for m in measures if bool(bad.loc[c, m]))
        raise ValueProblem(
            f"{res_file}: residential {measure} for {code} ({int(r.loc[code, measure])}) exceeds all premises "
            f"({int(a.loc[code, measure])}) in {all_file}; the two files must be the same release"
        )
    out = diff.round().astype("Int64").add_prefix("nonres_").reset_index()
    return out


def mobile_counts(mobile: pd.DataFrame) -> pd.DataFrame:
    """Derived premises / landmass counts for the mobile not-spot indicators, by ``code``."""
    prem = mobile["prem_count"].astype("float64")
    land = mobile["pixel_count"].astype("float64")
    out = pd.DataFrame({"code": mobile["code"]})
    out["mobile_premises"] = mobile["prem_count"]
    out["mobile_land_cells"] = mobile["pixel_count"]
    out["no_indoor_4g_est"] = np.round(prem * mobile["4G_prem_in_0_pct"] / 100)
    out["not_all_4g_indoor_est"] = np.round(prem * (100 - mobile["4G_prem_in_4_pct"]) / 100)
    out["no_outdoor_4g_land_est"] = np.round(land * mobile["4G_geo_out_0_pct"] / 100)
    out["no_outdoor_5g_est"] = np.round(prem * mobile["5G_high_confidence_prem_out_0_pct"] / 100)
    return out


def takeup_counts(takeup: pd.DataFrame, coverage: pd.DataFrame) -> pd.DataFrame:
    """Premises with full fibre available but not taken up (derived), by ``code``."""
    merged = coverage[["code", "full_fibre_n"]].merge(takeup[["code", "ff_takeup_of_coverage_pct"]], on="code", how="inner")
    ff = merged["full_fibre_n"].astype("float64")
    out = pd.DataFrame({"code": merged["code"]})
    out["ff_takeup_pct"] = merged["ff_takeup_of_coverage_pct"]
    out["ff_not_taken_up_est"] = np.round(ff * (1 - merged["ff_takeup_of_coverage_pct"] / 100))
    return out
