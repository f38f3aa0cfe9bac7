"""The map page: one Jinja template (``assets/page.html``), the side panel and the script that drives both.

* Leaflet 1.9.4 is inlined from the pinned ``django-js-lib-leaflet`` package
  (BSD-2-Clause licence kept in the page), so the page makes no network request.
* The template is rendered with autoescape on: every value from data or config
  is escaped; only the inlined package files and :func:`script_json` output are
  ``Markup``. The script builds every data-driven node with ``textContent``. The
  page payload is JSON with ``<``, ``>`` and ``&`` written as ``\\u003c`` ...,
  so no text from data can close the ``<script>`` element.
* Nothing random or clock-based goes in: the same inputs give byte-identical HTML.
"""

from __future__ import annotations

import base64
import html
import json
from functools import lru_cache
from importlib import resources

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

SHORT_ATTRIBUTION = "Contains Ofcom data © Ofcom · ONS / OS data © Crown copyright (OGL v3.0) · sources: side panel"
#: The map-corner attribution of a page without Ofcom data (e.g. the benchmark's LSOA deprivation layer).
SHORT_ATTRIBUTION_NO_OFCOM = "ONS / OS data © Crown copyright · MHCLG IoD 2019 (OGL v3.0) · sources: side panel"


@lru_cache(maxsize=1)
def leaflet_assets() -> tuple[str, str, str]:
    """(leaflet.js, leaflet.css with images as data URIs, licence text) from the pinned package."""
    pkg = resources.files("js_lib_leaflet").joinpath("static", "js_lib_leaflet")
    js = pkg.joinpath("leaflet.js").read_text("utf-8")
    css = pkg.joinpath("leaflet.css").read_text("utf-8")
    for img in ("layers-2x.png", "layers.png", "marker-icon.png"):
        data = base64.b64encode(pkg.joinpath("images", img).read_bytes()).decode()
        css = css.replace(f"url(images/{img})", f"url(data:image/png;base64,{data})")
    licence = (
        "Leaflet 1.9.4, BSD 2-Clause licence. Copyright (c) 2010-2023, Vladimir Agafonkin; "
        "Copyright (c) 2010-2011, CloudMade. Redistributed in this page under that licence."
    )
    return js, css, licence


@lru_cache(maxsize=1)
def app_assets() -> tuple[str, str]:
    """(app.js, app.css): the page's own script and style, kept as package files."""
    pkg = resources.files(__package__).joinpath("assets")
    return pkg.joinpath("app.js").read_text("utf-8"), pkg.joinpath("app.css").read_text("utf-8")


def script_json(obj) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``</script>``, no ``<!--``).

    >>> script_json({"n": "<script>&"})
    '{"n":"\\\\u003cscript\\\\u003e\\\\u0026"}'
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


#: The tiles the page can switch on (the "Street map underneath" box; ``map.basemap: true`` ticks it on load).
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'

#: The one page template (Jinja, autoescape on): every ``{{ value }}`` is HTML-escaped unless it is
#: :class:`markupsafe.Markup`, which this module gives only to the inlined package files (Leaflet,
#: app.js, app.css), to JSON written by :func:`script_json` and to the escaped method statement.
_ENV = Environment(autoescape=True, keep_trailing_newline=True, undefined=StrictUndefined)


@lru_cache(maxsize=1)
def _page_template():
    return _ENV.from_string(resources.files(__package__).joinpath("assets", "page.html").read_text("utf-8"))


def build_page(payload: dict, bounds: tuple[float, float, float, float], *, title: str, panel: dict,
               basemap: bool = False, short_attribution: str = SHORT_ATTRIBUTION) -> str:
    """One complete HTML page: inlined Leaflet, the panel, and app.js started with ``payload``.

    ``bounds`` (min lon, min lat, max lon, max lat) is the study area the map fits on load.
    """
    minx, miny, maxx, maxy = bounds
    js, css, leaflet_licence = leaflet_assets()
    app_js, app_css = app_assets()
    views = {v["key"]: v for v in payload["views"]}
    data = {k: v for k, v in payload.items() if k != "geo"}
    data["areas"] = pack_features(payload["geo"])
    data = dict(data, study=[[round(miny, 5), round(minx, 5)], [round(maxy, 5), round(maxx, 5)]],
                attribution_html=html.escape(short_attribution), tiles=OSM_TILES, tiles_attribution=OSM_ATTRIBUTION)
    placeholder = "Area, county, region" + (", town" if panel.get("has_places") else "") + \
                  (" or postcode" if panel.get("has_postcodes") else "") + ", then Enter"
    method = panel.get("method_html")
    return _page_template().render(
        **dict(panel, method_html=Markup(method) if method else None), page_title=title,
        leaflet_css=Markup(css), leaflet_js=Markup(js), app_css=Markup(app_css), app_js=Markup(app_js),
        payload=Markup(script_json(data)), leaflet_licence=leaflet_licence, basemap=basemap,
        frame_text=payload.get("frame_text", "the other areas of this map"), search_placeholder=placeholder,
        views_default_label=views.get(payload["default_view"], {}).get("label", ""),
    )


#: Coordinates are written as integers of this many units per degree (the 5-decimal grid of the geometry).
COORD_SCALE = 10 ** 5


def pack_features(collection: dict) -> dict:
    """The areas' GeoJSON features written compactly for the page (``app.js`` ``unpackAreas`` reverses it).

    Properties are stored by column rather than per feature (the keys are not
    repeated 6,420 times); the view values ``v`` and the counts ``nd`` by view and
    by indicator, with each distinct denominator column stored once; the details
    ``x`` by key. Polygon rings are integer steps on the 1e-5 degree grid, each
    vertex relative to the one before (continuing across rings and features).
    A null in ``opt`` or ``x`` means the feature has no such key. Geometry that is
    not a polygon is kept as GeoJSON in ``raw``.

    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"c": "A", "v": [1, None],
    ...       "nd": [[1, 10], [2, 10]]}, "geometry": {"type": "Polygon", "coordinates": [[[-1.5, 52.0], [-1.49999, 52.0],
    ...       [-1.5, 52.00001], [-1.5, 52.0]]]}}]}
    >>> packed = pack_features(fc)
    >>> packed["geom"], packed["nd"]
    ([[[[-150000, 5200000, 1, 0, -1, 1, 0, -1]]]], {'num': [[1], [2]], 'den': [[10]], 'di': [0, 0]})
    >>> unpack_features(packed) == fc
    True
    """
    feats = collection["features"]
    props = [f["properties"] for f in feats]
    keys = list(dict.fromkeys(k for p in props for k in p))
    out: dict = {"n": len(feats), "cols": {}, "opt": {}}
    width = {len(p["v"]) for p in props if isinstance(p.get("v"), list)}
    if props and all(isinstance(p.get("v"), list) for p in props) and len(width) == 1:
        out["v"] = [[p["v"][j] for p in props] for j in range(width.pop())]
        keys.remove("v")
    pairs = {len(p["nd"]) for p in props if isinstance(p.get("nd"), list)}
    if props and all(isinstance(p.get("nd"), list) and all(isinstance(x, list) and len(x) == 2 for x in p["nd"])
                     for p in props) and len(pairs) == 1:
        dens: list[list] = []
        di = []
        for j in range(pairs.pop()):
            den = [p["nd"][j][1] for p in props]
            if den not in dens:
                dens.append(den)
            di.append(dens.index(den))
        out["nd"] = {"num": [[p["nd"][j][0] for p in props] for j in range(len(di))], "den": dens, "di": di}
        keys.remove("nd")
    if all(p.get("x") is None or isinstance(p["x"], dict) for p in props) and any("x" in p for p in props):
        xkeys = list(dict.fromkeys(k for p in props for k in (p.get("x") or {})))
        out["x"] = {k: [(p.get("x") or {}).get(k) for p in props] for k in xkeys}
        keys.remove("x")
    for k in keys:
        everywhere = all(k in p for p in props)
        (out["cols"] if everywhere else out["opt"])[k] = [p.get(k) for p in props]
    geom, multi, raw = [], [], {}
    last = [0, 0]

    def ring(coords) -> list[int]:
        flat = []
        for x, y in coords:
            xi, yi = round(x * COORD_SCALE), round(y * COORD_SCALE)
            flat += [xi - last[0], yi - last[1]]
            last[0], last[1] = xi, yi
        return flat

    for i, f in enumerate(feats):
        g = f["geometry"]
        if g and g.get("type") == "Polygon":
            geom.append([[ring(r) for r in g["coordinates"]]])
        elif g and g.get("type") == "MultiPolygon":
            multi.append(i)
            geom.append([[ring(r) for r in poly] for poly in g["coordinates"]])
        else:
            raw[str(i)] = g
            geom.append(None)
    out.update(geom=geom, multi=multi)
    if raw:
        out["raw"] = raw
    return out


def unpack_features(packed: dict) -> dict:
    """The GeoJSON FeatureCollection of :func:`pack_features` (what ``app.js`` rebuilds; used by the tests)."""
    last = [0, 0]
    multi = set(packed.get("multi", []))
    raw = packed.get("raw", {})

    def ring(flat) -> list[list[float]]:
        out = []
        for j in range(0, len(flat), 2):
            last[0] += flat[j]
            last[1] += flat[j + 1]
            out.append([last[0] / COORD_SCALE, last[1] / COORD_SCALE])
        return out

    feats = []
    for i in range(packed["n"]):
        p = {k: col[i] for k, col in packed["cols"].items()}
        p.update({k: col[i] for k, col in packed["opt"].items() if col[i] is not None})
        if "v" in packed:
            p["v"] = [col[i] for col in packed["v"]]
        if "nd" in packed:
            nd = packed["nd"]
            p["nd"] = [[num[i], nd["den"][d][i]] for num, d in zip(nd["num"], nd["di"])]
        if "x" in packed:
            x = {k: col[i] for k, col in packed["x"].items() if col[i] is not None}
            if x:
                p["x"] = x
        if str(i) in raw:
            g = raw[str(i)]
        else:
            polys = [[ring(r) for r in poly] for poly in packed["geom"][i]]
            g = {"type": "MultiPolygon", "coordinates": polys} if i in multi else {"type": "Polygon", "coordinates": polys[0]}
        feats.append({"type": "Feature", "properties": p, "geometry": g})
    return {"type": "FeatureCollection", "features": feats}


def unpack_payload(payload: dict) -> dict:
    """A page payload with ``geo`` rebuilt from the packed ``areas`` (as the page does before drawing)."""
    if "areas" not in payload:
        return payload
    out = {k: v for k, v in payload.items() if k != "areas"}
    out["geo"] = unpack_features(payload["areas"])
    return out
