/* Midlands connectivity gap mapper: the map page's behaviour (one layer, many views).
 * gmStart(P) creates the Leaflet map in #gm-map from the page payload P and drives the
 * panel, legend, labels, search, area profile, URL hash, phone and print layouts.
 * Every text node from data is made with textContent (never innerHTML), so names from
 * data cannot inject markup. Nothing here makes a network request unless the reader
 * ticks "Street map underneath". */
/* The areas arrive packed (mapper.render.page.pack_features): properties by column, counts by
 * indicator with each denominator column once, rings as lists of shared arcs (an edge between
 * two neighbours is stored once; ~i = arc i backwards), arcs as integer steps on the 1e-5 degree
 * grid. This rebuilds the GeoJSON FeatureCollection the rest of the page works with. */
/* Point lists from integer steps on the 1e-5 grid, each step from the previous point, across lists
 * (mapper.render.page._decode_steps). */
function gmDecodeSteps(lists) {
  'use strict';
  var x = 0, y = 0;
  return lists.map(function (steps) {
    var out = new Array(steps.length / 2);
    for (var q = 0; q < steps.length; q += 2) { x += steps[q]; y += steps[q + 1]; out[q / 2] = [x / 1e5, y / 1e5]; }
    return out;
  });
}

function gmUnpackAreas(A) {
  'use strict';
  var feats = [], multi = {}, raw = A.raw || {}, i, j, k;
  A.multi.forEach(function (m) { multi[m] = true; });
  var arcs = gmDecodeSteps(A.arcs);
  var nextArc = 0;  /* arc references are relative (pack_features' _relative_refs) */
  function ring(tokens) {
    var out = [];
    for (var r = 0; r < tokens.length; r++) {
      var t = tokens[r], fwd = t >= 0, id = t === 0 ? nextArc++ : (t > 0 ? nextArc - t : nextArc + t);
      var arc = arcs[id], n = arc.length, q;
      if (fwd) {
        for (q = out.length ? 1 : 0; q < n; q++) { out.push(arc[q]); }
      } else {
        for (q = out.length ? n - 2 : n - 1; q >= 0; q--) { out.push(arc[q]); }
      }
    }
    return out;
  }
  function polygon(rings) { return rings.map(ring); }
  var codeNumber = 0;
  for (i = 0; i < A.n; i++) {
    var p = {};
    if (A.codes) {  /* ONS code: prefix and the step from the previous code's six-digit number */
      codeNumber += A.codes.d[i];
      p.c = A.codes.pre[A.codes.pi[i]] + String(codeNumber).padStart(6, '0');
    }
    for (k in A.cols) { p[k] = A.cols[k][i]; }
    for (k in A.opt) { if (A.opt[k][i] !== null) { p[k] = A.opt[k][i]; } }
    if (A.v) { p.v = []; for (j = 0; j < A.v.length; j++) { p.v.push(A.v[j][i]); } }
    if (A.nd) {
      p.nd = [];
      for (j = 0; j < A.nd.num.length; j++) { p.nd.push([A.nd.num[j][i], A.nd.den[A.nd.di[j]][i]]); }
    }
    if (A.x) {
      var x = null;
      for (k in A.x) { if (A.x[k][i] !== null) { x = x || {}; x[k] = A.x[k][i]; } }
      if (x) { p.x = x; }
    }
    var g;
    if (raw.hasOwnProperty(String(i))) {
      g = raw[String(i)];
    } else {
      var polys = A.geom[i].map(polygon);
      g = multi[i] ? {type: 'MultiPolygon', coordinates: polys} : {type: 'Polygon', coordinates: polys[0]};
    }
    if (A.lp) {  /* label point: steps from the first vertex of the area's first ring */
      var v0 = g.type === 'Polygon' ? g.coordinates[0][0] : g.coordinates[0][0][0];
      p.lp = [(Math.round(v0[0] * 1e5) + A.lp[2 * i]) / 1e5, (Math.round(v0[1] * 1e5) + A.lp[2 * i + 1]) / 1e5];
    }
    feats.push({type: 'Feature', properties: p, geometry: g});
  }
  return {type: 'FeatureCollection', features: feats};
}

/* Outline lines arrive as integer steps on the 1e-5 grid (mapper.render.page.pack_lines). */
function gmUnpackLines(C) {
  'use strict';
  if (!C || !C.packed) { return C; }
  var all = [];
  C.features.forEach(function (f) { f.geometry.steps.forEach(function (s) { all.push(s); }); });
  var lines = gmDecodeSteps(all), at = 0;
  return {type: 'FeatureCollection', features: C.features.map(function (f) {
    var coords = lines.slice(at, at + f.geometry.steps.length);
    at += f.geometry.steps.length;
    return {type: 'Feature', properties: f.properties, geometry: {type: 'MultiLineString', coordinates: coords}};
  })};
}

function gmStart(P) {
  'use strict';
  if (P.areas) { P.geo = gmUnpackAreas(P.areas); delete P.areas; }
  P.outlines = gmUnpackLines(P.outlines);
  var views = P.views, inds = P.inds, feats = P.geo.features;
  var viewIndex = {};
  views.forEach(function (v, i) { viewIndex[v.key] = i; });
  var state = {view: viewIndex[P.default_view] !== undefined ? P.default_view : views[0].key,
               area: null, cls: null, tier: null};
  var byCode = {}, byCodeLower = {}, featIndex = {}, rows = {}, sortKey = 'rank', sortDir = 1, hoverCode = null;
  var GROUPS = [['fixed', 'Fixed broadband'], ['business', 'Business premises'], ['mobile', 'Mobile coverage'],
                ['adoption', 'Full-fibre take-up'], ['need', 'Need: people']];
  var PHONE = window.matchMedia('(max-width: 760px)');

  /* ---------- small helpers ---------- */
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) { continue; }
      parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return parent;
  }
  function estBadge() { var b = el('span', 'gm-est', 'estimate'); b.title = 'Estimate: a count derived from Ofcom\u2019s published percentages'; return b; }
  function missing(x) { return x === null || x === undefined; }
  function fmtInt(x) { return missing(x) ? 'n/a' : Math.round(x).toLocaleString('en-GB'); }
  function fmtSigned(x) { return missing(x) ? 'n/a' : (x > 0 ? '+' : x < 0 ? '\u2212' : '+') + Math.abs(Math.round(x)).toLocaleString('en-GB'); }
  function pct(share, dec) { return (100 * share).toFixed(dec) + '%'; }
  function fmtVal(view, x) {
    if (missing(x)) { return 'no data'; }
    if (view.cats) { return view.cats[x]; }
    if (view.fmt === 'pct' || view.fmt === 'prob') { return pct(x, view.dec); }
    if (view.fmt === 'int') { return fmtSigned(x); }
    return x.toFixed(view.dec);
  }
  function indView(i) { var k = viewIndex[inds[i].key]; return k === undefined ? null : views[k]; }
  function indDec(i) { var v = indView(i); return v ? v.dec : 1; }
  function shareOf(nd) { return (!nd || missing(nd[0]) || missing(nd[1]) || !nd[1]) ? null : nd[0] / nd[1]; }
  function current() { return views[viewIndex[state.view]]; }
  function tierIndex(p) { var tv = viewIndex.tier; return tv === undefined ? null : p.v[tv]; }
  function tierNumber(p) { var i = tierIndex(p); return missing(i) ? null : (i < P.k_tiers ? i + 1 : 0); }
  function colourOf(view, p) {
    if (view.tc) {
      var ti = tierIndex(p);
      return missing(ti) ? P.no_data : view.colours[ti];
    }
    var x = p.v[viewIndex[view.key]];
    if (missing(x)) { return P.no_data; }
    if (view.cats) { return view.colours[x]; }
    var i = 0, left = view.side === 'left';
    while (i < view.breaks.length && (left ? x >= view.breaks[i] : x > view.breaks[i])) { i++; }
    return view.colours[i];
  }
  function visible(p) {
    if (state.cls && state.cls.indexOf(p.k === null ? '' : p.k) < 0) { return false; }
    if (state.tier && state.tier.indexOf(String(tierNumber(p))) < 0) { return false; }
    return true;
  }
  function totalRow(name) {
    for (var i = 0; i < P.totals.length; i++) { if (P.totals[i].a === name) { return P.totals[i]; } }
    return null;
  }
  var studyRow = P.totals.length ? P.totals[P.totals.length - 1] : null;

  /* ---------- the map ---------- */
  var map = L.map('gm-map', {preferCanvas: true, zoomSnap: 0.1, zoomDelta: 0.5, wheelPxPerZoomLevel: 90,
                              attributionControl: true, zoomControl: true});
  var study = L.latLngBounds(P.study);
  function fitStudy(animate) {
    // keep the study area clear of the legend (over the map's lower left corner) where the pane allows
    var lg = document.getElementById('gm-legend'), left = 6, bottom = 6, size = map.getSize();
    if (lg) {
      if (PHONE.matches && !document.body.classList.contains('gm-printing')) { bottom = Math.min(lg.offsetHeight + 12, size.y / 3); }
      else { left = Math.min(lg.offsetWidth + 16, size.x / 3); }
    }
    map.fitBounds(study, {paddingTopLeft: [left, 6], paddingBottomRight: [6, bottom], animate: !!animate});
  }
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(P.attribution_html);
  L.control.scale({imperial: false, maxWidth: 140}).addTo(map);
  map.createPane('gm-outlines').style.zIndex = 420;
  map.getPane('gm-outlines').style.pointerEvents = 'none';
  map.createPane('gm-labels').style.zIndex = 450;
  map.getPane('gm-labels').style.pointerEvents = 'none';
  var attrEl = map.attributionControl.getContainer();
  attrEl.addEventListener('click', function () { attrEl.classList.toggle('gm-attr-open'); });

  function style(f) {
    var p = f.properties, v = current(), on = visible(p), sel = p.c === state.area;
    return {fillColor: colourOf(v, p), fillOpacity: on ? 0.85 : 0.12,
            color: sel ? '#000000' : (on ? '#555555' : '#bbbbbb'), weight: sel ? 3 : P.line_weight,
            opacity: on || sel ? 1 : 0.5};
  }
  var layer = L.geoJSON(P.geo, {
    renderer: L.canvas({padding: 0.1, tolerance: 1}), style: style, smoothFactor: 0.5,
    onEachFeature: function (f, l) { byCode[f.properties.c] = l; byCodeLower[f.properties.c.toLowerCase()] = l; }
  }).addTo(map);
  feats.forEach(function (f, i) { featIndex[f.properties.c] = i; });
  /* The whole layer is restyled only when the state its style depends on has changed since it was last
   * styled in full (a page opened without a link state is styled once, when the layer is made). */
  function styleKey() { return [state.view, String(state.cls), String(state.tier), state.area].join('|'); }
  var styledAs = styleKey();
  function restyle() {
    var k = styleKey();
    if (k !== styledAs) { layer.setStyle(style); styledAs = k; }
  }
  var outlineStyle = {region: {color: '#111111', weight: 2.4, opacity: 0.9},
                      county: {color: '#3a3a3a', weight: 1.3, opacity: 0.85, dashArray: '5 4'}};
  var outlines = L.geoJSON(P.outlines, {
    pane: 'gm-outlines', renderer: L.canvas({pane: 'gm-outlines', padding: 0.1}), interactive: false,
    style: function (f) { return outlineStyle[f.properties.t] || outlineStyle.county; }
  }).addTo(map);
  var highlight = null;
  function highlightOutline(kind, name) {
    if (highlight) { map.removeLayer(highlight); highlight = null; }
    if (!kind) { return; }
    var hit = P.outlines.features.filter(function (f) { return f.properties.t === kind && f.properties.n === name; });
    if (hit.length) {
      highlight = L.geoJSON({type: 'FeatureCollection', features: hit}, {
        pane: 'gm-outlines', interactive: false, style: {color: '#d4008f', weight: 4, opacity: 0.9}}).addTo(map);
    }
  }

  /* ---------- basemap (only when ticked) ---------- */
  var tiles = null, baseBox = document.getElementById('gm-basemap');
  function setBasemap(on) {
    if (on && !tiles) {
      tiles = L.tileLayer(P.tiles, {attribution: P.tiles_attribution, maxZoom: 19, opacity: 0.55}).addTo(map);
      tiles.bringToBack();
    } else if (!on && tiles) { map.removeLayer(tiles); tiles = null; }
  }
  baseBox.addEventListener('change', function () { setBasemap(baseBox.checked); });

  /* ---------- labels: areas as they fit, then places largest first, no collisions ---------- */
  var labelBox = L.DomUtil.create('div', 'gm-labels', map.getPane('gm-labels'));
  var measure = document.createElement('canvas').getContext('2d'), widths = {};
  var AREA_FONT = '600 11px system-ui, sans-serif', PLACE_FONT = 'italic 11px system-ui, sans-serif',
      BIG_FONT = '600 12.5px system-ui, sans-serif';
  function textWidth(s, font) {
    var k = font + '|' + s;
    if (widths[k] === undefined) { measure.font = font; widths[k] = measure.measureText(s).width; }
    return widths[k];
  }
  function minPopulation(z) { return z < 7.5 ? 150000 : z < 8.5 ? 40000 : z < 9.5 ? 10000 : z < 10.5 ? 3000 : z < 11.5 ? 1000 : 0; }
  var sizes0 = {};
  function areaSize0(f) {
    var c = f.properties.c;
    if (!sizes0[c]) {
      var b = byCode[c].getBounds(), sw = map.project(b.getSouthWest(), 0), ne = map.project(b.getNorthEast(), 0);
      sizes0[c] = {w: ne.x - sw.x, h: sw.y - ne.y};
    }
    return sizes0[c];
  }
  function drawLabels() {
    var z = map.getZoom(), size = map.getSize(), placed = [], frag = document.createDocumentFragment();
    var view = map.getBounds().pad(0.05), shown = 0;
    function fits(r) {
      if (r.x < 0 || r.y < 0 || r.x + r.w > size.x || r.y + r.h > size.y) { return false; }
      for (var i = 0; i < placed.length; i++) {
        var q = placed[i];
        if (r.x < q.x + q.w && q.x < r.x + r.w && r.y < q.y + q.h && q.y < r.y + r.h) { return false; }
      }
      return true;
    }
    function put(text, lat, lon, cls, rect) {
      placed.push(rect);
      var e = el('div', 'gm-label ' + cls, text), pt = map.latLngToLayerPoint([lat, lon]);
      e.style.left = pt.x + 'px'; e.style.top = pt.y + 'px';
      frag.appendChild(e);
    }
    var scale = map.options.crs.scale(z) / map.options.crs.scale(0);
    feats.forEach(function (f) {
      var p = f.properties;
      if (!p.lp || !visible(p) || !view.contains([p.lp[1], p.lp[0]])) { return; }
      var s0 = areaSize0(f);  /* the area's bounding box in pixels at zoom 0: scaled, not re-projected */
      if (s0.h * scale < 22) { return; }  /* too short for a label: skip before measuring the text */
      var w = textWidth(p.n, AREA_FONT) + 6;
      if (s0.w * scale < w * 1.05) { return; }
      var c = map.latLngToContainerPoint([p.lp[1], p.lp[0]]), r = {x: c.x - w / 2, y: c.y - 8, w: w, h: 16};
      if (fits(r)) { put(p.n, p.lp[1], p.lp[0], 'area', r); }
    });
    var minPop = minPopulation(z);
    for (var i = 0; i < P.places.length && shown < 90; i++) {
      var pl = P.places[i], pop = pl[3];
      if (pop < minPop && !(minPop === 0)) { break; }  // places are largest first (unknown = 0, last)
      if (!view.contains([pl[2], pl[1]])) { continue; }
      var big = pop >= 100000, font = big ? BIG_FONT : PLACE_FONT, w = textWidth(pl[0], font) + 12,
          c = map.latLngToContainerPoint([pl[2], pl[1]]), r = {x: c.x - 4, y: c.y - 8, w: w, h: 16};
      if (fits(r)) { put(pl[0], pl[2], pl[1], 'place' + (big ? ' big' : ''), r); shown++; }
    }
    labelBox.replaceChildren(frag);
  }
  map.on('zoomend moveend resize', drawLabels);

  /* ---------- area profile ---------- */
  function cmpWord(a, b, dec) {
    if (missing(a) || missing(b)) { return null; }
    var sa = pct(a, dec), sb = pct(b, dec);
    return sa === sb ? 'the same as' : (a > b ? 'higher than' : 'lower than');
  }
  function keyIndicator() {
    for (var i = 0; i < inds.length; i++) { if (inds[i].scored && inds[i].phrase) { return i; } }
    for (var j = 0; j < inds.length; j++) { if (inds[j].phrase) { return j; } }
    return null;
  }
  function headline(p) {
    var parts = [], t = tierNumber(p), sv = views[viewIndex.score];
    if (p.href) { return p.n + ': ' + fmtInt(p.count) + ' areas. Open its map for each area\u2019s figures.'; }
    if (!missing(p.rk) && t) {
      parts.push(p.n + ' is in tier ' + t + ' of ' + P.k_tiers + (t === 1 ? ' (highest priority)' : t === P.k_tiers ? ' (lowest priority)' : '') +
                 ': ranked ' + p.rk + ' of ' + P.n_ranked + ' ' + P.noun + (sv ? ' on the priority score (' + fmtVal(sv, p.v[viewIndex.score]) + ' out of 100)' : '') +
                 ', relative to ' + P.frame_text + '.');
    } else if (viewIndex.tier !== undefined) {
      parts.push(p.n + ' has no priority score: too few premises or a missing figure (insufficient data).');
    }
    var k = keyIndicator();
    if (k !== null && p.nd[k] && !missing(p.nd[k][0])) {
      var d = inds[k], dec = indDec(k), s = shareOf(p.nd[k]), reg = totalRow(p.r), s2 = [];
      var text = pct(s, dec) + ' of its ' + d.unit + ' (' + fmtInt(p.nd[k][0]) + ' of ' + fmtInt(p.nd[k][1]) + ') ' + d.phrase;
      if (reg && shareOf(reg.nd[k]) !== null) { s2.push(cmpWord(s, shareOf(reg.nd[k]), dec) + ' the ' + reg.a + ' (' + pct(shareOf(reg.nd[k]), dec) + ')'); }
      if (studyRow && studyRow !== reg && shareOf(studyRow.nd[k]) !== null) {
        s2.push(cmpWord(s, shareOf(studyRow.nd[k]), dec) + ' the ' + studyRow.a + ' (' + pct(shareOf(studyRow.nd[k]), dec) + ')');
      }
      parts.push(text + (s2.length ? ': ' + s2.join(' and ') : '') + ' (Ofcom Connected Nations ' + P.release_text + ').');
    }
    return parts.join(' ');
  }
  function indBlock(i, p) {
    var d = inds[i], nd = p.nd[i], dec = indDec(i), s = shareOf(nd), box = el('div', 'gm-ind');
    if (indView(i) && indView(i).key === state.view) { box.classList.add('gm-current'); }
    var name = add(el('div', 'gm-ind-name'), d.label.replace(/ \(estimate\)$/, '') + (d.scored ? ' *' : '') + ' ');
    if (d.derived) { name.appendChild(estBadge()); }
    box.appendChild(name);
    if (s === null) { box.appendChild(el('div', 'gm-cmp', 'No figure for this area.')); return box; }
    var approx = d.derived ? '\u2248' : '';
    add(box, add(el('div'), el('span', 'gm-val', pct(s, dec)),
                 ' (' + approx + fmtInt(nd[0]) + ' of ' + fmtInt(nd[1]) + ' ' + d.unit + ')'));
    var cmp = [], reg = totalRow(p.r);
    if (reg && reg !== studyRow && shareOf(reg.nd[i]) !== null) { cmp.push(reg.a + ' ' + pct(shareOf(reg.nd[i]), dec)); }
    if (studyRow && shareOf(studyRow.nd[i]) !== null) { cmp.push(studyRow.a + ' ' + pct(shareOf(studyRow.nd[i]), dec)); }
    if (P.england) {
      var e = shareOf(P.england.nd[i]);
      cmp.push('England ' + (e === null ? 'not available' : pct(e, dec)));
    }
    if (cmp.length) { box.appendChild(el('div', 'gm-cmp', 'Compared with: ' + cmp.join(' \u00b7 '))); }
    var x = p.x || {};
    var ranked = P.england_areas ? P.england_areas[d.key] : null;
    if (x.er && !missing(x.er[i]) && ranked) {
      box.appendChild(el('div', 'gm-cmp', 'England rank ' + x.er[i] + ' of ' + fmtInt(ranked) + ' (1 = highest need)'));
    }
    TRENDS.forEach(function (t) {
      if (t[0] === d.key && !missing(x[t[1]])) {
        var v = x[t[1]], better = t[2] === 'better' ? v > 0 : v < 0, same = v === 0;
        box.appendChild(el('div', 'gm-cmp', t[3] + (P.changes_since ? ' since ' + P.changes_since : '') + ': ' + fmtSigned(v) +
                                              (same ? ' (no change)' : better ? ' (better)' : ' (worse)')));
      }
    });
    return box;
  }
  var TRENDS = [['no_gigabit', 'gigabit_gain_n', 'better', 'Premises that gained gigabit'],
                ['below_uso', 'below_uso_change_n', 'worse', 'Change in premises below the USO'],
                ['unable_30', 'unable_30_change_n', 'worse', 'Change in premises unable to get 30 Mbit/s']];
  var ROUTES = {
    'Infrastructure bid': 'Funding route: Project Gigabit (BDUK) procurement and gigabit vouchers for the premises without gigabit.',
    'Digital-inclusion bid': 'Funding route: digital-inclusion support such as the UK Shared Prosperity Fund (skills, access, affordability).',
    'Both': 'Funding routes: Project Gigabit and gigabit vouchers for the infrastructure gap, and digital-inclusion support such as the UK Shared Prosperity Fund.',
    'Neither': 'No bid route is suggested by these figures.'
  };
  function diagnosisText(x) {
    var t = P.threshold, i = x.infra_need, j = x.inclusion_need;
    // Each number is written so that "at or above" / "below" stays true after rounding.
    function need(v, high) {
      if (missing(v)) { return 'no data'; }
      var r = Math.round(v);
      if ((r >= t) === high) { return r + ' of 100'; }
      var r1 = v.toFixed(1);
      if ((parseFloat(r1) >= t) === high) { return r1 + ' of 100'; }
      return (high ? '' : 'just under ') + t + ' of 100';
    }
    if (x.diagnosis === 'Both') { return 'The figures point to both an infrastructure bid and a digital-inclusion bid: infrastructure need (' + need(i, true) + ') and digital-inclusion need (' + need(j, true) + ') are both at or above ' + t + '.'; }
    if (x.diagnosis === 'Infrastructure bid') { return 'The figures point to an infrastructure bid: infrastructure need (' + need(i, true) + ') is at or above ' + t + '; digital-inclusion need (' + need(j, false) + ') is below it.'; }
    if (x.diagnosis === 'Digital-inclusion bid') { return 'The figures point to a digital-inclusion bid: digital-inclusion need (' + need(j, true) + ') is at or above ' + t + '; infrastructure need (' + need(i, false) + ') is below it.'; }
    if (x.diagnosis === 'Neither') { return 'Neither need index reaches ' + t + ' (infrastructure ' + need(i, false) + ', digital inclusion ' + need(j, false) + '), so these figures do not point to a bid.'; }
    return 'Not enough data for a diagnosis.';
  }
  function profile(p) {
    var box = el('div'), x = p.x || {};
    var h = el('h2', null, p.n); h.id = 'gm-card-title'; box.appendChild(h);
    box.appendChild(el('p', 'gm-meta', p.c + ' \u00b7 ' + (p.k || P.class_label + ' n/a') + (p.r ? ' \u00b7 ' + p.r : '') +
      (!missing(p.cy) && P.counties[p.cy] ? ' \u00b7 ' + P.counties[p.cy].n : '') +
      (missing(p.p) ? '' : ' \u00b7 ' + fmtInt(p.p) + ' premises')));
    box.appendChild(el('p', 'gm-headline', headline(p)));
    if (p.href) {
      var a = el('a', null, 'Open the map of ' + p.n + (p.count ? ' (' + fmtInt(p.count) + ' areas)' : ''));
      a.setAttribute('href', p.href); box.appendChild(a);
    }
    if (x.diagnosis) {
      box.appendChild(el('h3', null, 'What kind of help'));
      var dg = el('div', 'gm-diag');
      dg.appendChild(el('p', null, diagnosisText(x)));
      if (ROUTES[x.diagnosis]) { dg.appendChild(el('p', null, ROUTES[x.diagnosis])); }
      if (x.routes) { dg.appendChild(el('p', null, 'Also flagged: ' + x.routes + '.')); }
      box.appendChild(dg);
      box.appendChild(el('p', 'gm-note', 'Need indices: the mean percentile rank (0-100) of the area\u2019s indicators among ' + P.frame_text + '.'));
    }
    if (!missing(x.rank_p05) || x.stability || !missing(x.rank_rate) || !missing(x.rank_count)) {
      box.appendChild(el('h3', null, 'How firm the rank is'));
      if (!missing(x.rank_p05)) {
        box.appendChild(el('p', null, 'Rank ' + x.rank_p05 + ' to ' + x.rank_p95 + ' in 90% of resampled weightings' +
          (!missing(x.rank_median) ? ' (median ' + x.rank_median + ')' : '') + (x.stability ? '; ' + x.stability + ' rank' : '') +
          (!missing(x.top_tier_share) ? '; in tier 1 in ' + Math.round(100 * x.top_tier_share) + '% of them' : '') + '.'));
      }
      if (!missing(x.rank_rate) || !missing(x.rank_count)) {
        box.appendChild(el('p', null, [!missing(x.rank_rate) ? 'rank ' + x.rank_rate + ' on rates (shares)' + (x.tier_rate ? ', tier ' + x.tier_rate : '') : null,
          !missing(x.rank_count) ? 'rank ' + x.rank_count + ' on counts (premises affected)' + (x.tier_count ? ', tier ' + x.tier_count : '') : null]
          .filter(Boolean).join('; ').replace(/^./, function (c) { return c.toUpperCase(); }) + '.'));
      }
    }
    if (!P.england) { box.appendChild(el('p', 'gm-note', 'England comparison not available in this build: the figures compare with the region and the ' + (studyRow ? studyRow.a : 'study area') + ' only.')); }
    GROUPS.forEach(function (g) {
      var members = [];
      inds.forEach(function (d, i) { if (d.group === g[0]) { members.push(i); } });
      if (!members.length) { return; }
      var sec = el('section');
      var hh = add(el('h3', null, g[1] + ' '));
      if (members.every(function (i) { return inds[i].derived; })) { hh.appendChild(estBadge()); }
      sec.appendChild(hh);
      members.forEach(function (i) { sec.appendChild(indBlock(i, p)); });
      box.appendChild(sec);
    });
    box.appendChild(el('p', 'gm-note', '* in the priority score. Shares are counts divided by counts; region and ' +
      (studyRow ? studyRow.a : 'study-area') + ' figures sum the counts first. Release: Ofcom Connected Nations ' + P.release_text +
      (inds.some(function (d) { return d.group === 'need'; }) ? '; people: IoD 2019 (mid-2015 population)' : '') + '.'));
    return box;
  }
  var card = document.getElementById('gm-card'), cardBody = document.getElementById('gm-card-body');
  function openCard(p) {
    cardBody.replaceChildren(profile(p));
    card.hidden = false;
    card.scrollTop = 0;
    hideHover();
  }
  function closeCard() { card.hidden = true; }
  document.getElementById('gm-card-close').addEventListener('click', function () { closeCard(); select(null); });

  /* ---------- hover card (mouse only; a touch never shows it) ---------- */
  var hover = document.getElementById('gm-hover'), lastPointer = 'mouse';
  document.addEventListener('pointerdown', function (e) { lastPointer = e.pointerType; if (e.pointerType !== 'mouse') { hideHover(); } }, true);
  function hideHover() { hover.style.display = 'none'; hoverCode = null; }
  function hoverCard(p) {
    var box = el('div'), v = current();
    box.appendChild(el('div', 'gm-tip-title', p.n + ' (' + p.c + ')'));
    box.appendChild(el('div', 'gm-tip-sub', (p.k || P.class_label + ' n/a') + (p.r ? ' \u00b7 ' + p.r : '')));
    var val = add(el('div', 'gm-tip-score'), v.label.replace(/ \*$/, '') + ': ' + (v.estimate ? '\u2248' : '') + fmtVal(v, p.v[viewIndex[v.key]]) + ' ');
    if (v.estimate) { val.appendChild(estBadge()); }
    box.appendChild(val);
    if (v.ind !== undefined && p.nd[v.ind]) {
      var d = inds[v.ind], nd = p.nd[v.ind];
      box.appendChild(el('div', null, (d.derived ? '\u2248' : '') + fmtInt(nd[0]) + ' ' + d.num_label + ' of ' + fmtInt(nd[1]) + ' ' + d.unit +
                                      ' \u00b7 release ' + d.release));
    }
    if (!missing(p.rk)) {
      var t = tierNumber(p);
      box.appendChild(el('div', 'gm-tip-sub', (t ? 'Tier ' + t + ' \u00b7 ' : '') + 'rank ' + p.rk + ' of ' + P.n_ranked + (p.rc ? ' (' + p.rc + ' in class)' : '')));
    }
    box.appendChild(el('div', 'gm-tip-foot', p.href ? 'Click to open this group.' : 'Click for the full profile.'));
    return box;
  }
  function showHover(p, ev) {
    if (lastPointer !== 'mouse' || PHONE.matches) { return; }  // a touch never opens the hover card
    hoverCode = p.c;
    hover.replaceChildren(hoverCard(p)); hover.style.display = 'block';
    if (ev) { place(ev); }
  }
  function place(ev) {
    var x = ev.clientX + 16, y = ev.clientY + 16, w = hover.offsetWidth, h = hover.offsetHeight;
    if (x + w > window.innerWidth - 8) { x = Math.max(8, ev.clientX - w - 16); }
    if (y + h > window.innerHeight - 8) { y = Math.max(8, window.innerHeight - h - 8); }
    hover.style.left = x + 'px'; hover.style.top = y + 'px';
  }
  layer.on('mouseover', function (e) {
    var p = e.layer.feature.properties;
    showHover(p, e.originalEvent);
    if (p.c !== state.area) { e.layer.setStyle({weight: 2, color: '#000000'}); }
  });
  layer.on('mousemove', function (e) { if (hoverCode && e.originalEvent) { place(e.originalEvent); } });
  layer.on('mouseout', function (e) { hideHover(); layer.resetStyle(e.layer); });
  layer.on('click', function (e) { hideHover(); select(e.layer.feature.properties.c, {card: true, reveal: true}); });

  /* ---------- legend ---------- */
  var legendBox = document.getElementById('gm-legend'), legendBody = document.getElementById('gm-legend-body');
  var legendToggle = document.getElementById('gm-legend-toggle');
  legendToggle.addEventListener('click', function () {
    var shut = legendBox.classList.toggle('gm-collapsed');
    legendToggle.setAttribute('aria-expanded', shut ? 'false' : 'true');
  });
  function drawLegend() {
    var v = current(), parts = [];
    var h = add(el('h2', null, v.label + ' '));
    if (v.estimate) { h.appendChild(estBadge()); }
    parts.push(h);
    parts.push(el('div', 'gm-note', v.note));
    v.colours.forEach(function (c, i) {
      if (v.tc && i === v.colours.length - 1 && !feats.some(function (f) { return tierNumber(f.properties) === 0; })) { return; }
      var d = el('div', 'gm-item'), sw = el('span', 'sw');
      sw.style.background = c;
      d.appendChild(sw); d.appendChild(document.createTextNode(v.legend[i]));
      parts.push(d);
    });
    var absent = !v.tc && feats.some(function (f) { return missing(f.properties.v[viewIndex[v.key]]); });
    if (absent && !v.cats) {
      var d = el('div', 'gm-item'), sw = el('span', 'sw');
      sw.style.background = P.no_data; d.appendChild(sw); d.appendChild(document.createTextNode('No data'));
      parts.push(d);
    }
    if (v.ind !== undefined && studyRow) {
      var s = shareOf(studyRow.nd[v.ind]);
      if (s !== null) { parts.push(el('div', 'gm-note', studyRow.a + ' overall: ' + pct(s, v.dec) + ' (summed counts)')); }
    }
    if (v.estimate) { parts.push(el('div', 'gm-note', 'Estimate: counts derived from Ofcom\u2019s published percentages.')); }
    var lines = el('div', 'gm-key-lines');
    if (P.regions.length) { add(lines, el('span', 'ln'), 'region  '); }
    if (P.counties.length) { add(lines, el('span', 'ln county'), 'county / unitary'); }
    if (lines.childNodes.length) { parts.push(lines); }
    legendBody.replaceChildren.apply(legendBody, parts);
    document.getElementById('gm-view-name').textContent = v.label.replace(/ \*$/, '');
  }

  /* ---------- ranking table ---------- */
  var tbody = document.querySelector('#gm-table tbody');
  var viewHead = document.getElementById('gm-th-view');
  function sortValue(p, key) {
    if (key === 'rank') { return missing(p.rk) ? Infinity : p.rk; }
    if (key === 'name') { return p.n.toLowerCase(); }
    if (key === 'class') { return (p.k || '').toLowerCase(); }
    var x = p.v[viewIndex[state.view]];
    return missing(x) ? -Infinity : x;
  }
  function makeRow(f) {
    var p = f.properties, tr = el('tr');
    tr.tabIndex = 0; tr.dataset.code = p.c; tr.setAttribute('role', 'row');
    var cells = [el('td', 'num', missing(p.rk) ? '' : p.rk), el('td', null, p.n + ' '), el('td', null, p.k || ''), el('td', 'num')];
    cells[1].appendChild(el('span', 'gm-sub', p.c));
    cells.forEach(function (c) { c.setAttribute('role', 'cell'); tr.appendChild(c); });
    tr.addEventListener('click', function () { select(p.c, {zoom: true, card: true}); });
    tr.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(p.c, {zoom: true, card: true}); }
      else if (e.key === 'ArrowDown' && tr.nextElementSibling) { e.preventDefault(); tr.nextElementSibling.focus(); }
      else if (e.key === 'ArrowUp' && tr.previousElementSibling) { e.preventDefault(); tr.previousElementSibling.focus(); }
    });
    rows[p.c] = tr;
  }
  // The table is built in slices of TABLE_SLICE rows, each its own short task, so the page answers
  // clicks and keys while a table of thousands of areas is still being laid out.
  var TABLE_SLICE = 250;
  function buildTable(done) {
    var i = 0, list = null;
    function create() {
      var end = Math.min(feats.length, i + TABLE_SLICE);
      for (; i < end; i++) { makeRow(feats[i]); }
      if (i < feats.length) { setTimeout(create, 0); return; }
      list = sortedProps(); i = 0; attach();
    }
    function attach() {
      var frag = document.createDocumentFragment(), end = Math.min(list.length, i + TABLE_SLICE);
      for (; i < end; i++) { frag.appendChild(rows[list[i].c]); }
      tbody.appendChild(frag);
      if (i < list.length) { setTimeout(attach, 0); return; }
      markSort();
      refreshTable();
      done();
    }
    create();
  }
  function sortedProps() {
    var list = feats.map(function (f) { return f.properties; });
    list.sort(function (a, b) {
      var x = sortValue(a, sortKey), y = sortValue(b, sortKey);
      if (x < y) { return -sortDir; }
      if (x > y) { return sortDir; }
      return a.c < b.c ? -1 : 1;
    });
    return list;
  }
  function markSort() {
    document.querySelectorAll('#gm-table th').forEach(function (th) {
      th.setAttribute('aria-sort', th.dataset.key === sortKey ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');
    });
  }
  function sortTable() {
    if (!app || !app.tableReady) { return; }  // the table is still being built (it is sorted when it is complete)
    var frag = document.createDocumentFragment();
    sortedProps().forEach(function (p) { frag.appendChild(rows[p.c]); });
    tbody.appendChild(frag);
    markSort();
  }
  function refreshTable() {
    var v = current(), vi = viewIndex[v.key], shown = 0, cls = v.cats ? '' : 'num', approx = v.estimate ? '\u2248' : '';
    viewHead.textContent = v.short || v.label;
    feats.forEach(function (f) {
      var p = f.properties, tr = rows[p.c];
      if (!tr) { return; }
      // write only what changed: every DOM write can cost a style pass over thousands of rows
      var x = p.v[vi], text = (missing(x) ? '' : approx) + fmtVal(v, x), cell = tr.cells[3], hide = !visible(p), sel = p.c === state.area;
      if (cell.textContent !== text) { cell.textContent = text; }
      if (cell.className !== cls) { cell.className = cls; }
      if (tr.hidden !== hide) { tr.hidden = hide; }
      if (!hide) { shown++; }
      if (tr.classList.contains('gm-selected') !== sel) { tr.classList.toggle('gm-selected', sel); }
    });
    document.getElementById('gm-table-count').textContent = shown + ' of ' + feats.length + ' areas shown';
  }
  document.querySelectorAll('#gm-table th button').forEach(function (b) {
    b.addEventListener('click', function () {
      var key = b.parentNode.dataset.key;
      if (sortKey === key) { sortDir = -sortDir; } else { sortKey = key; sortDir = (key === 'view') ? -1 : 1; }
      sortTable();
    });
  });

  /* ---------- selection, views, filters ---------- */
  function sheetPadding() {
    // keep the selected area clear of what covers the map: the card (side panel on a desktop, bottom sheet on a phone)
    var pad = {tl: [30, 30], br: [30, 30]};
    if (!card.hidden) {
      var r = card.getBoundingClientRect(), m = document.getElementById('gm-map').getBoundingClientRect();
      if (PHONE.matches) { pad.br = [20, Math.max(30, m.bottom - r.top + 16)]; }
      else { pad.br = [Math.max(30, m.right - r.left + 16), 30]; }
    }
    return pad;
  }
  function reveal(l, zoom) {
    var pad = sheetPadding(), b = l.getBounds();
    if (zoom) {
      map.fitBounds(b.pad(0.6), {maxZoom: P.max_zoom, paddingTopLeft: pad.tl, paddingBottomRight: pad.br});
      return;
    }
    // pan only if the area is not already fully in the free part of the map
    var size = map.getSize(), sw = map.latLngToContainerPoint(b.getSouthWest()), ne = map.latLngToContainerPoint(b.getNorthEast());
    var inside = sw.x >= pad.tl[0] && ne.y >= pad.tl[1] && ne.x <= size.x - pad.br[0] && sw.y <= size.y - pad.br[1];
    if (!inside) { map.fitBounds(b, {maxZoom: map.getZoom(), paddingTopLeft: pad.tl, paddingBottomRight: pad.br}); }
  }
  function select(code, opts) {
    opts = opts || {};
    var prev = state.area, l = code ? byCode[code] : null;
    state.area = l ? code : null;
    if (prev && byCode[prev]) { layer.resetStyle(byCode[prev]); }
    if (l) {
      layer.resetStyle(l); l.bringToFront();
      if (opts.card) { openCard(l.feature.properties); }
      if (opts.zoom || opts.reveal) { reveal(l, !!opts.zoom); }
      var tr = rows[code];
      if (tr) { tr.scrollIntoView({block: 'nearest'}); }
      if (PHONE.matches && opts.card) { closePanel(); }
    } else {
      closeCard();
    }
    refreshTable();
    writeHash();
  }
  var pendingTable = false;
  function afterPaint(fn) {
    // run fn once the next frame (with the recoloured map) has been painted, when the page is idle
    requestAnimationFrame(function () {
      if (window.requestIdleCallback) { requestIdleCallback(fn, {timeout: 300}); } else { setTimeout(fn, 0); }
    });
  }
  function setView(key) {
    if (viewIndex[key] === undefined) { return; }
    state.view = key;
    document.getElementById('gm-view').value = key;
    restyle();
    drawLegend();
    viewHead.textContent = current().short || current().label;
    if (hoverCode && byCode[hoverCode]) { hover.replaceChildren(hoverCard(byCode[hoverCode].feature.properties)); }
    if (!card.hidden && state.area && byCode[state.area]) { cardBody.replaceChildren(profile(byCode[state.area].feature.properties)); }
    // The map and legend change in this frame; the ranking table's value column follows right after
    // the paint, so a switch on a layer of thousands of areas never waits for the table.
    if (!pendingTable) {
      pendingTable = true;
      afterPaint(function () {
        pendingTable = false;
        refreshTable();
        if (sortKey === 'view') { sortTable(); }
        writeHash();
      });
    }
  }
  function readFilters() {
    function checked(name) {
      var all = document.querySelectorAll('input[name="' + name + '"]'), on = [];
      all.forEach(function (c) { if (c.checked) { on.push(c.value); } });
      return on.length === all.length ? null : on;
    }
    state.cls = checked('gm-class'); state.tier = checked('gm-tier');
  }
  function applyFilters() { restyle(); refreshTable(); drawLabels(); writeHash(); }
  document.querySelectorAll('#gm-filters input').forEach(function (c) {
    c.addEventListener('change', function () { readFilters(); applyFilters(); });
  });
  var viewSel = document.getElementById('gm-view');
  viewSel.addEventListener('change', function () { setView(viewSel.value); });

  /* ---------- search: areas, counties, regions, places, postcodes; did-you-mean ---------- */
  var search = document.getElementById('gm-search'), msg = document.getElementById('gm-search-msg');
  function norm(s) {
    return String(s).normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/&/g, ' and ')
      .replace(/\bst\.?\s/g, 'st ').replace(/[^a-z0-9]+/g, ' ').trim();
  }
  /* The search index and postcode table are built on the first search, not while the map loads. */
  var index = null, postcodes = null;
  function searchIndex() {
    if (index === null) {
      index = [];
      feats.forEach(function (f, i) { index.push({kind: 'area', label: f.properties.n, key: norm(f.properties.n), i: i}); });
      P.counties.forEach(function (c, i) { index.push({kind: 'county', label: c.n, key: norm(c.n), i: i}); });
      P.regions.forEach(function (r, i) { index.push({kind: 'region', label: r.n, key: norm(r.n), i: i}); });
      P.places.forEach(function (pl, i) { index.push({kind: 'place', label: pl[0], key: norm(pl[0]), i: i}); });
    }
    return index;
  }
  function postcodeTable() {
    if (postcodes === null) {
      postcodes = {};
      P.postcodes.forEach(function (pc) { postcodes[pc[0]] = pc; });
    }
    return postcodes;
  }
  var KIND = {area: P.noun.replace(/s$/, '').replace(/ie$/, 'y'), county: 'county / unitary',
              region: 'region', place: 'place'};
  function edit(a, b) {
    // Damerau-Levenshtein distance (optimal string alignment), for did-you-mean
    var m = a.length, n = b.length, d = [], i, j;
    if (Math.abs(m - n) > 3) { return 99; }
    for (i = 0; i <= m; i++) { d[i] = [i]; }
    for (j = 0; j <= n; j++) { d[0][j] = j; }
    for (i = 1; i <= m; i++) {
      for (j = 1; j <= n; j++) {
        var c = a[i - 1] === b[j - 1] ? 0 : 1;
        d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + c);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) { d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1); }
      }
    }
    return d[m][n];
  }
  function suggestions(q) {
    var scored = [];
    searchIndex().forEach(function (e) {
      var best = edit(q, e.key);
      e.key.split(' ').forEach(function (w) { if (w.length >= 4) { best = Math.min(best, edit(q, w) + 1); } });
      if (best <= Math.max(2, Math.floor(q.length / 4))) { scored.push([best, e]); }
    });
    scored.sort(function (a, b) { return a[0] - b[0] || (a[1].kind === 'area' ? -1 : 1) - (b[1].kind === 'area' ? -1 : 1) || (a[1].label < b[1].label ? -1 : 1); });
    var seen = {}, out = [];
    scored.forEach(function (s) { var k = s[1].kind + s[1].label; if (!seen[k] && out.length < 5) { seen[k] = 1; out.push(s[1]); } });
    return out;
  }
  function say(text, choices, lead) {
    var parts = [el('div', null, text)];
    if (choices && choices.length) {
      var ul = el('ul');
      if (lead) { parts.push(el('div', null, lead)); }
      choices.forEach(function (e) {
        var b = el('button', null, e.label + ' (' + KIND[e.kind] + ')');
        b.type = 'button';
        b.addEventListener('click', function () { go(e); });
        ul.appendChild(add(el('li'), b));
      });
      parts.push(ul);
    }
    msg.replaceChildren.apply(msg, parts);
  }
  function areasOf(e) {
    return feats.filter(function (f) {
      var p = f.properties;
      return e.kind === 'county' ? p.cy === e.i : e.kind === 'region' ? p.r === P.regions[e.i].n : false;
    }).map(function (f) { return {kind: 'area', label: f.properties.n, key: norm(f.properties.n), i: featIndex[f.properties.c]}; });
  }
  function go(e) {
    if (e.kind === 'area') {
      highlightOutline(null);
      var p = feats[e.i].properties;
      say('Showing ' + p.n + ' (' + p.c + ').');
      select(p.c, {zoom: true, card: true});
    } else if (e.kind === 'county' || e.kind === 'region') {
      var info = e.kind === 'county' ? P.counties[e.i] : P.regions[e.i], members = areasOf(e);
      select(null);
      highlightOutline(e.kind, info.n);
      map.fitBounds([[info.b[0], info.b[1]], [info.b[2], info.b[3]]], {padding: [20, 20]});
      say(info.n + ' (' + (e.kind === 'county' ? (info.t || 'county') : 'region') + '): ' + members.length + ' ' + P.noun +
          (e.kind === 'county' && P.noun.indexOf('local') < 0 ? ' mostly inside it' : '') + '.', members, 'Open one:');
    } else if (e.kind === 'place') {
      var pl = P.places[e.i], q = feats[pl[4]].properties;
      highlightOutline(null);
      select(q.c, {card: true});
      map.setView([pl[2], pl[1]], Math.max(map.getZoom(), Math.min(P.max_zoom, 10.5)));
      say('The place ' + pl[0] + ' is in ' + q.n + ' (' + q.c + ').');
    } else if (e.kind === 'postcode') {
      var hit = e.pc, a = feats[hit[3]].properties;
      highlightOutline(null);
      select(a.c, {card: true});
      map.setView([hit[2], hit[1]], Math.max(map.getZoom(), Math.min(P.max_zoom, 11)));
      say(e.label + ': the centre of this postcode ' + (hit[0].indexOf(' ') > 0 ? 'sector' : 'district') + ' is in ' + a.n + ' (' + a.c + ').' + (e.note || ''));
    }
  }
  function postcodeHit(raw) {
    var q = raw.toUpperCase().replace(/[^A-Z0-9]/g, '');
    var m = q.match(/^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9])([A-Z]{2})?$/), d = q.match(/^[A-Z]{1,2}[0-9][A-Z0-9]?$/);
    var postcodes = postcodeTable();
    if (m) {
      var sector = m[1] + ' ' + m[2];
      if (postcodes[sector]) { return {kind: 'postcode', label: 'Postcode sector ' + sector, pc: postcodes[sector], note: m[3] ? ' (Full postcodes are not in this file; the sector is the nearest figure.)' : ''}; }
      if (postcodes[m[1]]) { return {kind: 'postcode', label: 'Postcode district ' + m[1], pc: postcodes[m[1]], note: ' (Sector ' + sector + ' is not in the ' + P.study_name + ' list.)'}; }
      return {kind: 'nopostcode', label: sector};
    }
    if (d && /[0-9]/.test(q)) {
      if (postcodes[q]) { return {kind: 'postcode', label: 'Postcode district ' + q, pc: postcodes[q]}; }
      return {kind: 'nopostcode', label: q};
    }
    return null;
  }
  function runSearch() {
    var raw = search.value.trim();
    if (!raw) { msg.replaceChildren(); return; }
    var m = raw.match(/^(.*?)\s*\(([^()]+)\)\s*$/);   // "Name (E07000142)" from the suggestion list
    var q = norm(m ? m[2] : raw);
    var code = byCodeLower[(m ? m[2] : raw).trim().toLowerCase()];
    if (code) { go({kind: 'area', i: featIndex[code.feature.properties.c]}); return; }
    var pc = postcodeHit(raw);
    if (pc && pc.kind === 'postcode') { go(pc); return; }
    var exact = searchIndex().filter(function (e) { return e.key === q; });
    var partial = searchIndex().filter(function (e) {
      return e.key !== q && q.length >= 3 && (' ' + e.key + ' ').indexOf(' ' + q) >= 0 && e.kind !== 'place';
    });
    var exactAreas = exact.filter(function (e) { return e.kind === 'area'; });
    if (exactAreas.length === 1 && exact.length === 1) {
      go(exactAreas[0]);
      if (partial.length) { say('Showing ' + exactAreas[0].label + '.', partial.slice(0, 12), 'Also matching:'); }
      return;
    }
    var exactGroups = exact.filter(function (e) { return e.kind === 'county' || e.kind === 'region'; });
    if (exactGroups.length === 1 && !exactAreas.length && !partial.length) { go(exactGroups[0]); return; }
    var all = exact.concat(partial);
    if (all.length === 1) { go(all[0]); return; }
    if (all.length) {
      select(null); highlightOutline(null);
      say(all.length + ' matches for \u201c' + raw + '\u201d: choose one.', all.slice(0, 20));
      return;
    }
    select(null); highlightOutline(null);   // a failed search clears the previous highlight
    if (pc && pc.kind === 'nopostcode') { say('Postcode ' + pc.label + ' is not in the ' + P.study_name + ' postcode list used by this map.'); return; }
    var sug = suggestions(q);
    say('No area, county, region' + (P.places.length ? ', town' : '') + (P.postcodes.length ? ' or postcode' : '') +
        ' matches \u201c' + raw + '\u201d.', sug, sug.length ? 'Did you mean:' : null);
  }
  search.addEventListener('keydown', function (e) { if (e.key === 'Enter') { e.preventDefault(); runSearch(); } });
  search.addEventListener('change', runSearch);
  /* The search box's suggestions (one per area) are made when the reader first uses the box. */
  var datalist = document.getElementById('gm-areas');
  function fillSuggestions() {
    if (datalist.childElementCount) { return; }
    var frag = document.createDocumentFragment();
    feats.forEach(function (f) { var o = document.createElement('option'); o.value = f.properties.n + ' (' + f.properties.c + ')'; frag.appendChild(o); });
    P.counties.concat(P.regions).forEach(function (c) { var o = document.createElement('option'); o.value = c.n; frag.appendChild(o); });
    datalist.appendChild(frag);
  }
  ['focus', 'input', 'pointerdown'].forEach(function (ev) { search.addEventListener(ev, fillSuggestions); });

  /* ---------- URL hash: view, area, class, tier (tier numbers as shown, 1 = highest) ---------- */
  var restoring = false;
  function writeHash() {
    if (restoring) { return; }
    var parts = ['view=' + encodeURIComponent(state.view)];
    if (state.area) { parts.push('area=' + encodeURIComponent(state.area)); }
    if (state.cls) { parts.push('class=' + state.cls.map(encodeURIComponent).join(',')); }
    if (state.tier) { parts.push('tier=' + state.tier.map(encodeURIComponent).join(',')); }
    var h = '#' + parts.join('&');
    if (location.hash !== h) { history.replaceState(null, '', h); }
  }
  function decode(s, bad) {
    try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch (e) { bad.push(s); return null; }
  }
  function readHash(bad) {
    var out = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      if (i > 0) { out[kv.slice(0, i).toLowerCase()] = kv.slice(i + 1); }
    });
    return out;
  }
  function restore() {
    var bad = [], h = readHash(bad);
    restoring = true;
    try {
      function setBoxes(name, raw, canon) {
        var boxes = document.querySelectorAll('input[name="' + name + '"]');
        if (raw === undefined) { boxes.forEach(function (c) { c.checked = true; }); return; }
        var want = raw.split(',').map(function (s) { return decode(s, bad); }).filter(function (s) { return s !== null; }).map(canon);
        var any = false;
        boxes.forEach(function (c) { if (want.indexOf(canon(c.value)) >= 0) { any = true; } });
        want.forEach(function (w) {
          var known = false;
          boxes.forEach(function (c) { if (canon(c.value) === w) { known = true; } });
          if (!known) { bad.push(name.replace('gm-', '') + '=' + w); }
        });
        boxes.forEach(function (c) { c.checked = !any || want.indexOf(canon(c.value)) >= 0; });
      }
      setBoxes('gm-class', h['class'], function (s) { return String(s).trim().toLowerCase(); });
      setBoxes('gm-tier', h.tier, function (s) { s = String(s).trim().toLowerCase().replace(/^tier\s*/, ''); return s === 'insufficient' ? '0' : s; });
      readFilters();
      var view = h.view !== undefined ? decode(h.view, bad) : null;
      var vkey = null;
      if (view !== null) { views.forEach(function (v) { if (v.key.toLowerCase() === view.toLowerCase()) { vkey = v.key; } }); }
      if (view !== null && vkey === null) { bad.push('view=' + view); }
      setView(vkey || state.view);
      var area = h.area !== undefined ? decode(h.area, bad) : null;
      if (area) {
        var l = byCodeLower[area.trim().toLowerCase()];
        if (l) { select(l.feature.properties.c, {zoom: true, card: true}); }
        else { bad.push('area=' + area); select(null); }
      } else if (state.area) { select(null); }
      applyFilters();
    } finally { restoring = false; }
    if (bad.length) { say('Part of the link could not be used and was ignored: ' + bad.join(', ') + '.'); }
    writeHash();
  }
  window.addEventListener('hashchange', function () { if (!restoring) { restore(); } });

  /* ---------- keyboard shortcuts ---------- */
  document.addEventListener('keydown', function (e) {
    var t = e.target, tag = t && t.tagName;
    if (e.key === 'Escape') { closeDialogs(); }
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var i = viewIndex[state.view];
    if (e.key === ']') { setView(views[(i + 1) % views.length].key); }
    else if (e.key === '[') { setView(views[(i - 1 + views.length) % views.length].key); }
    else if (e.key === '/') { e.preventDefault(); search.focus(); }
    else if (e.key === 'Escape') { select(null); highlightOutline(null); }
  });

  /* ---------- phone: menu sheet ---------- */
  var panel = document.getElementById('gm-panel'), menuBtn = document.getElementById('gm-menu-btn');
  function openPanel() { panel.classList.add('gm-open'); menuBtn.setAttribute('aria-expanded', 'true'); }
  function closePanel() { panel.classList.remove('gm-open'); menuBtn.setAttribute('aria-expanded', 'false'); }
  menuBtn.addEventListener('click', function () { if (panel.classList.contains('gm-open')) { closePanel(); } else { openPanel(); } });
  document.getElementById('gm-panel-close').addEventListener('click', closePanel);

  /* ---------- in-page dialogs: the figures as a table, and the method ---------- */
  var opener = null;
  function openDialog(id, build) {
    var d = document.getElementById(id);
    if (build) { build(); }
    opener = document.activeElement;
    d.hidden = false;
    d.querySelector('.gm-dialog-close').focus();
  }
  function closeDialogs() {
    var any = false;
    document.querySelectorAll('.gm-dialog').forEach(function (d) { if (!d.hidden) { any = true; d.hidden = true; } });
    if (any && opener && opener.focus) { opener.focus(); }
  }
  document.querySelectorAll('.gm-dialog-close').forEach(function (b) { b.addEventListener('click', closeDialogs); });
  var figuresBuilt = false;
  function table(caption, headers, body) {
    var t = el('table'), thead = el('thead'), tr = el('tr'), tb = el('tbody');
    t.appendChild(el('caption', null, caption));
    headers.forEach(function (h) { var th = el('th', null, h); th.scope = 'col'; tr.appendChild(th); });
    thead.appendChild(tr); t.appendChild(thead);
    body.forEach(function (cells) {
      var r = el('tr');
      cells.forEach(function (c, i) {
        var cell = el(i === 1 ? 'th' : 'td', c[1] || null, c[0]);
        if (i === 1) { cell.scope = 'row'; }
        r.appendChild(cell);
      });
      tb.appendChild(r);
    });
    t.appendChild(tb);
    return t;
  }
  function buildFigures() {
    if (figuresBuilt) { return; }
    figuresBuilt = true;
    var list = feats.map(function (f) { return f.properties; }).sort(function (a, b) {
      var x = missing(a.rk) ? Infinity : a.rk, y = missing(b.rk) ? Infinity : b.rk;
      return x - y || (a.c < b.c ? -1 : 1);
    });
    var keyViews = views.filter(function (v) { return v.ind === undefined; });
    var out = [el('p', null, 'The same figures as the map, for all ' + feats.length + ' areas: ' + P.level_title +
                         '. Shares are counts divided by counts; \u2248 marks estimates. Ofcom Connected Nations ' + P.release_text + '.')];
    out.push(table(P.title + ': ' + P.level_title + ', ' + list.length + ' areas, sorted by rank',
      ['Rank', 'Area', 'Code', P.class_label, 'Region', 'Premises'].concat(keyViews.map(function (v) { return v.label; })),
      list.map(function (p) {
        return [[missing(p.rk) ? '' : String(p.rk), 'num'], [p.n], [p.c], [p.k || ''], [p.r || ''], [missing(p.p) ? '' : fmtInt(p.p), 'num']]
          .concat(keyViews.map(function (v) { return [fmtVal(v, p.v[viewIndex[v.key]]), v.cats ? null : 'num']; }));
      })));
    GROUPS.forEach(function (g) {
      var members = [];
      inds.forEach(function (d, i) { if (d.group === g[0]) { members.push(i); } });
      if (!members.length) { return; }
      var headers = ['Rank', 'Area'];
      members.forEach(function (i) { headers.push(inds[i].label + ': count of ' + inds[i].unit, inds[i].label + ': share'); });
      out.push(table(g[1] + ': count and share for each area', headers, list.map(function (p) {
        var cells = [[missing(p.rk) ? '' : String(p.rk), 'num'], [p.n]];
        members.forEach(function (i) {
          var nd = p.nd[i], s = shareOf(nd), cls = inds[i].derived ? 'num est' : 'num';
          cells.push([!nd || missing(nd[0]) ? 'no data' : (inds[i].derived ? '\u2248' : '') + fmtInt(nd[0]) + ' of ' + fmtInt(nd[1]), cls]);
          var v = indView(i);
          cells.push([s === null ? '' : (v ? fmtVal(v, p.v[viewIndex[v.key]]) : pct(s, 1)), cls]);
        });
        return cells;
      })));
    });
    document.getElementById('gm-figures-body').replaceChildren.apply(document.getElementById('gm-figures-body'), out);
  }
  document.getElementById('gm-figures-open').addEventListener('click', function () { openDialog('gm-figures', buildFigures); });
  document.getElementById('gm-method-open').addEventListener('click', function () { openDialog('gm-method'); });

  /* ---------- print: the whole study area on one A4 landscape page ---------- */
  // Chrome does not put on paper what a Leaflet canvas draws while it prepares a printout, so for
  // print the map is redrawn as one plain SVG (areas, outlines, labels) at the page's size, laid
  // over the live map until the printout is done. The legend and scale bar stay on top of it.
  var beforePrintView = null, SVGNS = 'http://www.w3.org/2000/svg';
  function svgEl(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) { if (attrs[k] !== null && attrs[k] !== undefined) { e.setAttribute(k, attrs[k]); } }
    return e;
  }
  function pathData(geom) {
    var polys = geom.type === 'Polygon' ? [geom.coordinates] : geom.type === 'MultiPolygon' ? geom.coordinates :
                geom.type === 'LineString' ? [[geom.coordinates]] : geom.type === 'MultiLineString' ? [geom.coordinates] : [];
    var closed = geom.type.indexOf('Polygon') >= 0, out = [];
    polys.forEach(function (rings) {
      rings.forEach(function (ring) {
        var d = [];
        ring.forEach(function (c, i) { var q = map.latLngToContainerPoint([c[1], c[0]]); d.push((i ? 'L' : 'M') + q.x.toFixed(1) + ' ' + q.y.toFixed(1)); });
        out.push(d.join('') + (closed ? 'Z' : ''));
      });
    });
    return out.join('');
  }
  function printSvg() {
    var size = map.getSize(), svg = svgEl('svg', {id: 'gm-print-svg', width: size.x, height: size.y,
                                                  viewBox: '0 0 ' + size.x + ' ' + size.y, role: 'img'});
    svg.setAttribute('aria-label', 'Printed map: ' + current().label);
    svg.appendChild(svgEl('rect', {x: 0, y: 0, width: size.x, height: size.y, fill: '#ffffff'}));
    var g = svgEl('g', {'fill-rule': 'evenodd', 'stroke-linejoin': 'round'});
    feats.forEach(function (f) {
      var st = style(f);
      g.appendChild(svgEl('path', {d: pathData(f.geometry), fill: st.fillColor, 'fill-opacity': st.fillOpacity,
                                   stroke: st.color, 'stroke-width': st.weight, 'stroke-opacity': st.opacity}));
    });
    P.outlines.features.forEach(function (f) {
      var st = outlineStyle[f.properties.t] || outlineStyle.county;
      g.appendChild(svgEl('path', {d: pathData(f.geometry), fill: 'none', stroke: st.color, 'stroke-width': st.weight,
                                   'stroke-opacity': st.opacity, 'stroke-dasharray': st.dashArray || null}));
    });
    svg.appendChild(g);
    var origin = map.containerPointToLayerPoint([0, 0]);
    labelBox.querySelectorAll('.gm-label').forEach(function (lab) {
      var x = parseFloat(lab.style.left) - origin.x, y = parseFloat(lab.style.top) - origin.y, place = lab.classList.contains('place');
      var big = lab.classList.contains('big'), t = svgEl('text', {x: place ? x + 5 : x, y: y + 4,
        'text-anchor': place ? 'start' : 'middle', 'font-size': big ? 12.5 : 11, 'font-weight': place && !big ? 400 : 600,
        'font-style': place && !big ? 'italic' : null, 'font-family': 'system-ui, sans-serif', fill: '#1a1a1a',
        stroke: '#ffffff', 'stroke-width': 3, 'paint-order': 'stroke', 'stroke-linejoin': 'round'});
      t.textContent = lab.textContent;
      if (place) { svg.appendChild(svgEl('circle', {cx: x + 0.5, cy: y, r: 2.6, fill: '#222', stroke: '#fff', 'stroke-width': 1})); }
      svg.appendChild(t);
    });
    return svg;
  }
  function preparePrint() {
    if (beforePrintView) { return; }
    beforePrintView = {center: map.getCenter(), zoom: map.getZoom()};
    hideHover();
    document.body.classList.add('gm-printing');
    map.invalidateSize({pan: false, animate: false});
    fitStudy(false);
    drawLabels();
    var old = document.getElementById('gm-print-svg');
    if (old) { old.remove(); }
    document.getElementById('gm-main').appendChild(printSvg());
  }
  function endPrint() {
    if (!beforePrintView) { return; }
    var svg = document.getElementById('gm-print-svg');
    if (svg) { svg.remove(); }
    document.body.classList.remove('gm-printing');
    map.invalidateSize({pan: false, animate: false});
    map.setView(beforePrintView.center, beforePrintView.zoom, {animate: false});
    beforePrintView = null;
  }
  window.addEventListener('beforeprint', preparePrint);
  window.addEventListener('afterprint', endPrint);
  var printMedia = window.matchMedia('print');
  if (printMedia.addEventListener) { printMedia.addEventListener('change', function (e) { if (e.matches) { preparePrint(); } else { endPrint(); } }); }
  PHONE.addEventListener && PHONE.addEventListener('change', function () { map.invalidateSize(); });

  var app = {P: P, map: map, layer: layer, outlines: outlines, setView: setView, select: select, state: state, byCode: byCode,
             search: function (q) { search.value = q; runSearch(); }, profile: function (code) { return profile(byCode[code].feature.properties); },
             headline: function (code) { return headline(byCode[code].feature.properties); },
             preparePrint: preparePrint, endPrint: endPrint, drawLabels: drawLabels,
             parts: {style: style, drawLegend: drawLegend, refreshTable: refreshTable, writeHash: writeHash},
             ready: performance.now(), tableReady: false};
  window.gmApp = app;
  if (P.basemap) { baseBox.checked = true; }
  setBasemap(baseBox.checked);
  drawLegend();
  fitStudy(false);
  drawLabels();
  restore();
  // The ranking table is built after the first frame, so the map draws first.
  requestAnimationFrame(function () {
    setTimeout(function () {
      buildTable(function () {
        app.tableReady = true;
        if (state.area && rows[state.area]) { rows[state.area].scrollIntoView({block: 'nearest'}); }
      });
    }, 0);
  });
  return app;
}
