"""Read boundary files (GeoJSON, GeoPackage, zipped shapefile) into a tidy GeoDataFrame."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

from ..errors import InputFileError, SchemaError

WGS84 = "EPSG:4326"


def read_boundaries(path: str | Path, code_field: str, name_field: str) -> gpd.GeoDataFrame:
    """Return a GeoDataFrame with columns ``code``, ``name``, ``geometry`` in WGS84.

    Checks, collecting every problem before raising once: the fields exist,
    codes are unique and non-blank, the CRS is known, and every geometry is a
    non-empty (multi)polygon. Invalid polygons are repaired with
    ``shapely.make_valid`` and the number repaired is kept in
    ``frame.attrs["repaired"]``.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: boundary file not found; check the path in config.yaml")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several error types
        raise InputFileError(f"{path}: cannot read as a boundary file ({exc})") from None
    problems = []
    missing = [f for f in (code_field, name_field) if f not in gdf.columns]
    if missing:
        raise SchemaError(f"{path}: missing field(s) {missing}; found {[c for c in gdf.columns if c != 'geometry']}")
    if gdf.crs is None:
        problems.append("no CRS is declared; save the file with its coordinate reference system")
    codes = gdf[code_field].astype("string").str.strip()
    if (codes.fillna("") == "").any():
        problems.append(f"{int((codes.fillna('') == '').sum())} feature(s) have a blank {code_field}")
    dup = codes.duplicated(keep=False) & codes.notna()
    if dup.any():
        problems.append(f"{code_field} value(s) {sorted(codes[dup].unique())[:5]} appear more than once")
    geoms = gdf.geometry
    empty = geoms.isna() | geoms.is_empty
    if empty.any():
        problems.append(f"{int(empty.sum())} feature(s) have no geometry (first: {codes[empty].iloc[0]})")
    wrong = ~empty & ~geoms.geom_type.isin(["Polygon", "MultiPolygon"])
    if wrong.any():
        problems.append(f"{int(wrong.sum())} feature(s) are not polygons (first: {codes[wrong].iloc[0]}, {geoms[wrong].iloc[0].geom_type})")
    if problems:
        raise SchemaError(f"{path}: " + "; ".join(problems))
    out = gpd.GeoDataFrame(
        {"code": codes.astype(str), "name": gdf[name_field].astype(str).str.strip()},
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    if not out.crs.equals(gpd.GeoSeries(crs=WGS84).crs):
        out = out.to_crs(WGS84)
    invalid = ~shapely.is_valid(out.geometry.values)
    if invalid.any():
        out.loc[invalid, "geometry"] = shapely.make_valid(out.geometry.values[invalid])
    out.attrs["repaired"] = int(invalid.sum())
    out.attrs["source"] = str(path)
    return out
