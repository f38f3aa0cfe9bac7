"""Read boundary files (GeoJSON, GeoPackage, zipped shapefile) into a tidy GeoDataFrame.

What happens to a faulty boundary file, and why:

* **No CRS declared** (a shapefile without its ``.prj``): error. Guessing a
  CRS would put areas in the wrong place.
* **Coordinates that cannot be what the file declares** (British National Grid
  metres in a GeoJSON, which GDAL reads as WGS84 longitude/latitude): error,
  telling the user to reproject to EPSG:4326 or set the CRS.
* **A declared projected CRS** (EPSG:27700 shapefile, a GeoJSON with a ``crs``
  member): reprojected to WGS84 and noted. After reprojection every file must
  lie inside the UK; if it does not, the declared CRS was wrong: error.
* **Invalid polygons** (self-intersecting "bow-ties", from generalisation or
  hand edits): repaired with :func:`shapely.make_valid` (structure method,
  polygons kept) and noted with the first code and GEOS's reason. The repair
  keeps the same outline, so point-in-polygon tests are unaffected in
  practice; if the repair leaves no polygon, error.
* **Empty or missing geometry, non-polygons, blank or repeated codes, names
  over 200 characters**: error, every problem collected before raising once.
* Names holding ``<`` or ``>``: read, noted (outputs escape them).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from .._io import MAX_BOUNDARY_BYTES, check_input_file
from ..errors import InputFileError, SchemaError
from .notices import notice
from .values import text_problems

WGS84 = "EPSG:4326"
#: Generous longitude/latitude box around the UK (Scilly, Rockall side of NI, Shetland).
UK_BOX = (-11.0, 49.0, 3.0, 61.5)
#: British National Grid extent in metres (x, y), used only to word the error.
BNG_BOX = (-100_000.0, -100_000.0, 800_000.0, 1_400_000.0)
MAX_NAME_LENGTH = 200
#: Smallest plausible extent of a boundary layer of several areas (metres): LSOAs are hundreds of metres across.
MIN_SPAN_M = 200.0


def _span_metres(gdf: gpd.GeoDataFrame) -> float:
    """The longer side of the layer's bounding box in British National Grid metres (WGS84 input)."""
    minx, miny, maxx, maxy = gpd.GeoSeries(shapely.box(*gdf.total_bounds), crs=gdf.crs).to_crs(27700).total_bounds
    return float(max(maxx - minx, maxy - miny))


def _box_contains(box, bounds) -> bool:
    minx, miny, maxx, maxy = bounds
    return box[0] <= minx and box[1] <= miny and maxx <= box[2] and maxy <= box[3]


def _fmt_bounds(bounds) -> str:
    return ", ".join(f"{v:,.2f}" for v in bounds)


def _check_crs(path: Path, gdf: gpd.GeoDataFrame) -> None:
    crs = gdf.crs
    bounds = tuple(float(v) for v in gdf.total_bounds)
    if crs.is_geographic and not _box_contains((-180, -90, 180, 90), bounds):
        hint = (" They look like British National Grid metres (EPSG:27700)."
                if _box_contains(BNG_BOX, bounds) else "")
        raise SchemaError(
            f"{path}: the file declares longitude/latitude ({crs.to_string()}), but its coordinates span "
            f"{_fmt_bounds(bounds)}, which are not degrees.{hint} Reproject the file to EPSG:4326 (WGS84), "
            "or set the CRS it really uses"
        )


def _polygonal(geom):
    """The polygon parts of a repaired geometry (make_valid may return a collection)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]
    if not parts:
        return None
    return shapely.union_all(parts)


def read_boundaries(path: str | Path, code_field: str, name_field: str) -> gpd.GeoDataFrame:
    """Return a GeoDataFrame with columns ``code``, ``name``, ``geometry`` in WGS84.

    Checks, collecting every problem before raising once: the fields exist,
    codes are unique and non-blank, names are sane, the CRS is declared and
    plausible, and every geometry is a non-empty (multi)polygon. Invalid
    polygons are repaired with ``shapely.make_valid``; the number repaired is
    kept in ``frame.attrs["repaired"]`` and a notice is recorded
    (:mod:`mapper.load.notices`), as is any reprojection
    (``frame.attrs["reprojected_from"]``).
    """
    path = check_input_file(path, what="boundary file", max_bytes=MAX_BOUNDARY_BYTES)
    if path.stat().st_size == 0:
        raise InputFileError(f"{path}: the boundary file is empty (0 bytes); download or export it again")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several error types
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputFileError(
            f"{path}: cannot read as a boundary file ({first}); it must be a complete GeoJSON, "
            "GeoPackage or zipped shapefile"
        ) from None
    missing = [f for f in (code_field, name_field) if f not in gdf.columns]
    if missing:
        raise SchemaError(
            f"{path}: missing field(s) {missing}; found {[c for c in gdf.columns if c != 'geometry']}; "
            "fix boundary_fields in config.yaml or use the right file"
        )
    problems = []
    if gdf.crs is None:
        problems.append(
            "no coordinate reference system is declared (a shapefile without its .prj?); set the CRS, "
            "or reproject the file to EPSG:4326 (WGS84)"
        )
    codes = gdf[code_field].astype("string").str.strip()
    blank = codes.fillna("") == ""
    if blank.any():
        first = int(np.flatnonzero(blank.to_numpy())[0]) + 1
        problems.append(f"{int(blank.sum())} feature(s) have a blank {code_field} (first: feature {first})")
    dup = codes.duplicated(keep=False) & ~blank
    if dup.any():
        problems.append(f"{code_field} value(s) {sorted(codes[dup].unique())[:5]} appear more than once; "
                        "merge or remove the repeats")
    geoms = gdf.geometry
    empty = geoms.isna() | geoms.is_empty
    if empty.any():
        problems.append(
            f"{int(empty.sum())} feature(s) have no geometry (first: {codes[empty].iloc[0]}); "
            "restore their shapes or remove them"
        )
    wrong = ~empty & ~geoms.geom_type.isin(["Polygon", "MultiPolygon"])
    if wrong.any():
        problems.append(
            f"{int(wrong.sum())} feature(s) are not polygons (first: {codes[wrong].iloc[0]}, "
            f"{geoms[wrong].iloc[0].geom_type}); area boundaries must be polygons"
        )
    if problems:
        raise SchemaError(f"{path}: " + "; ".join(problems))
    names = gdf[name_field].astype("string").str.strip()
    markup = text_problems(names, path=path, column=name_field, max_length=MAX_NAME_LENGTH, first_row=1,
                           unit="feature")
    if markup:
        notice(path, f"{markup} name(s) in '{name_field}' contain '<' or '>' (HTML?); they are shown as plain text")
    _check_crs(path, gdf)

    out = gpd.GeoDataFrame(
        {"code": codes.astype(str), "name": names.astype(str)},
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    reprojected_from = None
    if not out.crs.equals(gpd.GeoSeries(crs=WGS84).crs, ignore_axis_order=True):  # CRS84 is WGS84 too
        reprojected_from = out.crs.to_string()
        src = tuple(float(v) for v in out.total_bounds)
        if out.crs.is_projected and _box_contains((-180, -90, 180, 90), src):
            raise SchemaError(
                f"{path}: the file declares {reprojected_from} (metres) but its coordinates span {_fmt_bounds(src)}, "
                "which look like longitude/latitude degrees, not metres; remove the wrong CRS (GeoJSON is WGS84 by "
                "definition) or reproject the file properly"
            )
        out = out.to_crs(WGS84)
    bounds = tuple(float(v) for v in out.total_bounds)
    if not np.all(np.isfinite(bounds)) or not _box_contains(UK_BOX, bounds):
        raise SchemaError(
            f"{path}: read as {reprojected_from or 'WGS84'}, the boundaries span longitude/latitude {_fmt_bounds(bounds)}, "
            "outside the UK; the declared CRS is probably wrong: reproject the file to EPSG:4326, or set the CRS it really uses"
        )
    span_m = _span_metres(out)
    if len(out) > 1 and span_m < MIN_SPAN_M:
        raise SchemaError(
            f"{path}: read as {reprojected_from or 'WGS84'}, all {len(out)} areas fit in {span_m:,.0f} m; boundaries of real "
            "areas span kilometres, so the declared CRS (or the coordinates) must be wrong: check the file's CRS"
        )
    if reprojected_from:
        notice(path, f"reprojected from {reprojected_from} to EPSG:4326 (WGS84)")

    values = out.geometry.values
    invalid = ~shapely.is_valid(values)
    if invalid.any():
        first = int(np.flatnonzero(invalid)[0])
        reason = shapely.is_valid_reason(values[first])
        fixed = [_polygonal(g) for g in shapely.make_valid(values[invalid], method="structure", keep_collapsed=False)]
        lost = [out["code"].iloc[i] for i, g in zip(np.flatnonzero(invalid), fixed) if g is None]
        if lost:
            raise SchemaError(
                f"{path}: feature(s) {lost[:5]} have invalid geometry that cannot be repaired into a polygon; "
                "fix them in a GIS (e.g. QGIS 'Fix geometries') and try again"
            )
        repaired = np.empty(len(fixed), dtype=object)
        repaired[:] = fixed
        out.loc[invalid, "geometry"] = repaired
        notice(
            path,
            f"repaired {int(invalid.sum())} invalid geometr{'y' if invalid.sum() == 1 else 'ies'} with shapely.make_valid "
            f"(first: {out['code'].iloc[first]}: {reason})",
        )
    out.attrs["repaired"] = int(invalid.sum())
    out.attrs["reprojected_from"] = reprojected_from
    out.attrs["source"] = str(path)
    return out
