"""``make bench``: measure the pipeline on this machine and write ``outputs/bench.json``.

Figures: wall time of each stage of the default build (load + join + score,
render, write), output sizes (raw and gzipped), and, when headless Chromium is
available, the time until each map's canvas is drawn when opened from disk.
Timings are measured, never asserted; the tests do not depend on them.
"""

from __future__ import annotations

import gzip
import json
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from . import __version__
from ._io import atomic_write_text
from .config import load_config
from .pipeline import build_frames, render_outputs, write_outputs
from .score import INDICATORS


def _browser_draw_ms(paths: list[Path]) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    try:
        from _browser import find_browser, start_driver
    except Exception as exc:  # pragma: no cover - depends on the machine
        return {"skipped": f"browser helper unavailable: {exc}"}
    if not all(find_browser()):
        return {"skipped": "chromium / chromedriver not installed"}
    driver = start_driver()
    out = {}
    try:
        for path in paths:
            t0 = time.perf_counter()
            driver.get(path.resolve().as_uri())
            while driver.execute_script("return document.querySelectorAll('.leaflet-overlay-pane canvas').length") == 0:
                if time.perf_counter() - t0 > 30:
                    break
                time.sleep(0.01)
            nav = driver.execute_script(
                "var n=performance.getEntriesByType('navigation')[0];return n?n.loadEventEnd:null;")
            heap = driver.execute_script("return performance.memory ? performance.memory.usedJSHeapSize : null;")
            out[path.name] = {"canvas_drawn_ms": round((time.perf_counter() - t0) * 1000, 1),
                              "load_event_end_ms": round(nav, 1) if nav else None, "js_heap_bytes": heap}
    finally:
        driver.quit()
    return out


def main(config: str = "config.yaml") -> int:
    cfg = load_config(config, known_indicators=tuple(INDICATORS))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t0 = time.perf_counter()
        frames = build_frames(cfg)
        t1 = time.perf_counter()
        files = render_outputs(replace(cfg, outputs_dir=out), frames)
        t2 = time.perf_counter()
        write_outputs(files, out)
        t3 = time.perf_counter()
        sizes = {name: {"bytes": len(data), "gzip_bytes": len(gzip.compress(data, mtime=0))}
                 for name, data in sorted(files.items())}
        draw = _browser_draw_ms([out / n for n in sorted(files) if n.endswith(".html")])
    result = {
        "tool_version": __version__,
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": __import__("os").cpu_count()},
        "build_seconds": {"load_join_score": round(t1 - t0, 3), "render": round(t2 - t1, 3),
                          "write": round(t3 - t2, 3), "total": round(t3 - t0, 3)},
        "outputs": sizes,
        "browser": draw,
    }
    path = cfg.outputs_dir / "bench.json"
    atomic_write_text(path, json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
