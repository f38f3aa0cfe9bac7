"""Drive Debian's headless Chromium (via chromedriver) for the browser tests.

Network access is blocked twice over: the host resolver maps every name to
nothing, and the DevTools protocol blocks every http(s) URL. Requests the page
tries to make are read back from the performance log so tests can assert that a
map asks for nothing outside its own file.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
DRIVER_CANDIDATES = ("/usr/bin/chromedriver",)


def find_browser() -> tuple[str | None, str | None]:
    browser = next((p for p in CHROMIUM_CANDIDATES if os.path.exists(p)), shutil.which("chromium"))
    driver = next((p for p in DRIVER_CANDIDATES if os.path.exists(p)), shutil.which("chromedriver"))
    return browser, driver


def start_driver(width: int = 1280, height: int = 900):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = find_browser()
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-extensions", "--allow-file-access-from-files", f"--window-size={width},{height}",
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
    drv.execute_cdp_cmd("Network.enable", {})
    drv.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*"]})
    return drv


def requested_urls(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def open_file(driver, path: Path) -> None:
    driver.get(Path(path).resolve().as_uri())


def wait_drawn(driver, timeout: float = 20.0) -> bool:
    """Wait until the page's app exists and two animation frames have passed (the canvas is painted)."""
    import time

    end = time.time() + timeout
    while time.time() < end:
        if driver.execute_script("return !!(window.gmApp && window.gmApp.tableReady)"):
            driver.execute_async_script(
                "var done = arguments[arguments.length - 1];"
                "requestAnimationFrame(function () { requestAnimationFrame(function () { done(true); }); });")
            return True
        time.sleep(0.05)
    return False


#: JavaScript: count painted pixels of the overlay canvas (every 4th pixel each way) and a colour signature.
CANVAS_STATS = """
var c = document.querySelector('.leaflet-overlay-pane canvas');
if (!c) { return null; }
var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, n = 0, sig = {}, w = c.width;
for (var y = 0; y < c.height; y += 4) {
  for (var x = 0; x < w; x += 4) {
    var i = (y * w + x) * 4;
    if (d[i + 3] > 0) { n++; var k = (d[i] >> 4) + ',' + (d[i + 1] >> 4) + ',' + (d[i + 2] >> 4); sig[k] = (sig[k] || 0) + 1; }
  }
}
return {painted: n, sampled: Math.ceil(c.height / 4) * Math.ceil(w / 4), colours: sig};
"""


def canvas_stats(driver) -> dict | None:
    return driver.execute_script(CANVAS_STATS)
