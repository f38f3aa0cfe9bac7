"""What a map shows for orientation and search, besides its areas: outlines, place names, counties, postcodes.

Everything here is built at render time, offline, from files the project ships,
and written into the page (nothing is fetched when the page opens):

* **region and county outlines**: local-authority polygons dissolved by region and
  by county / unitary authority (``inputs.area_groups``, default ``data/lookups/LAD24_CTY24_midlands.csv``), as
  one coverage, so the outlines sit exactly on the local-authority edges;
  constituency maps get the same outlines from the local-authority layer;
* **place names**: GeoNames populated places (``data/places/...``; CC BY 4.0, the
  credit is shown wherever names are), largest first, with the area each falls in;
* **postcode districts and sectors**: the centroid of their postcodes' grid
  references (ONS postcode directory, ``inputs.postcode_points``), with the area the
  centroid falls in: enough to find "LN8 3" or "LN8" without shipping 379,000 postcodes.

:func:`load_context` reads the files (once per file version); the other
functions are pure and take GeoDataFrames.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..load.places import GEONAMES_CREDIT
from .geometry import COORD_DECIMALS, PROJECTED_CRS, simplify_coverage

#: Default locations of the shipped orientation inputs (used when config.yaml names none).
DEFAULT_PLACES = "data/places/GeoNames_cities500_midlands.csv"
DEFAULT_COUNTIES = "data/lookups/LAD24_CTY24_midlands.csv"
#: Attribution the ONS postcode directory asks for (Royal Mail data inside it).
POSTCODE_CREDIT = "Postcode centroids: ONS Postcode Directory; contains Royal Mail data © Royal Mail copyright and database right"


@dataclass
class MapContext:
    """Orientation inputs, read once per build."""

    lad_county: pd.DataFrame | None = None       # lad_code, county_code, county_name, kind
    lad_region: dict | None = None               # lad_code -> region name
    la_geo: gpd.GeoDataFrame | None = None       # code, region_name, geometry (the local-authority layer)
    places: gpd.GeoDataFrame | None = None       # name, population (NaN = unknown), geometry; largest first
    postcodes: pd.DataFrame | None = None        # key ("LN8" or "LN8 3"), kind, lon, lat, n
    files: list[Path] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)


def _stamp(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path), st.st_mtime_ns, st.st_size


def _read_csv(path: Path, **kw) -> pd.DataFrame:
    from .._io import read_text

    text, _ = read_text(path)
    return pd.read_csv(io.StringIO(text), **kw)


@lru_cache(maxsize=4)
def _counties(stamp) -> pd.DataFrame:
    from ..load.tables import read_table

    raw = read_table(Path(stamp[0]), "area_groups", key="lad_code")
    return pd.DataFrame({"lad_code": raw["lad_code"].astype(str), "county_code": raw["group_code"].astype(str),
                         "county_name": raw["group_name"].astype(str),
                         "kind": raw["group_kind"].astype("string").fillna("").astype(str)})


@lru_cache(maxsize=4)
def _regions(stamp) -> dict:
    from ..load.tables import read_table

    raw = read_table(Path(stamp[0]), "lad_region", key="lad_code")
    return dict(zip(raw["lad_code"], raw["region_name"]))


@lru_cache(maxsize=4)
def _places(stamp) -> gpd.GeoDataFrame:
    """GeoNames places (validated by :func:`mapper.load.places.read_places`), largest first; unknown population NaN."""
    from ..load.places import read_places

    out = read_places(Path(stamp[0]))
    out = out[["geonameid", "name", "population", "geometry"]].copy()
    out["geonameid"] = out["geonameid"].astype("int64")
    out["name"] = out["name"].astype(str)
    out["population"] = out["population"].astype("float64")
    return out


@lru_cache(maxsize=2)
def _postcodes(stamp) -> pd.DataFrame:
    """Centroids of postcode districts ("LN8") and sectors ("LN8 3") from postcode grid references."""
    raw = _read_csv(Path(stamp[0]), usecols=["pcd7", "east1m", "north1m"], dtype={"pcd7": str})
    raw = raw.dropna(subset=["east1m", "north1m"])
    pcd = raw["pcd7"].str.upper()
    outward = pcd.str[:-3].str.strip()
    inward = pcd.str[-3:].str.strip()
    ok = outward.str.match(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$") & inward.str.match(r"^[0-9][A-Z]{2}$")
    raw, outward, inward = raw[ok], outward[ok], inward[ok]
    pieces = []
    for kind, key in (("district", outward), ("sector", outward + " " + inward.str[0])):
        g = raw.groupby(key.to_numpy())[["east1m", "north1m"]].agg(["mean", "size"])
        pieces.append(pd.DataFrame({"key": g.index.astype(str), "kind": kind, "east": g[("east1m", "mean")].to_numpy(),
                                    "north": g[("north1m", "mean")].to_numpy(),
                                    "n": g[("east1m", "size")].to_numpy()}))
    out = pd.concat(pieces, ignore_index=True)
    pts = gpd.GeoSeries(gpd.points_from_xy(out["east"], out["north"]), crs=PROJECTED_CRS).to_crs(4326)
    out["lon"], out["lat"] = pts.x.round(4).to_numpy(), pts.y.round(4).to_numpy()
    return out.drop(columns=["east", "north"]).sort_values(["kind", "key"], kind="mergesort").reset_index(drop=True)


def _input(cfg, key: str, default: str | None) -> Path | None:
    path = (getattr(cfg, "inputs", None) or {}).get(key)
    if path is None and default is not None and getattr(cfg, "root", None) is not None:
        path = Path(cfg.root) / default
    return Path(path) if path is not None and Path(path).is_file() else None


def load_context(cfg, frames=None) -> MapContext:
    """Read the orientation inputs named in ``cfg`` (or shipped at their default paths); missing files are skipped."""
    ctx = MapContext()
    path = _input(cfg, "area_groups", DEFAULT_COUNTIES)
    if path is not None:
        ctx.lad_county = _counties(_stamp(path))
        ctx.files.append(path)
    path = _input(cfg, "lad_region_lookup", None)
    if path is not None:
        ctx.lad_region = _regions(_stamp(path))
    path = _input(cfg, "places", DEFAULT_PLACES)
    if path is not None:
        ctx.places = _places(_stamp(path))
        ctx.files.append(path)
        ctx.credits.append(GEONAMES_CREDIT)
    path = _input(cfg, "postcode_points", None)
    if path is not None:
        ctx.postcodes = _postcodes(_stamp(path))
        ctx.files.append(path)
        ctx.credits.append(POSTCODE_CREDIT)
    la = getattr(frames, "la", None) if frames is not None else None
    if la is not None:
        ctx.la_geo = gpd.GeoDataFrame({"code": la.frame["code"].astype(str).to_numpy(),
                                       "region_name": la.frame["region_name"].to_numpy()},
                                      geometry=la.frame.geometry.to_numpy(), crs=la.frame.crs)
    return ctx


# ----------------------------------------------------------------------------------------------
# pure builders
# ----------------------------------------------------------------------------------------------

def _lines(geom) -> list:
    """The boundary of a (multi)polygon as nested coordinate lists, rounded to the map's grid."""
    b = shapely.set_precision(shapely.boundary(geom), 10.0 ** -COORD_DECIMALS)
    parts = getattr(b, "geoms", [b])
    return [np.round(np.asarray(p.coords), COORD_DECIMALS).tolist() for p in parts if not p.is_empty]


def outline_groups(la_geo: gpd.GeoDataFrame, lad_county: pd.DataFrame | None) -> dict[str, pd.Series]:
    """Region and county of each local authority of ``la_geo`` (by code)."""
    out = {"region": la_geo["region_name"].astype("string").reset_index(drop=True)}
    if lad_county is not None:
        names = dict(zip(lad_county["lad_code"], lad_county["county_name"]))
        out["county"] = la_geo["code"].map(names).astype("string").reset_index(drop=True)
    return out


def simplified_layer(la_geo: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """The local-authority layer's codes and polygons simplified as one coverage (input of :func:`dissolve`)."""
    return simplify_coverage(gpd.GeoDataFrame({"code": la_geo["code"].to_numpy()}, geometry=la_geo.geometry.to_numpy(),
                                              crs=la_geo.crs), tolerance)


def dissolve(la_geo: gpd.GeoDataFrame, keys: pd.Series, tolerance: float, *,
             simplified: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Polygons of each ``keys`` group (one coverage: the local-authority layer simplified, then unioned).

    ``simplified`` is :func:`simplified_layer` of ``la_geo`` when the caller dissolves
    the same layer more than once (regions, then counties).
    """
    geo = simplified_layer(la_geo, tolerance) if simplified is None else simplified
    keys = pd.Series(keys.to_numpy(), index=geo.index)
    rows = []
    for name in sorted(keys.dropna().unique(), key=str):
        parts = geo.geometry.to_numpy()[(keys == name).to_numpy()]
        rows.append({"name": str(name), "geometry": shapely.make_valid(shapely.union_all(parts))})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326) if rows else gpd.GeoDataFrame(
        {"name": []}, geometry=[], crs=4326)


def outline_features(groups: gpd.GeoDataFrame, kind: str) -> list[dict]:
    """GeoJSON line features of each group's boundary (``kind``: region or county)."""
    return [{"type": "Feature", "properties": {"n": r["name"], "t": kind},
             "geometry": {"type": "MultiLineString", "coordinates": _lines(r["geometry"])}}
            for _, r in groups.iterrows()]


def bounds_of(geom) -> list[float]:
    """[south, west, north, east] rounded to 4 decimals (Leaflet's order)."""
    minx, miny, maxx, maxy = shapely.bounds(geom)
    return [round(float(miny), 4), round(float(minx), 4), round(float(maxy), 4), round(float(maxx), 4)]


def area_of_points(points: gpd.GeoSeries, areas: gpd.GeoSeries, *, max_km: float = 2.0) -> np.ndarray:
    """Index into ``areas`` of the polygon holding each point; the nearest within ``max_km`` otherwise; -1 if none."""
    pts = gpd.GeoDataFrame(geometry=points.to_crs(PROJECTED_CRS).to_numpy(), crs=PROJECTED_CRS)
    polys = gpd.GeoDataFrame({"ai": np.arange(len(areas))}, geometry=areas.to_crs(PROJECTED_CRS).to_numpy(),
                             crs=PROJECTED_CRS)
    out = np.full(len(pts), -1, dtype=int)
    hit = gpd.sjoin(pts, polys, how="left", predicate="within")
    hit = hit[~hit.index.duplicated(keep="first")]
    found = hit["ai"].notna().to_numpy()
    out[found] = hit["ai"].to_numpy()[found].astype(int)
    missing = np.flatnonzero(~found)
    if len(missing):
        near = gpd.sjoin_nearest(pts.iloc[missing], polys, how="left", max_distance=max_km * 1000)
        near = near[~near.index.duplicated(keep="first")]
        ok = near["ai"].notna().to_numpy()
        out[near.index.to_numpy()[ok]] = near["ai"].to_numpy()[ok].astype(int)
    return out


def majority_group(areas: gpd.GeoSeries, groups: gpd.GeoDataFrame) -> np.ndarray:
    """Index into ``groups`` of the group covering most of each area (-1 when none overlaps)."""
    a = areas.to_crs(PROJECTED_CRS).to_numpy()
    g = groups.geometry.to_crs(PROJECTED_CRS).to_numpy()
    tree = shapely.STRtree(g)
    out = np.full(len(a), -1, dtype=int)
    for i, geom in enumerate(a):
        cand = tree.query(geom, predicate="intersects")
        if len(cand):
            overlap = shapely.area(shapely.intersection(geom, g[cand]))
            if overlap.max() > 0:
                out[i] = int(cand[int(np.argmax(overlap))])
    return out


def label_points(geoms) -> list[list[float]]:
    """A point inside each polygon for its label ([lon, lat], 4 decimals): the largest part's inner point."""
    out = []
    for g in geoms:
        part = max(getattr(g, "geoms", [g]), key=lambda p: p.area)
        try:
            pt = shapely.polylabel(part, tolerance=0.002)
        except Exception:
            pt = part.representative_point()
        out.append([round(pt.x, 4), round(pt.y, 4)])
    return out
