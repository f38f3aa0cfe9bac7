"""Open the real maps from disk in headless Chromium with the network blocked.

Checks: no request leaves the file, no console errors, the areas are drawn
(non-background pixels in a screenshot), and a tooltip shows real figures.
Screenshots are kept in the pytest temp folder (and in outputs/screenshots when
MAPPER_KEEP_SCREENSHOTS is set) so a person can look at them.
"""

import os
import time

import pytest

pytestmark = pytest.mark.browser

MAPS = ("midlands_la_priority.html", "midlands_constituency_priority.html")


@pytest.fixture(scope="module")
def driver():
    from _browser import start_driver

    drv = start_driver()
    yield drv
    drv.quit()


def _wait_for_canvas(driver, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if driver.execute_script("return document.querySelectorAll('.leaflet-overlay-pane canvas').length") > 0:
            return True
        time.sleep(0.1)
    return False


def _coloured_fraction(png_bytes):
    """Share of screenshot pixels that are neither the page background nor white."""
    import struct
    import zlib

    # minimal PNG decoder for Chromium's 8-bit RGBA/RGB, non-interlaced screenshots
    pos, chunks = 8, []
    width = height = None
    colour_type = None
    while pos < len(png_bytes):
        length, kind = struct.unpack(">I4s", png_bytes[pos:pos + 8])
        data = png_bytes[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, _, colour_type = struct.unpack(">IIBB", data[:10])
        elif kind == b"IDAT":
            chunks.append(data)
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    bpp = 4 if colour_type == 6 else 3
    stride = width * bpp
    prev = bytearray(stride)
    coloured = total = 0
    i = 0
    for _ in range(height):
        ftype = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        for x in range(0, stride, bpp * 4):  # sample every 4th pixel
            r, g, bl = line[x], line[x + 1], line[x + 2]
            total += 1
            if not ((r, g, bl) in ((244, 244, 242), (255, 255, 255))) and abs(r - g) + abs(g - bl) > 30:
                coloured += 1
    return coloured / total


@pytest.mark.parametrize("name", MAPS)
def test_map_opens_offline_and_draws(driver, built, name, tmp_path_factory):
    from _browser import console_errors, open_file, requested_urls

    driver.get_log("performance")
    driver.get_log("browser")
    open_file(driver, built / name)
    assert _wait_for_canvas(driver), "no canvas layer was created"
    time.sleep(0.5)
    external = [u for u in requested_urls(driver) if not u.startswith(("file:", "data:", "about:"))]
    assert external == [], external
    assert console_errors(driver) == []
    png = driver.get_screenshot_as_png()
    shots = tmp_path_factory.mktemp("screenshots")
    (shots / name.replace(".html", ".png")).write_bytes(png)
    if os.environ.get("MAPPER_KEEP_SCREENSHOTS"):
        keep = built.parent / "screenshots"
        keep.mkdir(exist_ok=True)
        (keep / name.replace(".html", ".png")).write_bytes(png)
    assert _coloured_fraction(png) > 0.10, "the map looks blank"
    assert "Contains Ofcom data" in driver.find_element("css selector", ".gm-sources").text


def test_tooltip_shows_escaped_real_figures(driver, built):
    from _browser import open_file

    open_file(driver, built / "midlands_la_priority.html")
    assert _wait_for_canvas(driver)
    text = driver.execute_script(
        """
        var found = (window.__findArea = function (code) {
            var map = null, hit = null;
            for (var k in window) { try { if (window[k] instanceof L.Map) { map = window[k]; } } catch (e) {} }
            map.eachLayer(function (l) { if (l.feature && l.feature.properties.code === code) { hit = l; } });
            return hit;
        })('E07000137');
        found.fire('mouseover', {latlng: found.getBounds().getCenter(), layer: found}, true);
        var t = document.getElementById('gm-hover');
        return t ? t.innerText : null;
        """
    )
    assert text is not None
    assert "East Lindsey (E07000137)" in text
    assert "Priority Tier 1" in text and "rank 1 of 65" in text
    assert "30,433 of 75,910 premises" in text  # no gigabit: 75,910 - 45,477, from the raw file
    assert "Non-residential" not in text  # not in the score: shown on click, not on hover
    popup = driver.execute_script(
        """
        var found = window.__findArea('E07000137');
        found.fire('click', {latlng: found.getBounds().getCenter(), layer: found}, true);
        var p = document.querySelector('.leaflet-popup-content');
        return p ? p.innerText : null;
        """
    )
    assert popup is not None and "Non-residential premises without gigabit" in popup and "(estimate)" in popup
