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


#: Optional OpenStreetMap tiles (``map.basemap: true``); the areas still draw when they fail to load.
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
_BASEMAP_JS = (f"            L.tileLayer({script_json(OSM_TILES)}, "
               f"{script_json({'attribution': OSM_ATTRIBUTION, 'maxZoom': 19, 'opacity': 0.5})}).addTo(map_0002);\n")

#: The one page template (Jinja, autoescape on): every ``{{ value }}`` is HTML-escaped unless it is
#: :class:`markupsafe.Markup`, which this module gives only to the inlined package files (Leaflet,
#: app.js, app.css) and to JSON written by :func:`script_json`.
_ENV = Environment(autoescape=True, keep_trailing_newline=True, undefined=StrictUndefined)


@lru_cache(maxsize=1)
def _page_template():
    return _ENV.from_string(resources.files(__package__).joinpath("assets", "page.html").read_text("utf-8"))


def _js_list(values) -> Markup:
    """A JSON list of numbers written as Python writes them (``[52.7, -1.4]``)."""
    return Markup(json.dumps(values))


def build_page(payload: dict, bounds: tuple[float, float, float, float], *, title: str, panel: dict,
               basemap: bool = False, short_attribution: str = SHORT_ATTRIBUTION) -> str:
    """One complete HTML page: inlined Leaflet + panel + app script with ``payload``."""
    minx, miny, maxx, maxy = bounds
    js, css, leaflet_licence = leaflet_assets()
    app_js, app_css = app_assets()
    return _page_template().render(
        **panel, map_id="map_0002", leaflet_css=Markup(css), leaflet_js=Markup(js), app_css=Markup(app_css),
        app_js=Markup(app_js), payload=Markup(script_json(payload)), leaflet_licence=leaflet_licence,
        page_title=title,
        attribution_js=Markup(json.dumps(html.escape(short_attribution))),
        center=_js_list([(miny + maxy) / 2, (minx + maxx) / 2]), fit_bounds=_js_list([[miny, minx], [maxy, maxx]]),
        basemap=basemap, basemap_js=Markup(_BASEMAP_JS) if basemap else "",
    )
