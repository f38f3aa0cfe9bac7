"""Render a scored level as self-contained, offline HTML pages (Leaflet, inlined).

:func:`render_level` returns every file of one level, keyed by file name:

* ``<stem>.html``: the map (one GeoJSON layer on a canvas renderer, region and
  county outlines, place and area labels, a grouped view menu, legend, search by
  name / county / region / place / postcode, filters, a linked ranking table, an
  area profile card, URL-hash state, the figures as a table and the method
  statement inside the page, print and phone layouts);
* ``<stem>_table.html``: the same figures as an accessible HTML table page;
* when the level has more than ``map.split_above`` areas, one map (and table
  page) per group (``map.split_by``, e.g. local authority) and an overview map
  of the groups in ``<stem>.html``.

Geometry is simplified as one coverage (:mod:`mapper.render.geometry`) before it is
split, so neighbouring files still share their edges.

Templates: we own one page template
-----------------------------------
The map page is one Jinja template of our own (``assets/page.html``, rendered by
:mod:`mapper.render.page` with autoescape on), with Leaflet inlined from the pinned
``django-js-lib-leaflet`` package and ``assets/app.js`` creating the map; the table
page is another template (:mod:`mapper.render.table`). We chose this over folium's
public API (a custom ``MacroElement`` plus ``Figure`` header hooks) because the
page uses none of folium's elements (no tiles plugin, no ``GeoJson``: one Leaflet
layer drawn by ``app.js``), and folium's defaults had to be undone through private
attributes: element ids are random (``os.urandom``), so deterministic output meant
rewriting ``_id`` on every element; its assets are CDN links (cleared through
``default_js``/``default_css``); its viewport forbids page zoom (a regex edit); its
full-window map div fights a phone and a print layout. Owning ~150 lines of
template removes all of that, and with autoescape on every value from data or
config is escaped unless it is ``Markup``, which only the inlined package files,
:func:`page.script_json` output and the escaped method statement
(:mod:`mapper.render.markdown`) are. folium stays a dependency only for the
benchmark's naive baseline.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..config import MapOptions
from ..formatting import count, percent, percent_of, unique_lines
from ..score import INDICATORS, Indicator
from .context import (
    MapContext,
    area_of_points,
    bounds_of,
    dissolve,
    label_points,
    load_context,
    majority_group,
    outline_features,
    simplified_layer,
)
from .data import (
    CHANGE_COLUMNS,
    HEADLINE_PHRASES,
    NO_DATA,
    VIEW_GROUPS,
    area_properties,
    area_table,
    build_views,
    estimate_label,
    indicator_group,
    tier_colours,
)
from .geometry import simplify_coverage
from .page import SHORT_ATTRIBUTION, SHORT_ATTRIBUTION_NO_OFCOM, build_page, leaflet_assets, pack_lines
from .table import table_page

__all__ = ["MapContext", "MapOptions", "leaflet_assets", "load_context", "render_level", "render_map", "tier_colours"]

IMD_RELEASE = "IoD 2019 (population mid-2015)"
IMD2025_RELEASE = "IoD 2025 (October 2025, neighbourhoods counted)"


def _deprivation_release(source: str) -> str | None:
    """Which edition of the Indices of Deprivation an indicator's source is (None: not deprivation)."""
    from ..score.indicators import IMD2025

    if "Deprivation" not in source:
        return None
    return IMD2025_RELEASE if source == IMD2025 else IMD_RELEASE
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
#: How the priority score's reference frame (score.frame) reads in a sentence.
FRAME_TEXT = {"study_area": "in the study area", "region": "in its region",
              "group": "in its county or combined authority", "all": "loaded in this run"}


def _headline(level) -> str:
    tot = getattr(level, "totals", None)
    if tot is None or len(tot) == 0:
        return ""
    mid = tot.iloc[-1]
    if "no_gigabit_num" not in tot:
        return f"{count(mid.get('premises'))} premises." if "premises" in tot else ""
    release = getattr(level, "release_text", None)
    where = f"{mid['area']}, {_lower_first(level.title)}" + (f" ({release})" if release else "")
    text = (f"{where}: {count(mid['no_gigabit_num'])} of {count(mid['no_gigabit_den'])} "
            f"premises ({percent(mid['no_gigabit_share'])}) cannot get gigabit-capable broadband.")
    if getattr(level, "older_note", None):
        text += f" {level.older_note}."
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


def release_text(release: str) -> str:
    """'2025-07' -> 'July 2025' (anything else unchanged).

    >>> release_text("2025-07"), release_text("unknown")
    ('July 2025', 'unknown')
    """
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(release))
    return f"{MONTHS[int(m.group(2)) - 1]} {m.group(1)}" if m and 1 <= int(m.group(2)) <= 12 else str(release)


def _dates(level, names, registry) -> list[str]:
    out = []
    if getattr(level, "coverage", None) is not None:
        out.append(f"coverage: Ofcom Connected Nations {release_text(_release(level))} ({_release(level)})")
    editions = sorted({e for n in names if (e := _deprivation_release(registry[n].source))}, reverse=True)
    if editions:
        out.append(f"deprivation and population: {'; '.join(editions)}")
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


def _lower_first(title: str) -> str:
    """'Local authorities' -> 'local authorities'; proper nouns and acronyms ('Westminster ...', 'LSOA ...') keep case."""
    first = title.split()[0] if title.split() else ""
    return title if first.isupper() or first == "Westminster" else title[:1].lower() + title[1:]


def _noun(level) -> str:
    """'local authorities', 'Westminster constituencies', 'LSOAs' from the level's title."""
    noun = re.sub(r"\s*\(.*?\)", "", level.title).strip() or "areas"
    first = noun.split()[0]
    return noun if first.isupper() or first == "Westminster" else noun[0].lower() + noun[1:]


def _ind_specs(names, registry, scored, release) -> list[dict]:
    out = []
    for n in names:
        ind = registry[n]
        out.append({"key": n, "label": estimate_label(ind), "num_label": ind.numerator_label, "unit": ind.unit,
                    "derived": bool(ind.derived), "scored": n in scored, "group": indicator_group(ind),
                    "phrase": HEADLINE_PHRASES.get(n),
                    "release": _deprivation_release(ind.source) or release})
    return out


def _nd_row(row, names) -> list:
    out = []
    for n in names:
        num, den = row.get(f"{n}_num"), row.get(f"{n}_den")
        ok = num is not None and den is not None and not pd.isna(num) and not pd.isna(den)
        out.append([int(round(float(num))), int(round(float(den)))] if ok else None)
    return out


def _totals(level, names) -> list[dict]:
    """Region and study-area rows of ``level.totals`` (summed counts), as ``[num, den]`` per indicator."""
    tot = getattr(level, "totals", None)
    if tot is None or len(tot) == 0:
        return []
    return [{"a": str(r["area"]), "nd": _nd_row(r, names)} for r in tot.to_dict("records")]


def _england(level, names) -> dict | None:
    """The England row of ``level.benchmarks`` (when loaded), as ``[num, den]`` per indicator."""
    bench = getattr(level, "benchmarks", None)
    if bench is None or len(bench) == 0 or "area" not in bench.columns:
        return None
    rows = bench[bench["area"].astype(str).str.lower() == "england"]
    if rows.empty:
        return None
    return {"a": "England", "nd": _nd_row(rows.iloc[0].to_dict(), names)}


def _features(table: pd.DataFrame, geoms, views, names, class_col, group_col, extra_props=None, *,
              records: list[dict] | None = None, points: list | None = None) -> list[dict]:
    """GeoJSON features of the page's areas; ``records`` and ``points`` (the rows' dicts and label points)
    may be passed in when the caller has computed them once for a whole split level."""
    feats = []
    records = table.to_dict("records") if records is None else records
    points = label_points(geoms) if points is None else points
    for i, row in enumerate(records):
        props = area_properties(row, views, names, class_col, group_col)
        props["lp"] = points[i]
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
    """Tier checkboxes for the tiers that occur; values are tier numbers (1 = highest), 0 = insufficient data."""
    ti = next((i for i, v in enumerate(views) if v.key == "tier"), None)
    if ti is None:
        return []
    k = len(views[ti].cats) - 1
    seen = {f["properties"]["v"][ti] for f in feats}
    return [{"value": str(i + 1 if i < k else 0), "label": c.replace(" (highest priority)", " (highest)")}
            for i, c in enumerate(views[ti].cats) if i in seen]


def _view_menu(views) -> list[dict]:
    groups = []
    for key, label in VIEW_GROUPS:
        members = [{"key": v.key, "label": v.short or v.label} for v in views if v.group == key]
        if members:
            groups.append({"label": label, "views": members})
    return groups


class _Orientation:
    """Outlines, counties, regions, places and postcodes of one level, computed once and cut per page."""

    def __init__(self, level, ctx: MapContext, geo: gpd.GeoDataFrame, table: pd.DataFrame, tolerance: float):
        self.outlines = {"type": "FeatureCollection", "features": []}
        self.counties: list[dict] = []
        self.regions: list[dict] = []
        self.area_county = np.full(len(table), -1, dtype=int)
        codes = table["code"].astype(str)
        la_geo = ctx.la_geo
        if la_geo is None and ctx.lad_county is not None and codes.isin(set(ctx.lad_county["lad_code"])).all() \
                and "region_name" in table.columns:
            la_geo = gpd.GeoDataFrame({"code": codes.to_numpy(), "region_name": table["region_name"].to_numpy()},
                                      geometry=geo.geometry.to_numpy(), crs=4326)
        la_simple = None
        if la_geo is None and "lad_code" in table.columns and ctx.lad_county is not None and ctx.lad_region:
            # a level inside local authorities (LSOAs): the outlines are its own areas dissolved by LAD's region / county
            lads = table["lad_code"].astype(str)
            if lads.isin(set(ctx.lad_region)).any():
                la_geo = gpd.GeoDataFrame({"code": lads.to_numpy(), "region_name": lads.map(ctx.lad_region).to_numpy()},
                                          geometry=geo.geometry.to_numpy(), crs=4326)
                # its areas are already simplified as one coverage: not simplified a second time
                la_simple = gpd.GeoDataFrame({"code": la_geo["code"].to_numpy()}, geometry=geo.geometry.to_numpy(),
                                             crs=4326)
        if la_geo is not None and la_simple is None:
            la_simple = simplified_layer(la_geo, tolerance)
        if la_geo is not None:
            regions = dissolve(la_geo, la_geo["region_name"].astype("string"), tolerance, simplified=la_simple)
        elif "region_name" in table.columns and table["region_name"].notna().any():
            regions = dissolve(gpd.GeoDataFrame({"code": codes.to_numpy()}, geometry=geo.geometry.to_numpy(), crs=4326),
                               table["region_name"].astype("string").reset_index(drop=True), tolerance)
        else:
            regions = None
        feats = []
        if regions is not None:
            feats += outline_features(regions, "region")
            self.regions = [{"n": r["name"], "b": bounds_of(r["geometry"])} for _, r in regions.iterrows()]
        if la_geo is not None and ctx.lad_county is not None:
            names = dict(zip(ctx.lad_county["lad_code"], ctx.lad_county["county_name"]))
            kinds = dict(zip(ctx.lad_county["county_name"], ctx.lad_county["kind"]))
            keys = la_geo["code"].map(names).astype("string").reset_index(drop=True)
            counties = dissolve(la_geo, keys, tolerance, simplified=la_simple)
            feats += outline_features(counties, "county")
            self.counties = [{"n": r["name"], "t": kinds.get(r["name"], ""), "b": bounds_of(r["geometry"])}
                             for _, r in counties.iterrows()]
            index = {c["n"]: i for i, c in enumerate(self.counties)}
            if codes.isin(set(names)).all():  # a local-authority level: its own county
                self.area_county = codes.map(lambda c: index.get(names.get(c), -1)).to_numpy()
            elif "lad_code" in table.columns and table["lad_code"].astype(str).isin(set(names)).any():
                self.area_county = table["lad_code"].astype(str).map(lambda c: index.get(names.get(c), -1)).to_numpy()
            else:  # constituencies: the county covering most of the area
                self.area_county = majority_group(geo.geometry, counties)
        self.outlines["features"] = feats
        self.places = ctx.places
        self.postcodes = ctx.postcodes
        self._level_points: tuple | None = None  # split levels: each point's area among all areas, on first use

    def _point_areas(self, geoms) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Index into ``geoms`` of the area holding each place and each postcode centroid (-1: none)."""
        series = gpd.GeoSeries(list(geoms), crs=4326)
        places = postcodes = None
        if self.places is not None and len(self.places):
            places = area_of_points(self.places.geometry, series)
        if self.postcodes is not None and len(self.postcodes):
            pts = gpd.GeoSeries(gpd.points_from_xy(self.postcodes["lon"], self.postcodes["lat"]), crs=4326)
            postcodes = area_of_points(pts, series, max_km=5.0)
        return places, postcodes

    def page_points(self, geoms, *, level_geoms=None, rows: np.ndarray | None = None) -> tuple[list, list]:
        """Places and postcode centroids inside this page's areas, with the index of the area holding each.

        A page of a split level passes ``rows`` (its areas' positions in the level) and
        ``level_geoms``: the points are then placed once among all the level's areas
        and each page keeps those that fall in its own areas.
        """
        if rows is None:
            place_area, pc_area = self._point_areas(geoms)
            return self._place_items(place_area), self._postcode_items(pc_area)
        if self._level_points is None:
            self._level_points = self._point_areas(level_geoms)
        local = np.full(len(level_geoms), -1, dtype=int)
        local[rows] = np.arange(len(rows))
        place_area, pc_area = (None if a is None else np.where(a >= 0, local[np.maximum(a, 0)], -1)
                               for a in self._level_points)
        return self._place_items(place_area), self._postcode_items(pc_area)

    def _place_items(self, area: np.ndarray | None) -> list:
        """[name, lon, lat, population, area index] of each place with an area on the page (``area`` >= 0)."""
        if area is None:
            return []
        keep = np.flatnonzero(area >= 0)
        part = self.places.iloc[keep]
        return [[name, round(pt.x, 4), round(pt.y, 4), 0 if pd.isna(pop) else int(pop), int(a)]
                for (name, pop, pt), a in zip(part[["name", "population", "geometry"]].itertuples(index=False),
                                              area[keep])]

    def _postcode_items(self, area: np.ndarray | None) -> list:
        """[key, lon, lat, area index] of each postcode centroid with an area on the page."""
        if area is None:
            return []
        keep = np.flatnonzero(area >= 0)
        part = self.postcodes.iloc[keep]
        return [[key, float(lon), float(lat), int(a)]
                for (key, lon, lat), a in zip(part[["key", "lon", "lat"]].itertuples(index=False), area[keep])]


def _union(parts) -> shapely.Geometry:
    """One group's outline from its areas: the fast coverage union (the areas are one simplified coverage),
    or the general union where GEOS refuses it (edges it finds not noded alike)."""
    try:
        return shapely.make_valid(shapely.coverage_union_all(parts))
    except shapely.errors.GEOSException:
        return shapely.union_all(parts)


def _bounds(geoms) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of the page's area geometries."""
    minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(geoms, dtype=object))
    return float(minx), float(miny), float(maxx), float(maxy)


def _sources(cfg, ctx: MapContext, level) -> tuple[list[dict], list[str]]:
    """The level's sources and attribution lines plus those of the orientation inputs shown on the map."""
    sources = list(level.sources or [])
    attributions = list(level.attributions or [])
    if ctx.files and getattr(cfg, "root", None) is not None:
        from ..load.provenance import describe, load_registry

        try:
            registry = load_registry(cfg.root)
        except Exception:
            registry = {}
        known = {s.get("file") for s in sources}
        sources += [r for r in describe(ctx.files, cfg.root, registry) if r["file"] not in known]
    return sources, unique_lines([*attributions, *ctx.credits])


def render_level(level, cfg, frames=None, stem: str | None = None, *,
                 indicators: dict[str, Indicator] | None = None, options: MapOptions | None = None,
                 context: MapContext | None = None, method_markdown: str | None = None) -> dict[str, bytes]:
    """Every HTML file of one level (map, companion table, and per-group splits when large).

    ``indicators`` replaces the registry in :mod:`mapper.score` (the benchmark
    uses extra LSOA measures); ``options`` replaces the config's ``map:`` section;
    ``context`` replaces the orientation inputs read from the config
    (:func:`mapper.render.context.load_context`); ``method_markdown`` is the build's
    methodology statement when the caller has written it already.
    """
    from .. import __version__
    from ..score.composite import FRAME_LABELS

    opts = options or cfg.map
    registry = indicators or INDICATORS
    ctx = context if context is not None else load_context(cfg, frames)
    stem = stem or f"midlands_{level.key}_priority"
    table, names = area_table(level, indicators)
    scored = {c.name for c in cfg.score.indicators}
    k_tiers = cfg.score.tiers.k
    n_all = len(table)
    n_ranked = int(table["rank"].notna().sum()) if "rank" in table.columns else 0
    noun = _noun(level)
    frame = getattr(cfg.score, "frame", "study_area")
    frame_text = f"the other {noun} {FRAME_TEXT.get(frame, 'in ' + FRAME_LABELS.get(frame, 'the frame'))}"
    views = build_views(table, names, registry, k_tiers=k_tiers, classes=opts.classes, scored=scored,
                        frame_text=frame_text)
    release = _release(level)
    inds = _ind_specs(names, registry, scored, release)
    geo = simplify_coverage(gpd.GeoDataFrame({"code": table["code"].to_numpy()}, geometry=level.frame.geometry.to_numpy(),
                                             crs=level.frame.crs), opts.simplify_tolerance_m)
    geoms = geo.geometry.to_numpy()
    orient = _Orientation(level, ctx, geo, table, opts.simplify_tolerance_m)
    split = n_all > opts.split_above
    group_col = opts.split_by if split else None
    if split and group_col not in table.columns:
        from ..errors import ConfigError
        raise ConfigError(f"config: map.split_by is '{group_col}', but the {level.title} table has no such column; "
                          f"choose one of {', '.join(c for c in table.columns if c.endswith('_code'))}")
    title = cfg.title
    sources, attributions = _sources(cfg, ctx, level)
    method_html = None
    if frames is not None and getattr(frames, "la", None) is not None:
        from ..publish.methodology import methodology_markdown
        from .markdown import markdown_html

        method_html = markdown_html(method_markdown if method_markdown is not None
                                    else methodology_markdown(cfg, frames))
    diag = getattr(cfg, "diagnosis", None)
    dates = _dates(level, names, registry)
    panel_common = {
        "title": title, "class_label": level.class_label, "dates": dates, "release_text": release_text(release),
        "method": _method(cfg, registry), "attributions": attributions, "sources": sources,
        "version": __version__, "config_sha": cfg.sha256[:12], "method_html": method_html,
    }
    common_payload = {
        "title": title, "release": release, "release_text": release_text(release), "noun": noun,
        "frame_text": frame_text, "k_tiers": k_tiers, "threshold": getattr(diag, "threshold", 60.0),
        "no_data": NO_DATA, "inds": inds, "totals": _totals(level, names), "england": _england(level, names),
        "england_areas": {n: int(v) for n, v in sorted((getattr(level, "england_areas", None) or {}).items())},
        "study_name": cfg.study_area.name,
        "outlines": pack_lines(orient.outlines) if orient.outlines["features"] else orient.outlines,
        "counties": orient.counties, "regions": orient.regions, "basemap": bool(opts.basemap),
        "changes": [{"key": k, "label": lab} for k, (lab, _) in CHANGE_COLUMNS.items() if k in level.frame.columns],
        "changes_since": (str(level.frame["change_from_release"].dropna().iloc[0])
                          if "change_from_release" in level.frame.columns and level.frame["change_from_release"].notna().any()
                          else None),
        "credits": list(attributions),
    }
    default_view = "score" if any(v.key == "score" for v in views) else views[0].key
    files: dict[str, bytes] = {}
    short = SHORT_ATTRIBUTION if getattr(level, "coverage", None) is not None else SHORT_ATTRIBUTION_NO_OFCOM
    if ctx.places is not None:
        short += " · place names GeoNames CC BY 4.0"

    def emit(name: str, feats, page_views, rows: pd.DataFrame, page_geoms, *, level_title, headline, table_title,
             overview_href=None, split_note=None, line_weight, max_zoom, view_default, ranked, class_label=None,
             class_col=None, href_col=None, county_index=None, level_rows=None, records=None):
        places, postcodes = orient.page_points(page_geoms, level_geoms=geoms, rows=level_rows)
        if county_index is not None:
            for f, cy in zip(feats, county_index):
                if cy >= 0:
                    f["properties"]["cy"] = int(cy)
        payload = dict(common_payload, level_title=level_title, class_label=class_label or level.class_label,
                       views=[v.spec() for v in page_views], n_all=n_all, n_ranked=ranked, line_weight=line_weight,
                       max_zoom=max_zoom, default_view=view_default, places=places, postcodes=postcodes,
                       overview=overview_href is None and href_col is not None,
                       geo={"type": "FeatureCollection", "features": feats})
        panel = dict(panel_common, level_title=level_title, headline=headline, table_title=table_title,
                     view_groups=_view_menu(page_views), classes=_class_boxes(feats), tiers=_tier_boxes(page_views, feats),
                     overview_href=overview_href, table_file=f"{name}_table.html", split_note=split_note,
                     class_label=payload["class_label"], has_places=bool(places), has_postcodes=bool(postcodes))
        files[f"{name}.html"] = build_page(payload, _bounds(page_geoms), title=f"{title}: {level_title}", panel=panel,
                                           basemap=opts.basemap, short_attribution=short).encode("utf-8")
        files[f"{name}_table.html"] = table_page(
            rows, page_views, names, inds, class_col=class_col or level.class_col, class_label=payload["class_label"],
            title=title, level_title=level_title, dates=dates, map_href=f"{name}.html",
            csv_href=f"{stem}.csv", attributions=attributions, sources=sources, href_col=href_col,
            note="Colour classes and ranks are computed over all areas of the level.", method_html=method_html,
            totals=payload["totals"], england=payload["england"], records=records,
        ).encode("utf-8")

    weight = 0.6 if n_all <= 1000 else 0.3
    if not split:
        feats = _features(table, geoms, views, names, level.class_col, None)
        emit(stem, feats, views, table, geoms, level_title=level.title, headline=_headline(level), table_title="Ranking",
             line_weight=weight, max_zoom=11 if n_all <= 1000 else 14, view_default=default_view, ranked=n_ranked,
             county_index=orient.area_county)
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
    # rows, label points and group positions once for the level; each page takes its slice
    all_records = table.to_dict("records")
    all_points = label_points(geoms)
    positions = {g: np.sort(ix) for g, ix in table.groupby(group_col, sort=False).indices.items()}
    for g in groups:
        mask = positions[g]
        sub = table.iloc[mask].reset_index(drop=True)
        records = [all_records[i] for i in mask]
        gname = str(group_names.get(g) or g)
        fname = f"{stem}_{_safe_name(g)}"
        feats = _features(sub, geoms[mask], views, names, level.class_col, group_col, records=records,
                          points=[all_points[i] for i in mask])
        emit(fname, feats, views, sub, geoms[mask], level_title=f"{level.title}: {gname}", headline="",
             table_title=f"Ranking within {gname}", overview_href=f"{stem}.html",
             split_note=f"{len(sub):,} of {n_all:,} areas; ranks and colour classes are over all areas.",
             line_weight=0.6, max_zoom=14, view_default=default_view, ranked=n_ranked,
             county_index=orient.area_county[mask], level_rows=mask, records=records)
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
        geometry=[_union(geoms[positions[g]]) for g in groups], crs=4326)
    group_geo = simplify_coverage(group_geo, max(opts.simplify_tolerance_m, 100.0))
    over_views = build_views(over, names, registry, k_tiers=k_tiers, classes=opts.classes, scored=set(),
                             frame_text=frame_text)
    extra = [{"href": r["_href"], "table_href": r["_table"], "count": r["_count"]} for r in over_rows]
    over_geoms = group_geo.geometry.to_numpy()
    feats = _features(over, over_geoms, over_views, names, "_none", None, extra)
    emit(stem, feats, over_views, over, over_geoms, level_title=f"{level.title}: overview by {group_col}",
         headline=f"{n_all:,} areas in {len(groups)} groups: click a group to open its map. "
                  "Group shares are summed counts divided by summed denominators.",
         table_title="Groups", line_weight=0.6, max_zoom=11, view_default=over_views[0].key, ranked=0,
         class_label="Group", class_col="_none", href_col="_table")
    return files


def render_map(level, cfg, frames=None, stem: str | None = None) -> str:
    """The main HTML page of one level (the overview when the level is split)."""
    stem = stem or f"midlands_{level.key}_priority"
    return render_level(level, cfg, frames, stem)[f"{stem}.html"].decode("utf-8")
