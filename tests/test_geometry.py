"""Coverage simplification keeps shared edges shared and every area present."""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from _paths import ROOT
from shapely.geometry import Polygon

from mapper.render.geometry import GeometryError, coverage_report, simplify_coverage

LAD = ROOT / "boundaries/LAD24_BUC_midlands.geojson"


def _jagged_pair() -> gpd.GeoDataFrame:
    """Two areas (about 2 km x 2 km each, near Lincoln) sharing a zig-zag edge of 41 vertices."""
    x0, y0, w = 490000.0, 370000.0, 2000.0
    ys = np.linspace(y0, y0 + w, 41)
    xs = x0 + w + np.where(np.arange(41) % 2 == 0, 0.0, 15.0)  # 15 m zig-zag: below a 50 m tolerance
    edge = list(zip(xs, ys))
    west = Polygon([(x0, y0)] + edge + [(x0, y0 + w)])
    east = Polygon(edge + [(x0 + 2 * w, y0 + w), (x0 + 2 * w, y0)])
    return gpd.GeoDataFrame({"code": ["W", "E"]}, geometry=[west, east], crs=27700).to_crs(4326)


def _overlap_and_union(gdf):
    rep = coverage_report(gdf)
    return rep["overlap_m2"], rep["union_m2"]


def test_shared_edge_stays_shared():
    gdf = _jagged_pair()
    out = simplify_coverage(gdf, 50)
    assert list(out["code"]) == ["W", "E"]
    assert out.is_valid.all() and not out.is_empty.any()
    assert shapely.get_num_coordinates(out.geometry.values).sum() < shapely.get_num_coordinates(gdf.geometry.values).sum() - 30
    overlap, union = _overlap_and_union(out)
    _, union_before = _overlap_and_union(gdf)
    assert abs(overlap) < 5.0  # m², rounding to 1e-5 degrees only
    assert abs(union - union_before) < 0.01 * union_before  # no gap opened between the two
    assert shapely.union_all(out.to_crs(27700).geometry.values).geom_type == "Polygon"  # one piece: no sliver gap


def test_independent_simplification_would_fail_the_same_check():
    """The checks can fail: simplifying one neighbour without the other opens slivers."""
    gdf = _jagged_pair().to_crs(27700)
    alone = gdf.set_geometry([shapely.simplify(gdf.geometry.iloc[0], 50), gdf.geometry.iloc[1]])
    _, union = _overlap_and_union(alone.to_crs(4326))
    _, union_before = _overlap_and_union(gdf.to_crs(4326))
    assert union_before - union > 100  # m² of sliver gaps between the neighbours
    assert len(shapely.union_all(alone.geometry.values).interiors) > 0


def test_real_la_layer_keeps_every_area_without_gaps_or_overlaps():
    gdf = gpd.read_file(LAD)
    out = simplify_coverage(gdf, 200)
    assert len(out) == len(gdf) == 65
    assert list(out["LAD24CD"]) == list(gdf["LAD24CD"])
    assert out.is_valid.all() and not out.is_empty.any()
    before, after = coverage_report(gdf), coverage_report(out)
    assert abs(after["overlap_m2"]) < 1000  # m² over 28,600 km²
    assert abs(after["union_m2"] - before["union_m2"]) < 1e-4 * before["union_m2"]
    # every area keeps (almost) its size: 200 m moves edges, never drops an area
    ratio = shapely.area(out.to_crs(27700).geometry.values) / shapely.area(gdf.to_crs(27700).geometry.values)
    assert ratio.min() > 0.97 and ratio.max() < 1.03


def test_coordinates_are_rounded_to_five_decimals():
    out = simplify_coverage(_jagged_pair(), 0)
    xy = shapely.get_coordinates(out.geometry.values)
    assert np.allclose(xy, np.round(xy, 5), atol=1e-9)


def test_bad_inputs_raise_mapper_errors():
    gdf = _jagged_pair()
    with pytest.raises(GeometryError, match="0 or more metres"):
        simplify_coverage(gdf, -1)
    with pytest.raises(GeometryError, match="no CRS"):
        simplify_coverage(gdf.set_crs(None, allow_override=True), 10)
    pts = gpd.GeoDataFrame({"code": ["p"]}, geometry=[shapely.Point(-1, 52)], crs=4326)
    with pytest.raises(GeometryError, match=r"no polygon geometry \(first: \['p'\]\)"):
        simplify_coverage(pts, 10)
