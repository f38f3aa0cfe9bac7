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
from shapely.geometry import box

from mapper.errors import ConfigError
from mapper.pipeline import Level
from mapper.config import override
from mapper.render import render_level
from mapper.render.data import DIAGNOSES
from mapper.render.page import script_json
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
    m = re.search(r"gmStart\((\{.*?\}), map_\d+\);", page, re.S)
    return json.loads(m.group(1))


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
    assert views["score"]["colours"][-1] == "#49006a" and "Darker = more need" in views["score"]["note"]
    assert views["no_gigabit"]["colours"][-1] == "#081d58"  # YlGnBu, darkest = largest share
    assert views["diagnosis"]["cats"] == list(DIAGNOSES)
    assert views["diagnosis"]["colours"][:3] == ["#0072B2", "#E69F00", "#CC79A7"]  # Okabe-Ito
    assert views["no_gigabit"]["breaks"] == sorted(views["no_gigabit"]["breaks"])
    assert views["below_uso_change_n"]["label"].startswith("Change in premises below the USO since 2022-09")


def test_features_are_compact_and_rounded(tiny_files):
    feats = _payload(tiny_files["tiny.html"])["geo"]["features"]
    assert len(feats) == 6
    p = feats[1]["properties"]
    assert set(p) <= {"c", "n", "k", "r", "p", "rk", "rc", "v", "nd", "x", "g"}
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
    assert '<a href="tiny.html">Back to the map</a>' in page and '<a href="methodology.md">' in page
    assert "100 of 1,100" in page and "9.1%" in page  # no gigabit in X00000001
    assert "Premises with no indoor 4G" not in page  # no mobile columns in this level
    assert page.count("<tr>") == 7  # header + 6 areas


def test_map_links_methodology_table_and_keeps_offline(tiny_files):
    page = _norm(tiny_files["tiny.html"])
    assert '<a href="methodology.md">Methodology</a>' in page and '<a href="tiny_table.html">' in page
    assert not re.search(r"<script[^>]+src=", page) and not re.search(r"<link[^>]+href=", page)
    assert "cdn.jsdelivr" not in page and "unpkg.com" not in page
    assert "user-scalable=no" not in page
    assert '<th scope="col" role="columnheader" data-key="rank">' in page and 'id="gm-search"' in page and 'list="gm-areas"' in page
    assert '<input type="checkbox" name="gm-class" value="Rural" checked>' in page
    assert '<input type="checkbox" name="gm-tier" value="0" checked>' in page


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
    assert "tile.openstreetmap.org" not in plain and "L.tileLayer" not in plain
    with_tiles = override(cfg, map={"basemap": True})
    page = render_level(tiny_level(with_tiles), with_tiles, None, "b")["b.html"].decode()
    assert "L.tileLayer" in page and "tile.openstreetmap.org" in page


def test_render_map_returns_the_main_page(cfg):
    from mapper.render import render_map

    page = render_map(tiny_level(cfg), cfg, None, stem="tiny")
    assert page.startswith("<!DOCTYPE html>") and 'href="tiny_table.html"' in page
