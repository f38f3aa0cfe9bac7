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
import re
from functools import lru_cache
from importlib import resources
from itertools import pairwise

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
    if isinstance(payload.get("outlines"), dict) and payload["outlines"].get("features") \
            and not payload["outlines"].get("packed"):  # a split level packs its outlines once for all pages
        data["outlines"] = pack_lines(payload["outlines"])
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


#: An ONS (GSS) code: entity letter and two digits, then six digits (E01008881, E06000015).
_GSS = re.compile(r"^[A-Z][0-9]{2}[0-9]{6}$")

#: Coordinates are written as integers of this many units per degree (the 5-decimal grid of the geometry).
COORD_SCALE = 10 ** 5


def pack_features(collection: dict) -> dict:
    """The areas' GeoJSON features written compactly for the page (``gmUnpackAreas`` in ``app.js`` reverses it).

    Properties are stored by column rather than per feature (the keys are not
    repeated 6,420 times); the view values ``v`` and the counts ``nd`` by view and
    by indicator, with each distinct denominator column stored once; the details
    ``x`` by key; ONS codes as a prefix and the step from the previous code's
    number (the areas come sorted by code). Rings are lists of references to shared arcs (:func:`shared_arcs`:
    an edge between two neighbours is stored once), and the arcs are integer steps
    on the 1e-5 degree grid, each vertex relative to the one before (continuing
    across arcs). A null in ``opt`` or ``x`` means the feature has no such key.
    Geometry that is not a polygon is kept as GeoJSON in ``raw``.

    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"c": "A", "v": [1, None],
    ...       "nd": [[1, 10], [2, 10]]}, "geometry": {"type": "Polygon", "coordinates": [[[-1.5, 52.0], [-1.49999, 52.0],
    ...       [-1.5, 52.00001], [-1.5, 52.0]]]}}]}
    >>> packed = pack_features(fc)
    >>> packed["geom"], packed["arcs"], packed["nd"]
    ([[[[0]]]], [[-150000, 5200000, 1, 0, -1, 1, 0, -1]], {'num': [[1], [2]], 'den': [[10]], 'di': [0, 0]})
    >>> back = unpack_features(packed)["features"][0]
    >>> back["properties"] == fc["features"][0]["properties"]
    True
    >>> import shapely.geometry as sg
    >>> sg.shape(back["geometry"]).equals(sg.shape(fc["features"][0]["geometry"]))
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
    codes = [p.get("c") for p in props]
    if props and all(isinstance(c, str) and _GSS.match(c) for c in codes):  # ONS codes: letter, 2 digits, 6 digits
        prefixes = sorted({c[:3] for c in codes})
        numbers = [int(c[3:]) for c in codes]
        out["codes"] = {"pre": prefixes, "pi": [prefixes.index(c[:3]) for c in codes],
                        "d": [b - a for a, b in zip([0, *numbers], numbers)]}
        keys.remove("c")
    label_points = props and all(isinstance(p.get("lp"), list) and len(p["lp"]) == 2 for p in props) \
        and all(f["geometry"] and f["geometry"].get("type") in ("Polygon", "MultiPolygon") for f in feats)
    if label_points:  # written after the rings, relative to each area's first vertex
        keys.remove("lp")
    for k in keys:
        everywhere = all(k in p for p in props)
        (out["cols"] if everywhere else out["opt"])[k] = [p.get(k) for p in props]
    rings: list[list[tuple[int, int]]] = []  # every ring, open (no closing vertex), in grid units
    geom, multi, raw = [], [], {}

    def ring(coords) -> int:
        pts = [(round(x * COORD_SCALE), round(y * COORD_SCALE)) for x, y in coords]
        if len(pts) > 1 and pts[0] == pts[-1]:
            pts.pop()
        rings.append(pts)
        return len(rings) - 1

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
    arcs, refs = shared_arcs(rings)
    if label_points:
        # label point in grid units minus the first vertex of the area's first ring as the page rebuilds it
        steps_lp = []
        for p, g in zip(props, geom):
            first = refs[g[0][0]][0]
            vx, vy = arcs[first][0] if first >= 0 else arcs[~first][-1]
            steps_lp += [round(p["lp"][0] * COORD_SCALE) - vx, round(p["lp"][1] * COORD_SCALE) - vy]
        out["lp"] = steps_lp
    tokens = _relative_refs(refs)
    geom = [None if g is None else [[tokens[r] for r in poly] for poly in g] for g in geom]
    out["arcs"] = _encode_steps(arcs)
    out.update(geom=geom, multi=multi)
    if raw:
        out["raw"] = raw
    return out


def _relative_refs(refs: list[list[int]]) -> list[list[int]]:
    """Arc references written relative to the next new arc (small numbers that compress well).

    Arcs are numbered in the order rings first use them, so a new arc is always
    the next number: token 0. A reused arc ``a`` (``a`` < next) is ``next - a``
    forwards and ``-(next - a)`` backwards. :func:`_absolute_refs` reverses this.

    >>> _relative_refs([[0, 1], [2, -1]])
    [[0, 0], [0, -3]]
    >>> _absolute_refs(_relative_refs([[0, 1], [2, -1], [1, ~2, 3]]))
    [[0, 1], [2, -1], [1, -3, 3]]
    """
    nxt, out = 0, []
    for ring in refs:
        tokens = []
        for r in ring:
            arc = r if r >= 0 else ~r
            if r == nxt:
                tokens.append(0)
                nxt += 1
            else:
                tokens.append(nxt - arc if r >= 0 else arc - nxt)
        out.append(tokens)
    return out


def _absolute_refs(tokens: list[list[int]]) -> list[list[int]]:
    nxt, out = 0, []
    for ring in tokens:
        refs = []
        for t in ring:
            if t == 0:
                refs.append(nxt)
                nxt += 1
            else:
                refs.append(nxt - t if t > 0 else ~(nxt + t))
        out.append(refs)
    return out


def _rotate_to_min(pts: list) -> tuple:
    k = pts.index(min(pts))
    return tuple(pts[k:] + pts[:k])


def shared_arcs(rings: list[list[tuple[int, int]]]) -> tuple[list[tuple], list[list[int]]]:
    """Cut rings into arcs so that an edge shared by neighbours is stored once (as in TopoJSON).

    ``rings`` are open vertex lists. A vertex is a junction where its neighbours
    differ between the rings through it (where three areas meet, or where two stop
    sharing an edge); each ring is cut at its junctions and each piece is stored
    once, the neighbour using it backwards (reference ``~i``). A ring without
    junctions (an island, or a hole filled by one area) is one closed arc. Returns
    ``(arcs, refs)``: the arcs' vertices and, per ring, its arc references in order.

    >>> a = [(0, 0), (1, 0), (1, 1), (0, 1)]          # two unit squares sharing the edge x = 1
    >>> b = [(1, 0), (2, 0), (2, 1), (1, 1)]
    >>> arcs, refs = shared_arcs([a, b])
    >>> len(arcs), sum(len(x) for x in arcs)           # the shared edge once: 10 vertices stored, not 12
    (3, 10)
    >>> refs
    [[0, 1], [2, -1]]
    """
    pairs: dict[tuple[int, int], set] = {}
    for pts in rings:
        n = len(pts)
        for j, v in enumerate(pts):
            pairs.setdefault(v, set()).add(frozenset((pts[j - 1], pts[(j + 1) % n])))
    index: dict[tuple, int] = {}
    arcs: list[tuple] = []

    def ref(arc: tuple) -> int:
        if arc in index:
            return index[arc]
        back = arc[::-1]
        if back in index:
            return ~index[back]
        index[arc] = len(arcs)
        arcs.append(arc)
        return index[arc]

    refs = []
    for pts in rings:
        cuts = [j for j, v in enumerate(pts) if len(pairs[v]) > 1]
        if not cuts:  # a closed arc, stored from its smallest vertex so both users find it
            fwd = _rotate_to_min(pts)
            back = _rotate_to_min(pts[::-1])
            key = min(fwd, back)
            closed = key + key[:1]
            refs.append([ref(closed if key == fwd else closed[::-1])])
            continue
        start = cuts[0]
        loop = pts[start:] + pts[:start] + [pts[start]]
        marks = [j - start for j in cuts] + [len(pts)]
        refs.append([ref(tuple(loop[a:b + 1])) for a, b in pairwise(marks)])
    return arcs, refs


def unpack_features(packed: dict) -> dict:
    """The GeoJSON FeatureCollection of :func:`pack_features` (what ``app.js`` rebuilds; used by the tests).

    Rings come back closed and may start at another vertex than the original (a junction).
    """
    multi = set(packed.get("multi", []))
    raw = packed.get("raw", {})
    arcs = _decode_steps(packed["arcs"])

    rings = iter(_absolute_refs([r for g in packed["geom"] if g is not None for poly in g for r in poly]))

    def ring(_tokens) -> list[list[float]]:
        refs = next(rings)
        out: list[list[float]] = []
        for r in refs:
            pts = arcs[r] if r >= 0 else arcs[~r][::-1]
            out.extend(pts[1:] if out else pts)
        return out

    feats = []
    number = 0
    for i in range(packed["n"]):
        p = {k: col[i] for k, col in packed["cols"].items()}
        p.update({k: col[i] for k, col in packed["opt"].items() if col[i] is not None})
        if "codes" in packed:
            number += packed["codes"]["d"][i]
            p["c"] = f"{packed['codes']['pre'][packed['codes']['pi'][i]]}{number:06d}"
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
            polys = [[ring(refs) for refs in poly] for poly in packed["geom"][i]]
            g = {"type": "MultiPolygon", "coordinates": polys} if i in multi else {"type": "Polygon", "coordinates": polys[0]}
        if "lp" in packed:
            ring0 = g["coordinates"][0] if g["type"] == "Polygon" else g["coordinates"][0][0]
            p["lp"] = [(round(ring0[0][0] * COORD_SCALE) + packed["lp"][2 * i]) / COORD_SCALE,
                       (round(ring0[0][1] * COORD_SCALE) + packed["lp"][2 * i + 1]) / COORD_SCALE]
        feats.append({"type": "Feature", "properties": p, "geometry": g})
    return {"type": "FeatureCollection", "features": feats}


def pack_lines(collection: dict) -> dict:
    """Outline features (MultiLineString) with each line as integer steps on the 1e-5 grid (``packed``: true).

    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"n": "R"},
    ...       "geometry": {"type": "MultiLineString", "coordinates": [[[-1.5, 52.0], [-1.49999, 52.00002]]]}}]}
    >>> pack_lines(fc)["features"][0]["geometry"]["steps"]
    [[-150000, 5200000, 1, 2]]
    >>> unpack_lines(pack_lines(fc)) == fc
    True
    """
    lines = iter(_encode_steps([[(round(x * COORD_SCALE), round(y * COORD_SCALE)) for x, y in line]
                                for f in collection["features"] for line in f["geometry"]["coordinates"]]))
    feats = [{"type": "Feature", "properties": f["properties"],
              "geometry": {"type": "MultiLineString", "steps": [next(lines) for _ in f["geometry"]["coordinates"]]}}
             for f in collection["features"]]
    return {"type": "FeatureCollection", "packed": True, "features": feats}


def unpack_lines(collection: dict) -> dict:
    """The outlines of :func:`pack_lines` as GeoJSON (what ``app.js`` rebuilds)."""
    if not collection.get("packed"):
        return collection
    lines = iter(_decode_steps([steps for f in collection["features"] for steps in f["geometry"]["steps"]]))
    feats = [{"type": "Feature", "properties": f["properties"],
              "geometry": {"type": "MultiLineString", "coordinates": [next(lines) for _ in f["geometry"]["steps"]]}}
             for f in collection["features"]]
    return {"type": "FeatureCollection", "features": feats}


def _encode_steps(point_lists) -> list[list[int]]:
    """Integer grid points as steps, each relative to the previous point (across lists); :func:`_decode_steps`
    reverses it.

    >>> _encode_steps([[(100000, 200000), (100001, 200000)], [(100001, 200001)]])
    [[100000, 200000, 1, 0], [0, 1]]
    """
    out, lx, ly = [], 0, 0
    for pts in point_lists:
        steps = []
        for x, y in pts:
            steps += [x - lx, y - ly]
            lx, ly = x, y
        out.append(steps)
    return out


def _decode_steps(step_lists: list[list[int]]) -> list[list[list[float]]]:
    """Point lists from integer steps on the grid, each step relative to the previous point (across lists).

    >>> _decode_steps([[100000, 200000, 1, 0], [0, 1]])
    [[[1.0, 2.0], [1.00001, 2.0]], [[1.00001, 2.00001]]]
    """
    out, x, y = [], 0, 0
    for steps in step_lists:
        pts = []
        for j in range(0, len(steps), 2):
            x += steps[j]
            y += steps[j + 1]
            pts.append([x / COORD_SCALE, y / COORD_SCALE])
        out.append(pts)
    return out


def unpack_payload(payload: dict) -> dict:
    """A page payload with ``geo`` rebuilt from the packed ``areas`` (as the page does before drawing)."""
    if "areas" not in payload:
        return payload
    out = {k: v for k, v in payload.items() if k != "areas"}
    out["geo"] = unpack_features(payload["areas"])
    if isinstance(out.get("outlines"), dict):
        out["outlines"] = unpack_lines(out["outlines"])
    return out
