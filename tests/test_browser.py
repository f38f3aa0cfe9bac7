"""Open the maps from disk in headless Chromium with the network blocked.

Checks: no request leaves the file, no console errors, the layer is drawn
(painted pixels on the overlay canvas), the view switch changes colours and
legend, search finds an area, the URL hash round-trips, table and map are
linked both ways, the keyboard works, and text from data or config is shown
as text, never run. Screenshots go to the pytest temp folder (and to
outputs/screenshots when MAPPER_KEEP_SCREENSHOTS is set) so a person can look.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from mapper.config import override

pytestmark = pytest.mark.browser

LA = "midlands_la_priority.html"
PCON = "midlands_constituency_priority.html"
PCON10 = "midlands_constituency2010_priority.html"  # the 2010-2024 seats, with the mySociety classes


@pytest.fixture(scope="module")
def driver():
    from _browser import start_driver

    drv = start_driver()
    yield drv
    drv.quit()


def _open(driver, path, hash_: str = ""):
    from _browser import wait_drawn

    driver.get("about:blank")
    driver.get(path.resolve().as_uri() + hash_)
    assert wait_drawn(driver), f"{path.name}: the map app never became ready"


def _keep(png: bytes, name: str, tmp_path_factory, built) -> None:
    shots = tmp_path_factory.getbasetemp() / "screenshots"
    shots.mkdir(exist_ok=True)
    (shots / name).write_bytes(png)
    if os.environ.get("MAPPER_KEEP_SCREENSHOTS"):
        keep = built.parent / "screenshots"
        keep.mkdir(exist_ok=True)
        (keep / name).write_bytes(png)


def _state(driver) -> dict:
    return driver.execute_script(
        "var s = gmApp.state; return {view: s.view, area: s.area, cls: s.cls, tier: s.tier, hash: location.hash,"
        " select: document.getElementById('gm-view').value,"
        " legend: document.querySelector('#gm-legend h2').textContent, card: !document.getElementById('gm-card').hidden,"
        " selectedRows: Array.from(document.querySelectorAll('#gm-table tr.gm-selected')).map(function (r) { return r.dataset.code; }),"
        " shownRows: Array.from(document.querySelectorAll('#gm-table tbody tr')).filter(function (r) { return !r.hidden; }).length,"
        " displayedRows: Array.from(document.querySelectorAll('#gm-table tbody tr')).filter(function (r) { return r.getClientRects().length > 0; }).length,"
        " count: document.getElementById('gm-table-count').textContent, message: document.getElementById('gm-search-msg').innerText};")


def test_every_output_page_opens_offline_and_draws(driver, built, tmp_path_factory):
    from _browser import canvas_stats, console_errors, requested_urls, wait_drawn

    pages = sorted(p for p in built.glob("*.html"))
    assert {LA, PCON, LA.replace(".html", "_table.html")} <= {p.name for p in pages}
    for path in pages:
        driver.get_log("performance")
        driver.get_log("browser")
        driver.get(path.resolve().as_uri())
        if path.name.endswith("_table.html"):
            assert driver.find_element("css selector", "table caption").text
            assert len(driver.find_elements("css selector", "tbody tr")) > 10
        else:
            assert wait_drawn(driver), path.name
            stats = canvas_stats(driver)
            assert stats and stats["painted"] / stats["sampled"] > 0.05, (path.name, stats)
            assert "Contains Ofcom data" in driver.find_element("css selector", ".gm-sources").text
            _keep(driver.get_screenshot_as_png(), path.name.replace(".html", ".png"), tmp_path_factory, built)
        external = [u for u in requested_urls(driver) if not u.startswith(("file:", "data:", "about:"))]
        assert external == [], (path.name, external)
        assert console_errors(driver) == [], path.name



@pytest.mark.parametrize("page", [LA, PCON10])
def test_page_rebuilds_the_packed_areas_exactly(driver, built, page):
    """app.js's gmUnpackAreas gives the same features as the Python reference (properties exactly,
    coordinates to the 1e-5 grid): the packed payload loses nothing."""
    import json
    import re

    from mapper.render.page import unpack_payload

    html = (built / page).read_text("utf-8")
    packed = json.loads(re.search(r'<script type="application/json" id="gm-data">(.*?)</script>', html, re.S).group(1))
    assert "areas" in packed and "geo" not in packed  # shipped packed
    assert packed["outlines"]["packed"] and "codes" in packed["areas"] and "lp" in packed["areas"]
    reference = unpack_payload(packed)
    want = reference["geo"]["features"]
    _open(driver, built / page)
    got = json.loads(driver.execute_script("return JSON.stringify(gmApp.P.geo.features);"))
    outlines = json.loads(driver.execute_script("return JSON.stringify(gmApp.P.outlines);"))
    assert outlines == json.loads(json.dumps(reference["outlines"]))
    assert len(got) == len(want) > 60
    assert [f["properties"] for f in got] == [f["properties"] for f in want]
    for g, w in zip(got, want):
        assert g["geometry"]["type"] == w["geometry"]["type"]
        gc = json.dumps(g["geometry"]["coordinates"])
        wc = json.dumps(w["geometry"]["coordinates"])
        assert gc == wc or [round(float(v), 5) for v in re.findall(r"-?[0-9.]+(?:e-?[0-9]+)?", gc)] == \
            [round(float(v), 5) for v in re.findall(r"-?[0-9.]+(?:e-?[0-9]+)?", wc)]



def test_search_work_is_deferred_until_the_box_is_used(driver, built):
    """The suggestion list (one option per area) and the search index are made on first use of the box,
    not while the map loads; then every area, county and region is offered."""
    _open(driver, built / LA)
    assert driver.execute_script("return document.getElementById('gm-areas').childElementCount") == 0
    driver.find_element("id", "gm-search").click()
    n = driver.execute_script("return document.getElementById('gm-areas').childElementCount")
    P = driver.execute_script("return [gmApp.P.geo.features.length, gmApp.P.counties.length, gmApp.P.regions.length]")
    assert n == sum(P) and P[0] == 65
    driver.find_element("id", "gm-search").click()  # a second use adds nothing
    assert driver.execute_script("return document.getElementById('gm-areas').childElementCount") == n


def test_view_switch_changes_colours_and_legend(driver, built, tmp_path_factory):
    from _browser import canvas_stats, wait_drawn
    from selenium.webdriver.support.ui import Select, WebDriverWait

    _open(driver, built / LA)
    before, legend_before = canvas_stats(driver)["colours"], _state(driver)["legend"]
    Select(driver.find_element("id", "gm-view")).select_by_value("no_outdoor_4g_land")
    wait_drawn(driver)
    # the table column and URL hash follow the map once the page is idle
    WebDriverWait(driver, 5).until(lambda d: "view=no_outdoor_4g_land" in d.execute_script("return location.hash"))
    after, state = canvas_stats(driver)["colours"], _state(driver)
    assert state["view"] == "no_outdoor_4g_land" and "view=no_outdoor_4g_land" in state["hash"]
    assert legend_before.startswith("Priority score") and state["legend"].startswith("Landmass with no outdoor 4G")
    assert "(estimate)" in state["legend"]
    assert before != after
    swatches = driver.execute_script(
        "return Array.from(document.querySelectorAll('#gm-legend .sw')).map(function (s) { return s.style.background; });")
    assert len(swatches) >= 3 and "rgb(8, 29, 88)" in swatches  # YlGnBu darkest class
    _keep(driver.get_screenshot_as_png(), "la_view_mobile.png", tmp_path_factory, built)


def test_search_finds_an_area_and_zooms(driver, built):
    from selenium.webdriver.common.keys import Keys

    _open(driver, built / LA)
    zoom = driver.execute_script("return gmApp.map.getZoom()")
    box = driver.find_element("id", "gm-search")
    box.send_keys("west linds", Keys.ENTER)
    state = _state(driver)
    assert state["area"] == "E07000142" and "area=E07000142" in state["hash"]
    assert state["selectedRows"] == ["E07000142"]
    assert "Showing West Lindsey (E07000142)" in driver.find_element("id", "gm-search-msg").text
    assert driver.execute_script("return gmApp.map.getZoom()") > zoom
    box.clear()
    box.send_keys("Atlantis", Keys.ENTER)
    assert "matches \u201cAtlantis\u201d" in driver.find_element("id", "gm-search-msg").text
    assert _state(driver)["area"] is None  # a failed search clears the previous highlight


def test_url_hash_round_trips(driver, built):
    _open(driver, built / PCON10, "#view=no_full_fibre&area=E14000546&class=Rural,Urban%20with%20rural%20areas&tier=1,2")
    state = _state(driver)
    assert state["select"] == "no_full_fibre" and state["view"] == "no_full_fibre"
    assert state["legend"].startswith("Premises without full fibre")
    assert state["area"] == "E14000546" and state["selectedRows"] == ["E14000546"]
    assert state["cls"] == ["Rural", "Urban with rural areas"] and state["tier"] == ["1", "2"]
    checked = driver.execute_script(
        "return Array.from(document.querySelectorAll('input[name=gm-class]')).filter(function (c) { return c.checked; })"
        ".map(function (c) { return c.value; });")
    assert checked == ["Rural", "Urban with rural areas"]
    assert 0 < state["shownRows"] < 105
    url = driver.current_url
    assert "view=no_full_fibre" in url and "area=E14000546" in url and "class=Rural,Urban%20with%20rural%20areas" in url
    driver.get("about:blank")
    from _browser import wait_drawn

    driver.get(url)
    assert wait_drawn(driver)
    again = _state(driver)
    for key in ("view", "area", "cls", "tier", "shownRows", "selectedRows"):
        assert again[key] == state[key], key


def test_filters_hide_rows_and_fade_areas(driver, built):
    _open(driver, built / LA)
    total = _state(driver)["shownRows"]
    driver.find_element("css selector", "input[name=gm-class][value=Urban]").click()
    state = _state(driver)
    assert state["cls"] == ["Rural"] and "class=Rural" in state["hash"] and 0 < state["shownRows"] < total
    faded = driver.execute_script(
        "var n = 0; gmApp.layer.eachLayer(function (l) { if (l.options.fillOpacity < 0.5) { n++; } }); return n;")
    assert faded == total - state["shownRows"]


def test_tooltip_popup_and_table_are_linked(driver, built):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    _open(driver, built / LA, "#view=no_gigabit")
    card = driver.execute_script(
        "var l = gmApp.byCode['E07000137']; l.fire('mouseover', {latlng: l.getBounds().getCenter(), layer: l}, true);"
        "return document.getElementById('gm-hover').innerText;")
    assert "East Lindsey (E07000137)" in card and "Rural" in card
    assert "30,433 premises without gigabit of 75,910 premises" in card and "release 2025-07" in card  # raw file figures
    rank = driver.execute_script("return gmApp.byCode['E07000137'].feature.properties.rk")
    assert f"rank {rank} of 65" in card
    # map click -> row highlighted; popup has the full breakdown
    popup = driver.execute_script(
        "var l = gmApp.byCode['E07000137']; l.fire('click', {latlng: l.getBounds().getCenter(), layer: l}, true);"
        "var p = document.getElementById('gm-card'); return p.hidden ? null : p.innerText;")
    assert popup and "Non-residential premises without gigabit" in popup and "ESTIMATE" in popup
    assert _state(driver)["selectedRows"] == ["E07000137"]
    # row click -> area selected on the map
    driver.find_element("css selector", "#gm-table tr[data-code=E06000061]").click()
    assert _state(driver)["area"] == "E06000061"
    assert driver.execute_script("return gmApp.byCode['E06000061'].options.weight") == 3
    # keyboard: focus a row and press Enter; sort by clicking a header button
    row = driver.find_element("css selector", "#gm-table tr[data-code=E07000142]")
    driver.execute_script("arguments[0].focus()", row)
    row.send_keys(Keys.ENTER)
    assert _state(driver)["area"] == "E07000142"
    assert driver.execute_script("return document.activeElement.dataset.code") == "E07000142"
    driver.find_element("css selector", "th[data-key=name] button").click()
    first = driver.execute_script("return document.querySelector('#gm-table tbody tr').dataset.code")
    assert first == "E07000032"  # Amber Valley: first by name
    body = driver.find_element("tag name", "body")
    body.send_keys("]")
    assert _state(driver)["view"] != "no_gigabit"
    WebDriverWait(driver, 5).until(lambda d: "view=no_gigabit" not in d.execute_script("return location.hash"))


def test_text_from_data_and_config_is_shown_not_run(driver, cfg, tmp_path):
    from _browser import console_errors, wait_drawn
    from test_render import EVIL, tiny_level

    from mapper.render import render_level

    evil_cfg = replace(cfg, title=EVIL)
    for name, data in render_level(tiny_level(evil_cfg, evil=True), evil_cfg, None, "evil").items():
        (tmp_path / name).write_bytes(data)
    for page in ("evil.html", "evil_table.html"):
        driver.get_log("browser")
        driver.get((tmp_path / page).resolve().as_uri())
        if page == "evil.html":
            assert wait_drawn(driver)
        assert driver.execute_script("return window.__pwned === undefined")
        assert driver.find_elements("css selector", "img[src=x]") == []
        assert EVIL in driver.find_element("tag name", "h1").text
        assert EVIL in driver.title
        assert console_errors(driver) == []
    driver.get((tmp_path / "evil.html").resolve().as_uri() + "#area=X00000000")
    assert wait_drawn(driver)
    card = driver.execute_script(
        "var l = gmApp.byCode['X00000000']; l.fire('mouseover', {latlng: l.getBounds().getCenter(), layer: l}, true);"
        "return document.getElementById('gm-hover').innerText;")
    assert EVIL in card
    assert EVIL in driver.find_element("css selector", "#gm-table tr[data-code=X00000000]").text
    driver.find_element("id", "gm-search").send_keys("<img", "\n")
    assert driver.execute_script("return gmApp.state.area") == "X00000000"
    assert driver.execute_script("return window.__pwned === undefined")


def test_split_level_overview_links_to_group_maps(driver, cfg, tmp_path):
    from _browser import canvas_stats, console_errors, wait_drawn
    from test_render import tiny_level

    from mapper.render import render_level

    small = override(cfg, map={"split_above": 4})
    for name, data in render_level(tiny_level(small), small, None, "big").items():
        (tmp_path / name).write_bytes(data)
    driver.get_log("browser")
    driver.get((tmp_path / "big.html").resolve().as_uri())
    assert wait_drawn(driver) and canvas_stats(driver)["painted"] > 0
    popup = driver.execute_script(
        "var l = gmApp.byCode['L1']; l.fire('click', {latlng: l.getBounds().getCenter(), layer: l}, true);"
        "var a = document.querySelector('#gm-card a'); return a ? [a.textContent, a.getAttribute('href')] : null;")
    assert popup == ["Open the map of District 1 (2 areas)", "big_L1.html"]
    driver.get((tmp_path / "big_L1.html").resolve().as_uri())
    assert wait_drawn(driver) and canvas_stats(driver)["painted"] > 0
    assert driver.execute_script("return gmApp.layer.getLayers().length") == 2
    assert console_errors(driver) == []


def test_basemap_on_and_offline_still_draws_the_areas(driver, cfg, frames, tmp_path):
    """map.basemap: true with no network: tiles fail (blocked), the areas still draw on the plain background."""
    from _browser import canvas_stats, console_errors, requested_urls, wait_drawn

    from mapper.render import render_level

    tiles = replace(cfg, map=replace(cfg.map, basemap=True))
    page = tmp_path / "basemap.html"
    page.write_bytes(render_level(frames.la, tiles, frames, "basemap")["basemap.html"])
    driver.get_log("performance")
    driver.get_log("browser")
    driver.get(page.resolve().as_uri())
    assert wait_drawn(driver)
    stats = canvas_stats(driver)
    assert stats and stats["painted"] / stats["sampled"] > 0.05, stats
    outside = [u for u in requested_urls(driver) if not u.startswith(("file:", "data:", "about:"))]
    assert outside and all("tile.openstreetmap.org" in u for u in outside)  # only tiles were asked for (and blocked)
    errors = console_errors(driver)
    assert all("tile.openstreetmap.org" in e for e in errors), errors  # nothing but the blocked tiles failed


# ---------------------------------------------------------------------------------------------
# issue 16: phone, print, shared links, emailed alone, search, generated text, labels
# ---------------------------------------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _docs(png: bytes, name: str) -> None:
    """Screenshots for docs/ (README), written when MAPPER_DOCS_SCREENSHOTS is set."""
    if os.environ.get("MAPPER_DOCS_SCREENSHOTS"):
        (DOCS / name).write_bytes(png)


def _metrics(driver, width: int, height: int, mobile: bool = False) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})


@pytest.fixture()
def desktop(driver):
    _metrics(driver, 1440, 900)
    yield driver
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.fixture()
def phone():
    from _browser import start_driver

    drv = start_driver(390, 844)
    _metrics(drv, 390, 844, mobile=True)
    drv.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    yield drv
    drv.quit()


def _tap(driver, x: float, y: float) -> None:
    from selenium.webdriver.common.actions import interaction
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.pointer_input import PointerInput

    finger = PointerInput(interaction.POINTER_TOUCH, "finger")
    actions = ActionBuilder(driver, mouse=finger)
    actions.pointer_action.move_to_location(int(x), int(y)).pointer_down().pause(0.05).pointer_up()
    actions.perform()


def _rect(driver, selector: str) -> dict | None:
    return driver.execute_script(
        "var e = document.querySelector(arguments[0]); if (!e || !e.getClientRects().length) { return null; }"
        "var r = e.getBoundingClientRect(); return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,"
        " width: r.width, height: r.height};", selector)


def _screen_point(driver, code: str) -> dict:
    return driver.execute_script(
        "var p = gmApp.byCode[arguments[0]].feature.properties, m = document.getElementById('gm-map').getBoundingClientRect();"
        "var q = gmApp.map.latLngToContainerPoint([p.lp[1], p.lp[0]]); return {x: q.x + m.left, y: q.y + m.top};", code)


def test_filters_hide_rows_in_the_ranking_table(desktop, built, frames):
    _open(desktop, built / LA, "#tier=1")
    state = _state(desktop)
    tier1 = int((frames.la.frame["tier"] == 1).sum())
    assert state["tier"] == ["1"] and state["count"] == f"{tier1} of 65 areas shown"
    assert state["shownRows"] == tier1 and state["displayedRows"] == tier1  # hidden rows are not drawn (was display:grid)


def test_shared_links_in_any_case_and_malformed_ones(desktop, built, frames):
    from _browser import console_errors

    frame = frames.la.frame
    desktop.get_log("browser")
    _open(desktop, built / LA, "#class=rural")
    state = _state(desktop)
    rural = int((frame["urban_rural"] == "Rural").sum())
    assert state["cls"] == ["Rural"] and state["displayedRows"] == rural > 0
    _open(desktop, built / LA, "#tier=1&view=NO_GIGABIT")
    state = _state(desktop)
    assert state["tier"] == ["1"] and state["view"] == "no_gigabit"
    assert desktop.execute_script("return gmApp.layer.getLayers().filter(function (l) { return l.options.fillOpacity > 0.5; })"
                                  ".map(function (l) { return l.feature.properties.c; }).sort()") == \
        sorted(frame.loc[frame["tier"] == 1, "code"])
    _open(desktop, built / LA, "#area=e07000137")
    state = _state(desktop)
    assert state["area"] == "E07000137" and state["card"] and state["selectedRows"] == ["E07000137"]
    assert "East Lindsey" in desktop.find_element("id", "gm-card").text  # a restored link opens the area's card
    _open(desktop, built / LA, "#area=%E0%A4%A")
    state = _state(desktop)
    assert state["area"] is None and state["displayedRows"] == 65 and "could not be used" in state["message"]
    _open(desktop, built / LA, "#class=Rural,banana&tier=9")
    state = _state(desktop)
    assert state["cls"] == ["Rural"] and state["tier"] is None and "banana" in state["message"]
    assert console_errors(desktop) == []


def test_emailed_alone_the_map_has_no_dead_links(desktop, built, tmp_path):
    from _browser import console_errors, requested_urls

    alone = tmp_path / "inbox"
    alone.mkdir()
    shutil.copy(built / LA, alone / LA)
    desktop.get_log("browser")
    desktop.get_log("performance")
    _open(desktop, alone / LA)
    hrefs = desktop.execute_script("return Array.from(document.querySelectorAll('a[href]')).map(function (a) { return a.getAttribute('href'); })")
    assert [h for h in hrefs if not h.startswith(("#", "https://", "http://"))] == [], hrefs
    desktop.find_element("id", "gm-figures-open").click()
    figures = desktop.find_element("id", "gm-figures")
    assert figures.is_displayed()
    tables = figures.find_elements("css selector", "table")
    assert len(tables) >= 5 and len(tables[0].find_elements("css selector", "tbody tr")) == 65
    assert "East Lindsey" in tables[1].text and "40.1%" in tables[1].text and "30,433 of 75,910" in tables[1].text
    figures.find_element("css selector", ".gm-dialog-close").click()
    assert not figures.is_displayed()
    desktop.find_element("id", "gm-method-open").click()
    method = desktop.find_element("id", "gm-method")
    assert method.is_displayed() and "headline ranking" in method.text and "Tiers" in method.text
    assert "#" not in method.find_element("css selector", "h2, h3").text  # Markdown rendered, not shown raw
    method.find_element("css selector", ".gm-dialog-close").click()
    assert [u for u in requested_urls(desktop) if not u.startswith(("file:", "data:", "about:"))] == []
    assert console_errors(desktop) == []


def _search(driver, text: str) -> dict:
    driver.execute_script("gmApp.search(arguments[0])", text)
    return _state(driver)


def test_search_typos_lists_counties_places_and_postcodes(desktop, built, frames):
    _open(desktop, built / LA)
    state = _search(desktop, "East Lindsey")
    assert state["area"] == "E07000137"
    state = _search(desktop, "West Lindsy")
    assert state["area"] is None and "Did you mean" in state["message"] and "West Lindsey (local authority)" in state["message"]
    desktop.find_element("xpath", "//div[@id='gm-search-msg']//button[starts-with(., 'West Lindsey')]").click()
    assert _state(desktop)["area"] == "E07000142"
    state = _search(desktop, "lincolnshire")
    assert state["area"] is None and "Lincolnshire (county (two-tier)): 7 local authorities" in state["message"]
    assert len(desktop.find_elements("css selector", "#gm-search-msg li button")) == 7
    assert desktop.execute_script("var n = 0; gmApp.map.eachLayer(function (l) { if (l.options && l.options.style && l.options.style.color === '#d4008f') { n++; } }); return n;") >= 1
    state = _search(desktop, "East Midlands")
    assert "East Midlands (region)" in state["message"]
    lsoa_like = _search(desktop, "LN8 3")
    assert lsoa_like["area"] == "E07000142" and "Postcode sector LN8 3" in lsoa_like["message"]
    state = _search(desktop, "ln83ab")
    assert state["area"] == "E07000142" and "Full postcodes are not in this file" in state["message"]
    state = _search(desktop, "LN8")
    assert "Postcode district LN8" in state["message"]
    state = _search(desktop, "ZZ9 9ZZ")
    assert state["area"] is None and "not in the Midlands postcode list" in state["message"]
    if desktop.execute_script("return gmApp.P.places.length") > 0:
        state = _search(desktop, "Louth")
        assert state["area"] == "E07000137" and "The place Louth is in East Lindsey" in state["message"]
    _open(desktop, built / PCON)
    state = _search(desktop, "Birmingham")
    assert state["area"] is None
    seats = desktop.find_elements("xpath", "//div[@id='gm-search-msg']//button[starts-with(., 'Birmingham ')]")
    texts = [b.text for b in seats]
    expected = sorted(n for n in frames.pcon.frame["name"] if str(n).startswith("Birmingham "))
    assert len(expected) == 9 and all(any(t.startswith(n) for t in texts) for n in expected), texts
    seats[0].click()
    assert _state(desktop)["area"] is not None


def test_generated_text_is_true_for_every_area(desktop, built, frames):
    """Every area's headline and diagnosis sentence, checked against the figures (counts summed, then divided)."""
    for level, page in ((frames.la, LA), (frames.pcon, PCON)):
        _open(desktop, built / page)
        dec = desktop.execute_script("return gmApp.P.views.filter(function (v) { return v.key === 'no_gigabit'; })[0].dec")
        texts = desktop.execute_script(
            "var o = {}; Object.keys(gmApp.byCode).forEach(function (c) { var p = gmApp.profile(c), d = p.querySelector('.gm-diag');"
            " o[c] = [gmApp.headline(c), d ? d.querySelector('p').textContent : null]; }); return o;")
        frame, tot = level.frame.set_index("code"), level.totals.set_index("area")
        mid = level.totals.iloc[-1]
        assert len(texts) == len(frame)

        def word(a: float, b: float, dec: int = dec) -> str:
            sa, sb = f"{100 * a:.{dec}f}", f"{100 * b:.{dec}f}"
            return "the same as" if sa == sb else ("higher than" if a > b else "lower than")

        for code, (head, diag) in texts.items():
            row = frame.loc[code]
            m = re.match(r"(.+) is in tier (\d) of 5.*?: ranked (\d+) of (\d+) (.+?) on the priority score \(([\d.]+) out of 100\)", head)
            assert m, head
            assert (int(m[2]), int(m[3]), int(m[4])) == (row["tier"], row["rank"], int(frame["rank"].notna().sum())), head
            assert m[6] == f"{row['score']:.1f}", head
            share = row["no_gigabit_num"] / row["no_gigabit_den"]
            reg = tot.loc[row["region_name"]]
            rshare, mshare = reg["no_gigabit_num"] / reg["no_gigabit_den"], mid["no_gigabit_num"] / mid["no_gigabit_den"]
            expect = (f"{100 * share:.{dec}f}% of its premises ({int(row['no_gigabit_num']):,} of {int(row['no_gigabit_den']):,}) "
                      f"cannot get gigabit-capable broadband: {word(share, rshare)} the {row['region_name']} ({100 * rshare:.{dec}f}%) "
                      f"and {word(share, mshare)} the Midlands ({100 * mshare:.{dec}f}%)")
            assert expect in head, (head, expect)
            label = row["diagnosis"]
            nums = [float(x) for x in re.findall(r"\(([\d.]+) of 100\)", diag)]
            t = 60
            if label == "Both":
                assert "both an infrastructure bid and a digital-inclusion bid" in diag and all(n >= t for n in nums)
            elif label == "Infrastructure bid":
                assert "point to an infrastructure bid" in diag and nums[0] >= t and (len(nums) < 2 or nums[1] < t)
            elif label == "Digital-inclusion bid":
                assert "point to a digital-inclusion bid" in diag and nums[0] >= t and (len(nums) < 2 or nums[1] < t)
            else:
                assert "Neither need index reaches" in diag
                assert all(float(x) < t for x in re.findall(r"(?:infrastructure|digital inclusion) ([\d.]+) of 100", diag))


def test_hover_card_follows_a_view_switch_and_estimates_are_marked(desktop, built):
    from selenium.webdriver.common.keys import Keys

    _open(desktop, built / LA)
    fire = ("var l = gmApp.byCode['E07000137']; l.fire('mouseover', {latlng: l.getBounds().getCenter(), layer: l,"
            " originalEvent: {clientX: 300, clientY: 300}}, true); return document.getElementById('gm-hover').innerText;")
    assert "Priority score" in desktop.execute_script(fire)
    desktop.find_element("tag name", "body").send_keys("]")
    card = desktop.execute_script("return document.getElementById('gm-hover').innerText")
    assert "Priority tier" in card and "Priority score" not in card  # the open hover card shows the new view
    desktop.execute_script("gmApp.setView('no_indoor_4g')")
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(desktop, 5).until(lambda d: "view=no_indoor_4g" in d.execute_script("return location.hash"))
    assert desktop.find_elements("css selector", "#gm-legend h2 .gm-est")  # a visible estimate badge, not only words
    cells = desktop.execute_script("return Array.from(document.querySelectorAll('#gm-table tbody td:nth-child(4)')).map(function (c) { return c.textContent; })")
    assert cells and all(c.startswith("\u2248") or c == "no data" for c in cells)
    desktop.find_element("tag name", "body").send_keys(Keys.ESCAPE)


def test_labels_appear_as_you_zoom_and_outlines_are_drawn(desktop, built, tmp_path_factory):
    _open(desktop, built / LA)
    assert desktop.execute_script("return gmApp.outlines.getLayers().length") == 20  # 2 regions + 18 counties
    first = desktop.execute_script("return Array.from(document.querySelectorAll('.gm-label')).map(function (e) { return [e.className, e.textContent]; })")
    areas0 = [t for c, t in first if "area" in c]
    assert 10 <= len(areas0) < 65  # only the areas whose name fits are labelled
    boxes = desktop.execute_script("return Array.from(document.querySelectorAll('.gm-label')).map(function (e) { var r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] + 1 or b[2] <= a[0] + 1 or a[3] <= b[1] + 1 or b[3] <= a[1] + 1, (a, b)  # no collisions
    fill = desktop.execute_script(
        "var m = gmApp.map, b = L.latLngBounds(gmApp.P.study), s = m.getSize(), p1 = m.latLngToContainerPoint(b.getSouthWest()),"
        " p2 = m.latLngToContainerPoint(b.getNorthEast()), free = s.x - document.getElementById('gm-legend').offsetWidth - 16;"
        " return [(p2.x - p1.x) / free, (p1.y - p2.y) / s.y, p1.x, p2.y, p2.x, p1.y, s.x, s.y];")
    assert max(fill[:2]) > 0.88, fill  # fitted to the study area on load (beside the legend) ...
    assert fill[2] >= 0 and fill[3] >= 0 and fill[4] <= fill[6] and fill[5] <= fill[7], fill  # ... and all of it in view
    desktop.execute_script("gmApp.map.setView([53.37, 0.0], 10, {animate: false})")
    later = desktop.execute_script("return Array.from(document.querySelectorAll('.gm-label')).map(function (e) { return [e.className, e.textContent]; })")
    if desktop.execute_script("return gmApp.P.places.length") > 0:
        places = [t for c, t in later if "place" in c]
        assert "Louth" in places and "GeoNames" in desktop.find_element("css selector", ".leaflet-control-attribution").text
    assert "East Lindsey" in [t for c, t in later if "area" in c]


def test_basemap_can_be_switched_on_in_the_page(desktop, built):
    from _browser import requested_urls

    _open(desktop, built / LA)
    desktop.get_log("performance")
    desktop.find_element("id", "gm-basemap").click()
    import time

    time.sleep(0.5)
    asked = [u for u in requested_urls(desktop) if not u.startswith(("file:", "data:", "about:"))]
    assert asked and all("tile.openstreetmap.org" in u for u in asked)
    assert "OpenStreetMap" in desktop.find_element("css selector", ".leaflet-control-attribution").text
    desktop.find_element("id", "gm-basemap").click()
    assert "OpenStreetMap" not in desktop.find_element("css selector", ".leaflet-control-attribution").text


def test_phone_layout(phone, built, tmp_path_factory):
    _open(phone, built / LA)
    width, height = 390, 844
    legend = _rect(phone, "#gm-legend")
    assert legend and legend["left"] >= 0 and legend["right"] <= width and legend["bottom"] <= height  # legend with the map
    assert _rect(phone, ".leaflet-control-attribution")["height"] <= 20
    mp = _rect(phone, "#gm-map")
    assert mp["height"] >= 0.8 * height - 80 and mp["width"] == width
    assert _rect(phone, "#gm-panel") is None or _rect(phone, "#gm-panel")["left"] >= width  # panel folded away
    _keep(phone.get_screenshot_as_png(), "la_phone.png", tmp_path_factory, built)
    pt = _screen_point(phone, "E07000137")
    _tap(phone, pt["x"], pt["y"])
    import time

    time.sleep(0.6)
    state = _state(phone)
    assert state["area"] == "E07000137" and state["card"]
    sheet = _rect(phone, "#gm-card")
    assert sheet["left"] >= 0 and sheet["right"] <= width and sheet["bottom"] <= height + 1 and sheet["height"] <= 0.6 * height
    assert phone.execute_script("return getComputedStyle(document.getElementById('gm-hover')).display") == "none"
    seen = phone.execute_script(
        "var b = gmApp.byCode['E07000137'].getBounds(), m = gmApp.map, c = m.latLngToContainerPoint(b.getCenter());"
        "var top = document.getElementById('gm-map').getBoundingClientRect().top; return [c.x, c.y + top];")
    assert 0 <= seen[0] <= width and mp["top"] <= seen[1] <= sheet["top"]  # the area stays in view above the sheet
    png = phone.get_screenshot_as_png()
    _keep(png, "la_phone_card.png", tmp_path_factory, built)
    _docs(png, "la_priority_map_phone.png")
    phone.find_element("id", "gm-card-close").click()
    phone.find_element("id", "gm-menu-btn").click()
    time.sleep(0.4)
    panel = _rect(phone, "#gm-panel")
    assert panel and panel["left"] >= -1 and panel["right"] <= width + 1
    assert phone.find_element("id", "gm-view").is_displayed()


def _pdf_pages(pdf: bytes) -> int:
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        return int(re.search(r"Pages:\s+(\d+)", out).group(1))
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def test_print_is_one_a4_landscape_page_with_map_and_legend(desktop, built, tmp_path_factory, tmp_path):
    _open(desktop, built / LA, "#view=no_gigabit&area=E07000137")
    pdf = base64.b64decode(desktop.execute_cdp_cmd(
        "Page.printToPDF", {"landscape": True, "preferCSSPageSize": True, "printBackground": False})["data"])
    assert pdf.startswith(b"%PDF") and _pdf_pages(pdf) == 1
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-l", "1", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        for part in ("Midlands connectivity gap", "Premises without gigabit", "Ofcom Connected Nations July 2025",
                     "Contains Ofcom data", "km"):
            assert part in text, part
    if shutil.which("pdftoppm"):
        (tmp_path / "print.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "110", "-singlefile", str(tmp_path / "print.pdf"), str(tmp_path / "print")], check=True)
        png = (tmp_path / "print.png").read_bytes()
        _keep(png, "la_print.png", tmp_path_factory, built)
        _docs(png, "la_priority_map_print.png")
    # the same layout, measured: print media and the page's own print preparation
    desktop.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        desktop.execute_script("window.dispatchEvent(new Event('beforeprint'))")
        page_w, page_h = 281 / 25.4 * 96, 194 / 25.4 * 96  # A4 landscape less 8 mm margins, in CSS px
        for sel in ("#gm-top", "#gm-main", "#gm-legend", ".leaflet-control-scale", "#gm-print-foot"):
            r = _rect(desktop, sel)
            assert r and r["right"] <= page_w + 2 and r["bottom"] <= page_h + 2, (sel, r)
        main, legend = _rect(desktop, "#gm-main"), _rect(desktop, "#gm-legend")
        assert main["left"] <= legend["left"] and legend["bottom"] <= main["bottom"]  # the legend is on the map
        for sel in ("#gm-panel", ".leaflet-control-zoom", "#gm-card", "#gm-view"):
            assert _rect(desktop, sel) is None, sel  # no controls or forms on paper
        paths = desktop.execute_script("return document.querySelectorAll('#gm-print-svg path').length")
        assert paths == 65 + 20  # every area and outline, drawn for the page
        study = desktop.execute_script(
            "var m = gmApp.map, b = L.latLngBounds(gmApp.P.study), s = m.getSize(), p1 = m.latLngToContainerPoint(b.getSouthWest()),"
            " p2 = m.latLngToContainerPoint(b.getNorthEast()); return [p1.x, p2.y, p2.x, p1.y, s.x, s.y];")
        assert study[0] >= -1 and study[1] >= -1 and study[2] <= study[4] + 1 and study[3] <= study[5] + 1  # the whole study area
        desktop.execute_script("window.dispatchEvent(new Event('afterprint'))")
    finally:
        desktop.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert desktop.execute_script("return document.getElementById('gm-print-svg')") is None


def test_table_page_prints_readable_columns(desktop, built):
    desktop.get((built / "midlands_la_priority_table.html").resolve().as_uri())
    pdf = base64.b64decode(desktop.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})["data"])
    assert _pdf_pages(pdf) >= 1
    page_w = 277 / 25.4 * 96  # A4 landscape less 10 mm margins, in CSS px: lay the page out at that width
    _metrics(desktop, int(page_w), 900)
    desktop.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        widths = desktop.execute_script("return Array.from(document.querySelectorAll('table')).map(function (t) { var c = t.querySelector('caption'); return [c ? c.textContent : 'method', Math.max(t.getBoundingClientRect().width, t.scrollWidth), c ? t.querySelectorAll('thead th').length : 0]; })")
        assert desktop.execute_script("return document.documentElement.scrollWidth") <= page_w + 2
        assert len(widths) >= 5
        for caption, width, _cols in widths:
            assert width <= page_w + 2, (caption, width)  # every column of every table is on the page
        assert sum(c for _, _, c in widths) >= 52  # all the figures are there, split into tables that fit
    finally:
        desktop.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_desktop_screenshots(desktop, built, tmp_path_factory):
    """Desktop views for a person to look at (and for the README when MAPPER_DOCS_SCREENSHOTS is set)."""
    from _browser import canvas_stats

    _open(desktop, built / LA)
    assert canvas_stats(desktop)["painted"] > 0
    png = desktop.get_screenshot_as_png()
    _keep(png, "la_desktop.png", tmp_path_factory, built)
    _docs(png, "la_priority_map.png")
    _open(desktop, built / LA, "#view=no_indoor_4g&area=E07000137")
    png = desktop.get_screenshot_as_png()
    _keep(png, "la_desktop_profile.png", tmp_path_factory, built)
    _docs(png, "la_priority_map_profile.png")
    _open(desktop, built / LA, "#view=diagnosis")
    _docs(desktop.get_screenshot_as_png(), "la_priority_map_diagnosis.png")
    _open(desktop, built / PCON)
    desktop.execute_script("gmApp.search('Birmingham')")
    png = desktop.get_screenshot_as_png()
    _keep(png, "pcon_desktop.png", tmp_path_factory, built)
    _docs(png, "constituency_priority_map.png")
