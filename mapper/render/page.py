"""The folium page: the map, the side panel and the script that drives both.

* Leaflet 1.9.4 is inlined from the pinned ``django-js-lib-leaflet`` package
  (BSD-2-Clause licence kept in the page); folium's CDN links (jQuery,
  Bootstrap, Font Awesome ...) are dropped, so the page makes no network request.
* The side panel is static HTML from a Jinja template with ``|e`` on every
  value; the script builds every data-driven node with ``textContent``. The
  page payload is JSON with ``<``, ``>`` and ``&`` written as ``\\u003c`` ...,
  so no text from data can close the ``<script>`` element.
* Element ids are numbered in tree order, so the same inputs give
  byte-identical HTML.
"""

from __future__ import annotations

import base64
import html
import json
import re
from functools import lru_cache
from importlib import resources

import folium
from branca.element import Element, MacroElement
from jinja2 import Template

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


class _Template(MacroElement):
    """A MacroElement whose template gets ``this`` plus keyword context."""

    def __init__(self, template: str, **context):
        super().__init__()
        self._name = "Page"
        self._template = Template(template, autoescape=False)
        self.ctx = context


_PANEL = """
{% macro header(this, kwargs) %}
<style>{{ this.ctx.css }}</style>
<script>{{ this.ctx.js }}</script>
{% endmacro %}
{% macro html(this, kwargs) %}
<aside id="gm-panel" aria-label="Map title, controls, legend and ranking table">
  <h1>{{ this.ctx.title|e }}</h1>
  <p><strong>{{ this.ctx.level_title|e }}</strong></p>
  <p class="gm-sub">Data: {% for d in this.ctx.dates %}{{ d|e }}{% if not loop.last %}; {% endif %}{% endfor %}</p>
  {% if this.ctx.headline %}<p>{{ this.ctx.headline|e }}</p>{% endif %}
  {% if this.ctx.split_note %}<p>{{ this.ctx.split_note|e }}</p>{% endif %}
  <p>{% if this.ctx.overview_href %}<a href="{{ this.ctx.overview_href|e }}">All areas (overview map)</a> · {% endif %}<a href="{{ this.ctx.table_href|e }}">The same figures as a table</a> · <a href="methodology.md">Methodology</a></p>
  <div class="gm-row"><label for="gm-view">View</label>
    <select id="gm-view">{% for v in this.ctx.views %}<option value="{{ v.key|e }}">{{ v.label|e }}</option>{% endfor %}</select></div>
  <div class="gm-row"><label for="gm-search">Search</label>
    <input id="gm-search" type="search" list="gm-areas" placeholder="Area name or code, then Enter" autocomplete="off"></div>
  <datalist id="gm-areas"></datalist>
  <p id="gm-search-msg" role="status" aria-live="polite"></p>
  <div id="gm-legend" role="region" aria-label="Legend" aria-live="polite"></div>
  <div id="gm-filters">
    {% if this.ctx.classes %}<fieldset class="gm-filter"><legend>{{ this.ctx.class_label|e }}</legend>
    {% for c in this.ctx.classes %}<label><input type="checkbox" name="gm-class" value="{{ c.value|e }}" checked> {{ c.label|e }}</label>{% endfor %}
    </fieldset>{% endif %}
    {% if this.ctx.tiers %}<fieldset class="gm-filter"><legend>Priority tier</legend>
    {% for t in this.ctx.tiers %}<label><input type="checkbox" name="gm-tier" value="{{ t.value|e }}" checked> {{ t.label|e }}</label>{% endfor %}
    </fieldset>{% endif %}
  </div>
  <h2 id="gm-table-h">{{ this.ctx.table_title|e }}</h2>
  <p id="gm-table-count" class="gm-sub"></p>
  <div class="gm-table-wrap">
  <table id="gm-table" role="table" aria-labelledby="gm-table-h">
    <thead role="rowgroup"><tr role="row">
      <th scope="col" role="columnheader" data-key="rank"><button type="button">Rank</button></th>
      <th scope="col" role="columnheader" data-key="name"><button type="button">Area</button></th>
      <th scope="col" role="columnheader" data-key="class"><button type="button">Class</button></th>
      <th scope="col" role="columnheader" data-key="view"><button type="button" id="gm-th-view">Value</button></th>
    </tr></thead>
    <tbody role="rowgroup"></tbody>
  </table>
  </div>
  <p class="gm-keys">Keyboard: Tab to the table, then Enter or Space zooms to a row (arrow keys move); [ and ] change the view; / jumps to search; Esc clears the selection.</p>
  <div class="gm-sources" role="region" aria-label="Sources and licences">
    <ul class="gm-attr">{% for line in this.ctx.attributions %}<li>{{ line|e }}</li>{% endfor %}</ul>
    <details>
      <summary>Sources, licences and method</summary>
      <ul>{% for s in this.ctx.sources %}<li>{{ s.title|e }} ({{ s.publisher|e }}, {{ s.release|e }}, {{ s.licence|e }})</li>{% endfor %}</ul>
      <p>Score: {{ this.ctx.method|e }}</p>
      <p>{{ this.ctx.leaflet_licence|e }}</p>
      <p>Built by the Midlands connectivity gap mapper {{ this.ctx.version|e }}; config sha256 {{ this.ctx.config_sha|e }}.</p>
    </details>
  </div>
</aside>
<div id="gm-hover" class="gm-hover" role="tooltip"></div>
{% endmacro %}
{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.attributionControl.setPrefix(false);
{{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.ctx.attribution_js }});
gmStart({{ this.ctx.payload }}, {{ this._parent.get_name() }});
{% endmacro %}
"""


def _stable_ids(root) -> None:
    """Replace folium's random element ids with sequence numbers (tree order)."""
    counter = iter(range(1, 1 << 30))

    def walk(element):
        element._id = f"{next(counter):04d}"
        for child in list(element._children.values()):
            walk(child)

    walk(root)


def build_page(payload: dict, bounds: tuple[float, float, float, float], *, title: str, panel: dict,
               basemap: bool = False, short_attribution: str = SHORT_ATTRIBUTION) -> str:
    """One complete HTML page: folium map + inlined Leaflet + panel + app script with ``payload``."""
    minx, miny, maxx, maxy = bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=8, tiles=None,
                   prefer_canvas=True, control_scale=True, zoom_control=True)
    m.default_js = []
    m.default_css = []
    if basemap:
        folium.TileLayer("OpenStreetMap", opacity=0.5).add_to(m)
    js, css, leaflet_licence = leaflet_assets()
    app_js, app_css = app_assets()
    root = m.get_root()
    root.header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css_inline")
    root.header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js_inline")
    root.header.add_child(Element(f"<title>{html.escape(title)}</title>"), name="title")
    page = _Template(_PANEL, css=app_css, js=app_js, payload=script_json(payload), leaflet_licence=leaflet_licence,
                     attribution_js=json.dumps(html.escape(short_attribution)), **panel)
    m.add_child(page)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    _stable_ids(root)
    out = root.render()
    # folium's viewport forbids zooming the page (a WCAG 1.4.4 failure); allow it.
    return re.sub(r",\s*maximum-scale=1\.0, user-scalable=no", "", out, count=1)
