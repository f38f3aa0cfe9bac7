"""Read a whole ONS Open Geography (ArcGIS FeatureServer) layer, page by page.

ArcGIS returns at most a server-set number of features per request (2000 for
the ONS boundary layers). :func:`query_layer`:

1. asks for the record count (``returnCountOnly=true``) with the same ``where``;
2. asks for pages with ``resultOffset`` / ``resultRecordCount`` ordered by a
   key field (so pages neither overlap nor skip), in WGS84 GeoJSON
   (``f=geojson``, ``outSR=4326``), advancing by the number of features each
   page actually held (a server cap below the requested page size is fine);
3. stops when the count is reached.

It raises :class:`~mapper.errors.FetchError` when the server answers HTTP 200
with an ``{"error": ...}`` body (ArcGIS's habit), when a page is not JSON or not
GeoJSON-shaped (``features`` not a list, a feature that is not an object or has
no ``properties``, or no ``geometry`` when geometry was asked for), when a page
is short or empty before the count is reached (without
``exceededTransferLimit`` to say more is coming), when the same key appears
twice, or when the total differs from the count. Each message is one line
naming the query URL and the page. Long ``where`` clauses (thousands of codes) are sent as a POST form,
which the ArcGIS REST API accepts for ``query``.
"""

from __future__ import annotations

import json

from ..errors import FetchError
from ._http import Fetcher

DEFAULT_PAGE_SIZE = 2000
MAX_GET_QUERY = 1800  # characters of ``where`` beyond which the query is POSTed


def _check(body: dict, url: str, what: str) -> dict:
    if not isinstance(body, dict):
        raise FetchError(f"{url}: {what}: expected a JSON object, got {type(body).__name__}")
    if "error" in body:
        err = body["error"] if isinstance(body["error"], dict) else {"message": str(body["error"] or "")[:200] or None}
        details = err.get("details") or []
        details = "; ".join(str(d) for d in (details if isinstance(details, list) else [details]) if d)
        raise FetchError(
            f"{url}: {what}: the server answered with error {err.get('code', '?')}: {err.get('message', 'no message')}"
            + (f" ({details})" if details else "")
            + "; check the layer URL, field names and where clause (fetch.sources.* in config.yaml)"
        )
    return body


def _exceeded(page: dict) -> bool:
    """ArcGIS flags "more features exist" at top level (f=json) or under ``properties`` (f=geojson)."""
    props = page.get("properties")
    return bool(page.get("exceededTransferLimit") or (isinstance(props, dict) and props.get("exceededTransferLimit")))


def _malformed(url: str, what: str, problem: str) -> FetchError:
    return FetchError(f"{url}: {what}: {problem}; the server sent malformed GeoJSON, so nothing was cached: "
                      "run fetch again, or check the layer URL (fetch.sources.*.url or fetch.mirror in config.yaml)")


def _key_of(feat: object, index: int, url: str, what: str, key_field: str, geometry: bool):
    """The key of one feature, after checking it has the shape the rest of the code relies on."""
    if not isinstance(feat, dict):
        raise _malformed(url, what, f"feature {index} is {type(feat).__name__}, not an object")
    props = feat.get("properties", feat.get("attributes"))
    if not isinstance(props, dict):
        raise _malformed(url, what, f"feature {index} has no 'properties' object")
    if geometry and not isinstance(feat.get("geometry"), dict):
        raise _malformed(url, what, f"feature {index} ({key_field}={props.get(key_field)!r}) has no geometry")
    return props.get(key_field)


def query_layer(
    fetcher: Fetcher,
    layer_url: str,
    *,
    where: str = "1=1",
    out_fields: str = "*",
    order_by: str,
    key_field: str | None = None,
    return_geometry: bool = True,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> dict:
    """Every feature of ``layer_url`` matching ``where``, as one GeoJSON FeatureCollection (WGS84).

    ``layer_url`` is the layer's ``.../FeatureServer/0`` address (``/query`` is
    appended). ``key_field`` (default ``order_by``) must be unique across pages.
    """
    if page_size < 1:
        raise FetchError(f"{layer_url}: page size must be at least 1, not {page_size}")
    url = layer_url.rstrip("/") + "/query"
    method = "POST" if len(where) > MAX_GET_QUERY else "GET"
    base = {"where": where, "outFields": out_fields, "f": "json"}
    count_body = _check(fetcher.get_json(url, {**base, "returnCountOnly": "true"}, method=method), url, "record count")
    if not isinstance(count_body.get("count"), int):
        raise FetchError(f"{url}: record count: the answer has no whole-number 'count' ({str(count_body)[:120]})")
    count = count_body["count"]
    key_field = key_field or order_by
    features: list[dict] = []
    seen: set = set()
    page_no = 0
    while len(features) < count:
        params = {
            **base, "f": "geojson", "outSR": "4326", "orderByFields": order_by,
            "returnGeometry": "true" if return_geometry else "false",
            "resultOffset": str(len(features)), "resultRecordCount": str(page_size),
        }
        page_no += 1
        what = f"page {page_no} (offset {len(features)})"
        page = _check(fetcher.get_json(url, params, method=method), url, what)
        got = page.get("features")
        if not isinstance(got, list):
            raise _malformed(url, what, "the answer has no 'features' list" if got is None
                             else f"'features' is {type(got).__name__}, not a list")
        more = _exceeded(page)
        if not got:
            raise FetchError(
                f"{url}: {what} is empty after {len(features)} of {count} features; the layer changed while "
                "paging or the server stopped early; run fetch again"
            )
        for index, feat in enumerate(got, start=len(features) + 1):
            key = _key_of(feat, index, url, what, key_field, return_geometry)
            if key is None:
                raise _malformed(url, what, f"feature {index} has no {key_field!r} value")
            if key in seen:
                raise FetchError(f"{url}: {what}: feature key {key_field}={key!r} is repeated; pages overlap (the layer "
                                 "changed while paging or ignores orderByFields); run fetch again")
            seen.add(key)
        features.extend(got)
        if len(got) < page_size and not more and len(features) < count:
            raise FetchError(
                f"{url}: {what} is short: {len(got)} features and no exceededTransferLimit, but only "
                f"{len(features)} of the {count} counted have arrived; run fetch again"
            )
    if len(features) != count:
        raise FetchError(f"{url}: received {len(features)} features but the server counted {count}")
    return {"type": "FeatureCollection", "features": features}


def dumps_collection(collection: dict) -> bytes:
    """Deterministic GeoJSON bytes (sorted keys, no spaces) for the cache."""
    return json.dumps(collection, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
