"""People counts on LSOA 2021: the IMD 2019 bridge from LSOA 2011, and sums to larger areas.

IMD 2019 is published on 2011 LSOAs; :func:`lsoa21_deprivation` brings it to 2021
LSOAs through the ONS lookup. :func:`deprivation_counts` turns it into people
counts (extensive), :func:`aggregate_people` sums them to local authorities or
constituencies, and :func:`lsoa_points_in_areas` best-fits LSOAs to areas that
have no official lookup. Every join is recorded in the :class:`~.audit.Audit`.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd

from .audit import Audit, JoinReport, audited_merge

#: Number of LSOAs (2011) in England, the base of the IMD 2019 ranks and deciles.
IMD_LSOA_COUNT = 32_844
#: Households in IMD deciles up to this one count as "deprived" (most deprived 20% nationally).
DEPRIVED_DECILE_MAX = 2


def lsoa21_deprivation(
    lsoa21: pd.DataFrame,
    lsoa11_lsoa21: pd.DataFrame,
    imd: pd.DataFrame,
    domains: pd.DataFrame,
    population: pd.DataFrame,
    *,
    audit: Audit,
    max_unmatched: int = 0,
) -> pd.DataFrame:
    """Bring IMD 2019 (published on LSOA 2011) onto LSOA 2021.

    Through the ONS LSOA11->LSOA21 lookup (``CHGIND``):

    * **U** unchanged: the LSOA21 takes its LSOA11's values.
    * **S** split (one LSOA11 -> several LSOA21): each child takes the parent's
      rank and decile; the parent's population is shared equally between its
      children (an estimate, flagged ``population_estimated``).
    * **M** merged (several LSOA11 -> one LSOA21): population is the sum of the
      parents; the rank is the population-weighted mean of the parents' ranks,
      and the decile is recomputed from that rank on the national scale of
      32,844 LSOAs.

    Returns one row per LSOA21 code in ``lsoa21`` with ``imd_rank``,
    ``imd_decile``, ``education_rank``, ``education_decile``, ``population``,
    ``population_60_plus``, ``imd_change`` (U/S/M) and ``population_estimated``.
    """
    look = lsoa11_lsoa21.copy()
    look["children"] = look.groupby("lsoa11_code")["lsoa21_code"].transform("nunique")
    look = look[look["lsoa21_code"].isin(set(lsoa21["lsoa21_code"]))]
    parents = imd.merge(domains, on="lsoa11_code", how="outer").merge(population, on="lsoa11_code", how="outer")
    joined = audited_merge(
        look, parents, left_on="lsoa11_code", right_on="lsoa11_code", name="lsoa11_lookup -> imd2019",
        left_label="LSOA11 codes in the LSOA11->LSOA21 lookup (Midlands LSOA21s)", right_label="IMD 2019 LSOA11 rows",
        audit=audit, required="left", max_unmatched=max_unmatched,
        note="IMD 2019 rows whose LSOA11 has no Midlands LSOA21 are not used",
    )
    joined["pop_share"] = joined["population"] / joined["children"]
    joined["pop60_share"] = joined["population_60_plus"] / joined["children"]

    # Vectorised per-LSOA21 aggregation (one pass of groupby sums, no Python loop).
    joined = joined.sort_values(["lsoa21_code", "lsoa11_code"], kind="stable")
    g = joined.groupby("lsoa21_code", sort=True)
    n_parents = g.size()
    w = joined["pop_share"].astype("float64")
    sum_w = w.groupby(joined["lsoa21_code"]).sum()

    def merged_rank(col: str) -> pd.Series:
        v = joined[col].astype("float64")
        weighted = (v * w).groupby(joined["lsoa21_code"]).sum() / sum_w.where(sum_w > 0)
        return weighted.fillna(v.groupby(joined["lsoa21_code"]).mean())

    first = g.first()
    single = n_parents == 1
    to_decile = np.vectorize(rank_to_decile, otypes=[float])
    imd_rank = first["imd_rank"].astype("float64").where(single, merged_rank("imd_rank"))
    edu_rank = first["education_rank"].astype("float64").where(single, merged_rank("education_rank"))
    split = (joined["change"] == "S").groupby(joined["lsoa21_code"]).any() | (first["children"] > 1)
    dep = pd.DataFrame({
        "lsoa21_code": n_parents.index,
        "imd_rank": imd_rank.to_numpy(),
        "imd_decile": np.where(single, first["imd_decile"].astype("float64"), to_decile(imd_rank.to_numpy())),
        "education_rank": edu_rank.to_numpy(),
        "education_decile": np.where(single, first["education_decile"].astype("float64"), to_decile(edu_rank.to_numpy())),
        "population": g["pop_share"].sum().astype("float64").to_numpy(),
        "population_60_plus": g["pop60_share"].sum().astype("float64").to_numpy(),
        "imd_change": np.where(~single, "M", np.where(split, "S", "U")),
        "population_estimated": (joined["children"] > 1).groupby(joined["lsoa21_code"]).any().to_numpy(),
    })
    out = audited_merge(
        lsoa21, dep, left_on="lsoa21_code", right_on="lsoa21_code", name="lsoa21 -> imd2019 (via lookup)",
        left_label="Midlands LSOA21s", right_label="LSOA21s with IMD 2019 via the lookup", audit=audit,
        required="left", max_unmatched=max_unmatched,
    )
    counts = out["imd_change"].value_counts().to_dict()
    audit.notes.append(
        "IMD 2019 on LSOA21: "
        + ", ".join(f"{k}={int(counts.get(k, 0))}" for k in ("U", "S", "M"))
        + " (U unchanged, S split: parent's rank, population shared equally; M merged: population-weighted rank)"
    )
    return out


def rank_to_decile(rank: float) -> float:
    """National IMD decile (1 = most deprived 10%) of an IMD 2019 rank."""
    return float(min(10, max(1, math.ceil(rank * 10 / IMD_LSOA_COUNT))))


def deprivation_counts(lsoa: pd.DataFrame) -> pd.DataFrame:
    """Per-LSOA people counts used as need indicators (extensive: sum them)."""
    out = pd.DataFrame({"lsoa21_code": lsoa["lsoa21_code"]})
    out["population"] = lsoa["population"]
    out["population_60_plus"] = lsoa["population_60_plus"]
    out["deprived_population"] = lsoa["population"].where(lsoa["imd_decile"] <= DEPRIVED_DECILE_MAX, 0.0)
    out["education_deprived_population"] = lsoa["population"].where(lsoa["education_decile"] <= DEPRIVED_DECILE_MAX, 0.0)
    return out


PEOPLE_COUNTS = ("population", "population_60_plus", "deprived_population", "education_deprived_population")


def aggregate_people(lsoa_people: pd.DataFrame, lsoa_to_area: pd.DataFrame, area_col: str) -> pd.DataFrame:
    """Sum people counts from LSOA21 to a larger area (``lsoa_to_area`` maps ``lsoa21_code`` -> ``area_col``)."""
    merged = lsoa_people.merge(lsoa_to_area[["lsoa21_code", area_col]], on="lsoa21_code", how="inner")
    summed = merged.groupby(area_col, sort=True)[list(PEOPLE_COUNTS)].sum()
    summed[list(PEOPLE_COUNTS)] = summed[list(PEOPLE_COUNTS)].round()
    summed["lsoa_count"] = merged.groupby(area_col, sort=True).size()
    return summed.reset_index()


def lsoa_points_in_areas(lsoa_geo: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, audit: Audit, label: str) -> pd.DataFrame:
    """Best-fit each LSOA21 to the area containing its representative point.

    Used to bring LSOA-level people counts to constituencies (the 2010-2024
    constituencies have no official LSOA21 best-fit lookup in the repo). LSOAs
    whose point falls outside every area are reported in the audit.
    """
    pts = gpd.GeoDataFrame(
        {"lsoa21_code": lsoa_geo["code"].to_numpy()},
        geometry=lsoa_geo.to_crs(27700).representative_point().to_crs(4326).to_numpy(),
        crs=4326,
    )
    joined = gpd.sjoin(pts, areas[["code", "geometry"]], how="left", predicate="within")
    joined = joined.sort_values(["lsoa21_code", "code"]).drop_duplicates("lsoa21_code")
    out = pd.DataFrame({"lsoa21_code": joined["lsoa21_code"].to_numpy(), "area_code": joined["code"].to_numpy()})
    unmatched = sorted(out.loc[out["area_code"].isna(), "lsoa21_code"])
    audit.joins.append(JoinReport(
        name=f"lsoa21 points -> {label}", left="LSOA21 representative points", right=f"{label} polygons",
        left_keys=len(out), right_keys=len(areas), matched=len(out) - len(unmatched),
        unmatched_left=unmatched, unmatched_right=sorted(set(areas["code"]) - set(out["area_code"].dropna())),
        required="none",
        note="best fit by representative point; unmatched LSOAs lie outside the Midlands constituency set",
    ))
    return out.dropna(subset=["area_code"])
