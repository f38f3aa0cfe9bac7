"""Make boundary layers small enough to share, without opening slivers or gaps.

Neighbouring areas share edges. Simplifying each polygon on its own moves the
two copies of a shared edge differently, leaving slivers and gaps between
neighbours. :func:`simplify_coverage` treats the whole layer as one coverage
(``shapely.coverage_simplify``), so a shared edge is simplified once and stays
shared. It works in metres (British National Grid, EPSG:27700), then returns to
WGS84 and snaps coordinates to a 5-decimal-place grid (about 1 m), which is
all a web map needs and what keeps the HTML small.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from ..errors import MapperError

#: Metric CRS used for simplification (British National Grid).
PROJECTED_CRS = "EPSG:27700"
#: Decimal places kept in WGS84 coordinates (1e-5 degree is about 1.1 m north-south).
COORD_DECIMALS = 5
#: Grid (metres, EPSG:27700) the coverage is snapped to before it is simplified.
SNAP_M = 0.01


class GeometryError(MapperError):
    """A boundary layer cannot be simplified as asked."""


def simplify_coverage(gdf: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` with its polygons simplified as one coverage, in WGS84.

    ``tolerance`` is in metres (0 keeps every vertex, but still rounds the
    coordinates). Shared edges stay shared, every input row keeps a valid,
    non-empty geometry, and coordinates are rounded to :data:`COORD_DECIMALS`.

    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"code": ["a", "b"]}, geometry=[box(-1.5, 52.0, -1.4, 52.1), box(-1.4, 52.0, -1.3, 52.1)], crs=4326)
    >>> out = simplify_coverage(g, 50)
    >>> out.crs.to_epsg(), list(out["code"]), bool(out.is_valid.all())
    (4326, ['a', 'b'], True)
    """
    if tolerance < 0:
        raise GeometryError(f"simplify tolerance must be 0 or more metres, not {tolerance}")
    if gdf.crs is None:
        raise GeometryError("the boundary layer has no CRS; set one (EPSG:4326 for GeoJSON) before simplifying")
    out = gdf.copy()
    geoms = out.geometry.to_crs(PROJECTED_CRS).to_numpy()
    bad = [i for i, g in enumerate(geoms) if g is None or g.is_empty or g.geom_type not in ("Polygon", "MultiPolygon")]
    if bad:
        codes = list(out.iloc[bad[:5]].get("code", out.index[bad[:5]]))
        raise GeometryError(f"{len(bad)} row(s) have no polygon geometry (first: {codes}); fix the boundary file")
    if tolerance > 0:
        # Reprojection can leave a repaired polygon slightly invalid, and GEOS's coverage simplification
        # refuses degenerate rings: make valid, then snap to a 1 cm grid (shared vertices stay shared).
        geoms = np.where(shapely.is_valid(geoms), geoms, shapely.make_valid(geoms))
        geoms = np.array([_polygonal_part(g) for g in shapely.set_precision(geoms, SNAP_M)], dtype=object)
    simplified = shapely.coverage_simplify(geoms, tolerance) if tolerance > 0 else geoms
    back = gpd.GeoSeries(simplified, crs=PROJECTED_CRS).to_crs(4326).to_numpy()
    invalid = ~shapely.is_valid(back)
    if invalid.any():
        back = np.where(invalid, shapely.make_valid(back), back)
    rounded = _round(back)
    # set_precision can collapse a sliver part; keep the unrounded (still valid) geometry then.
    keep = shapely.is_empty(rounded) | ~shapely.is_valid(rounded)
    if keep.any():
        rounded = np.where(keep, shapely.make_valid(back), rounded)
    out = out.set_geometry(gpd.GeoSeries(rounded, index=out.index, crs=4326), crs=4326)
    if out.geometry.name != gdf.geometry.name:
        out = out.rename_geometry(gdf.geometry.name)
    return out


def _polygonal_part(geom):
    """The polygons of a geometry (make_valid or snapping may add stray lines or points)."""
    if geom is None or geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else geom


def _round(geoms: np.ndarray) -> np.ndarray:
    """Snap to the 5-decimal grid, keeping validity; geometry by geometry where GEOS refuses the batch."""
    grid = 10.0 ** -COORD_DECIMALS
    try:
        return shapely.set_precision(geoms, grid)
    except shapely.errors.GEOSException:
        out = []
        for g in geoms:
            try:
                out.append(shapely.set_precision(g, grid))
            except shapely.errors.GEOSException:
                out.append(shapely.make_valid(shapely.transform(g, lambda xy: np.round(xy, COORD_DECIMALS))))
        return np.array(out, dtype=object)


def coverage_report(gdf: gpd.GeoDataFrame) -> dict:
    """Area figures (m², in EPSG:27700) that show slivers, gaps and overlaps.

    ``overlap_m2`` is the sum of the areas minus the area of their union (0 for a
    clean coverage); ``union_m2`` can be compared before and after simplifying
    to see gaps opened or closed.
    """
    geoms = gdf.geometry.to_crs(PROJECTED_CRS).to_numpy()
    total = float(shapely.area(geoms).sum())
    union = float(shapely.union_all(geoms).area)
    return {"areas": len(geoms), "sum_m2": total, "union_m2": union, "overlap_m2": total - union,
            "invalid": int((~shapely.is_valid(geoms)).sum()), "empty": int(shapely.is_empty(geoms).sum())}
