"""Place names for map labels: GeoNames populated places (``cities500``) with their LAD.

:func:`read_places` reads a CSV through the ``geonames_places`` schema in
``table_schemas.yaml`` (columns by name) and returns points in WGS84, largest
place first. Which places are shown at which zoom is the renderer's choice;
this layer only supplies names, sizes and positions.

GeoNames data is **CC BY 4.0, not OGL**: every map or print that shows these
names must carry :data:`GEONAMES_CREDIT` next to it.

Quirks of the source, kept visible rather than fixed:

* GeoNames writes population 0 when it does not know it (92 of the 908
  Midlands places); those are read as **missing**, never 0, and sort last.
* Populations come from mixed, undated years, and some entries are districts
  of a city rather than separate towns; use them to rank labels, not as
  statistics.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..errors import SchemaError, ValueProblem
from .csvfile import first_line
from .geo import UK_BOX, WGS84
from .notices import notice
from .tables import read_table
from .values import text_problems

#: The credit GeoNames' licence requires wherever these names are shown.
GEONAMES_CREDIT = "Place names: GeoNames (geonames.org), CC BY 4.0"
MAX_NAME_LENGTH = 200


def read_places(path: str | Path) -> gpd.GeoDataFrame:
    """Places as a GeoDataFrame in EPSG:4326, sorted by population, largest first.

    Columns: ``geonameid`` (Int64, unique), ``name``, ``population`` (Int64;
    missing where GeoNames gives 0 = unknown), ``lad_code``, ``lad_name`` (the
    LAD24 the point falls in) and point ``geometry``. Ties and unknown
    populations are ordered by name, then id, so the order is stable.

    One-line errors (:class:`~mapper.errors.SchemaError` /
    :class:`~mapper.errors.ValueProblem`, naming the file, line and column):
    a missing column, a blank or repeated id, a blank or absurdly long name,
    a missing coordinate, latitude outside -90..90 or longitude outside
    -180..180, a point outside the UK (often latitude and longitude swapped),
    and a negative or fractional population.
    """
    path = Path(path)
    raw = read_table(path, "geonames_places", key="geonameid")
    ids = pd.to_numeric(raw["geonameid"], errors="coerce")
    bad_id = ids.isna() | (ids != ids.round()) | (ids <= 0)
    if bad_id.any():
        raise ValueProblem(
            f"{path}: line {first_line(bad_id)}, column 'geonameid': {raw['geonameid'][bad_id].iloc[0]!r} is not a "
            "GeoNames id (a positive whole number)"
        )
    names = raw["name"].fillna("")
    blank = names == ""
    if blank.any():
        raise ValueProblem(f"{path}: line {first_line(blank)}, column 'name': the place has no name; "
                           "fill it in or delete the row")
    markup = text_problems(names, path=path, column="name", max_length=MAX_NAME_LENGTH)
    if markup:
        notice(path, f"{markup} place name(s) contain '<' or '>' (HTML?); they are shown as plain text")

    lat, lon = raw["latitude"], raw["longitude"]
    for col, values, limit in (("latitude", lat, 90), ("longitude", lon, 180)):
        missing = values.isna()
        if missing.any():
            raise ValueProblem(
                f"{path}: line {first_line(missing)}, column '{col}': no value; a place needs both coordinates"
            )
        out = values.abs() > limit
        if out.any():
            raise ValueProblem(
                f"{path}: line {first_line(out)}, column '{col}': {values[out].iloc[0]:g} is outside -{limit}..{limit}; "
                "coordinates must be WGS84 degrees"
            )
    lon_min, lat_min, lon_max, lat_max = UK_BOX
    outside = (lon < lon_min) | (lon > lon_max) | (lat < lat_min) | (lat > lat_max)
    if outside.any():
        i = first_line(outside) - 2
        swapped = lon_min <= lat.iloc[i] <= lon_max and lat_min <= lon.iloc[i] <= lat_max
        raise ValueProblem(
            f"{path}: line {i + 2}: {names.iloc[i]!r} at latitude {lat.iloc[i]:g}, longitude {lon.iloc[i]:g} is "
            "outside the UK" + ("; latitude and longitude look swapped" if swapped else "")
            + "; fix the coordinates or remove the row"
        )

    pop = raw["population"]
    bad_pop = pop.notna() & ((pop < 0) | (pop != pop.round()))
    if bad_pop.any():
        raise ValueProblem(
            f"{path}: line {first_line(bad_pop)}, column 'population': {pop[bad_pop].iloc[0]:g} is not a whole, "
            "non-negative number of people"
        )
    unknown = int((pop == 0).sum())
    population = pop.mask(pop == 0).round().astype("Int64")  # GeoNames: 0 = unknown

    lad_blank = raw["lad_code"].fillna("") == ""
    if lad_blank.any():
        raise SchemaError(
            f"{path}: line {first_line(lad_blank)}, column 'LAD24CD': blank; every place needs the local authority "
            "it falls in (rebuild the file with a point-in-polygon join to the LAD boundaries)"
        )

    frame = pd.DataFrame({
        "geonameid": ids.round().astype("Int64"),
        "name": names.astype("string"),
        "population": population,
        "lad_code": raw["lad_code"].astype("string"),
        "lad_name": raw["lad_name"].astype("string"),
    })
    out = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=WGS84)
    out = out.sort_values(["population", "name", "geonameid"], ascending=[False, True, True],
                          na_position="last", kind="mergesort").reset_index(drop=True)
    out.attrs.update(source=str(path), population_unknown=unknown, credit=GEONAMES_CREDIT)
    return out
