"""The map page and its companion table, checked by HTML fragments (no browser).

:func:`tiny_level` builds a hand-made level of six boxes (figures invented for
the test, not real data) that carries the columns later stages add (rank
interval, stability, diagnosis, change), so their views can be tested before
the real build has them. The browser tests reuse it.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from mapper.config import override
from mapper.errors import ConfigError
from mapper.pipeline import Level
from mapper.render import render_level
from mapper.render.data import DIAGNOSES
from mapper.render.page import script_json, unpack_payload
from mapper.score import available_indicators, compute_indicators, score_areas

EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


def tiny_level(cfg, *, evil: bool = False, n: int = 6, lead_columns: bool = True) -> Level:
    """A hand-made level of ``n`` adjacent 0.1-degree boxes near Lincoln (invented counts)."""
    rows = []
    for i in range(n):
        prem = 1000 + 100 * i
        rows.append({
            "code": f"X0000000{i}", "name": f"Testshire {i}", "urban_rural": "Rural" if i % 2 else "Urban",
            "region_name": "East Midlands" if i < n / 2 else "West Midlands", "lad_code": f"L{i // 2}",
            "lad_name": f"District {i // 2}", "premises": prem, "gigabit_n": prem - 50 * (i + 1),
            "below_uso_n": 5 * i, "unable_30_n": 20 * i, "full_fibre_n": prem - 80 * (i + 1),
            "population": 2000 + 10 * i, "deprived_population": 100 * (i % 3),
            "imd2025_lsoas": 10, "deprived_lsoas_n": i % 3,
            "nonres_premises": 100, "nonres_gigabit_n": 90 - 10 * i,
            "geometry": box(-0.6 + 0.1 * (i % 3), 53.2 + 0.1 * (i // 3), -0.5 + 0.1 * (i % 3), 53.3 + 0.1 * (i // 3)),
        })
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    if evil:
        frame.loc[0, "name"] = EVIL
    frame = compute_indicators(frame, available_indicators(frame))  # as the pipeline does, once per level
    scored = score_areas(frame, cfg.score, class_col="urban_rural")
    if lead_columns:
        ranks = scored["rank"].astype("float64")
        scored["rank_median"] = ranks
        scored["rank_p05"] = (ranks - 1).clip(lower=1).astype("Int64")
        scored["rank_p95"] = (ranks + 1).clip(upper=n).astype("Int64")
        scored["top_tier_share"] = [(0.9, 0.1, 0.5, 0.0, 1.0, 0.3)[i % 6] for i in range(n)]
        scored["stability"] = ["stable", "volatile"] * (n // 2) + ["stable"] * (n % 2)
        scored["infra_need"] = [10.0 * i for i in range(n)]
        scored["inclusion_need"] = [100.0 - 10 * i for i in range(n)]
        scored["diagnosis"] = [DIAGNOSES[i % 4] for i in range(n)]
        scored["diagnosis_reason"] = [f"reason {i}" for i in range(n)]
        scored["gigabit_gain_n"] = [10 * i for i in range(n)]
        scored["below_uso_change_n"] = [i - 3 for i in range(n)]
        scored["change_from_release"] = "2022-09"
    scored = gpd.GeoDataFrame(scored, geometry="geometry", crs=4326)
    coverage = SimpleNamespace(meta={"release_date": "2025-07", "file": "handmade"})
    totals = pd.DataFrame({"area": ["Midlands"], "premises": [int(frame["premises"].sum())]})
    return Level("tiny", "Test areas", scored, totals, coverage, "urban_rural", "Rural-urban (test)",
                 sources=[{"title": "Hand-made test figures", "publisher": "tests", "release": "2025-07",
                           "licence": "none"}],
                 attributions=["Contains Ofcom data © Ofcom (test)"])


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _payload(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="gm-data">(.*?)</script>', page, re.S)
    return unpack_payload(json.loads(m.group(1)))  # the areas are packed; rebuilt as the page does


@pytest.fixture(scope="module")
def tiny_files(cfg):
    return {k: v.decode("utf-8") for k, v in render_level(tiny_level(cfg), cfg, None, "tiny").items()}


def test_page_has_every_view_the_columns_allow(tiny_files):
    page = tiny_files["tiny.html"]
    keys = [v["key"] for v in _payload(page)["views"]]
    assert keys[:7] == ["score", "tier", "stability", "top_tier_share", "diagnosis", "infra_need", "inclusion_need"]
    for k in ("no_gigabit", "below_uso", "unable_30", "no_full_fibre", "deprived_population", "nonres_no_gigabit",
              "gigabit_gain_n", "below_uso_change_n"):
        assert k in keys
        assert f'<option value="{k}">' in page
    assert "unable_30_change_n" not in keys  # column absent: no view, nothing faked


def test_views_hidden_without_the_lead_columns(cfg):
    page = render_level(tiny_level(cfg, lead_columns=False), cfg, None, "t")["t.html"].decode()
    keys = [v["key"] for v in _payload(page)["views"]]
    assert "diagnosis" not in keys and "stability" not in keys and "gigabit_gain_n" not in keys
    assert keys[:2] == ["score", "tier"]


def test_palettes_and_legend_direction(tiny_files):
    views = {v["key"]: v for v in _payload(tiny_files["tiny.html"])["views"]}
    assert views["score"]["colours"][0] == "#49006a" and "higher = more need" in views["score"]["note"]
    assert views["score"]["tc"] is True  # the score is coloured by tier: tier 1 is the darkest
    assert views["no_gigabit"]["colours"][-1] == "#081d58"  # YlGnBu, darkest = largest share
    assert views["diagnosis"]["cats"] == list(DIAGNOSES)
    assert views["diagnosis"]["colours"][:3] == ["#0072B2", "#E69F00", "#CC79A7"]  # Okabe-Ito
    assert views["no_gigabit"]["breaks"] == sorted(views["no_gigabit"]["breaks"])
    assert views["below_uso_change_n"]["label"].startswith("Change in premises below the USO since 2022-09")


def test_features_are_compact_and_rounded(tiny_files):
    feats = _payload(tiny_files["tiny.html"])["geo"]["features"]
    assert len(feats) == 6
    p = feats[1]["properties"]
    assert set(p) <= {"c", "n", "k", "r", "p", "rk", "rc", "v", "nd", "x", "g", "lp", "cy"}
    assert p["c"] == "X00000001" and p["k"] == "Rural" and p["p"] == 1100
    assert p["nd"][0] == [100, 1100]  # premises without gigabit: 1100 - 1000, of 1100
    assert p["x"]["diagnosis"] == "Digital-inclusion bid" and p["x"]["rank_p05"] >= 1
    coords = json.dumps(feats[0]["geometry"])
    assert not re.search(r"\d\.\d{6,}", coords)


def test_static_text_is_escaped(cfg):
    evil_cfg = replace(cfg, title=EVIL)
    files = render_level(tiny_level(evil_cfg, evil=True), evil_cfg, None, "e")
    for name in ("e.html", "e_table.html"):
        page = files[name].decode()
        assert "<img src=x" not in page and "<script>window.__pwned" not in page, name
        assert "&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;" in page or "&lt;img src=x" in page, name
    assert "\\u003cimg src=x" in files["e.html"].decode()  # the payload: JSON-escaped, shown via textContent


def test_script_json_cannot_close_the_script_element():
    text = script_json({"n": "</script><script>alert(1)</script>", "m": "a & b"})
    assert "</" not in text and "<" not in text and "&" not in text
    assert json.loads(text) == {"n": "</script><script>alert(1)</script>", "m": "a & b"}


def test_companion_table_is_accessible_html(tiny_files):
    page = _norm(tiny_files["tiny_table.html"])
    assert "<caption>" in page and '<th scope="col">Rank</th>' in page and '<th scope="row">' in page
    assert "<script" not in page
    assert '<a href="tiny.html">Back to the map (tiny.html, same folder)</a>' in page
    assert "methodology.md" not in page  # no link to a file that opens as raw Markdown
    assert "100 of 1,100" in page and "9.1%" in page  # no gigabit in X00000001
    assert "Premises with no indoor 4G" not in page  # no mobile columns in this level
    # one table per group of figures, each narrow enough to print: overview, fixed broadband, need ...
    assert page.count("<table>") >= 3 and 'id="overview"' in page and 'id="fixed"' in page and 'id="need"' in page
    assert page.count('<th scope="row">') >= 6 * 3
    assert "@page {size: A4 landscape" in page and "thead {display: table-header-group;}" in page


def test_map_page_needs_no_other_file(tiny_files):
    """Emailed alone: no link to a file beside it (the table and the method are inside the page)."""
    page = _norm(tiny_files["tiny.html"])
    markup = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)  # the page's own HTML, not Leaflet's source
    hrefs = re.findall(r'href="([^"]*)"', markup)
    assert hrefs == [], hrefs
    assert 'id="gm-figures-open"' in page and 'id="gm-method-open"' in page and 'id="gm-method"' in page
    assert not re.search(r"<script[^>]+src=", page) and not re.search(r"<link[^>]+href=", page)
    assert "cdn.jsdelivr" not in page and "unpkg.com" not in page
    assert "user-scalable=no" not in page


def test_map_controls_are_in_the_page(tiny_files):
    page = _norm(tiny_files["tiny.html"])
    assert '<th scope="col" role="columnheader" data-key="rank">' in page and 'id="gm-search"' in page and 'list="gm-areas"' in page
    assert '<input type="checkbox" name="gm-class" value="Rural" checked>' in page
    assert '<input type="checkbox" name="gm-tier" value="1" checked> Tier 1 (highest)' in page  # tier numbers as shown
    assert '<optgroup label="Score, tiers and diagnosis">' in page and '<optgroup label="Fixed broadband">' in page
    assert '<optgroup label="Change over time">' in page
    assert "0-100, relative to the other test areas in the study area; higher = more need" in page


def test_rendering_is_deterministic(cfg):
    a = render_level(tiny_level(cfg), cfg, None, "d")
    b = render_level(tiny_level(cfg), cfg, None, "d")
    assert a == b


def test_large_level_is_split_per_group_with_an_overview(cfg):
    small = override(cfg, map={"split_above": 4})
    files = render_level(tiny_level(small), small, None, "big")
    assert sorted(files) == ["big.html", "big_L0.html", "big_L0_table.html", "big_L1.html", "big_L1_table.html",
                             "big_L2.html", "big_L2_table.html", "big_table.html"]
    over = _payload(files["big.html"].decode())
    assert [f["properties"]["href"] for f in over["geo"]["features"]] == ["big_L0.html", "big_L1.html", "big_L2.html"]
    assert over["geo"]["features"][0]["properties"]["n"] == "District 0"
    assert over["geo"]["features"][0]["properties"]["nd"][0] == [150, 2100]  # summed counts: 50 + 100 of 1000 + 1100
    part = _payload(files["big_L1.html"].decode())
    assert [f["properties"]["c"] for f in part["geo"]["features"]] == ["X00000002", "X00000003"]
    assert part["n_all"] == 6  # ranks and classes are over the whole level
    assert 'href="big.html">All areas (overview map)' in files["big_L1.html"].decode()



def test_split_pages_show_each_point_on_the_page_of_the_area_holding_it(cfg):
    """Points are placed once among all areas of a split level; a page keeps those inside its own areas,
    indexed into its own features (a postcode 1 km from the next group's area is not on that group's page)."""
    from mapper.render.context import GEONAMES_CREDIT, MapContext

    places = gpd.GeoDataFrame({"name": ["Bigtown", "Edgeby"], "population": [50000.0, 800.0]},
                              geometry=gpd.points_from_xy([-0.55, -0.35], [53.25, 53.25]), crs=4326)
    postcodes = pd.DataFrame({"key": ["TS1", "TS2", "TS9"], "kind": ["district"] * 3, "lon": [-0.45, -0.41, -0.55],
                              "lat": [53.25, 53.25, 53.35], "n": [10, 10, 10]})
    small = override(cfg, map={"split_above": 4})
    ctx = MapContext(places=places, postcodes=postcodes, credits=[GEONAMES_CREDIT])
    files = render_level(tiny_level(small), small, None, "big", context=ctx)
    pages = {name: _payload(files[f"{name}.html"].decode()) for name in ("big_L0", "big_L1")}
    codes = {name: [f["properties"]["c"] for f in P["geo"]["features"]] for name, P in pages.items()}
    l0, l1 = pages["big_L0"], pages["big_L1"]
    assert [(p[0], codes["big_L0"][p[3]]) for p in l0["postcodes"]] == [("TS1", "X00000001"), ("TS2", "X00000001")]
    assert [(p[0], codes["big_L1"][p[3]]) for p in l1["postcodes"]] == [("TS9", "X00000003")]
    assert [(p[0], codes["big_L0"][p[4]]) for p in l0["places"]] == [("Bigtown", "X00000000")]
    assert [(p[0], codes["big_L1"][p[4]]) for p in l1["places"]] == [("Edgeby", "X00000002")]


def test_split_needs_the_group_column(cfg):
    small = override(cfg, map={"split_above": 4, "split_by": "county_code"})
    with pytest.raises(ConfigError, match="map.split_by is 'county_code'.*lad_code"):
        render_level(tiny_level(small), small, None, "big")


@pytest.mark.parametrize("section, message", [
    ({"simplfy_tolerance_m": 10}, "unknown key 'map.simplfy_tolerance_m'; did you mean 'simplify_tolerance_m'"),
    ({"split_above": "many"}, "'map.split_above' must be a whole number"),
    ({"basemap": "yes"}, "'map.basemap' must be true or false"),
    ({"simplify_tolerance_m": -5}, "'map.simplify_tolerance_m' is -5; it must be at least 0 and at most 5000"),
    ("nope", "'map' must be a mapping"),
])
def test_map_section_is_validated(cfg, section, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        override(cfg, map=section)


def test_real_la_map_has_the_new_indicator_views(built):
    page = (built / "midlands_la_priority.html").read_text("utf-8")
    keys = [v["key"] for v in _payload(page)["views"]]
    for k in ("nonres_no_gigabit", "nonres_below_uso", "nonres_unable_30", "no_indoor_4g", "partial_indoor_4g",
              "no_outdoor_4g_land", "no_outdoor_5g", "ff_low_takeup"):
        assert k in keys, k
    labels = {v["key"]: v["label"] for v in _payload(page)["views"]}
    assert "(estimate)" in labels["no_indoor_4g"] and "(estimate)" in labels["ff_low_takeup"]
    assert "(estimate)" not in labels["nonres_no_gigabit"]
    assert (built / "midlands_la_priority_table.html").exists()
    assert (built / "midlands_constituency_priority_table.html").exists()


def test_basemap_is_off_by_default_and_optional(cfg):
    plain = render_level(tiny_level(cfg), cfg, None, "b")["b.html"].decode()
    assert _payload(plain)["basemap"] is False  # no tiles are asked for unless the reader ticks the box
    assert '<input type="checkbox" id="gm-basemap">' in plain
    with_tiles = override(cfg, map={"basemap": True})
    page = render_level(tiny_level(with_tiles), with_tiles, None, "b")["b.html"].decode()
    assert _payload(page)["basemap"] is True and '<input type="checkbox" id="gm-basemap" checked>' in page
    assert "tile.openstreetmap.org" in _payload(page)["tiles"] and "OpenStreetMap" in _payload(page)["tiles_attribution"]


def test_render_map_returns_the_main_page(cfg):
    from mapper.render import render_map

    page = render_map(tiny_level(cfg), cfg, None, stem="tiny")
    assert page.startswith("<!DOCTYPE html>") and "tiny_table.html" in page


# ---------------------------------------------------------------------------------------------
# issue 16: classes that fit each measure, one precision, one change convention, orientation
# ---------------------------------------------------------------------------------------------

LA_MAP, PCON_MAP = "midlands_la_priority.html", "midlands_constituency_priority.html"
PCON10_MAP = "midlands_constituency2010_priority.html"  # the 2010-2024 seats: the level with change over time


def _real(built, name=LA_MAP) -> dict:
    return _payload((built / name).read_text("utf-8"))



def test_every_map_names_each_credit_once(built):
    """GeoNames is credited by the sources register ("... CC BY 4.0.") and by the place layer ("... CC BY 4.0"):
    the side panel, the print footer and the payload show it once."""
    for name in (LA_MAP, PCON_MAP, "midlands_constituency2010_priority.html"):
        page = (built / name).read_text("utf-8")
        credits = _real(built, name)["credits"]
        keys = [c.strip().rstrip(".") for c in credits]
        assert len(keys) == len(set(keys)), (name, credits)
        assert sum("GeoNames" in c for c in credits) == 1, (name, credits)
        panel = re.search(r'<ul class="gm-attr">(.*?)</ul>', page, re.S).group(1)
        footer = next(p for p in re.findall(r"<p>(.*?)</p>", page, re.S) if "Contains Ofcom data" in p and " · " in p)
        assert panel.count("GeoNames") == 1 and footer.count("GeoNames") == 1, name


def test_score_is_coloured_by_tier_and_its_legend_gives_each_tiers_range(built):
    for name in (LA_MAP, PCON_MAP):
        P = _real(built, name)
        idx = {v["key"]: i for i, v in enumerate(P["views"])}
        score, tier = P["views"][idx["score"]], P["views"][idx["tier"]]
        assert score["tc"] and score["colours"] == tier["colours"]
        counts = {}
        for f in P["geo"]["features"]:
            p = f["properties"]
            t, x = p["v"][idx["tier"]], p["v"][idx["score"]]
            counts[t] = counts.get(t, 0) + 1
            if x is not None:
                lo, hi = map(float, re.search(r"score ([\d.]+) to ([\d.]+)", score["legend"][t]).groups())
                assert lo <= x <= hi, (name, p["c"], x, score["legend"][t])
        for t, n in counts.items():
            if t < P["k_tiers"]:
                assert f"({n} area" in score["legend"][t]


def _class_of(x, view):
    i = 0
    while i < len(view["breaks"]) and (x >= view["breaks"][i] if view.get("side") == "left" else x > view["breaks"][i]):
        i += 1
    return i


def test_indicator_classes_fit_the_measure_and_legend_table_and_map_agree(built):
    for name in (LA_MAP, PCON_MAP):
        P = _real(built, name)
        feats = P["geo"]["features"]
        for vi, v in enumerate(P["views"]):
            if v.get("ind") is None:
                continue
            dec, values = v["dec"], [f["properties"]["v"][vi] for f in feats]
            shown = [x for x in values if x is not None]
            assert all(round(x, dec + 2) == x for x in shown), (name, v["key"])  # values are what the legend's decimals show
            assert all(round(b, dec + 2) == b for b in v["breaks"])
            for lab in v["legend"]:
                assert all(len(d) == dec for d in re.findall(r"\d+\.(\d+)%", lab)), (v["key"], lab)
            sizes = [int(re.search(r"\((\d[\d,]*) areas?\)", lab).group(1).replace(",", "")) for lab in v["legend"]]
            per_class = [0] * len(v["colours"])
            for x in shown:
                per_class[_class_of(x, v)] += 1
            assert per_class == sizes, (name, v["key"], per_class, sizes)
            assert v["scheme"] in ("quantiles", "natural_breaks")
    P = _real(built)
    below = next(v for v in P["views"] if v["key"] == "below_uso")
    assert below["scheme"] == "natural_breaks" and below["dec"] == 2  # skewed, tiny shares: two decimals everywhere
    darkest = int(re.search(r"\((\d+) areas?\)", below["legend"][-1]).group(1))
    assert darkest < 65 / 5  # not a fifth of the areas in the darkest class, as quantiles did
    table = (built / "midlands_la_priority_table.html").read_text("utf-8")
    assert ">0.51%<" in table  # East Lindsey: 388 of 75,910 premises below the USO, at the legend's precision


def test_change_views_use_one_colour_convention(built):
    from mapper.render.data import BETTER, NEUTRAL, WORSE

    P = _real(built, PCON10_MAP)
    views = {v["key"]: v for v in P["views"]}
    assert {"gigabit_gain_n", "below_uso_change_n"} <= set(views)
    for key, rise in (("gigabit_gain_n", "better"), ("below_uso_change_n", "worse"), ("unable_30_change_n", "worse")):
        if key not in views:
            continue
        v = views[key]
        assert v["better"] == rise and "Blue-green = better, brown = worse" in v["note"]
        for colour, label in zip(v["colours"], v["legend"]):
            if label == "no change":
                assert colour == NEUTRAL
            elif label.startswith("+"):
                assert colour in (BETTER if rise == "better" else WORSE) and f"({rise})" in label
            else:
                assert colour in (WORSE if rise == "better" else BETTER)


def test_view_menu_is_grouped_with_short_labels(built):
    page = (built / LA_MAP).read_text("utf-8")
    groups = re.findall(r'<optgroup label="([^"]+)">', page)
    order = [g for g in ("Score, tiers and diagnosis", "Fixed broadband", "Business premises", "Mobile (estimates)",
                         "Adoption (estimate)", "Need (deprivation and age)") if g in groups]
    assert groups == order and len(groups) == 6
    assert '<option value="no_gigabit">No gigabit *</option>' in page
    assert max(len(o) for o in re.findall(r"<option [^>]*>([^<]*)</option>", page)) <= 45


def test_every_indicator_has_a_short_menu_label():
    from mapper.render.data import SHORT_LABELS
    from mapper.score import INDICATORS

    assert set(INDICATORS) <= set(SHORT_LABELS), sorted(set(INDICATORS) - set(SHORT_LABELS))
    assert max(len(v) for v in SHORT_LABELS.values()) <= 43  # room for the ' *' of a scored indicator


def test_outlines_counties_and_postcodes(built):
    for name in (LA_MAP, PCON_MAP):
        P = _real(built, name)
        kinds = [f["properties"]["t"] for f in P["outlines"]["features"]]
        assert kinds.count("region") == 2 and kinds.count("county") == 18, name  # 18 counties and unitaries
        names = {c["n"] for c in P["counties"]}
        assert {"Lincolnshire", "West Midlands", "Derbyshire", "Rutland"} <= names
        assert all(f["properties"].get("cy", -1) >= 0 for f in P["geo"]["features"]), name
        pcs = {p[0]: p for p in P["postcodes"]}
        assert len(pcs) > 1500 and "LN8" in pcs and "LN8 3" in pcs
        assert "Postcode centroids" in " ".join(P["credits"])
    la = _real(built)
    lincs = next(i for i, c in enumerate(la["counties"]) if c["n"] == "Lincolnshire")
    members = sorted(f["properties"]["n"] for f in la["geo"]["features"] if f["properties"]["cy"] == lincs)
    assert members == ["Boston", "East Lindsey", "Lincoln", "North Kesteven", "South Holland", "South Kesteven",
                       "West Lindsey"]
    market_rasen = la["postcodes"][[p[0] for p in la["postcodes"]].index("LN8 3")]
    assert la["geo"]["features"][market_rasen[3]]["properties"]["n"] == "West Lindsey"


def test_places_are_labelled_largest_first_with_the_geonames_credit(cfg):
    from mapper.render.context import GEONAMES_CREDIT, MapContext

    places = gpd.GeoDataFrame({"name": ["Bigtown", "Smallville", "Nowhere"], "population": [50000.0, float("nan"), 900.0]},
                              geometry=gpd.points_from_xy([-0.55, -0.45, 5.0], [53.25, 53.35, 50.0]), crs=4326)
    ctx = MapContext(places=places.iloc[[0, 2, 1]].reset_index(drop=True), credits=[GEONAMES_CREDIT])
    page = render_level(tiny_level(cfg), cfg, None, "pl", context=ctx)["pl.html"].decode()
    P = _payload(page)
    assert [p[0] for p in P["places"]] == ["Bigtown", "Smallville"]  # the one outside every area is left out
    assert P["places"][0][3] == 50000 and P["places"][1][3] == 0  # unknown population: last, never a number
    assert P["geo"]["features"][P["places"][0][4]]["properties"]["c"] == "X00000000"
    assert GEONAMES_CREDIT in page and "place names GeoNames CC BY 4.0" in P["attribution_html"]
    plain = render_level(tiny_level(cfg), cfg, None, "np", context=MapContext())["np.html"].decode()
    assert "GeoNames" not in plain and _payload(plain)["places"] == []


def test_england_comparison_and_rate_count_ranks_when_the_lead_columns_exist(cfg):
    level = tiny_level(cfg)
    plain = _payload(render_level(level, cfg, None, "e")["e.html"].decode())
    assert plain["england"] is None  # the card then says "England comparison not available"
    level.benchmarks = pd.DataFrame({"area": ["England"], "no_gigabit_num": [2_000_000], "no_gigabit_den": [25_000_000],
                                     "no_gigabit_share": [0.08]})
    level.england_areas = {"no_gigabit": 296}
    frame = level.frame.copy()
    frame["england_rank_no_gigabit"] = range(1, len(frame) + 1)
    frame["rank_rate"], frame["rank_count"], frame["score_rate"] = range(1, 7), range(6, 0, -1), 50.0
    level.frame = frame
    files = render_level(level, cfg, None, "e")
    P = _payload(files["e.html"].decode())
    assert P["england"]["a"] == "England" and P["england"]["nd"][0] == [2_000_000, 25_000_000]
    assert P["england"]["nd"][1] is None and P["england_areas"] == {"no_gigabit": 296}
    x = P["geo"]["features"][0]["properties"]["x"]
    assert x["er"][0] == 1 and x["rank_rate"] == 1 and x["rank_count"] == 6 and x["score_rate"] == 50
    table = files["e_table.html"].decode()
    assert "Rank on rates" in table and "Rank on counts" in table and "<th scope=\"col\">England</th>" in table
    assert "8.0% (2,000,000 of 25,000,000)" in table


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_table_rows_escape_text_as_jinja_autoescape_does(text):
    """The table body is written in Python (fast on split levels): every text escaped exactly as the template would."""
    from markupsafe import escape

    from mapper.render.table import _cell, _rows_html

    html = str(_rows_html([[_cell(text, cls="num"), _cell(text, href=text), _cell(text)]]))
    e = str(escape(text))
    assert html == (f'<tr><td class="num">{e}</td><th scope="row"><a href="{e}">{e}</a></th><td>{e}</td></tr>\n'
                    if text else f'<tr><td class="num"></td><th scope="row">{e}</th><td></td></tr>\n')
