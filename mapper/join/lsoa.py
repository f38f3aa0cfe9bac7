"""Coverage and BDUK plans at LSOA (2021) level, from output-area, postcode and premises files.

Pure functions over DataFrames: each returns new objects, never changes its
inputs, and records every join in a :class:`~mapper.join.Audit`.

* :func:`oa_to_lsoa` — Ofcom **output-area** coverage to LSOA21 by **summing
  premises counts** (extensive variables) through the ONS OA21 -> LSOA21
  lookup. Rates are recomputed from the summed counts, never averaged.
* :func:`postcode_to_lsoa` — Ofcom **postcode** coverage (rates only: the files
  carry no premises counts) to LSOA21 by point-in-polygon of the postcodes' OS
  grid references. The result is an **unweighted mean of postcode rates**
  (``*_pct_unweighted_mean``), kept apart from counts: a postcode with 1
  premises weighs as much as one with 80.
* :func:`bduk_aggregate` — BDUK premises-in-plans rows to LSOA21 (via the
  premises' postcode) and to LAD (via the row's own LAD code): counts by
  subsidy-control status and current/future gigabit, plus a long table by
  contract, supplier and final coverage date. Files are streamed in record
  batches (pyarrow), so memory depends on the number of areas, not rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._io import check_input_file, read_text
from ..errors import InputFileError, SchemaError
from .audit import Audit, JoinReport, audited_merge

BNG = "EPSG:27700"
#: Count columns a coverage frame from :func:`mapper.load.ofcom.load_ofcom` may carry (besides ``*_n``).
PREMISES_COLUMNS = ("premises", "matched_premises")


# --------------------------------------------------------------------------- lookups
def normalise_oa_lookup(lookup: pd.DataFrame, *, source: str = "OA21->LSOA21 lookup") -> pd.DataFrame:
    """``oa21_code``, ``lsoa21_code`` (and ``lad_code`` if present) from the ONS lookup's field names.

    Accepts the ONS spellings in any case (``OA21CD``/``oa21cd``, ``LSOA21CD``,
    ``LAD22CD``...). Raises :class:`SchemaError` naming the missing fields and
    :class:`SchemaError` if an OA maps to two LSOAs.
    """
    cols = {c.casefold(): c for c in lookup.columns}
    want = {"oa21_code": ("oa21cd", "oa21_code"), "lsoa21_code": ("lsoa21cd", "lsoa21_code")}
    out = pd.DataFrame(index=lookup.index)
    missing = []
    for canon, spellings in want.items():
        col = next((cols[s] for s in spellings if s in cols), None)
        if col is None:
            missing.append(spellings[0].upper())
        else:
            out[canon] = lookup[col].astype("string").str.strip()
    if missing:
        raise SchemaError(f"{source}: missing field(s) {missing}; found {list(lookup.columns)[:8]}")
    lad = next((cols[c] for c in cols if c.startswith("lad") and c.endswith("cd")), None)
    if lad:
        out["lad_code"] = lookup[lad].astype("string").str.strip()
    out = out.drop_duplicates()
    dup = out["oa21_code"].duplicated(keep=False)
    if dup.any():
        raise SchemaError(f"{source}: output area(s) {sorted(out.loc[dup, 'oa21_code'].unique())[:5]} map to more than one LSOA")
    return out.reset_index(drop=True)


# --------------------------------------------------------------------- (a) output areas
def oa_to_lsoa(coverage: pd.DataFrame, lookup: pd.DataFrame, *, audit: Audit, meta: dict | None = None,
               max_unmatched: int = 0) -> pd.DataFrame:
    """Sum output-area premises counts to LSOA21.

    ``coverage`` is ``load_ofcom(oa_file).data`` (``code`` = OA21 code, ``premises``
    and ``*_n`` counts, nullable); ``lookup`` is :func:`normalise_oa_lookup`'s
    output, restricted to the study area. Every OA in the lookup must have a
    coverage row (else :class:`~mapper.errors.JoinError`); coverage rows for
    OAs outside the lookup are left out and counted in the audit.

    Returns one row per LSOA21: ``lsoa21_code``, ``oa_count``, ``premises``,
    each ``<measure>_n`` summed, ``<measure>_pct`` recomputed as
    100 * count / premises, and ``suppressed_cells`` (count cells that were
    suppressed or blank in the OA file and so are missing from the sum: the
    LSOA's count for that measure is then a lower bound).
    """
    meta = meta or {}
    counts = [c for c in coverage.columns if c.endswith("_n") or c in PREMISES_COLUMNS]
    if "premises" not in counts:
        raise SchemaError(f"{meta.get('file', 'output-area coverage')}: no 'premises' (All Premises) column; cannot sum to LSOA")
    cov = coverage[["code", *counts]].rename(columns={"code": "oa21_code"})
    look = lookup[["oa21_code", "lsoa21_code"]]
    merged = audited_merge(
        look, cov, left_on="oa21_code", right_on="oa21_code", name="oa21 lookup -> ofcom output-area coverage",
        left_label="OA21 codes in the OA21->LSOA21 lookup (study area)", right_label="Ofcom output-area rows",
        audit=audit, required="left", max_unmatched=max_unmatched,
        note="coverage rows for output areas outside the study area are not used",
    )
    merged = merged[merged["premises"].notna() | merged[counts].notna().any(axis=1)]
    missing = merged[counts].isna()
    supp_by_measure = {c: int(missing[c].sum()) for c in counts if missing[c].any()}
    merged = merged.assign(suppressed_cells=missing.sum(axis=1).astype("int64"))
    filled = merged[counts].astype("Float64").fillna(0).astype("int64")
    body = pd.concat([merged[["lsoa21_code", "suppressed_cells"]], filled], axis=1)
    out = body.groupby("lsoa21_code", sort=True).sum()
    out.insert(0, "oa_count", merged.groupby("lsoa21_code", sort=True).size())
    out = out.reset_index()
    for c in counts:
        if c.endswith("_n"):
            safe = out["premises"].where(out["premises"] > 0, 1)
            out[c.removesuffix("_n") + "_pct"] = np.where(out["premises"] > 0, 100.0 * out[c] / safe, np.nan)
    measures = sorted(c.removesuffix("_n") for c in counts if c.endswith("_n"))
    audit.notes.append(
        f"LSOA21 from output areas ({meta.get('file', 'output-area file')}): {len(out)} LSOAs from {int(out['oa_count'].sum())} "
        f"OAs; counts summed ({', '.join(measures)}), rates recomputed from the sums"
    )
    if "full_fibre_n" not in counts:
        audit.notes.append(
            "LSOA21 from output areas: the output-area file has no full-fibre columns (Ofcom's 2026 OA files dropped "
            "them); full fibre is not reported at LSOA level and was not estimated"
        )
    if supp_by_measure or meta.get("suppressed"):
        audit.notes.append(
            "LSOA21 from output areas: suppressed or blank count cells treated as missing (the LSOA sum is then a "
            f"lower bound): {supp_by_measure or meta.get('suppressed')}"
        )
    audit.totals["lsoa_from_oa"] = {
        "lsoas": len(out), "oas": int(out["oa_count"].sum()), "premises": int(out["premises"].sum()),
        "suppressed_cells": int(out["suppressed_cells"].sum()),
        "counts": {c: int(out[c].sum()) for c in counts},
    }
    return out


# --------------------------------------------------------------------- points -> LSOA
def normalise_postcode(values: pd.Series) -> pd.Series:
    """Postcodes without spaces, upper case ('b1  1aa' -> 'B11AA')."""
    return values.astype("string").str.upper().str.replace(r"\s+", "", regex=True)


def assign_points(easting: np.ndarray, northing: np.ndarray, polygons: gpd.GeoDataFrame) -> np.ndarray:
    """Index into ``polygons`` (already in EPSG:27700) of the polygon holding each point, or -1.

    Vectorised and memory-light: points are sorted by easting; for each
    polygon only the points in its bounding box are tested with
    ``shapely.contains_xy`` (no point geometries are built). Points exactly on
    a boundary are resolved afterwards with an STRtree ``intersects`` query
    (the lowest polygon index wins). Points with missing or zero grid
    references stay -1.
    """
    x = np.asarray(easting, dtype="float64")
    y = np.asarray(northing, dtype="float64")
    polys = np.asarray(polygons.geometry.values)
    shapely.prepare(polys)
    bounds = shapely.bounds(polys)
    valid = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    idx_valid = np.flatnonzero(valid)
    order = idx_valid[np.argsort(x[idx_valid], kind="stable")]
    xs, ys = x[order], y[order]
    assign = np.full(len(order), -1, dtype=np.int64)
    lo = np.searchsorted(xs, bounds[:, 0], side="left")
    hi = np.searchsorted(xs, bounds[:, 2], side="right")
    for k in range(len(polys)):
        a, b = lo[k], hi[k]
        if b <= a:
            continue
        yy = ys[a:b]
        cand = np.flatnonzero((yy >= bounds[k, 1]) & (yy <= bounds[k, 3])) + a
        if not len(cand):
            continue
        sel = cand[shapely.contains_xy(polys[k], xs[cand], ys[cand])]
        sel = sel[assign[sel] < 0]
        assign[sel] = k
    out = np.full(len(x), -1, dtype=np.int64)
    out[order] = assign
    left = np.flatnonzero(valid & (out < 0))
    if len(left):
        pi, gi = shapely.STRtree(polys).query(shapely.points(x[left], y[left]), predicate="intersects")
        if len(pi):
            first = pd.DataFrame({"p": pi, "g": gi}).groupby("p")["g"].min()
            out[left[first.index.to_numpy()]] = first.to_numpy()
    return out


def _lsoa_27700(lsoa_geo: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if lsoa_geo.crs is None:
        raise InputFileError("LSOA boundaries have no CRS; cannot reproject to British National Grid")
    return lsoa_geo[["code", "geometry"]].to_crs(BNG).reset_index(drop=True)


def postcode_lsoa_lookup(points: pd.DataFrame, lsoa_geo: gpd.GeoDataFrame, *, audit: Audit | None = None) -> pd.DataFrame:
    """Postcode -> LSOA21 by point-in-polygon of the ONS postcode directory's grid references.

    ``points`` has ``pcd7`` (or ``postcode``), ``east1m``, ``north1m`` (OSGB36 /
    British National Grid metres, as in the ONS postcode directory).
    Returns ``postcode`` (no spaces) and ``lsoa21_code`` for the points that
    fall in one of ``lsoa_geo``'s polygons (``code``, ``geometry``; reprojected).
    """
    cols = {c.casefold(): c for c in points.columns}
    pc = next((cols[c] for c in ("pcd7", "pcd", "pcds", "postcode") if c in cols), None)
    e = next((cols[c] for c in ("east1m", "oseast1m", "easting") if c in cols), None)
    n = next((cols[c] for c in ("north1m", "osnrth1m", "northing") if c in cols), None)
    if not (pc and e and n):
        raise SchemaError("postcode points: need a postcode and grid reference columns (pcd7, east1m, north1m); "
                          f"found {list(points.columns)}")
    geo = _lsoa_27700(lsoa_geo)
    east = pd.to_numeric(points[e], errors="coerce").to_numpy()
    north = pd.to_numeric(points[n], errors="coerce").to_numpy()
    hit = assign_points(east, north, geo)
    codes = geo["code"].to_numpy()
    out = pd.DataFrame({"postcode": normalise_postcode(points[pc]).to_numpy(),
                        "lsoa21_code": np.where(hit >= 0, codes[np.clip(hit, 0, None)], None)})
    no_grid = int((~(np.isfinite(east) & np.isfinite(north) & (east > 0) & (north > 0))).sum())
    outside = int((hit < 0).sum()) - no_grid
    out = out.dropna(subset=["lsoa21_code"]).drop_duplicates("postcode").reset_index(drop=True)
    if audit is not None:
        audit.joins.append(JoinReport(
            name="postcode grid references -> LSOA21 polygons", left="postcode points", right="LSOA21 polygons",
            left_keys=len(points), right_keys=len(geo), matched=len(out), unmatched_left=[],
            unmatched_right=sorted(set(codes) - set(out["lsoa21_code"]))[:50], required="none",
            note=f"point in polygon in EPSG:27700; {no_grid} postcode(s) without a grid reference, {outside} outside "
                 "every LSOA polygon",
        ))
    return out


# --------------------------------------------------------------------- (b) postcodes
def postcode_to_lsoa(coverage: pd.DataFrame, postcode_lsoa: pd.DataFrame, *, audit: Audit,
                     meta: dict | None = None) -> pd.DataFrame:
    """Unweighted mean of postcode coverage rates per LSOA21.

    ``coverage`` is ``load_ofcom(postcode_file).data`` (``code`` = postcode,
    ``*_pct`` rates only); ``postcode_lsoa`` is :func:`postcode_lsoa_lookup`'s
    output. Returns ``lsoa21_code``, ``postcodes_n`` (postcodes with coverage
    data) and ``<measure>_pct_unweighted_mean`` for each rate. The frame's
    ``attrs["weighting"]`` is ``"unweighted"``: postcode files carry no premises
    counts, so each postcode counts once whatever its size. Never sum these
    or mix them with the count-based output-area figures.
    """
    meta = meta or {}
    rates = [c for c in coverage.columns if c.endswith("_pct")]
    if any(c.endswith("_n") for c in coverage.columns):
        raise SchemaError(f"{meta.get('file', 'postcode coverage')}: has premises counts; use oa_to_lsoa-style summing instead")
    cov = coverage[["code", *rates]].assign(postcode=normalise_postcode(coverage["code"])).drop(columns="code")
    merged = audited_merge(
        cov, postcode_lsoa, left_on="postcode", right_on="postcode", name="ofcom postcode coverage -> postcode LSOA21",
        left_label="Ofcom postcode rows", right_label="postcodes placed in a study-area LSOA21", audit=audit,
        required="none", note="postcodes outside the study area, or without a grid reference, are not used",
    )
    merged = merged.dropna(subset=["lsoa21_code"])
    grouped = merged.groupby("lsoa21_code", sort=True)
    out = grouped[rates].mean()
    out.columns = [f"{c}_unweighted_mean" for c in rates]
    out.insert(0, "postcodes_n", grouped.size())
    out = out.reset_index()
    out.attrs["weighting"] = "unweighted"
    audit.notes.append(
        f"LSOA21 from postcodes ({meta.get('file', 'postcode files')}): {len(out)} LSOAs from {int(out['postcodes_n'].sum())} "
        "postcodes; rates are UNWEIGHTED means of postcode percentages (postcode files have no premises counts), "
        "labelled *_pct_unweighted_mean and not comparable with premises-weighted rates"
    )
    return out


# ---------------------------------------------------------------------------- (c) BDUK
#: Canonical BDUK column -> header spellings seen in releases (and in public code that reads them).
BDUK_ALIASES = {
    "postcode": ("postcode",),
    "subsidy_control_status": ("subsidy_control_status",),
    "current_gigabit": ("current_gigabit",),
    "future_gigabit": ("future_gigabit",),
    "lad_code": ("local_authority_district_ons_code", "lad_code", "local_authority_code"),
    "contract_name": ("bduk_gis_contract_name", "gis_contract_name"),
    "supplier": ("bduk_gis_supplier", "gis_supplier"),
    "final_coverage_date": ("bduk_gis_final_coverage_date", "gis_final_coverage_date"),
    "in_contract": ("bduk_gis", "gis"),
}
BDUK_REQUIRED = ("postcode", "subsidy_control_status", "current_gigabit", "future_gigabit", "lad_code")
BDUK_STATUS = {"gigabit white": "white", "gigabit grey/black": "grey_black", "gigabit under review": "under_review"}
#: Funding of the premises WITHOUT gigabit now (contract + commercial + the three unplanned = no_gigabit_now_n).
BDUK_FUNDING = ("no_gigabit_now_n", "contract_n", "commercial_n", "under_review_unplanned_n", "white_unplanned_n",
                "other_unplanned_n", "residual_n")
BDUK_COUNTS = ("premises_n", "white_n", "grey_black_n", "under_review_n", "status_other_n", "current_gigabit_n",
               "future_gigabit_n", *BDUK_FUNDING)


def bduk_columns(path: str | Path) -> dict[str, str]:
    """Canonical name -> header in ``path``; :class:`SchemaError` naming the file and missing columns."""
    path = check_input_file(path, what="BDUK premises file", max_bytes=1 << 40, hint="check the BDUK folder")
    try:
        with open(path, "rb") as handle:
            head = handle.readline(1 << 16)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror})") from None
    names = [h.strip().lstrip("\ufeff") for h in next(csv.reader(io.StringIO(head.decode("utf-8-sig", "replace"))), [])]
    raw = {h.casefold(): h for h in names}
    header = list(raw)
    found = {}
    for canon, spellings in BDUK_ALIASES.items():
        hit = next((s for s in spellings if s in header), None)
        if hit:
            found[canon] = raw[hit]
    missing = [BDUK_ALIASES[c][0] for c in BDUK_REQUIRED if c not in found]
    if missing:
        raise SchemaError(
            f"{path}: not a BDUK premises-in-plans file: missing column(s) {missing} "
            f"(found {list(raw.values())[:8]}...); see the 28-column schema in tests/data/bduk/"
        )
    return found


@dataclass
class BdukResult:
    """BDUK plans aggregated: wide counts by LSOA21 and by LAD, and a long contract table by LAD."""

    lsoa: pd.DataFrame
    lad: pd.DataFrame
    contracts: pd.DataFrame
    rows: int
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _batch_counts(table, cols: dict[str, str], postcodes=None, lsoas=None):
    """Reduce one record batch (in Arrow) to counts per (LAD, LSOA21, status, current, future) and per contract.

    ``postcodes``/``lsoas`` are parallel Arrow arrays (normalised postcode ->
    LSOA21 code); the premises' postcode is normalised (upper case, no spaces)
    and looked up with a hash join. Returns the two count frames and up to 50
    postcodes that found no LSOA.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    def col(canon: str):
        if canon in cols:
            return table.column(cols[canon])
        return pa.nulls(table.num_rows, pa.string())

    data = {k: col(k) for k in BDUK_ALIASES if k != "postcode"}
    unplaced = []
    if postcodes is not None:
        norm = pc.replace_substring_regex(pc.utf8_upper(col("postcode")), r"\s+", "")
        idx = pc.index_in(norm, value_set=postcodes)
        data["lsoa21_code"] = pc.take(lsoas, idx)
        missing = pc.is_null(idx)
        if pc.any(missing).as_py():
            unplaced = pc.unique(pc.filter(norm, missing)).slice(0, 50).to_pylist()
    else:
        data["lsoa21_code"] = pa.nulls(table.num_rows, pa.string())
    t = pa.table(data)
    a = t.group_by(["lad_code", "lsoa21_code", "subsidy_control_status", "current_gigabit", "future_gigabit",
                    "in_contract"]).aggregate([([], "count_all")])
    b = t.group_by(["lad_code", "contract_name", "supplier", "final_coverage_date", "subsidy_control_status"]
                   ).aggregate([([], "count_all")])
    return a.to_pandas().rename(columns={"count_all": "n"}), b.to_pandas().rename(columns={"count_all": "n"}), unplaced


def _wide(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows of (key, status, current, future, n) -> one row per key with the BDUK count columns."""
    status = frame["subsidy_control_status"].fillna("").str.strip().str.casefold().map(BDUK_STATUS).fillna("status_other")
    n = frame["n"].astype("int64")
    cols = pd.DataFrame({key: frame[key], "premises_n": n})
    for s in ("white", "grey_black", "under_review", "status_other"):
        cols[f"{s}_n" if s != "status_other" else "status_other_n"] = np.where(status == s, n, 0)
    def flag(col: str) -> np.ndarray:
        return (frame[col].fillna("").str.strip().str.casefold() == "true").to_numpy()

    current, future, contract = flag("current_gigabit"), flag("future_gigabit"), flag("in_contract")
    cols["current_gigabit_n"] = np.where(current, n, 0)
    cols["future_gigabit_n"] = np.where(future, n, 0)
    # Premises without gigabit now, by how (or whether) a gigabit build is funded. A signed Project
    # Gigabit (GIS) contract comes first, then commercial plans; the rest has no plan: the residual gap.
    gap = ~current
    unplanned = gap & ~contract & ~future
    cols["no_gigabit_now_n"] = np.where(gap, n, 0)
    cols["contract_n"] = np.where(gap & contract, n, 0)
    cols["commercial_n"] = np.where(gap & ~contract & future, n, 0)
    cols["under_review_unplanned_n"] = np.where(unplanned & (status == "under_review").to_numpy(), n, 0)
    cols["white_unplanned_n"] = np.where(unplanned & (status == "white").to_numpy(), n, 0)
    cols["other_unplanned_n"] = np.where(unplanned & ~status.isin(["under_review", "white"]).to_numpy(), n, 0)
    cols["residual_n"] = np.where(unplanned, n, 0)
    return cols.groupby(key, sort=True)[list(BDUK_COUNTS)].sum().reset_index()


def bduk_aggregate(paths, postcode_lsoa: pd.DataFrame | None, *, audit: Audit, block_size: int = 16 << 20,
                   collapse_rows: int = 500_000) -> BdukResult:
    """Stream BDUK premises CSVs and count premises by LSOA21 and by LAD.

    ``paths`` is one path or a list (one CSV per local authority, as BDUK
    publishes them). ``postcode_lsoa`` (from :func:`postcode_lsoa_lookup`)
    places each premises in an LSOA21 through its postcode; without it only
    the LAD table is built. Each file is read in record batches of about
    ``block_size`` bytes with only the needed columns; each batch is reduced
    at once to counts per (LAD, LSOA21, status, current, future) and per
    (LAD, contract, supplier, date, status), and partial counts are collapsed
    whenever they exceed ``collapse_rows`` rows. Memory therefore depends on
    the number of areas and contracts, not on the number of premises rows.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    paths = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    keys_a = ["lad_code", "lsoa21_code", "subsidy_control_status", "current_gigabit", "future_gigabit", "in_contract"]
    keys_b = ["lad_code", "contract_name", "supplier", "final_coverage_date", "subsidy_control_status"]
    parts_a: list[pd.DataFrame] = []
    parts_b: list[pd.DataFrame] = []
    pending = rows = 0
    unplaced_postcodes: set[str] = set()
    to_lsoa = pc_arr = lsoa_arr = None
    if postcode_lsoa is not None:
        to_lsoa = postcode_lsoa.drop_duplicates("postcode")
        pc_arr = pa.array(to_lsoa["postcode"].astype(str).to_numpy(), pa.string())
        lsoa_arr = pa.array(to_lsoa["lsoa21_code"].astype(str).to_numpy(), pa.string())

    def collapse(parts, keys):
        df = pd.concat(parts, ignore_index=True)
        return [df.groupby(keys, dropna=False, sort=False)["n"].sum().reset_index()]

    for path in paths:
        cols = bduk_columns(path)
        convert = pacsv.ConvertOptions(include_columns=sorted(set(cols.values())),
                                       column_types={c: pa.string() for c in cols.values()},
                                       strings_can_be_null=False)
        try:
            reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=block_size), convert_options=convert)
            for batch in reader:
                rows += batch.num_rows
                a, b, unplaced = _batch_counts(pa.Table.from_batches([batch]), cols, pc_arr, lsoa_arr)
                if len(unplaced_postcodes) < 50:
                    unplaced_postcodes.update(unplaced)
                parts_a.append(a)
                parts_b.append(b)
                pending += len(a) + len(b)
                if pending > collapse_rows:
                    parts_a, parts_b = collapse(parts_a, keys_a), collapse(parts_b, keys_b)
                    pending = len(parts_a[0]) + len(parts_b[0])
        except pa.ArrowInvalid as exc:
            raise SchemaError(f"{path}: cannot parse as CSV ({exc}); the file may be truncated") from None
    if not parts_a:
        raise InputFileError("BDUK: no premises rows read; check the fetched files")
    a = collapse(parts_a, keys_a)[0]
    b = collapse(parts_b, keys_b)[0]
    notes = []
    lad = _wide(a, "lad_code")
    unknown = sorted(s for s in set(a["subsidy_control_status"].dropna()) if s.strip().casefold() not in BDUK_STATUS)
    if unknown:
        notes.append(f"BDUK: subsidy control status value(s) {unknown[:5]} are not White, Grey/Black or Under Review; "
                     "counted as status_other_n")
    if to_lsoa is not None:
        placed = a.dropna(subset=["lsoa21_code"])
        unplaced = int(a.loc[a["lsoa21_code"].isna(), "n"].sum())
        lsoa = _wide(placed, "lsoa21_code")
        audit.joins.append(JoinReport(
            name="bduk premises postcodes -> postcode LSOA21", left="BDUK premises rows",
            right="postcodes placed in a study-area LSOA21",
            left_keys=rows, right_keys=len(to_lsoa), matched=rows - unplaced, unmatched_left=sorted(unplaced_postcodes)[:50],
            unmatched_right=[], required="none",
            note="counts are premises rows; premises whose postcode is outside the study area or not in the postcode "
                 "directory have no LSOA (sample of postcodes listed)",
        ))
        notes.append(f"BDUK: {unplaced:,} of {rows:,} premises rows have a postcode with no study-area LSOA21 "
                     "(LAD totals still include them)")
    else:
        lsoa = pd.DataFrame(columns=["lsoa21_code", *BDUK_COUNTS])
    contracts = b.rename(columns={"n": "premises_n"}).fillna("").sort_values(keys_b).reset_index(drop=True)
    audit.notes.extend(notes)
    audit.totals["bduk"] = {"rows": rows, "files": len(paths), "lad_premises": int(lad["premises_n"].sum()),
                            "lsoa_premises": int(lsoa["premises_n"].sum()) if len(lsoa) else 0}
    return BdukResult(lsoa=lsoa, lad=lad, contracts=contracts, rows=rows, files=[p.name for p in paths], notes=notes)


def read_points_csv(path: str | Path) -> pd.DataFrame:
    """Read an ONS postcode directory extract (``pcd7, ..., east1m, north1m``) with text postcodes."""
    text, _ = read_text(path)
    return pd.read_csv(io.StringIO(text), dtype=str)
