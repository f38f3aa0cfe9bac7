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
    data = dict(payload, study=[[round(miny, 5), round(minx, 5)], [round(maxy, 5), round(maxx, 5)]],
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
