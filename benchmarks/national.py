"""National-size benchmark of the LSOA level, on inputs made BY REPLICATION of real Midlands files.

No national files ship with the project, so :func:`bench_national` builds
inputs of national size from real ones and says so in its output:

* **postcode -> LSOA21**: the 378,991 real Midlands postcode grid references
  (``data/lookups/NSPD_postcode_LAD25_grid_midlands.csv``) tiled to 1.7 million
  points (about the number of live and terminated postcodes in England), placed
  in the 6,420 real Midlands LSOA21 polygons. Timed.
* **BDUK aggregation**: a CSV in the real 28-column BDUK schema whose rows
  repeat the 8 real sample rows (``tests/data/bduk/``) with the postcode and
  LAD code taken in turn from the real Midlands postcode directory, so the
  group-by sees realistic numbers of postcodes and LADs. One chunk file of
  ``chunk_rows`` rows is written to disk and read ``repeat`` times (30 M rows
  in all by default), in a child process whose peak resident memory is
  measured (``ru_maxrss``) with the Arrow pool's peak.

The figures are measured, never asserted.
"""

from __future__ import annotations

import csv
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
LABEL = "REPLICATED from real Midlands files (not national data): sizes are national, values repeat"


def _bench_points(n_points: int) -> dict:
    import geopandas as gpd

    from mapper.join.lsoa import assign_points

    pts = pd.read_csv(POINTS, usecols=["east1m", "north1m"], dtype="float64")
    reps = -(-n_points // len(pts))
    east = np.tile(pts["east1m"].to_numpy(), reps)[:n_points]
    north = np.tile(pts["north1m"].to_numpy(), reps)[:n_points]
    lsoa = gpd.read_file(LSOA)[["LSOA21CD", "geometry"]].to_crs(27700)
    t0 = time.perf_counter()
    hit = assign_points(east, north, lsoa)
    seconds = time.perf_counter() - t0
    return {"points": n_points, "lsoa_polygons": len(lsoa), "seconds": round(seconds, 2),
            "assigned": int((hit >= 0).sum()), "source": f"{POINTS.name} x{reps} (tiled), {LSOA.name}"}


def write_bduk_chunk(path: Path, rows: int) -> int:
    """Write ``rows`` BDUK-schema rows: the real sample rows repeated, postcodes/LADs from the real directory."""
    sample = pd.read_csv(BDUK_SAMPLE, dtype=str, keep_default_na=False)
    pcs = pd.read_csv(POINTS, usecols=["pcd7", "lad25cd"], dtype=str)
    pcd = pcs["pcd7"].str.replace(r"\s+", " ", regex=True).to_numpy()
    lad = pcs["lad25cd"].to_numpy()
    block = min(rows, len(pcd))  # one pass over every real Midlands postcode, then the block repeats
    body = sample.iloc[np.arange(block) % len(sample)].reset_index(drop=True)
    body["postcode"] = pcd[:block]
    body["local_authority_district_ons_code"] = lad[:block]
    body["uprn"] = (np.arange(block) + 10_000_000).astype(str)
    body["struprn"] = "str" + body["uprn"]
    text = body.to_csv(index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    header, rest = text.split("\n", 1)
    lines = rest.encode("utf-8")
    with open(path, "wb") as handle:
        handle.write(header.encode("utf-8") + b"\n")
        written = 0
        while written < rows:
            n = min(block, rows - written)
            handle.write(lines if n == block else b"".join(lines.splitlines(keepends=True)[:n]))
            written += n
    return path.stat().st_size


_CHILD = r"""
import json, resource, sys, time
import pyarrow as pa
from mapper.join import Audit
import geopandas as gpd, pandas as pd
from mapper.join.lsoa import bduk_aggregate, postcode_lsoa_lookup
path, repeat, points, lsoa = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
look = postcode_lsoa_lookup(pd.read_csv(points, dtype=str),
                            gpd.read_file(lsoa).rename(columns={"LSOA21CD": "code"}))
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
res = bduk_aggregate([path] * repeat, look, audit=Audit())
print(json.dumps({"rows": res.rows, "seconds": round(time.perf_counter() - t0, 2),
                  "lads": len(res.lad), "lsoas": len(res.lsoa), "premises": int(res.lad["premises_n"].sum()),
                  "premises_placed_in_lsoa": int(res.lsoa["premises_n"].sum()),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  "peak_rss_before_aggregation_mb": round(rss_before, 1),
                  "arrow_pool_peak_mb": round(pa.default_memory_pool().max_memory() / 2**20, 1)}))
"""


def bench_national(tmpdir: str | os.PathLike, *, n_points: int = 1_700_000, chunk_rows: int = 1_000_000,
                   repeat: int = 30) -> dict:
    """Run both benchmarks in ``tmpdir``; returns a JSON-ready dict of measured figures."""
    tmp = Path(tmpdir)
    tmp.mkdir(parents=True, exist_ok=True)
    out = {"label": LABEL, "machine": {"python": platform.python_version(), "cpus": os.cpu_count()}}
    out["postcode_to_lsoa"] = _bench_points(n_points)
    chunk = tmp / "bduk_replicated_chunk.csv"
    t0 = time.perf_counter()
    size = write_bduk_chunk(chunk, chunk_rows)
    write_s = time.perf_counter() - t0
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(chunk), str(repeat), str(POINTS), str(LSOA)],
                          capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"BDUK bench child failed: {proc.stderr[-2000:]}")
    bduk = json.loads(proc.stdout.strip().splitlines()[-1])
    bduk.update(chunk_rows=chunk_rows, chunk_bytes=size, chunk_write_seconds=round(write_s, 2), times_read=repeat,
                source=f"{BDUK_SAMPLE.name} rows repeated, postcodes/LADs from {POINTS.name}")
    chunk.unlink(missing_ok=True)
    out["bduk_aggregation"] = bduk
    return out


if __name__ == "__main__":  # python -m benchmarks.national
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        print(json.dumps(bench_national(d), indent=2))
