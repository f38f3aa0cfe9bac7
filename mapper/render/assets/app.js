/* Midlands connectivity gap mapper: the map page's behaviour (one layer, many views).
 * Reads the page payload P and the folium map object; builds every text node with
 * textContent (never innerHTML), so names from data cannot inject markup. */
function gmStart(P, map) {
  'use strict';
  var views = P.views, inds = P.inds, feats = P.geo.features;
  var viewIndex = {};
  views.forEach(function (v, i) { viewIndex[v.key] = i; });
  var state = {view: viewIndex[P.default_view] !== undefined ? P.default_view : views[0].key,
               area: null, cls: null, tier: null};
  var byCode = {}, rows = {}, sortKey = 'rank', sortDir = 1;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function fmtInt(x) { return (x === null || x === undefined) ? 'n/a' : Math.round(x).toLocaleString('en-GB'); }
  function fmtVal(view, x) {
    if (x === null || x === undefined) { return 'no data'; }
    if (view.cats) { return view.cats[x]; }
    if (view.fmt === 'pct') { return (100 * x).toFixed(1) + '%'; }
    if (view.fmt === 'prob') { return Math.round(100 * x) + '%'; }
    if (view.fmt === 'int') { return (x > 0 ? '+' : '') + fmtInt(x); }
    return x.toFixed(1);
  }
  function colourOf(view, x) {
    if (x === null || x === undefined) { return P.no_data; }
    if (view.cats) { return view.colours[x]; }
    var i = 0;
    while (i < view.breaks.length && x > view.breaks[i]) { i++; }
    return view.colours[i];
  }
  function current() { return views[viewIndex[state.view]]; }
  function tierOf(p) {
    var tv = viewIndex.tier;
    return tv === undefined ? null : p.v[tv];
  }
  function visible(p) {
    if (state.cls && state.cls.indexOf(p.k === null ? '' : p.k) < 0) { return false; }
    if (state.tier && state.tier.indexOf(String(tierOf(p))) < 0) { return false; }
    return true;
  }
  function style(f) {
    var p = f.properties, v = current(), on = visible(p), sel = p.c === state.area;
    return {fillColor: colourOf(v, p.v[viewIndex[v.key]]), fillOpacity: on ? 0.85 : 0.12,
            color: sel ? '#000000' : (on ? '#444444' : '#bbbbbb'), weight: sel ? 3 : P.line_weight,
            opacity: on || sel ? 1 : 0.5};
  }

  /* ---------- tooltip and popup ---------- */
  function indRow(t, i, p, mark) {
    var d = inds[i], nd = p.nd[i], vi = viewIndex[d.key], tr = el('tr', mark ? 'gm-current' : '');
    tr.appendChild(el('th', null, d.label + (d.scored ? ' *' : '')));
    tr.appendChild(el('td', null, fmtInt(nd[0]) + ' of ' + fmtInt(nd[1]) + ' ' + d.unit));
    tr.appendChild(el('td', 'gm-pct', fmtVal(views[vi], p.v[vi])));
    t.appendChild(tr);
  }
  function head(box, p) {
    box.appendChild(el('div', 'gm-tip-title', p.n + ' (' + p.c + ')'));
    box.appendChild(el('div', 'gm-tip-sub', (p.k || P.class_label + ' n/a') + (p.r ? ' · ' + p.r : '')));
    box.appendChild(el('div', 'gm-tip-sub', 'Premises: ' + fmtInt(p.p) + ' · Ofcom release ' + P.release));
  }
  function rankLine(p) {
    if (p.rk === null || p.rk === undefined) { return null; }
    var ti = tierOf(p), tv = views[viewIndex.tier], sv = views[viewIndex.score];
    var s = (tv && ti !== null ? 'Priority ' + tv.cats[ti].replace(/ \(.*\)$/, '') + ' · ' : '') +
            (sv ? 'score ' + fmtVal(sv, p.v[viewIndex.score]) + ' · ' : '') + 'rank ' + p.rk + ' of ' + P.n_ranked;
    if (p.rc) { s += ' (' + p.rc + ' in class)'; }
    return s;
  }
  function hoverCard(p) {
    var box = el('div', 'gm-tip'), v = current(), x = p.v[viewIndex[v.key]];
    head(box, p);
    box.appendChild(el('div', 'gm-tip-score', v.label + ': ' + fmtVal(v, x)));
    if (v.ind !== undefined) {
      var d = inds[v.ind], nd = p.nd[v.ind];
      box.appendChild(el('div', null, fmtInt(nd[0]) + ' ' + d.num_label + ' of ' + fmtInt(nd[1]) + ' ' + d.unit +
                                      (d.derived ? ' (estimate)' : '') + ' · release ' + d.release));
    }
    if (v.key === 'diagnosis' && p.x && p.x.diagnosis_reason) { box.appendChild(el('div', null, p.x.diagnosis_reason)); }
    if (v.key === 'stability' && p.x && p.x.rank_p05 !== undefined) {
      box.appendChild(el('div', null, 'Rank ' + p.x.rank_p05 + ' to ' + p.x.rank_p95 + ' in 90% of resamples'));
    }
    var r = rankLine(p);
    if (r) { box.appendChild(el('div', 'gm-tip-sub', r)); }
    box.appendChild(el('div', 'gm-tip-foot', p.href ? 'Click to open this area\u2019s map.' : 'Click for the full breakdown.'));
    return box;
  }
  function popup(p) {
    var box = el('div', 'gm-tip'), x = p.x || {};
    head(box, p);
    var r = rankLine(p);
    if (r) { box.appendChild(el('div', 'gm-tip-score', r)); }
    if (x.rank_p05 !== undefined) {
      box.appendChild(el('div', null, 'Rank interval (5th to 95th percentile): ' + x.rank_p05 + ' to ' + x.rank_p95 +
        (x.rank_median !== undefined ? ', median ' + x.rank_median : '') +
        (x.stability ? ' · ' + x.stability : '') +
        (x.top_tier_share !== undefined ? ' · in tier 1 in ' + Math.round(100 * x.top_tier_share) + '% of resamples' : '')));
    }
    if (x.diagnosis) {
      box.appendChild(el('div', 'gm-tip-score', 'Diagnosis: ' + x.diagnosis));
      if (x.diagnosis_reason) { box.appendChild(el('div', null, x.diagnosis_reason)); }
    }
    if (x.infra_need !== undefined || x.inclusion_need !== undefined) {
      box.appendChild(el('div', null, 'Infrastructure need ' + (x.infra_need !== undefined ? x.infra_need : 'n/a') +
                                      ' · digital-inclusion need ' + (x.inclusion_need !== undefined ? x.inclusion_need : 'n/a') + ' (0-100)'));
    }
    if (p.href) {
      var a = el('a', null, 'Open the map of ' + p.n + (p.count ? ' (' + fmtInt(p.count) + ' areas)' : ''));
      a.setAttribute('href', p.href);
      box.appendChild(a);
    }
    var t = el('table', 'gm-tip-table'), cur = current();
    inds.forEach(function (d, i) { indRow(t, i, p, cur.ind === i); });
    box.appendChild(t);
    P.changes.forEach(function (c) {
      if (x[c.key] !== undefined) { box.appendChild(el('div', null, c.label + ': ' + fmtVal({fmt: 'int'}, x[c.key]))); }
    });
    box.appendChild(el('div', 'gm-tip-foot', '* in the priority score; (estimate) = derived from published percentages'));
    return box;
  }

  /* ---------- the layer ---------- */
  var layer = L.geoJSON(P.geo, {
    renderer: L.canvas({padding: 0.1, tolerance: 1}), style: style, smoothFactor: 0.5,
    onEachFeature: function (f, l) { byCode[f.properties.c] = l; }
  }).addTo(map);
  var hover = document.getElementById('gm-hover');
  function place(ev) {
    var x = ev.clientX + 16, y = ev.clientY + 16, w = hover.offsetWidth, h = hover.offsetHeight;
    if (x + w > window.innerWidth - 8) { x = Math.max(8, ev.clientX - w - 16); }
    if (y + h > window.innerHeight - 8) { y = Math.max(8, window.innerHeight - h - 8); }
    hover.style.left = x + 'px'; hover.style.top = y + 'px';
  }
  layer.on('mouseover', function (e) {
    hover.replaceChildren(hoverCard(e.layer.feature.properties)); hover.style.display = 'block';
    if (e.layer.feature.properties.c !== state.area) { e.layer.setStyle({weight: 2, color: '#000000'}); }
    if (e.originalEvent) { place(e.originalEvent); }
  });
  layer.on('mousemove', function (e) { if (e.originalEvent) { place(e.originalEvent); } });
  layer.on('mouseout', function (e) { hover.style.display = 'none'; layer.resetStyle(e.layer); });
  layer.on('click', function (e) { select(e.layer.feature.properties.c, {zoom: false, popup: true, latlng: e.latlng}); });

  /* ---------- legend ---------- */
  function drawLegend() {
    var v = current(), box = document.getElementById('gm-legend');
    var parts = [el('h2', null, v.label), el('div', 'gm-note', v.note)];
    v.colours.forEach(function (c, i) {
      var d = el('div', 'gm-item'), sw = el('span', 'sw');
      sw.style.background = c;
      d.appendChild(sw); d.appendChild(document.createTextNode(v.legend[i]));
      parts.push(d);
    });
    var missing = feats.some(function (f) { return f.properties.v[viewIndex[v.key]] === null; });
    if (missing && !v.cats) {
      var d = el('div', 'gm-item'), sw = el('span', 'sw');
      sw.style.background = P.no_data; d.appendChild(sw); d.appendChild(document.createTextNode('No data'));
      parts.push(d);
    }
    if (v.estimate) { parts.push(el('div', 'gm-note', 'Estimate: counts derived from Ofcom\u2019s published percentages.')); }
    if (v.ind !== undefined) { parts.push(el('div', 'gm-note', 'Classes: quantiles of all ' + fmtInt(P.n_all) + ' areas (equal numbers of areas where values allow).')); }
    box.replaceChildren.apply(box, parts);
  }

  /* ---------- table ---------- */
  var tbody = document.querySelector('#gm-table tbody');
  var viewHead = document.getElementById('gm-th-view');
  function sortValue(p, key) {
    if (key === 'rank') { return p.rk === null || p.rk === undefined ? Infinity : p.rk; }
    if (key === 'name') { return p.n.toLowerCase(); }
    if (key === 'class') { return (p.k || '').toLowerCase(); }
    var x = p.v[viewIndex[state.view]];
    return x === null || x === undefined ? -Infinity : x;
  }
  function buildTable() {
    feats.forEach(function (f) {
      var p = f.properties, tr = el('tr');
      tr.tabIndex = 0; tr.dataset.code = p.c; tr.setAttribute('role', 'row');
      var cells = [el('td', 'num', p.rk === null || p.rk === undefined ? '' : p.rk), el('td', null, p.n + ' '),
                   el('td', null, p.k || ''), el('td', 'num')];
      cells[1].appendChild(el('span', 'gm-sub', p.c));
      cells.forEach(function (c) { c.setAttribute('role', 'cell'); tr.appendChild(c); });
      tr.addEventListener('click', function () { select(p.c, {zoom: true}); });
      tr.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(p.c, {zoom: true, popup: true}); }
        else if (e.key === 'ArrowDown' && tr.nextElementSibling) { e.preventDefault(); tr.nextElementSibling.focus(); }
        else if (e.key === 'ArrowUp' && tr.previousElementSibling) { e.preventDefault(); tr.previousElementSibling.focus(); }
      });
      rows[p.c] = tr;
    });
    sortTable();
    refreshTable();
  }
  function sortTable() {
    var list = feats.map(function (f) { return f.properties; });
    list.sort(function (a, b) {
      var x = sortValue(a, sortKey), y = sortValue(b, sortKey);
      if (x < y) { return -sortDir; }
      if (x > y) { return sortDir; }
      return a.c < b.c ? -1 : 1;
    });
    var frag = document.createDocumentFragment();
    list.forEach(function (p) { frag.appendChild(rows[p.c]); });
    tbody.appendChild(frag);
    document.querySelectorAll('#gm-table th').forEach(function (th) {
      th.setAttribute('aria-sort', th.dataset.key === sortKey ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');
    });
  }
  function refreshTable() {
    var v = current(), vi = viewIndex[v.key], shown = 0, cls = v.cats ? '' : 'num';
    viewHead.textContent = v.label;
    feats.forEach(function (f) {
      var p = f.properties, tr = rows[p.c];
      if (!tr) { return; }
      // write only what changed: every DOM write can cost a style pass over thousands of rows
      var text = fmtVal(v, p.v[vi]), cell = tr.cells[3], hide = !visible(p), sel = p.c === state.area;
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
  function select(code, opts) {
    opts = opts || {};
    var prev = state.area, l = byCode[code];
    state.area = l ? code : null;
    if (prev && byCode[prev]) { layer.resetStyle(byCode[prev]); }
    if (l) {
      layer.resetStyle(l); l.bringToFront();
      if (opts.zoom) { map.fitBounds(l.getBounds().pad(0.6), {maxZoom: P.max_zoom}); }  // with its neighbours for context
      if (opts.popup) { l.bindPopup(popup(l.feature.properties), {maxWidth: 520, maxHeight: 420}).openPopup(opts.latlng); }
      var tr = rows[code];
      if (tr) { tr.scrollIntoView({block: 'nearest'}); }
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
    layer.setStyle(style);
    drawLegend();
    viewHead.textContent = current().label;
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
  function applyFilters() { layer.setStyle(style); refreshTable(); writeHash(); }
  document.querySelectorAll('#gm-filters input').forEach(function (c) {
    c.addEventListener('change', function () { readFilters(); applyFilters(); });
  });
  var viewSel = document.getElementById('gm-view');
  viewSel.addEventListener('change', function () { setView(viewSel.value); });

  /* ---------- search ---------- */
  var search = document.getElementById('gm-search'), msg = document.getElementById('gm-search-msg');
  function find(q) {
    q = q.trim().toLowerCase();
    if (!q) { return null; }
    var m = q.match(/\(([^()]+)\)\s*$/), hit = null;
    if (m) { q = m[1].trim(); }
    feats.some(function (f) { var p = f.properties; if (p.c.toLowerCase() === q || p.n.toLowerCase() === q) { hit = p; return true; } return false; });
    if (!hit) { feats.some(function (f) { var p = f.properties; if (p.n.toLowerCase().indexOf(q) >= 0) { hit = p; return true; } return false; }); }
    return hit;
  }
  function runSearch() {
    var p = find(search.value);
    if (p) { msg.textContent = 'Found ' + p.n + ' (' + p.c + ')'; select(p.c, {zoom: true, popup: true}); }
    else { msg.textContent = search.value.trim() ? 'No area matches \u201c' + search.value.trim() + '\u201d' : ''; }
  }
  search.addEventListener('keydown', function (e) { if (e.key === 'Enter') { e.preventDefault(); runSearch(); } });
  search.addEventListener('change', runSearch);
  var list = document.getElementById('gm-areas');
  feats.forEach(function (f) { var o = document.createElement('option'); o.value = f.properties.n + ' (' + f.properties.c + ')'; list.appendChild(o); });

  /* ---------- URL hash ---------- */
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
  function readHash() {
    var out = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      if (i > 0) { out[kv.slice(0, i)] = kv.slice(i + 1); }
    });
    return out;
  }
  function restore() {
    var h = readHash();
    restoring = true;
    try {
      function setBoxes(name, raw) {
        var want = raw === undefined ? null : raw.split(',').map(function (s) { return decodeURIComponent(s); });
        document.querySelectorAll('input[name="' + name + '"]').forEach(function (c) { c.checked = !want || want.indexOf(c.value) >= 0; });
      }
      setBoxes('gm-class', h['class']); setBoxes('gm-tier', h.tier);
      readFilters();
      if (h.view && viewIndex[decodeURIComponent(h.view)] !== undefined) { setView(decodeURIComponent(h.view)); }
      else { setView(state.view); }
      if (h.area) { select(decodeURIComponent(h.area), {zoom: true}); }
    } finally { restoring = false; }
    writeHash();
  }
  window.addEventListener('hashchange', function () { if (!restoring) { restore(); } });

  /* ---------- keyboard shortcuts ---------- */
  document.addEventListener('keydown', function (e) {
    var t = e.target, tag = t && t.tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var i = viewIndex[state.view];
    if (e.key === ']') { setView(views[(i + 1) % views.length].key); }
    else if (e.key === '[') { setView(views[(i - 1 + views.length) % views.length].key); }
    else if (e.key === '/') { e.preventDefault(); search.focus(); }
    else if (e.key === 'Escape') { map.closePopup(); select(null); }
  });

  var app = {map: map, layer: layer, setView: setView, select: select, state: state, byCode: byCode,
             parts: {style: style, drawLegend: drawLegend, refreshTable: refreshTable, writeHash: writeHash},
             ready: performance.now(), tableReady: false};
  window.gmApp = app;
  restore();
  // The ranking table is built after the first frame, so the map draws first.
  requestAnimationFrame(function () {
    setTimeout(function () {
      buildTable();
      if (state.area && rows[state.area]) { rows[state.area].scrollIntoView({block: 'nearest'}); }
      app.tableReady = true;
    }, 0);
  });
  return app;
}
