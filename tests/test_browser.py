"""Open the maps from disk in headless Chromium with the network blocked.

Checks: no request leaves the file, no console errors, the layer is drawn
(painted pixels on the overlay canvas), the view switch changes colours and
legend, search finds an area, the URL hash round-trips, table and map are
linked both ways, the keyboard works, and text from data or config is shown
as text, never run. Screenshots go to the pytest temp folder (and to
outputs/screenshots when MAPPER_KEEP_SCREENSHOTS is set) so a person can look.
"""

from __future__ import annotations

import os
from dataclasses import replace

from mapper.config import override

import pytest

pytestmark = pytest.mark.browser

LA = "midlands_la_priority.html"
PCON = "midlands_constituency_priority.html"


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
        " legend: document.querySelector('#gm-legend h2').textContent,"
        " selectedRows: Array.from(document.querySelectorAll('#gm-table tr.gm-selected')).map(function (r) { return r.dataset.code; }),"
        " shownRows: Array.from(document.querySelectorAll('#gm-table tbody tr')).filter(function (r) { return !r.hidden; }).length};")


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


def test_view_switch_changes_colours_and_legend(driver, built, tmp_path_factory):
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from _browser import canvas_stats, wait_drawn

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
    assert "Found West Lindsey (E07000142)" in driver.find_element("id", "gm-search-msg").text
    assert driver.execute_script("return gmApp.map.getZoom()") > zoom
    box.clear()
    box.send_keys("Atlantis", Keys.ENTER)
    assert "No area matches" in driver.find_element("id", "gm-search-msg").text


def test_url_hash_round_trips(driver, built):
    _open(driver, built / PCON, "#view=no_full_fibre&area=E14000546&class=Rural,Urban%20with%20rural%20areas&tier=0,1")
    state = _state(driver)
    assert state["select"] == "no_full_fibre" and state["view"] == "no_full_fibre"
    assert state["legend"].startswith("Premises without full fibre")
    assert state["area"] == "E14000546" and state["selectedRows"] == ["E14000546"]
    assert state["cls"] == ["Rural", "Urban with rural areas"] and state["tier"] == ["0", "1"]
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
        "var p = document.querySelector('.leaflet-popup-content'); return p ? p.innerText : null;")
    assert popup and "Non-residential premises without gigabit" in popup and "(estimate)" in popup
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
    from test_render import EVIL, tiny_level

    from _browser import console_errors, wait_drawn
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
    from test_render import tiny_level

    from _browser import canvas_stats, console_errors, wait_drawn
    from mapper.render import render_level

    small = override(cfg, map={"split_above": 4})
    for name, data in render_level(tiny_level(small), small, None, "big").items():
        (tmp_path / name).write_bytes(data)
    driver.get_log("browser")
    driver.get((tmp_path / "big.html").resolve().as_uri())
    assert wait_drawn(driver) and canvas_stats(driver)["painted"] > 0
    popup = driver.execute_script(
        "var l = gmApp.byCode['L1']; l.fire('click', {latlng: l.getBounds().getCenter(), layer: l}, true);"
        "var a = document.querySelector('.leaflet-popup-content a'); return a ? [a.textContent, a.getAttribute('href')] : null;")
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
