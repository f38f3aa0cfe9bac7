"""Render a scored level as self-contained, offline HTML pages (Leaflet, inlined).

:func:`render_level` returns every file of one level, keyed by file name:

* ``<stem>.html``: the map (one GeoJSON layer on a canvas renderer, a view
  switch, legend, search, filters, a linked ranking table, URL-hash state);
* ``<stem>_table.html``: the same figures as an accessible HTML table;
* when the level has more than ``map.split_above`` areas, one map (and table
  page) per group (``map.split_by``, e.g. local authority) and an overview map
  of the groups in ``<stem>.html``.

Geometry is simplified as one coverage (:mod:`mapper.render.geometry`) before it is
split, so neighbouring files still share their edges.

Templates: we own one page template
-----------------------------------
The map page is one Jinja template of our own (``assets/page.html``, rendered by
:mod:`mapper.render.page` with autoescape on), with Leaflet inlined from the pinned
``django-js-lib-leaflet`` package; the table page is another (:mod:`mapper.render.table`).
We chose this over folium's public API (a custom ``MacroElement`` plus ``Figure``
header hooks) because the page uses none of folium's elements (no tiles plugin, no
``GeoJson``: one Leaflet layer drawn by ``app.js``), and folium's defaults had to
be undone through private attributes: element ids are random (``os.urandom``), so
deterministic output meant rewriting ``_id`` on every element; its assets are CDN
links (cleared through ``default_js``/``default_css``); its viewport forbids page
zoom (a regex edit). Owning ~100 lines of template removes all three, and with
autoescape on every value from data or config is escaped unless it is
``Markup``, which only the inlined package files and :func:`page.script_json`
output are. folium stays a dependency only for the benchmark's naive baseline.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..formatting import count, percent, percent_of
from .geometry import simplify_coverage
from ..score import INDICATORS, Indicator
from .data import (CHANGE_COLUMNS, NO_DATA, area_properties, area_table, build_views, estimate_label, tier_colours)
from .options import MapOptions, map_options
from .page import SHORT_ATTRIBUTION, SHORT_ATTRIBUTION_NO_OFCOM, build_page, leaflet_assets
from .table import table_page

__all__ = ["render_level", "render_map", "map_options", "MapOptions", "leaflet_assets", "tier_colours"]

IMD_RELEASE = "IoD 2019 (population mid-2015)"


def _headline(level) -> str:
    tot = getattr(level, "totals", None)
    if tot is None or len(tot) == 0:
        return ""
    mid = tot.iloc[-1]
    if "no_gigabit_num" not in tot:
        return f"{count(mid.get('premises'))} premises." if "premises" in tot else ""
    text = (f"{mid['area']}: {count(mid['no_gigabit_num'])} of {count(mid['no_gigabit_den'])} "
            f"premises ({percent(mid['no_gigabit_share'])}) cannot get gigabit-capable broadband.")
    if "nonres_no_gigabit_num" in tot:
        nr_num, nr_den = float(mid["nonres_no_gigabit_num"]), float(mid["nonres_no_gigabit_den"])
        res_num, res_den = float(mid["no_gigabit_num"]) - nr_num, float(mid["premises"]) - nr_den
        if nr_den > 0 and res_den > 0:  # shares only from non-zero counts (a level may have no business premises)
            text += (f" Non-residential (business) premises: {count(nr_num)} of {count(nr_den)} "
                     f"({percent_of(nr_num, nr_den)}) without gigabit, against {percent_of(res_num, res_den)} of homes.")
    return text


def _release(level) -> str:
    cov = getattr(level, "coverage", None)
    return (cov.meta.get("release_date") if cov is not None else None) or "unknown"


def _dates(level, names, registry) -> list[str]:
    out = [f"coverage: Ofcom Connected Nations {_release(level)}"] if getattr(level, "coverage", None) is not None else []
    if any("Deprivation" in registry[n].source for n in names):
        out.append(f"deprivation and population: {IMD_RELEASE}")
    if "change_from_release" in level.frame.columns and level.frame["change_from_release"].notna().any():
        out.append(f"change since: {level.frame['change_from_release'].dropna().iloc[0]}")
    return out


def _method(cfg, registry) -> str:
    total = sum(c.weight for c in cfg.score.indicators) or 1
    parts = "; ".join(f"{registry[c.name].label if c.name in registry else c.name} {c.weight / total:.0%}"
                      for c in cfg.score.indicators)
    return f"{cfg.score.normalisation} normalised, weighted: {parts}."


def _safe_name(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(code)).strip("_") or "area"


def _ind_specs(names, registry, scored, release) -> list[dict]:
    out = []
    for n in names:
        ind = registry[n]
        out.append({"key": n, "label": estimate_label(ind), "num_label": ind.numerator_label, "unit": ind.unit,
                    "derived": bool(ind.derived), "scored": n in scored,
                    "release": IMD_RELEASE if "Deprivation" in ind.source else release})
    return out


def _features(table: pd.DataFrame, geoms, views, names, class_col, group_col, extra_props=None) -> list[dict]:
    feats = []
    records = table.to_dict("records")
    for i, row in enumerate(records):
        props = area_properties(row, views, names, class_col, group_col)
        if extra_props:
            props.update(extra_props[i])
        feats.append({"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geoms[i])})
    return feats


def _class_boxes(feats) -> list[dict]:
    values = sorted({f["properties"]["k"] for f in feats if f["properties"]["k"] is not None})
    if not values:
        return []
    boxes = [{"value": v, "label": v} for v in values]
    if any(f["properties"]["k"] is None for f in feats):
        boxes.append({"value": "", "label": "(no class)"})
    return boxes


def _tier_boxes(views, feats) -> list[dict]:
    """Tier checkboxes for the tiers that occur (values are indexes into the tier view's categories)."""
    ti = next((i for i, v in enumerate(views) if v.key == "tier"), None)
    if ti is None:
        return []
    seen = {f["properties"]["v"][ti] for f in feats}
    return [{"value": str(i), "label": c.replace(" (highest priority)", " (highest)")}
            for i, c in enumerate(views[ti].cats) if i in seen]


def _payload(feats, views, inds, *, level, cfg, n_all, n_ranked, line_weight, max_zoom, default_view) -> dict:
    changes = [{"key": k, "label": lab} for k, (lab, _) in CHANGE_COLUMNS.items() if k in level.frame.columns]
    return {
        "release": _release(level), "class_label": level.class_label, "no_data": NO_DATA,
        "views": [v.spec() for v in views], "inds": inds, "changes": changes,
        "n_all": n_all, "n_ranked": n_ranked, "line_weight": line_weight, "max_zoom": max_zoom,
        "default_view": default_view, "geo": {"type": "FeatureCollection", "features": feats},
    }


def _bounds(feats) -> tuple[float, float, float, float]:
    xy = np.concatenate([np.asarray(shapely.get_coordinates(shapely.geometry.shape(f["geometry"]))) for f in feats])
    return float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max())


def render_level(level, cfg, frames=None, stem: str | None = None, *,
                 indicators: dict[str, Indicator] | None = None, options: MapOptions | None = None) -> dict[str, bytes]:
    """Every HTML file of one level (map, companion table, and per-group splits when large).

    ``indicators`` replaces the registry in :mod:`mapper.score` (the benchmark
    uses extra LSOA measures); ``options`` replaces the config's ``map:`` section.
    """
    from .. import __version__

    opts = options or map_options(cfg)
    registry = indicators or INDICATORS
    stem = stem or f"midlands_{level.key}_priority"
    table, names = area_table(level, indicators)
    scored = {c.name for c in cfg.score.indicators}
    k_tiers = cfg.score.tiers.k
    views = build_views(table, names, registry, k_tiers=k_tiers, classes=opts.classes, scored=scored)
    inds = _ind_specs(names, registry, scored, _release(level))
    geo = simplify_coverage(gpd.GeoDataFrame({"code": table["code"].to_numpy()}, geometry=level.frame.geometry.to_numpy(),
                                             crs=level.frame.crs), opts.simplify_tolerance_m)
    geoms = geo.geometry.to_numpy()
    n_all = len(table)
    n_ranked = int(table["rank"].notna().sum()) if "rank" in table.columns else 0
    split = n_all > opts.split_above
    group_col = opts.split_by if split else None
    if split and group_col not in table.columns:
        from ..errors import ConfigError
        raise ConfigError(f"config: map.split_by is '{group_col}', but the {level.title} table has no such column; "
                          f"choose one of {', '.join(c for c in table.columns if c.endswith('_code'))}")
    title = cfg.title
    panel_common = {
        "title": title, "class_label": level.class_label, "dates": _dates(level, names, registry),
        "method": _method(cfg, registry), "attributions": level.attributions or [], "sources": level.sources or [],
        "version": __version__, "config_sha": cfg.sha256[:12],
    }
    default_view = "score" if any(v.key == "score" for v in views) else views[0].key
    files: dict[str, bytes] = {}

    def emit(name: str, feats, page_views, rows: pd.DataFrame, *, level_title, headline, table_title, overview_href=None,
             split_note=None, line_weight, max_zoom, view_default, ranked, class_label=None, class_col=None,
             href_col=None):
        payload = _payload(feats, page_views, inds, level=level, cfg=cfg, n_all=n_all, n_ranked=ranked,
                           line_weight=line_weight, max_zoom=max_zoom, default_view=view_default)
        if class_label is not None:
            payload["class_label"] = class_label
        panel = dict(panel_common, level_title=level_title, headline=headline, table_title=table_title,
                     views=[{"key": v.key, "label": v.label} for v in page_views],
                     classes=_class_boxes(feats), tiers=_tier_boxes(page_views, feats), overview_href=overview_href,
                     table_href=f"{name}_table.html", split_note=split_note, class_label=payload["class_label"])
        files[f"{name}.html"] = build_page(payload, _bounds(feats), title=f"{title}: {level_title}", panel=panel,
                                           basemap=opts.basemap, short_attribution=short).encode("utf-8")
        files[f"{name}_table.html"] = table_page(
            rows, page_views, names, inds, class_col=class_col or level.class_col, class_label=payload["class_label"],
            title=title, level_title=level_title, dates=panel_common["dates"], map_href=f"{name}.html",
            csv_href=f"{stem}.csv", attributions=panel_common["attributions"], sources=panel_common["sources"],
            href_col=href_col, note="Colour classes and ranks are computed over all areas of the level.",
        ).encode("utf-8")

    short = SHORT_ATTRIBUTION if getattr(level, "coverage", None) is not None else SHORT_ATTRIBUTION_NO_OFCOM
    weight = 0.6 if n_all <= 1000 else 0.3
    if not split:
        feats = _features(table, geoms, views, names, level.class_col, None)
        emit(stem, feats, views, table, level_title=level.title, headline=_headline(level), table_title="Ranking",
             line_weight=weight, max_zoom=11 if n_all <= 1000 else 14, view_default=default_view, ranked=n_ranked)
        return files

    # ---- split: one map per group, and an overview of the groups ----
    name_col = group_col.removesuffix("_code") + "_name"
    group_names = (table.groupby(group_col)[name_col].first() if name_col in table.columns
                   else pd.Series(dict.fromkeys(table[group_col].unique())))
    groups = sorted(table[group_col].dropna().unique(), key=str)
    missing = int(table[group_col].isna().sum())
    if missing:
        from ..errors import MapperError
        raise MapperError(f"{level.title}: {missing} area(s) have no {group_col}, so they cannot be split into per-group maps")
    over_rows = []
    for g in groups:
        mask = (table[group_col] == g).to_numpy()
        sub = table.loc[mask].reset_index(drop=True)
        gname = str(group_names.get(g) or g)
        fname = f"{stem}_{_safe_name(g)}"
        feats = _features(sub, geoms[mask], views, names, level.class_col, group_col)
        emit(fname, feats, views, sub, level_title=f"{level.title}: {gname}", headline="", table_title=f"Ranking within {gname}",
             overview_href=f"{stem}.html", split_note=f"{len(sub):,} of {n_all:,} areas; ranks and colour classes are over all areas.",
             line_weight=0.6, max_zoom=14, view_default=default_view, ranked=n_ranked)
        row = {"code": str(g), "name": gname, "premises": sub["premises"].sum() if "premises" in sub else None}
        for n in names:
            num, den = sub[f"{n}_num"].astype("float64").sum(), sub[f"{n}_den"].astype("float64").sum()
            row[f"{n}_num"], row[f"{n}_den"] = num, den
            row[f"{n}_share"] = num / den if den > 0 else np.nan
        row["_href"], row["_table"], row["_count"] = f"{fname}.html", f"{fname}_table.html", len(sub)
        over_rows.append(row)
    over = pd.DataFrame(over_rows)
    group_geo = gpd.GeoDataFrame(
        {"code": over["code"]},
        geometry=[shapely.union_all(geoms[(table[group_col] == g).to_numpy()]) for g in groups], crs=4326)
    group_geo = simplify_coverage(group_geo, max(opts.simplify_tolerance_m, 100.0))
    over_views = build_views(over, names, registry, k_tiers=k_tiers, classes=opts.classes, scored=set())
    extra = [{"href": r["_href"], "table_href": r["_table"], "count": r["_count"]} for r in over_rows]
    feats = _features(over, group_geo.geometry.to_numpy(), over_views, names, "_none", None, extra)
    emit(stem, feats, over_views, over, level_title=f"{level.title}: overview by {group_col}",
         headline=f"{n_all:,} areas in {len(groups)} groups: click a group to open its map. "
                  "Group shares are summed counts divided by summed denominators.",
         table_title="Groups", line_weight=0.6, max_zoom=11, view_default=over_views[0].key, ranked=0,
         class_label="Group", class_col="_none", href_col="_table")
    return files


def render_map(level, cfg, frames=None, stem: str | None = None) -> str:
    """The main HTML page of one level (the overview when the level is split)."""
    stem = stem or f"midlands_{level.key}_priority"
    return render_level(level, cfg, frames, stem)[f"{stem}.html"].decode("utf-8")
