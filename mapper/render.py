"""Render a scored level as one self-contained, offline HTML map (folium).

* Leaflet 1.9.4 is inlined from the pinned ``django-js-lib-leaflet`` package
  (BSD-2-Clause licence kept in the page); folium's CDN links (jQuery,
  Bootstrap, Font Awesome ...) are dropped, so the page makes no network request.
* No tile basemap: areas are drawn on a plain background with outlines.
* Every text that comes from data or config is escaped: Jinja ``|e`` in the
  HTML boxes, and tooltips are built with ``textContent`` in the browser.
* Element ids are numbered in tree order, so the same inputs give
  byte-identical HTML.
"""

from __future__ import annotations

import base64
import html
import json
import math
from functools import lru_cache
from importlib import resources

import folium
import numpy as np
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template

from .score import INDICATORS, INSUFFICIENT, available_indicators, compute_indicators

#: ColorBrewer RdPu (9 classes), sequential and colour-blind safe; darker = higher priority.
RDPU9 = ["#fff7f3", "#fde0dd", "#fcc5c0", "#fa9fb5", "#f768a1", "#dd3497", "#ae017e", "#7a0177", "#49006a"]
NO_DATA = "#bdbdbd"
SHORT_ATTRIBUTION = "Contains Ofcom data © Ofcom · ONS / OS data © Crown copyright (OGL v3.0) · sources: top right"
COORD_DECIMALS = 5


def tier_colours(k: int) -> dict[int, str]:
    """Tier -> colour; tier 1 is the darkest. Tier 0 (insufficient data) is grey."""
    idx = np.round(np.linspace(1, 8, k)).astype(int)
    colours = [RDPU9[i] for i in idx][::-1]
    out = {t + 1: colours[t] for t in range(k)}
    out[0] = NO_DATA
    return out


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


def _fmt_int(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{int(round(float(x))):,}"


def _num(x, digits: int):
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else round(x, digits)


def _features(level, cfg) -> dict:
    frame = level.frame
    names = available_indicators(frame)
    scored = {c.name for c in cfg.score.indicators}
    table = compute_indicators(frame.drop(columns="geometry"), names)
    geoms = shapely.transform(frame.geometry.values, lambda xy: np.round(xy, COORD_DECIMALS))
    release = level.coverage.meta.get("release_date") or "unknown"
    features = []
    for i, row in enumerate(table.itertuples(index=False)):
        r = row._asdict()
        inds = []
        for n in names:
            ind = INDICATORS[n]
            share = _num(r[f"{n}_share"], 4)
            inds.append([ind.label, _fmt_int(r[f"{n}_num"]), _fmt_int(r[f"{n}_den"]), share, ind.unit, int(n in scored)])
        props = {
            "code": r["code"],
            "name": r["name"],
            "cls": r.get(level.class_col),
            "region": r.get("region_name"),
            "premises": _fmt_int(r.get("premises")),
            "score": _num(r["score"], 1),
            "rank": None if r["rank"] is None or r["rank"] is np.nan or str(r["rank"]) == "<NA>" else int(r["rank"]),
            "n_areas": int(table["score"].notna().sum()),
            "tier": int(r["tier"]),
            "tier_label": r["tier_label"],
            "rank_in_class": None if str(r.get("rank_in_class")) == "<NA>" else int(r["rank_in_class"]),
            "release": release,
            "ind": inds,
        }
        features.append({
            "type": "Feature",
            "id": r["code"],
            "properties": props,
            "geometry": shapely.geometry.mapping(geoms[i]),
        })
    return {"type": "FeatureCollection", "features": features}


class _Template(MacroElement):
    """A MacroElement whose template gets ``this`` plus keyword context."""

    def __init__(self, template: str, **context):
        super().__init__()
        self._name = "Box"
        self._template = Template(template, autoescape=False)
        self.ctx = context


_TOOLTIP = """
{% macro script(this, kwargs) %}
(function(){
  function el(tag, cls, text){ var e=document.createElement(tag); if(cls){e.className=cls;} if(text!==undefined&&text!==null){e.textContent=String(text);} return e; }
  function pct(x){ return (x===null||x===undefined) ? 'n/a' : (100*x).toFixed(1)+'%'; }
  function tip(layer, full){
    var p = layer.feature.properties, box = el('div','gm-tip');
    box.appendChild(el('div','gm-tip-title', p.name+' ('+p.code+')'));
    box.appendChild(el('div','gm-tip-sub', (p.cls||'class n/a')+(p.region?' · '+p.region:'')));
    box.appendChild(el('div','gm-tip-sub', 'Premises: '+p.premises+' · Ofcom release '+p.release));
    var head = p.tier>0 ? ('Priority '+p.tier_label+' · score '+p.score.toFixed(1)+' · rank '+p.rank+' of '+p.n_areas+(p.rank_in_class?' ('+p.rank_in_class+' in class)':'')) : p.tier_label;
    box.appendChild(el('div','gm-tip-score', head));
    var t = el('table','gm-tip-table');
    p.ind.forEach(function(r){
      if (!full && !r[5]) { return; }
      var tr = el('tr', r[5] ? 'gm-scored' : '');
      tr.appendChild(el('th', null, r[0]+(r[5]?' *':'')));
      tr.appendChild(el('td', null, r[1]+' of '+r[2]+' '+r[4]));
      tr.appendChild(el('td', 'gm-pct', pct(r[3])));
      t.appendChild(tr);
    });
    box.appendChild(t);
    box.appendChild(el('div','gm-tip-foot', full ? '* in the priority score; (estimate) = derived from published percentages'
                                                 : 'Indicators in the priority score. Click the area for every indicator.'));
    return box;
  }
  var hover = document.getElementById('gm-hover');
  if (!hover) { hover = el('div', 'gm-hover'); hover.id = 'gm-hover'; hover.setAttribute('role', 'tooltip'); document.body.appendChild(hover); }
  function place(ev){
    var x = ev.clientX + 16, y = ev.clientY + 16, w = hover.offsetWidth, h = hover.offsetHeight;
    if (x + w > window.innerWidth - 8) { x = Math.max(8, ev.clientX - w - 16); }
    if (y + h > window.innerHeight - 8) { y = Math.max(8, window.innerHeight - h - 8); }
    hover.style.left = x + 'px'; hover.style.top = y + 'px';
  }
  var layerGroup = {{ this._parent.get_name() }};
  layerGroup.on('mouseover', function(e){ hover.replaceChildren(tip(e.layer, false)); hover.style.display = 'block'; if (e.originalEvent) { place(e.originalEvent); } });
  layerGroup.on('mousemove', function(e){ if (e.originalEvent) { place(e.originalEvent); } });
  layerGroup.on('mouseout', function(){ hover.style.display = 'none'; });
  {{ this._parent.get_name() }}.bindPopup(function(l){ return tip(l, true); }, {maxWidth: 520, maxHeight: 420, autoPanPadding: [20, 20]});
})();
{% endmacro %}
"""

_BOXES = """
{% macro header(this, kwargs) %}
<style>
  html, body {background:#f4f4f2; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;}
  .leaflet-container {background:#f4f4f2;}
  .gm-box {position:absolute; z-index:600; background:rgba(255,255,255,0.96); padding:8px 12px; border-radius:6px;
           box-shadow:0 1px 4px rgba(0,0,0,.3); font-size:13px; line-height:1.35; color:#222; max-width:360px;}
  .gm-title {top:10px; left:56px;}
  .gm-title h1 {font-size:17px; margin:0 0 3px 0;}
  .gm-title p {margin:2px 0;}
  .gm-legend {bottom:28px; right:10px;}
  .gm-legend h2, .gm-sources h2 {font-size:13px; margin:0 0 4px 0;}
  .gm-legend .sw {display:inline-block; width:18px; height:12px; margin-right:6px; border:1px solid #555; vertical-align:middle;}
  .gm-legend div {margin:2px 0;}
  .gm-sources {top:10px; right:10px; max-width:420px; font-size:11px;}
  .gm-sources .gm-attr {margin:0; padding:0; list-style:none;}
  .leaflet-control-attribution {max-width:55vw; white-space:normal;}
  .gm-sources details summary {cursor:pointer; font-weight:600;}
  .gm-sources ul {margin:4px 0 0 16px; padding:0;}
  .gm-hover {position:fixed; top:0; left:0; z-index:2000; display:none; pointer-events:none; background:rgba(255,255,255,0.98);
             padding:8px 10px; border-radius:6px; box-shadow:0 1px 6px rgba(0,0,0,.35);}
  .gm-tip {font-size:12px; width:440px; white-space:normal;}
  .leaflet-popup-content .gm-tip {width:auto; max-width:480px;}
  .gm-tip-title {font-weight:700; font-size:13px;}
  .gm-tip-sub {color:#555;}
  .gm-tip-score {margin:4px 0; font-weight:600;}
  .gm-tip-table {border-collapse:collapse;}
  .gm-tip-table th {text-align:left; font-weight:400; padding:1px 8px 1px 0; min-width:190px;}
  .gm-tip-table td {padding:1px 6px 1px 0; white-space:nowrap;}
  .gm-tip-table .gm-pct {text-align:right; font-weight:600;}
  .gm-scored th {font-weight:600;}
  .gm-tip-foot {color:#666; font-size:11px; margin-top:3px;}
</style>
{% endmacro %}
{% macro html(this, kwargs) %}
<div class="gm-box gm-title" role="region" aria-label="Map title">
  <h1>{{ this.ctx.title|e }}</h1>
  <p><strong>{{ this.ctx.level_title|e }}</strong> · coverage: Ofcom Connected Nations, {{ this.ctx.release|e }}</p>
  <p>{{ this.ctx.headline|e }}</p>
  <p>Hover an area for its figures. Score: {{ this.ctx.method|e }}</p>
</div>
<div class="gm-box gm-legend" role="region" aria-label="Legend">
  <h2>Investment priority (score quantiles)</h2>
  {% for row in this.ctx.legend %}
  <div><span class="sw" style="background:{{ row.colour|e }}"></span>{{ row.label|e }}</div>
  {% endfor %}
</div>
<div class="gm-box gm-sources" role="region" aria-label="Sources and licences">
  <ul class="gm-attr">
  {% for line in this.ctx.attributions %}<li>{{ line|e }}</li>{% endfor %}
  </ul>
  <details>
    <summary>Sources, licences and method</summary>
    <ul>
    {% for s in this.ctx.sources %}<li>{{ s.title|e }} ({{ s.publisher|e }}, {{ s.release|e }}, {{ s.licence|e }})</li>{% endfor %}
    </ul>
    <p>{{ this.ctx.leaflet_licence|e }}</p>
    <p>Built by the Midlands connectivity gap mapper {{ this.ctx.version|e }}; config sha256 {{ this.ctx.config_sha|e }}.</p>
  </details>
</div>
{% endmacro %}
{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.attributionControl.setPrefix(false);
{{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.ctx.attribution_js }});
{% endmacro %}
"""


def _legend(level, colours: dict[int, str], k: int) -> list[dict]:
    frame = level.frame
    rows = []
    for t in range(1, k + 1):
        sel = frame.loc[frame["tier"] == t, "score"]
        if sel.empty:
            label = f"Tier {t}: no areas"
        else:
            label = f"Tier {t}{' (highest)' if t == 1 else ''}{' (lowest)' if t == k else ''}: score {sel.min():.1f}-{sel.max():.1f}, {len(sel)} areas"
        rows.append({"colour": colours[t], "label": label})
    n0 = int((frame["tier"] == 0).sum())
    if n0:
        rows.append({"colour": colours[0], "label": f"{INSUFFICIENT}: {n0} areas"})
    return rows


def _headline(level) -> str:
    mid = level.totals.iloc[-1]
    if "no_gigabit_num" not in level.totals:
        return f"{_fmt_int(mid.get('premises'))} premises."
    share = float(mid["no_gigabit_share"]) * 100
    text = (f"{mid['area']}: {_fmt_int(mid['no_gigabit_num'])} of {_fmt_int(mid['no_gigabit_den'])} "
            f"premises ({share:.1f}%) cannot get gigabit-capable broadband.")
    if "nonres_no_gigabit_num" in level.totals:
        nr_num, nr_den = float(mid["nonres_no_gigabit_num"]), float(mid["nonres_no_gigabit_den"])
        res_num, res_den = float(mid["no_gigabit_num"]) - nr_num, float(mid["premises"]) - nr_den
        text += (f" Non-residential (business) premises: {_fmt_int(nr_num)} of {_fmt_int(nr_den)} "
                 f"({100 * nr_num / nr_den:.1f}%) without gigabit, against {100 * res_num / res_den:.1f}% of homes.")
    return text


def _stable_ids(root) -> None:
    """Replace folium's random element ids with sequence numbers (tree order)."""
    counter = iter(range(1, 1 << 30))

    def walk(element):
        element._id = f"{next(counter):04d}"
        for child in list(element._children.values()):
            walk(child)

    walk(root)


def render_map(level, cfg, frames) -> str:
    """The complete HTML page for one level."""
    from . import __version__

    frame = level.frame
    k = cfg.score.tiers.k
    colours = tier_colours(k)
    minx, miny, maxx, maxy = frame.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=8, tiles=None,
                   prefer_canvas=True, control_scale=True, zoom_control=True)
    m.default_js = []
    m.default_css = []
    js, css, leaflet_licence = leaflet_assets()
    root = m.get_root()
    root.header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css_inline")
    root.header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js_inline")
    root.header.add_child(Element(f"<title>{html.escape(cfg.title)}: {html.escape(level.title)}</title>"), name="title")

    def style(feature):
        return {"fillColor": colours[feature["properties"]["tier"]], "color": "#444444", "weight": 0.6, "fillOpacity": 0.85}

    layer = folium.GeoJson(
        _features(level, cfg), name=level.title, style_function=style,
        highlight_function=lambda f: {"weight": 2.5, "color": "#000000"}, smooth_factor=0.5,
    )
    layer.add_child(_Template(_TOOLTIP))
    layer.add_to(m)
    method = "; ".join(f"{INDICATORS[c.name].label} {c.weight / sum(x.weight for x in cfg.score.indicators):.0%}"
                       for c in cfg.score.indicators)
    attribution_html = html.escape(SHORT_ATTRIBUTION)
    boxes = _Template(
        _BOXES,
        title=cfg.title, level_title=level.title, release=level.coverage.meta.get("release_date") or "unknown",
        headline=_headline(level), method=f"{cfg.score.normalisation} normalised, weighted: {method}.",
        legend=_legend(level, colours, k), attributions=level.attributions,
        sources=level.sources, leaflet_licence=leaflet_licence, version=__version__, config_sha=cfg.sha256[:12],
        attribution_js=json.dumps(attribution_html),
    )
    m.add_child(boxes)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    _stable_ids(root)
    return root.render()
