"""GeoNames place names on the real Midlands extract; bad inputs are real rows edited in tmp_path."""

from __future__ import annotations

import csv
import io

import geopandas as gpd
import pytest
import yaml
from _paths import DATA, ROOT

from mapper.errors import SchemaError, ValueProblem
from mapper.load.places import GEONAMES_CREDIT, read_places
from mapper.load.tables import read_table

PLACES = DATA / "places/GeoNames_cities500_midlands.csv"


def edited(tmp_path, edit):
    rows = list(csv.reader(io.StringIO(PLACES.read_text("utf-8"))))
    edit(rows)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path = tmp_path / PLACES.name
    path.write_text(buf.getvalue(), "utf-8")
    return path


def test_real_places():
    g = read_places(PLACES)
    assert isinstance(g, gpd.GeoDataFrame) and g.crs.to_epsg() == 4326 and len(g) == 908
    assert list(g.columns) == ["geonameid", "name", "population", "lad_code", "lad_name", "geometry"]
    assert list(g["name"][:5]) == ["Birmingham", "Leicester", "Coventry", "Nottingham", "Derby"]
    assert g.loc[0, "population"] == 1_157_603 and g.loc[0, "lad_code"] == "E08000025"
    assert (g.geometry.x[0], g.geometry.y[0]) == (-1.89983, 52.48142)
    # GeoNames' 0 = unknown: missing, never 0, and last
    assert g["population"].isna().sum() == 92 and not (g["population"] == 0).any()
    assert g["population"].iloc[:816].notna().all() and g["population"].iloc[816:].isna().all()
    known = g["population"].dropna()
    assert known.is_monotonic_decreasing
    assert (known >= 100_000).sum() == 20 and ((known >= 10_000) & (known < 100_000)).sum() == 144
    assert g.attrs["population_unknown"] == 92 and g.attrs["credit"] == GEONAMES_CREDIT
    assert (g["name"] == "Basford, Stoke-on-Trent").sum() == 1  # a quoted name with a comma


def test_every_place_lies_in_a_midlands_lad_and_every_lad_has_one():
    g = read_places(PLACES)
    lads = read_table(DATA / "lookups/LAD24_RGN24_lookup_midlands.csv", "lad_region", key="lad_code")
    assert set(g["lad_code"]) == set(lads["lad_code"])
    boundaries = gpd.read_file(ROOT / "boundaries/LAD24_BUC_midlands.geojson")
    joined = gpd.sjoin(g, boundaries, predicate="within", how="left")
    assert (joined["LAD24CD"] == joined["lad_code"]).all()


def test_credit_line_is_registered():
    reg = yaml.safe_load((DATA / "sources.yaml").read_text("utf-8"))
    assert reg["attribution_lines"]["geonames"].rstrip(".") == GEONAMES_CREDIT
    assert reg["files"]["data/places/GeoNames_cities500_midlands.csv"]["licence"] == "CC-BY-4.0"


@pytest.mark.parametrize("column, value, error, message", [
    (2, "152.48", ValueProblem, r"line 2, column 'latitude': 152.48 is outside -90..90"),
    (3, "", ValueProblem, r"line 2, column 'longitude': no value"),
    (4, "-3", ValueProblem, r"line 2, column 'population': -3 is not a whole, non-negative number"),
    (1, "", ValueProblem, r"line 2, column 'name': the place has no name"),
    (0, "", SchemaError, r"line 2: blank geonameid"),
    (7, "", SchemaError, r"line 2, column 'LAD24CD': blank"),
])
def test_bad_rows_are_one_line_errors(tmp_path, column, value, error, message):
    with pytest.raises(error, match=message):
        read_places(edited(tmp_path, lambda rows: rows[1].__setitem__(column, value)))


def test_swapped_coordinates_and_missing_column(tmp_path):
    def swap(rows):
        rows[1][2], rows[1][3] = rows[1][3], rows[1][2]
    with pytest.raises(ValueProblem, match=r"line 2: 'Birmingham' at latitude -1.89983, longitude 52.4814 is outside the UK; latitude and longitude look swapped"):
        read_places(edited(tmp_path, swap))
    with pytest.raises(SchemaError, match=r"GeoNames_cities500_midlands\.csv: missing column\(s\) for a 'geonames_places' table: population"):
        read_places(edited(tmp_path, lambda rows: rows[0].__setitem__(4, "pop")))
