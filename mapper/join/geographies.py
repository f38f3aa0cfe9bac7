"""Load and join each geography of a build: one frame per level, every join audited.

* :func:`study_lads`: the local authorities of the study area's regions (a region
  with none stops the run with one line).
* :func:`lsoa_base`: LSOA 2021 with its LAD, rural-urban class and deprivation
  (IoD 2025 directly; IoD 2019 through the LSOA11->LSOA21 bridge), when configured.
* :func:`lsoa_counts`: the per-LSOA counts (extensive) that need indicators sum:
  people (IoD 2019, mid-2015) and neighbourhoods (IoD 2025).
* :func:`la_frame`, :func:`pcon_frame` (2024 seats), :func:`pcon10_frame`
  (2010-2024 seats): boundaries + coverage + companions + region + class + counts.

Every function returns new frames; the :class:`~mapper.join.audit.Audit` records
each join (matched and unmatched keys) and each thing left out on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ..config import Config
from ..errors import ConfigError, MapperError
from ..load.geo import read_boundaries
from ..load.geography import require_same_constituency_set
from ..load.ofcom import OfcomTable, load_ofcom
from ..load.tables import read_table
from ..load.tables import study_lads as _lookup_lads
from .audit import Audit, audited_merge, resolve_codes_by_name
from .companion_counts import mobile_counts, non_residential, takeup_counts
from .deprivation import DEPRIVED_DECILE_MAX, lsoa21_deprivation, lsoa_points_in_areas

#: The seat class when most of its (mid-2015) population lives in LSOAs that RUC 2021 flags Rural.
RURAL_MAJORITY = 0.5


@dataclass
class Joined:
    """One geography, joined and ready to score."""

    frame: gpd.GeoDataFrame
    table: OfcomTable              # the coverage file as loaded (its metadata describes the release)
    coverage: pd.DataFrame         # the coverage file's study-area rows (for the reconciliation)
    input_keys: tuple[str, ...]    # the config inputs this level was built from


# --- study area -----------------------------------------------------------------------------------

def study_lads(cfg: Config) -> pd.DataFrame:
    """The LAD -> region lookup rows of the study area's regions.

    A region with no local authority in the lookup (a typo, or the Midlands files with another region's
    code) stops the run here with one line, not later with an empty table.
    """
    lads = _lookup_lads(cfg.inputs["lad_region_lookup"], cfg.regions)
    missing = [r for r in cfg.regions if r not in set(lads["region_code"])]
    if missing:
        present = sorted(set(read_table(cfg.inputs["lad_region_lookup"], "lad_region", key="lad_code")["region_code"]))
        raise ConfigError(
            f"no local authority of region(s) {', '.join(missing)} is in {cfg.inputs['lad_region_lookup']} "
            f"(it has {', '.join(present) or 'none'}); fix regions in config.yaml or point "
            "inputs.lad_region_lookup at a lookup that covers them"
        )
    return lads


def coverage_in_area(table: OfcomTable, wanted: set[str], *, label: str, audit: Audit) -> pd.DataFrame:
    """Keep only the study area's rows of a (possibly national) coverage file, and say so."""
    data = table.data
    keep = data["code"].isin(wanted)
    audit.notes.append(
        f"{label} ({table.meta['file']}): kept {int(keep.sum())} of {len(data)} rows inside the study area; "
        f"{int((~keep).sum())} rows are outside it"
    )
    return data.loc[keep].reset_index(drop=True)


def load_coverage(cfg: Config, key: str, *, level: str) -> OfcomTable:
    """A fixed-coverage file of the given level, or a one-line error naming the input."""
    table = load_ofcom(cfg.inputs[key])
    if table.level != level or table.meta["product"] != "fixed_coverage":
        noun = {"laua": "local-authority", "parl_const": "constituency"}[level]
        raise MapperError(f"{cfg.inputs[key]}: inputs.{key} must be a {noun} fixed coverage file, "
                          f"but this one is {table.meta['product']} at level {table.level}")
    return table


def _load_companion(cfg: Config, key: str, *, product: str, level: str, variant: str | None,
                    main: OfcomTable) -> OfcomTable | None:
    path = cfg.inputs.get(key)
    if path is None:
        return None
    table = load_ofcom(path)
    problems = []
    if table.meta["product"] != product or table.level != level:
        problems.append(f"is {table.meta['product']} at level {table.level}, expected {product} at level {level}")
    if variant and table.meta["variant"] != variant:
        problems.append(f"is the '{table.meta['variant']}' variant, expected '{variant}'")
    if table.meta["release"] and main.meta["release"] and table.meta["release"] != main.meta["release"]:
        problems.append(f"is release {table.meta['release']} but {main.meta['file']} is {main.meta['release']}")
    if problems:
        raise MapperError(f"{path}: inputs.{key} " + "; ".join(problems) + "; point it at the matching file or remove it")
    return table


def add_companions(cfg: Config, audit: Audit, frame, table: OfcomTable, coverage: pd.DataFrame, wanted: set[str],
                   *, res_key: str, mobile_key: str | None, takeup_key: str | None, label: str):
    """Join the optional companion files' derived counts (non-residential, mobile, take-up)."""
    res = _load_companion(cfg, res_key, product="fixed_coverage", level=table.level, variant="residential", main=table)
    if res is not None:
        rows = coverage_in_area(res, wanted, label=f"{label} residential coverage", audit=audit)
        nonres = non_residential(coverage, rows, all_file=table.meta["file"], res_file=res.meta["file"])
        frame = audited_merge(frame, nonres, left_on="code", right_on="code",
                              name=f"{label}: non-residential (all - residential)",
                              left_label=f"{label} areas", right_label=f"areas in {res.meta['file']}", audit=audit,
                              required="both", max_unmatched=cfg.max_unmatched)
    else:
        audit.notes.append(f"{label}: no residential companion file; non-residential indicators are not available")
    if mobile_key:
        mob = _load_companion(cfg, mobile_key, product="mobile_coverage", level=table.level, variant=None, main=table)
        if mob is not None:
            rows = coverage_in_area(mob, wanted, label=f"{label} mobile coverage", audit=audit)
            audit.notes.append(f"{label} mobile coverage blank handling: {mob.meta['blank_handling']}")
            frame = audited_merge(frame, mobile_counts(rows), left_on="code", right_on="code", name=f"{label}: mobile coverage",
                                  left_label=f"{label} areas", right_label=f"areas in {mob.meta['file']}", audit=audit,
                                  required="both", max_unmatched=cfg.max_unmatched)
    if takeup_key:
        take = _load_companion(cfg, takeup_key, product="full_fibre_takeup", level=table.level, variant=None, main=table)
        if take is not None:
            rows = coverage_in_area(take, wanted, label=f"{label} full-fibre take-up", audit=audit)
            frame = audited_merge(frame, takeup_counts(rows, coverage), left_on="code", right_on="code",
                                  name=f"{label}: full-fibre take-up", left_label=f"{label} areas",
                                  right_label=f"areas in {take.meta['file']}", audit=audit, required="both",
                                  max_unmatched=cfg.max_unmatched)
    return frame


# --- LSOA 2021 --------------------------------------------------------------------------------------

def lsoa_base(cfg: Config, audit: Audit, lads: pd.DataFrame) -> tuple[pd.DataFrame | None, gpd.GeoDataFrame | None]:
    """LSOA21s of the study area's LADs with LAD, RUC 2021 and deprivation columns, and their boundaries.

    ``(None, None)`` when the LSOA inputs are not configured or hold no LSOA of the study
    area (another region with the Midlands LSOA files); the audit says what that leaves out.
    """
    if "lsoa_lad_lookup" not in cfg.inputs:
        audit.notes.append("LSOA 2021 inputs not configured: people and neighbourhood counts (deprivation, older "
                           "population) and constituency rurality are not available")
        return None, None
    wanted = set(lads["lad_code"])
    lsoa_lad = read_table(cfg.inputs["lsoa_lad_lookup"], "lsoa21_lad", key="lsoa21_code")
    lsoa_lad = lsoa_lad[lsoa_lad["lad_code"].isin(wanted)].reset_index(drop=True)
    if lsoa_lad.empty:
        audit.notes.append(f"LSOA 2021: {cfg.inputs['lsoa_lad_lookup'].name} holds no LSOA of the study area's local "
                           "authorities; deprivation and population indicators are not available for this study area")
        return None, None
    code_f, name_f = cfg.boundary_fields["lsoa"]
    geo = read_boundaries(cfg.inputs["lsoa_boundaries"], code_f, name_f)
    ruc = read_table(cfg.inputs["lsoa_ruc"], "ruc21", key="code").rename(columns={"code": "lsoa21_code"})
    lsoa = audited_merge(
        lsoa_lad, geo[["code"]].rename(columns={"code": "lsoa21_code"}).assign(has_boundary=True),
        left_on="lsoa21_code", right_on="lsoa21_code", name="lsoa21 lookup -> lsoa21 boundaries",
        left_label="LSOA21s in the study area's LADs", right_label=f"LSOA21 boundaries ({cfg.inputs['lsoa_boundaries'].name})",
        audit=audit, required="left", max_unmatched=cfg.max_unmatched,
    )
    lsoa = audited_merge(
        lsoa, ruc, left_on="lsoa21_code", right_on="lsoa21_code", name="lsoa21 -> RUC21",
        left_label="study-area LSOA21s", right_label=f"RUC21 LSOA21 rows ({cfg.inputs['lsoa_ruc'].name})", audit=audit,
        required="left", max_unmatched=cfg.max_unmatched,
    )
    if "imd" in cfg.inputs:
        lsoa = lsoa21_deprivation(
            lsoa,
            read_table(cfg.inputs["lsoa11_lsoa21_lookup"], "lsoa11_lsoa21"),
            read_table(cfg.inputs["imd"], "imd", key="lsoa11_code"),
            read_table(cfg.inputs["imd_domains"], "imd_domains", key="lsoa11_code"),
            read_table(cfg.inputs["imd_population"], "imd_population", key="lsoa11_code"),
            audit=audit, max_unmatched=cfg.max_unmatched,
        )
    else:
        audit.notes.append("IoD 2019 not configured: population (mid-2015) and the IoD 2019 indicators are not available")
    if "imd2025" in cfg.inputs:
        from ..load.deprivation import read_iod2025

        iod = read_iod2025(cfg.inputs["imd2025"])[["lsoa21_code", "imd_decile", "education_decile", "barriers_decile"]]
        iod = iod.rename(columns={"imd_decile": "imd25_decile", "education_decile": "education25_decile",
                                  "barriers_decile": "barriers25_decile"})
        lsoa = audited_merge(
            lsoa, iod, left_on="lsoa21_code", right_on="lsoa21_code", name="lsoa21 -> IoD 2025 (File 7)",
            left_label="study-area LSOA21s", right_label=f"IoD 2025 LSOA21 rows ({cfg.inputs['imd2025'].name})", audit=audit,
            required="left", max_unmatched=cfg.max_unmatched,
            note="IoD 2025 is published on LSOA 2021: joined directly, no bridge",
        )
    else:
        audit.notes.append("IoD 2025 not configured: the IoD 2025 neighbourhood indicators are not available")
    geo = geo[geo["code"].isin(set(lsoa["lsoa21_code"]))]
    return lsoa, geo


def lsoa_counts(lsoa: pd.DataFrame) -> pd.DataFrame:
    """Per-LSOA counts (extensive: they are summed to larger areas) for the need indicators.

    IoD 2019 (when present): ``population``, ``population_60_plus`` and the people in the 20% most
    deprived LSOAs (IMD and education), mid-2015. IoD 2025 (when present): ``imd2025_lsoas`` (1 per
    LSOA with IoD 2025 data) and ``deprived_lsoas_n`` / ``education_deprived_lsoas_n`` /
    ``barriers_deprived_lsoas_n`` (1 when the LSOA is in deciles 1-2). ``rural_lsoas_n`` (RUC 2021
    flag Rural) and, with IoD 2019, ``rural_population``: for a seat's urban/rural class.
    """
    out = pd.DataFrame({"lsoa21_code": lsoa["lsoa21_code"]})
    rural = (lsoa["urban_rural"].astype("string").str.casefold() == "rural").fillna(False).astype("int64")
    out["rural_lsoas_n"] = rural
    if "population" in lsoa.columns:
        out["population"] = lsoa["population"]
        out["population_60_plus"] = lsoa["population_60_plus"]
        out["deprived_population"] = lsoa["population"].where(lsoa["imd_decile"] <= DEPRIVED_DECILE_MAX, 0.0)
        out["education_deprived_population"] = lsoa["population"].where(lsoa["education_decile"] <= DEPRIVED_DECILE_MAX, 0.0)
        out["rural_population"] = lsoa["population"].where(rural == 1, 0.0)
    if "imd25_decile" in lsoa.columns:
        have = lsoa["imd25_decile"].notna()
        out["imd2025_lsoas"] = have.astype("int64")
        for col, decile in (("deprived_lsoas_n", "imd25_decile"), ("education_deprived_lsoas_n", "education25_decile"),
                            ("barriers_deprived_lsoas_n", "barriers25_decile")):
            out[col] = (lsoa[decile] <= DEPRIVED_DECILE_MAX).fillna(False).astype("int64")
    return out


#: Per-LSOA counts that are people (rounded after summing) rather than whole LSOAs.
PEOPLE_COLUMNS = ("population", "population_60_plus", "deprived_population", "education_deprived_population",
                  "rural_population")


def aggregate_counts(counts: pd.DataFrame, lsoa_to_area: pd.DataFrame, area_col: str) -> pd.DataFrame:
    """Sum every per-LSOA count to a larger area (``lsoa_to_area`` maps ``lsoa21_code`` -> ``area_col``)."""
    merged = counts.merge(lsoa_to_area[["lsoa21_code", area_col]], on="lsoa21_code", how="inner")
    cols = [c for c in counts.columns if c != "lsoa21_code"]
    summed = merged.groupby(area_col, sort=True)[cols].sum()
    people = [c for c in cols if c in PEOPLE_COLUMNS]
    summed[people] = summed[people].round()
    summed["lsoa_count"] = merged.groupby(area_col, sort=True).size()
    return summed.reset_index()


def _majority_class(counts: pd.DataFrame) -> pd.Series:
    """Urban / Rural for a seat: Rural when most of its population (else most of its LSOAs) is in rural LSOAs."""
    if "rural_population" in counts.columns:
        share = counts["rural_population"] / counts["population"].where(counts["population"] > 0)
    else:
        share = counts["rural_lsoas_n"] / counts["lsoa_count"]
    return pd.Series(np.where(share.isna(), None, np.where(share >= RURAL_MAJORITY, "Rural", "Urban")),
                     index=counts.index, dtype="object")


# --- local authorities --------------------------------------------------------------------------------

def la_frame(cfg: Config, audit: Audit, lads: pd.DataFrame, lsoa: pd.DataFrame | None, counts: pd.DataFrame | None,
             groups: pd.DataFrame | None, bduk_lad: pd.DataFrame | None) -> Joined:
    table = load_coverage(cfg, "la_coverage", level="laua")
    wanted = set(lads["lad_code"])
    coverage = coverage_in_area(table, wanted, label="LA coverage", audit=audit)
    code_f, name_f = cfg.boundary_fields["la"]
    geo = read_boundaries(cfg.inputs["la_boundaries"], code_f, name_f)
    geo = geo[geo["code"].isin(wanted)]
    frame = audited_merge(
        geo.rename(columns={"name": "boundary_name"}), coverage, left_on="code", right_on="code",
        name="LAD24 boundaries <-> LA coverage", left_label="LAD24 boundaries",
        right_label=f"coverage rows ({table.meta['file']})",
        audit=audit, required="both", max_unmatched=cfg.max_unmatched,
    )
    frame = add_companions(cfg, audit, frame, table, coverage, wanted, res_key="la_coverage_residential",
                           mobile_key="la_mobile", takeup_key="la_takeup", label="LA")
    frame = audited_merge(
        frame, lads.rename(columns={"lad_code": "code"})[["code", "region_code", "region_name"]],
        left_on="code", right_on="code", name="LAD24 -> region", left_label="study-area LADs",
        right_label=f"LAD24->region lookup ({cfg.inputs['lad_region_lookup'].name})", audit=audit, required="both",
        max_unmatched=cfg.max_unmatched,
    )
    ruc = read_table(cfg.inputs["la_ruc"], "ruc21", key="code")
    ruc = ruc[ruc["code"].isin(set(frame["code"]))]
    frame = audited_merge(
        frame, ruc, left_on="code", right_on="code", name="LAD24 -> RUC21", left_label="study-area LADs",
        right_label=f"RUC21 LAD24 rows ({cfg.inputs['la_ruc'].name})", audit=audit, required="both",
        max_unmatched=cfg.max_unmatched,
    )
    keys = ["la_coverage", "la_boundaries", "lad_region_lookup", "la_ruc"]
    if counts is not None:
        la_counts = aggregate_counts(counts, lsoa[["lsoa21_code", "lad_code"]], "lad_code").rename(columns={"lad_code": "code"})
        frame = audited_merge(
            frame, la_counts.drop(columns=["rural_lsoas_n", "rural_population"], errors="ignore"),
            left_on="code", right_on="code", name="LAD24 <- LSOA21 people and neighbourhood counts",
            left_label="study-area LADs", right_label="LADs of study-area LSOA21s", audit=audit, required="both",
            max_unmatched=cfg.max_unmatched,
        )
        keys += [k for k in ("lsoa_boundaries", "lsoa_lad_lookup", "lsoa_ruc", "imd2025", "lsoa11_lsoa21_lookup", "imd",
                             "imd_domains", "imd_population") if k in cfg.inputs]
    frame["name"] = frame["name"].fillna(frame["boundary_name"])
    frame = frame.drop(columns=["boundary_name"])
    if bduk_lad is not None:
        frame = audited_merge(
            frame, bduk_lad.rename(columns={"lad_code": "code"}), left_on="code", right_on="code",
            name="LAD24 <- BDUK premises in plans", left_label="study-area LADs", right_label="LADs in the fetched BDUK files",
            audit=audit, required="none", note="LADs without BDUK rows have no BDUK figures (not zero)",
        )
    if groups is not None:
        frame = audited_merge(
            frame, groups.rename(columns={"lad_code": "code"}), left_on="code", right_on="code",
            name="LAD24 -> county / unitary authority", left_label="study-area LADs",
            right_label=f"rows of {cfg.inputs['area_groups'].name}", audit=audit, required="left",
            max_unmatched=cfg.max_unmatched,
        )
    keys += [k for k in ("la_coverage_residential", "la_mobile", "la_takeup", "la_coverage_previous", "area_groups")
             if k in cfg.inputs]
    return Joined(gpd.GeoDataFrame(frame, geometry="geometry", crs=geo.crs), table, coverage, tuple(keys))


# --- constituencies -------------------------------------------------------------------------------------

def _seat_groups(groups: pd.DataFrame | None, lsoa: pd.DataFrame | None, counts: pd.DataFrame | None,
                 mapping: pd.DataFrame, audit: Audit, label: str) -> pd.DataFrame | None:
    """County / unitary group of each seat: the group holding most of its population (else most LSOAs)."""
    if groups is None or lsoa is None:
        return None
    weight = "population" if counts is not None and "population" in counts.columns else None
    pts = mapping.merge(lsoa[["lsoa21_code", "lad_code"]], on="lsoa21_code").merge(groups, on="lad_code")
    if weight:
        pts = pts.merge(counts[["lsoa21_code", weight]], on="lsoa21_code")
    else:
        pts = pts.assign(weight=1.0)
        weight = "weight"
    g = (pts.groupby(["area_code", "group_code", "group_name"])[weight].sum().reset_index()
         .sort_values(["area_code", weight, "group_code"], ascending=[True, False, True])
         .drop_duplicates("area_code").rename(columns={"area_code": "code"})[["code", "group_code", "group_name"]])
    audit.notes.append(f"{label}: county / unitary authority assigned by the majority of LSOA population")
    return g


def pcon_frame(cfg: Config, audit: Audit, lads: pd.DataFrame, lsoa: pd.DataFrame | None, counts: pd.DataFrame | None,
               groups: pd.DataFrame | None) -> Joined:
    """Westminster constituencies, 2024 seats (July 2025 data and later)."""
    label = "constituencies (2024 seats)"
    table = load_coverage(cfg, "pcon_coverage", level="parl_const")
    code_f, name_f = cfg.boundary_fields["pcon"]
    geo = read_boundaries(cfg.inputs["pcon_boundaries"], code_f, name_f)
    # 2024 codes are never joined to 2010 boundaries (or the other way round): refuse a mix at once.
    frame, coverage, wanted = _seat_frame(cfg, audit, table, geo, "pcon", label, boundaries="PCON24",
                                          join_name="PCON24 boundaries <-> constituency coverage", required="both")
    keys = ["pcon_coverage", "pcon_boundaries"]
    if "pcon_region_lookup" in cfg.inputs:
        region = read_table(cfg.inputs["pcon_region_lookup"], "pcon24_region", key="pcon_code")
        region = region.rename(columns={"pcon_code": "code"})[["code", "region_code", "region_name"]]
        region = region[region["code"].isin(wanted)]
        frame = audited_merge(frame, region, left_on="code", right_on="code", name="PCON24 -> region",
                              left_label="study-area seats", right_label=f"rows of {cfg.inputs['pcon_region_lookup'].name}",
                              audit=audit, required="both", max_unmatched=cfg.max_unmatched)
        keys.append("pcon_region_lookup")
    if lsoa is not None and counts is not None:
        if "pcon_lsoa_lookup" in cfg.inputs:
            look = read_table(cfg.inputs["pcon_lsoa_lookup"], "lsoa21_pcon24", key="lsoa21_code")
            mapping = look.rename(columns={"pcon_code": "area_code"})[["lsoa21_code", "area_code"]]
            mapping = audited_merge(
                lsoa[["lsoa21_code"]], mapping, left_on="lsoa21_code", right_on="lsoa21_code",
                name="LSOA21 -> PCON24 (point fit)", left_label="study-area LSOA21s",
                right_label=f"rows of {cfg.inputs['pcon_lsoa_lookup'].name}", audit=audit, required="left",
                max_unmatched=cfg.max_unmatched,
                note="a point fit made for this project (the LSOA's representative point in a seat), not an official lookup",
            )
            keys.append("pcon_lsoa_lookup")
        else:
            lsoa_geo = read_boundaries(cfg.inputs["lsoa_boundaries"], *cfg.boundary_fields["lsoa"])
            mapping = lsoa_points_in_areas(lsoa_geo[lsoa_geo["code"].isin(set(lsoa["lsoa21_code"]))], geo, audit=audit,
                                           label="PCON24")
        seat = aggregate_counts(counts, mapping, "area_code").rename(columns={"area_code": "code"})
        seat["urban_rural"] = _majority_class(seat)
        frame = audited_merge(
            frame, seat.drop(columns=["rural_lsoas_n", "rural_population"], errors="ignore"), left_on="code",
            right_on="code", name="PCON24 <- LSOA21 counts and urban/rural class", left_label="study-area seats",
            right_label="seats holding study-area LSOA21s", audit=audit, required="left", max_unmatched=cfg.max_unmatched,
            note="class: Rural when most of the seat's mid-2015 population lives in LSOAs RUC 2021 flags Rural",
        )
        g = _seat_groups(groups, lsoa, counts, mapping, audit, label)
        if g is not None:
            frame = frame.merge(g, on="code", how="left")
    if "region_name" not in frame.columns:
        raise MapperError(f"{label}: no region for the seats; set inputs.pcon_region_lookup")
    frame["name"] = frame["boundary_name"]  # boundary names are mixed case in every release
    frame = frame.drop(columns=["boundary_name"])
    return Joined(gpd.GeoDataFrame(frame, geometry="geometry", crs=geo.crs), table, coverage, tuple(keys))


def pcon10_frame(cfg: Config, audit: Audit, lads: pd.DataFrame, lsoa: pd.DataFrame | None, lsoa_geo,
                 counts: pd.DataFrame | None, groups: pd.DataFrame | None) -> Joined:
    """Westminster constituencies, 2010-2024 seats (Ofcom releases up to January 2024): change over time."""
    label = "constituencies (2010-2024 seats)"
    table = load_coverage(cfg, "pcon10_coverage", level="parl_const")
    code_f, name_f = cfg.boundary_fields["pcon10"]
    geo = read_boundaries(cfg.inputs["pcon10_boundaries"], code_f, name_f)
    data = table.data
    if table.meta["name_only"]:
        data = resolve_codes_by_name(data, geo, audit=audit, label=f"constituency coverage ({table.meta['file']})")
        table = OfcomTable(data, table.meta)
    frame, coverage, _ = _seat_frame(cfg, audit, table, geo, "pcon10", label, boundaries="PCON21",
                                          join_name="PCON21 boundaries <-> constituency coverage (2010 seats)",
                                          required="left")
    keys = ["pcon10_coverage", "pcon10_boundaries"]
    class_col = "urban_rural"
    if "pcon10_rurality" in cfg.inputs:
        rural = read_table(cfg.inputs["pcon10_rurality"], "pcon_rurality", key="code").drop(columns=["name"])
        rural = rural[rural["code"].isin(set(frame["code"]))]
        frame = audited_merge(
            frame, rural, left_on="code", right_on="code", name="PCON21 -> mySociety rurality",
            left_label="study-area constituencies (2010 seats)",
            right_label=f"mySociety constituency classification ({cfg.inputs['pcon10_rurality'].name})", audit=audit,
            required="both", max_unmatched=cfg.max_unmatched,
        )
        keys.append("pcon10_rurality")
        class_col = "cluster"
    if lsoa is not None and counts is not None:
        assign = lsoa_points_in_areas(lsoa_geo, geo, audit=audit, label="PCON21 (2010 seats)")
        seat = aggregate_counts(counts, assign, "area_code").rename(columns={"area_code": "code"})
        if class_col == "urban_rural":
            seat["urban_rural"] = _majority_class(seat)
        frame = audited_merge(
            frame, seat.drop(columns=["rural_lsoas_n", "rural_population"], errors="ignore"), left_on="code",
            right_on="code", name="PCON21 <- LSOA21 counts", left_label="study-area constituencies (2010 seats)",
            right_label="constituencies holding LSOA21 points", audit=audit, required="left", max_unmatched=cfg.max_unmatched,
        )
        # Region of each seat: the region holding most of its (LSOA-point) population.
        weight = "population" if "population" in counts.columns else None
        pts = assign.merge(lsoa[["lsoa21_code", "lad_code"]], on="lsoa21_code").merge(
            lads[["lad_code", "region_code", "region_name"]], on="lad_code")
        pts = pts.merge(counts[["lsoa21_code", weight]], on="lsoa21_code") if weight else pts.assign(w=1.0)
        weight = weight or "w"
        major = (pts.groupby(["area_code", "region_code", "region_name"])[weight].sum().reset_index()
                 .sort_values(["area_code", weight, "region_name"], ascending=[True, False, True])
                 .drop_duplicates("area_code").rename(columns={"area_code": "code"})[["code", "region_code", "region_name"]])
        frame = frame.merge(major, on="code", how="left")
        g = _seat_groups(groups, lsoa, counts, assign, audit, label)
        if g is not None:
            frame = frame.merge(g, on="code", how="left")
    else:
        raise MapperError(f"{label}: the 2010-2024 seats need the LSOA 2021 inputs (their region comes from LSOA points)")
    frame["name"] = frame["boundary_name"]
    frame = frame.drop(columns=["boundary_name"])
    keys += [k for k in ("pcon10_coverage_residential", "pcon10_coverage_previous") if k in cfg.inputs]
    joined = Joined(gpd.GeoDataFrame(frame, geometry="geometry", crs=geo.crs), table, coverage, tuple(keys))
    joined.frame.attrs["class_col"] = class_col
    return joined

def _seat_frame(cfg: Config, audit: Audit, table, geo, key: str, label: str, *, boundaries: str, join_name: str,
                required: str):
    """Constituency boundaries joined to their coverage rows (one constituency set only) and companion counts.

    ``key`` is the level's input prefix (``pcon`` or ``pcon10``); returns (frame, coverage, codes).
    """
    require_same_constituency_set(table.data["code"].dropna(), f"inputs.{key}_coverage ({table.meta['file']})",
                                  geo["code"], f"inputs.{key}_boundaries ({cfg.inputs[f'{key}_boundaries'].name})")
    wanted = set(geo["code"])
    coverage = coverage_in_area(table, wanted, label=f"{label} coverage", audit=audit)
    frame = audited_merge(
        geo.rename(columns={"name": "boundary_name"}), coverage, left_on="code", right_on="code",
        name=join_name, left_label=f"study-area {boundaries} boundaries",
        right_label=f"coverage rows ({table.meta['file']})", audit=audit, required=required,
        max_unmatched=cfg.max_unmatched,
    )
    frame = add_companions(cfg, audit, frame, table, coverage, wanted, res_key=f"{key}_coverage_residential",
                           mobile_key=None, takeup_key=None, label=label)
    return frame, coverage, wanted
