"""National-size benchmark of the LSOA level, on a SYNTHETIC national layout built from real Midlands files.

No national postcode or BDUK premises files ship with the project, so
:func:`bench_national` builds inputs of England-and-Wales size from real ones
and labels its output as such:

* **Areas**: the 6,420 real Midlands LSOA21 polygons copied side by side
  (each copy moved by whole hundreds of kilometres, new codes) until there are
  35,672 polygons, the number of LSOA21 in England and Wales.
* **Postcode points**: the 378,991 real Midlands postcode grid references, each
  copy moved with its copy of the polygons and given its own postcodes (the
  real ones with a ``Z`` + letter prefix); 1.7 million of them, evenly spaced
  over all copies, so every postcode is distinct and the points spread over all
  the polygons (postcodes share grid references as in the real directory).
  Point-in-polygon placement is timed in a child process whose memory is
  measured.
* **BDUK premises stream**: ``files`` distinct CSVs in the real 28-column BDUK
  schema (BDUK publishes one file per area), ``rows_per_file`` rows each: every
  row a distinct UPRN, postcodes and LAD codes taken in turn from the synthetic
  postcode directory, the other columns cycling the 8 real sample rows. The
  files are written once and each is read once (30 million premises rows in all
  by default, about the number of premises in England and Wales). A child
  process aggregates them; its peak resident memory is split into what it held
  before the aggregation (Python, pandas, pyarrow and the 1.7 M-postcode lookup)
  and what the aggregation added, with the Arrow pool's peak.

The figures are measured, never asserted.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
POINTS = ROOT / "data/lookups/NSPD_postcode_LAD25_grid_midlands.csv"
LSOA = ROOT / "boundaries/LSOA21_BSC_midlands.geojson"
BDUK_SAMPLE = ROOT / "tests/data/bduk/202605_BDUK_uprn_release_sample.csv"
LABEL = ("SYNTHETIC national layout built from real Midlands files (not national data): England-and-Wales numbers "
         "of polygons, distinct postcode points and distinct premises rows; values repeat the Midlands")
#: LSOA21 in England (33,755) and Wales (1,917).
EW_LSOA21 = 35_672
#: Copy k of the Midlands is moved by (column * 300 km, row * 250 km) in British National Grid metres.
_STEP = (300_000.0, 250_000.0)


def _offset(k: int) -> tuple[float, float]:
    return (k % 3) * _STEP[0], (k // 3) * _STEP[1]


def _prefix(k: int) -> str:
    """Postcode prefix of copy ``k`` (copy 0 keeps the real postcodes)."""
    return "" if k == 0 else "Z" + "ABCDEFGHIJ"[k - 1]


def national_layout(n_polygons: int = EW_LSOA21, n_points: int = 1_700_000):
    """(polygons in EPSG:27700 with ``code``, points with ``pcd7``, ``lad25cd``, ``east1m``, ``north1m``)."""
    import geopandas as gpd
    import shapely

    base = gpd.read_file(LSOA)[["LSOA21CD", "geometry"]].rename(columns={"LSOA21CD": "code"}).to_crs(27700)
    pts = pd.read_csv(POINTS, dtype={"pcd7": str, "lad25cd": str, "east1m": "float64", "north1m": "float64"})
    copies = -(-n_polygons // len(base))
    polys, points = [], []
    for k in range(copies):
        dx, dy = _offset(k)
        part = base.copy()
        part["geometry"] = shapely.transform(part.geometry.to_numpy(), lambda xy, dx=dx, dy=dy: xy + np.array([dx, dy]))
        if k:
            part["code"] = f"S{k:02d}" + part["code"].str[3:]
        polys.append(part)
        p = pts.copy()
        p["east1m"] += dx
        p["north1m"] += dy
        if k:
            p["pcd7"] = _prefix(k) + p["pcd7"]
            p["lad25cd"] = f"X{k}" + p["lad25cd"].str[2:]
        points.append(p)
    poly = gpd.GeoDataFrame(pd.concat(polys, ignore_index=True), geometry="geometry", crs=27700).iloc[:n_polygons]
    point = pd.concat(points, ignore_index=True)
    point = point.iloc[np.round(np.linspace(0, len(point) - 1, n_points)).astype(int)].reset_index(drop=True)
    return poly.reset_index(drop=True), point


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory (``VmRSS``) or its peak (``VmHWM``) in MB, from /proc (Linux).

    Not ``ru_maxrss``: that carries the parent's peak across fork and exec, so a
    child started by a large benchmark process would report the parent's peak.
    """
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith(field + ":"))


def reset_peak() -> None:
    """Restart ``VmHWM`` (the peak) from the current resident memory, so a phase's own peak can be read."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


_POINTS_CHILD = r"""
import gc, json, sys, time
from benchmarks.national import national_layout, reset_peak, rss_mb
from mapper.join.lsoa import assign_points
n_polygons, n_points = int(sys.argv[1]), int(sys.argv[2])
rss0 = rss_mb()
t0 = time.perf_counter()
poly, pts = national_layout(n_polygons, n_points)
build = time.perf_counter() - t0
gc.collect()
rss1 = rss_mb()
reset_peak()
t1 = time.perf_counter()
hit = assign_points(pts["east1m"].to_numpy(), pts["north1m"].to_numpy(), poly)
seconds = time.perf_counter() - t1
rss2 = rss_mb("VmHWM")
print(json.dumps({"points": len(pts), "distinct_postcodes": int(pts["pcd7"].nunique()),
                  "distinct_locations": int(pts[["east1m", "north1m"]].drop_duplicates().shape[0]),
                  "polygons": len(poly), "seconds": round(seconds, 2), "layout_seconds": round(build, 2),
                  "assigned": int((hit >= 0).sum()), "polygons_hit": int(len(set(hit[hit >= 0].tolist()))),
                  "peak_rss_during_assignment_mb": round(rss2, 1),
                  "rss_after_imports_mb": round(rss0, 1), "rss_with_layout_loaded_mb": round(rss1, 1),
                  "added_by_assignment_mb": round(rss2 - rss1, 1)}))
"""


def write_bduk_files(folder: Path, points: pd.DataFrame, files: int, rows_per_file: int) -> tuple[list[Path], int]:
    """``files`` distinct BDUK-schema CSVs of ``rows_per_file`` rows; returns (paths, total bytes).

    Row ``i`` (counting across all files) has UPRN 10,000,000 + ``i`` and the
    postcode and LAD of synthetic point ``i`` modulo the number of points; the
    other 25 columns cycle the real sample rows.
    """
    sample = pd.read_csv(BDUK_SAMPLE, dtype=str, keep_default_na=False)
    header = list(sample.columns)
    pc_col, lad_col = header.index("postcode"), header.index("local_authority_district_ons_code")
    assert header[:2] == ["uprn", "struprn"] and 2 < pc_col < lad_col, header
    rows = list(sample.itertuples(index=False))

    def quote(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n') else v

    mid = pd.Series([("," + ",".join(quote(v) for v in r[2:pc_col]) + ",") for r in rows])
    mid2 = pd.Series([("," + ",".join(quote(v) for v in r[pc_col + 1:lad_col]) + ",") for r in rows])
    tail = pd.Series([("," + ",".join(quote(v) for v in r[lad_col + 1:]) + "\n") for r in rows])
    pcd = points["pcd7"].str.replace(r"\s+", " ", regex=True).to_numpy()
    lad = points["lad25cd"].to_numpy()
    folder.mkdir(parents=True, exist_ok=True)
    paths, total = [], 0
    for f in range(files):
        i = np.arange(f * rows_per_file, (f + 1) * rows_per_file)
        pattern = i % len(rows)
        uprn = pd.Series((i + 10_000_000).astype(str))
        line = (uprn + ",str" + uprn + mid.iloc[pattern].to_numpy() + pcd[i % len(pcd)]
                + mid2.iloc[pattern].to_numpy() + lad[i % len(lad)] + tail.iloc[pattern].to_numpy())
        path = folder / f"bduk_synthetic_{f:03d}.csv"
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(",".join(header) + "\n")
            handle.write("".join(line.tolist()))
        paths.append(path)
        total += path.stat().st_size
    return paths, total


_BDUK_CHILD = r"""
import gc, json, sys, time
import pyarrow as pa
from mapper.join import Audit
from benchmarks.national import national_layout, reset_peak, rss_mb
from mapper.join.lsoa import bduk_aggregate, postcode_lsoa_lookup
folder, n_polygons, n_points = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
paths = sorted(__import__("pathlib").Path(folder).glob("bduk_synthetic_*.csv"))
poly, pts = national_layout(n_polygons, n_points)
look = postcode_lsoa_lookup(pts, poly)
del poly, pts
gc.collect()
setup_peak = rss_mb("VmHWM")
rss_before = rss_mb()
reset_peak()
t0 = time.perf_counter()
res = bduk_aggregate(paths, look, audit=Audit())
seconds = time.perf_counter() - t0
peak = rss_mb("VmHWM")
print(json.dumps({"rows": res.rows, "files": len(paths), "seconds": round(seconds, 2),
                  "rows_per_second": round(res.rows / seconds), "lookup_postcodes": len(look),
                  "lads": len(res.lad), "lsoas": len(res.lsoa), "premises": int(res.lad["premises_n"].sum()),
                  "premises_placed_in_lsoa": int(res.lsoa["premises_n"].sum()),
                  "peak_rss_during_aggregation_mb": round(peak, 1), "rss_before_aggregation_mb": round(rss_before, 1),
                  "added_by_aggregation_mb": round(peak - rss_before, 1),
                  "peak_rss_building_the_lookup_mb": round(setup_peak, 1),
                  "arrow_pool_peak_mb": round(pa.default_memory_pool().max_memory() / 2**20, 1)}))
"""


def _child(code: str, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"national bench child failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_national(tmpdir: str | os.PathLike, *, n_polygons: int = EW_LSOA21, n_points: int = 1_700_000,
                   files: int = 30, rows_per_file: int = 1_000_000) -> dict:
    """Run both benchmarks in ``tmpdir``; returns a JSON-ready dict of measured figures."""
    tmp = Path(tmpdir)
    tmp.mkdir(parents=True, exist_ok=True)
    out = {"label": LABEL, "machine": {"python": platform.python_version(), "cpus": os.cpu_count()}}
    out["postcode_to_lsoa"] = {**_child(_POINTS_CHILD, str(n_polygons), str(n_points)),
                               "source": f"{POINTS.name} and {LSOA.name}, copied side by side (see label)"}
    _, points = national_layout(n_polygons, n_points)
    t0 = time.perf_counter()
    folder = tmp / "bduk"
    paths, size = write_bduk_files(folder, points, files, rows_per_file)
    write_s = time.perf_counter() - t0
    del points
    try:
        bduk = _child(_BDUK_CHILD, str(folder), str(n_polygons), str(n_points))
    finally:
        for p in paths:
            p.unlink(missing_ok=True)
    bduk.update(rows_per_file=rows_per_file, bytes_read=size, write_seconds=round(write_s, 2),
                each_file_read_once=True,
                peak_from=("peak_rss_building_the_lookup_mb: the synthetic layout (35,672 polygons, 1.7 M points "
                           "as a DataFrame) while postcode_lsoa_lookup places the points; then the aggregation adds "
                           "added_by_aggregation_mb to what stays resident (interpreter, pandas, pyarrow, the lookup): "
                           "record batches of ~16 MB with their Arrow buffers (arrow_pool_peak_mb) and partial counts "
                           "collapsed every 500,000 rows, so it does not grow with the number of premises rows"),
                source=f"{BDUK_SAMPLE.name} columns cycled; UPRNs distinct; postcodes/LADs from the synthetic points")
    out["bduk_aggregation"] = bduk
    return out


if __name__ == "__main__":  # python -m benchmarks.national [files rows_per_file]
    import tempfile

    kw = {"files": int(sys.argv[1]), "rows_per_file": int(sys.argv[2])} if len(sys.argv) > 2 else {}
    with tempfile.TemporaryDirectory() as d:
        print(json.dumps(bench_national(d, **kw), indent=2))
