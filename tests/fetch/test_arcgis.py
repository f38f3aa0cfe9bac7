"""ArcGIS paging against a loopback server replaying the real LSOA21 boundaries in pages."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from fetch_helpers import LSOA_FILE, fetcher, sleeps
from werkzeug import Response

from mapper.errors import FetchError
from mapper.fetch.arcgis import dumps_collection, query_layer

LAYER = "/ons/Lower_layer_Super_Output_Areas_December_2021_Boundaries_EW_BSC_V4/FeatureServer/0"


@pytest.fixture(scope="module")
def real_features():
    return json.loads(LSOA_FILE.read_text("utf-8"))["features"]


def arcgis_handler(features, *, cap=2000, requests=None, short_at=None, drop=0):
    """Answer like a FeatureServer: count first, then pages capped at ``cap`` with exceededTransferLimit."""
    ordered = sorted(features, key=lambda f: f["properties"]["LSOA21CD"])

    def handle(request):
        v = request.values
        if requests is not None:
            requests.append(dict(v))
        if v.get("returnCountOnly") == "true":
            return Response(json.dumps({"count": len(ordered)}), content_type="application/json")
        offset, n = int(v["resultOffset"]), min(int(v["resultRecordCount"]), cap)
        page = ordered[offset: offset + n]
        if short_at is not None and offset >= short_at:
            page = page[: len(page) - drop]
        body = {"type": "FeatureCollection", "features": page}
        if offset + n < len(ordered):
            body["properties"] = {"exceededTransferLimit": True}
        return Response(json.dumps(body), content_type="application/geo+json")

    return handle


def test_real_lsoa_pages_reassemble_to_the_original(httpserver, fetcher, real_features, tmp_path):
    seen = []
    httpserver.expect_request(LAYER + "/query").respond_with_handler(arcgis_handler(real_features, requests=seen))
    coll = query_layer(fetcher, httpserver.url_for(LAYER), where="1=1", out_fields="LSOA21CD,LSOA21NM",
                       order_by="LSOA21CD", return_geometry=True)
    assert len(coll["features"]) == len(real_features) == 6420
    pages = [r for r in seen if "resultOffset" in r]
    assert [r["resultOffset"] for r in pages] == ["0", "2000", "4000", "6000"]
    assert all(r["f"] == "geojson" and r["outSR"] == "4326" for r in pages)
    out = tmp_path / "lsoa.geojson"
    out.write_bytes(dumps_collection(coll))
    got = gpd.read_file(out).sort_values("LSOA21CD").reset_index(drop=True)
    want = gpd.read_file(LSOA_FILE).sort_values("LSOA21CD").reset_index(drop=True)
    assert list(got["LSOA21CD"]) == list(want["LSOA21CD"]) and list(got["LSOA21NM"]) == list(want["LSOA21NM"])
    assert got.geometry.geom_equals_exact(want.geometry, tolerance=0).all()


def test_server_cap_below_the_page_size_is_followed(httpserver, fetcher, real_features):
    seen = []
    sub = real_features[:2500]
    httpserver.expect_request(LAYER + "/query").respond_with_handler(arcgis_handler(sub, cap=1000, requests=seen))
    coll = query_layer(fetcher, httpserver.url_for(LAYER), order_by="LSOA21CD", page_size=2000)
    assert len(coll["features"]) == 2500
    assert [r["resultOffset"] for r in seen if "resultOffset" in r] == ["0", "1000", "2000"]


def test_long_where_clause_is_posted(httpserver, fetcher, real_features):
    seen = []
    sub = real_features[:300]
    where = "LSOA21CD IN (" + ", ".join(f"'{f['properties']['LSOA21CD']}'" for f in sub) + ")"
    httpserver.expect_request(LAYER + "/query", method="POST").respond_with_handler(arcgis_handler(sub, requests=seen))
    coll = query_layer(fetcher, httpserver.url_for(LAYER), where=where, order_by="LSOA21CD")
    assert len(coll["features"]) == 300 and all(r["where"] == where for r in seen)


def test_error_body_with_http_200_is_an_error(httpserver, fetcher):
    body = {"error": {"code": 400, "message": "Unable to complete operation.", "details": ["Invalid field: LSOA21XX"]}}
    httpserver.expect_request(LAYER + "/query").respond_with_json(body, status=200)
    with pytest.raises(FetchError, match=r"record count: the server answered with error 400: Unable to complete operation. \(Invalid field: LSOA21XX\)"):
        query_layer(fetcher, httpserver.url_for(LAYER), order_by="LSOA21CD")


def test_error_body_on_a_later_page(httpserver, fetcher, real_features):
    httpserver.expect_ordered_request(LAYER + "/query").respond_with_json({"count": 3000})
    first = {"type": "FeatureCollection", "features": real_features[:2000], "properties": {"exceededTransferLimit": True}}
    httpserver.expect_ordered_request(LAYER + "/query").respond_with_json(first)
    httpserver.expect_ordered_request(LAYER + "/query").respond_with_json({"error": {"code": 500, "message": "Error performing query operation"}})
    with pytest.raises(FetchError, match=r"page 2 \(offset 2000\): the server answered with error 500"):
        query_layer(fetcher, httpserver.url_for(LAYER), order_by="LSOA21CD")


def test_short_last_page_is_an_error(httpserver, fetcher, real_features):
    httpserver.expect_request(LAYER + "/query").respond_with_handler(
        arcgis_handler(real_features, short_at=6000, drop=20))
    with pytest.raises(FetchError, match=r"page 4 \(offset 6000\) is short: 400 features .* 6400 of the 6420"):
        query_layer(fetcher, httpserver.url_for(LAYER), order_by="LSOA21CD")


def test_short_middle_page_without_the_flag_is_an_error(httpserver, fetcher, real_features):
    def handle(request):
        if request.values.get("returnCountOnly"):
            return Response(json.dumps({"count": 5000}))
        off = int(request.values["resultOffset"])
        return Response(json.dumps({"type": "FeatureCollection", "features": real_features[off: off + 1500]}))

    httpserver.expect_request(LAYER + "/query").respond_with_handler(handle)
    with pytest.raises(FetchError, match=r"page 1 \(offset 0\) is short: 1500 features and no exceededTransferLimit"):
        query_layer(fetcher, httpserver.url_for(LAYER), order_by="LSOA21CD")


def test_overlapping_pages_are_an_error(httpserver, fetcher, real_features):
    def handle(request):
        if request.values.get("returnCountOnly"):
            return Response(json.dumps({"count": 4000}))
        return Response(json.dumps({"type": "FeatureCollection", "features": real_features[:2000],
                                    "properties": {"exceededTransferLimit": True}}))

    httpserver.expect_request(LAYER + "/query").respond_with_handler(handle)
    with pytest.raises(FetchError, match="is repeated; pages overlap"):
        query_layer(fetcher, httpserver.url_for(LAYER), order_by="LSOA21CD")


def _feature(real, **change):
    feat = {k: v for k, v in real.items() if k not in change}
    feat.update({k: v for k, v in change.items() if v is not ...})
    return feat


MALFORMED = [
    ("features not a list", lambda f: {"type": "FeatureCollection", "features": {"0": f[0]}},
     "page 1 (offset 0): 'features' is dict, not a list"),
    ("no features key", lambda f: {"type": "FeatureCollection"}, "page 1 (offset 0): the answer has no 'features' list"),
    ("feature not an object", lambda f: {"features": [f[0], "E01000001"]}, "page 1 (offset 0): feature 2 is str, not an object"),
    ("feature without properties", lambda f: {"features": [f[0], _feature(f[1], properties=...)]},
     "page 1 (offset 0): feature 2 has no 'properties' object"),
    ("properties not an object", lambda f: {"features": [_feature(f[0], properties=[1, 2])]},
     "page 1 (offset 0): feature 1 has no 'properties' object"),
    ("feature without geometry", lambda f: {"features": [f[0], f[1], _feature(f[2], geometry=...)]},
     "page 1 (offset 0): feature 3 (LSOA21CD={code2!r}) has no geometry"),
    ("null geometry", lambda f: {"features": [_feature(f[0], geometry=None)]},
     "page 1 (offset 0): feature 1 (LSOA21CD={code0!r}) has no geometry"),
    ("feature without the key", lambda f: {"features": [_feature(f[0], properties={"LSOA21NM": "x"})]},
     "page 1 (offset 0): feature 1 has no 'LSOA21CD' value"),
]


@pytest.mark.parametrize("label, page, problem", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_page_is_one_line_naming_the_url(httpserver, fetcher, real_features, label, page, problem):
    feats = sorted(real_features[:3], key=lambda f: f["properties"]["LSOA21CD"])
    httpserver.expect_ordered_request(LAYER + "/query").respond_with_json({"count": 3})
    httpserver.expect_ordered_request(LAYER + "/query").respond_with_json(page(feats))
    url = httpserver.url_for(LAYER + "/query")
    with pytest.raises(FetchError) as exc:
        query_layer(fetcher, httpserver.url_for(LAYER), order_by="LSOA21CD", return_geometry=True)
    codes = {f"code{i}": f["properties"]["LSOA21CD"] for i, f in enumerate(feats)}
    assert str(exc.value) == (f"{url}: {problem.format(**codes)}; the server sent malformed GeoJSON, so nothing was "
                              "cached: run fetch again, or check the layer URL (fetch.sources.*.url or fetch.mirror in "
                              "config.yaml)")


def test_lookup_layer_without_geometry_is_accepted(httpserver, fetcher, real_features):
    rows = [{"type": "Feature", "geometry": None, "properties": f["properties"]} for f in real_features[:3]]
    httpserver.expect_ordered_request(LAYER + "/query").respond_with_json({"count": 3})
    httpserver.expect_ordered_request(LAYER + "/query").respond_with_json({"features": rows})
    coll = query_layer(fetcher, httpserver.url_for(LAYER), order_by="LSOA21CD", return_geometry=False)
    assert len(coll["features"]) == 3


@pytest.mark.parametrize("body, problem", [
    (b"<html><body>Service Unavailable</body></html>", "expected JSON but got an HTML page"),
    (b'{"features": [', "expected JSON but got a JSON document"),
    (b"", "expected JSON but got an empty body"),
    (b'"just a string"', "page 1 (offset 0): expected a JSON object, got str"),
    (b'{"error": "Token Required"}', "page 1 (offset 0): the server answered with error ?: Token Required"),
    (b'{"error": {"code": 498, "message": "Invalid token", "details": "expired"}}',
     "page 1 (offset 0): the server answered with error 498: Invalid token (expired)"),
], ids=["html", "truncated json", "empty", "json string", "error string", "details string"])
def test_page_that_is_not_usable_json_is_one_line(httpserver, fetcher, body, problem):
    httpserver.expect_ordered_request(LAYER + "/query").respond_with_json({"count": 3})
    httpserver.expect_ordered_request(LAYER + "/query").respond_with_data(body, content_type="application/json")
    with pytest.raises(FetchError) as exc:
        query_layer(fetcher, httpserver.url_for(LAYER), order_by="LSOA21CD")
    text = str(exc.value)
    assert text.startswith(httpserver.url_for(LAYER + "/query") + ": ") and problem in text and "\n" not in text
