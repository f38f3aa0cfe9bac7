"""Keep the repository's promises honest: make help, CI script, data provenance."""

import subprocess

import yaml
from _paths import ROOT

from mapper._io import sha256_file


def test_make_help_lists_every_documented_target():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True).stdout
    for target in ("maps", "test", "check", "clean", "venv", "inspect", "fetch", "pack", "bench"):
        assert f"  {target} " in out


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text("utf-8")
    ci = (ROOT / ".ci/run").read_text("utf-8")
    assert "make maps" in readme and "make test" in readme
    assert "\nmake test" in ci


def test_every_shipped_data_file_is_registered_with_its_hash():
    registry = yaml.safe_load((ROOT / "data/sources.yaml").read_text("utf-8"))["files"]
    shipped = sorted(p.relative_to(ROOT).as_posix() for d in ("data", "boundaries") for p in (ROOT / d).rglob("*")
                     if p.is_file() and p.suffix in (".csv", ".geojson", ".gpkg", ".parquet")
                     and "cache" not in p.relative_to(ROOT / d).parts)  # data/cache: make fetch downloads, git-ignored
    assert shipped == sorted(registry)
    for rel, entry in registry.items():
        assert sha256_file(ROOT / rel) == entry["sha256"], rel
        assert entry["licence"] and entry["attribution"]


def test_county_lookup_is_consistent_with_ons_code_blocks():
    """The compiled LAD -> county lookup: every Midlands LAD once; each county's districts are one block of E07 codes."""
    import pandas as pd
    from _paths import DATA

    look = pd.read_csv(DATA / "lookups/LAD24_CTY24_midlands.csv", dtype=str)
    lads = pd.read_csv(DATA / "lookups/LAD24_RGN24_lookup_midlands.csv", dtype=str)
    assert sorted(look["LAD24CD"]) == sorted(lads["LAD24CD"]) and look["LAD24CD"].is_unique
    assert look.set_index("LAD24CD")["LAD24NM"].sort_index().equals(lads.set_index("LAD24CD")["LAD24NM"].sort_index())
    e07 = look[look["LAD24CD"].str.startswith("E07")]
    assert e07["CTY24CD"].str.startswith("E10").all()
    for _, part in e07.groupby("CTY24CD"):
        nums = sorted(int(c[3:]) for c in part["LAD24CD"])
        assert nums == list(range(nums[0], nums[-1] + 1)), part["CTY24NM"].iloc[0]
    assert set(look["CTY24NM"]) >= {"Derbyshire", "Leicestershire", "Lincolnshire", "Nottinghamshire", "Staffordshire",
                                    "Warwickshire", "Worcestershire", "West Midlands"}
    e06 = look[look["LAD24CD"].str.startswith("E06")]
    assert (e06["CTY24CD"] == e06["LAD24CD"]).all()


def test_registered_row_counts_match_the_files():
    """``rows`` in data/sources.yaml: data rows of a CSV (after the header), features of a GeoJSON."""
    import csv
    import io
    import json

    from mapper._io import read_text

    registry = yaml.safe_load((ROOT / "data/sources.yaml").read_text("utf-8"))["files"]
    for rel, entry in registry.items():
        path = ROOT / rel
        if path.suffix == ".csv":
            rows = list(csv.reader(io.StringIO(read_text(path)[0])))
            n = sum(1 for r in rows[1:] if any(c.strip() for c in r))
        elif path.suffix == ".geojson":
            n = len(json.loads(path.read_text("utf-8"))["features"])
        else:
            continue
        assert n == entry["rows"], (rel, n, entry["rows"])


def test_every_attribution_key_has_a_line():
    registry = yaml.safe_load((ROOT / "data/sources.yaml").read_text("utf-8"))
    used = {entry["attribution"] for entry in registry["files"].values()}
    assert used <= set(registry["attribution_lines"])
    assert "IoD 2019" not in registry["attribution_lines"]["mhclg2025"]
    assert "2025" in registry["attribution_lines"]["mhclg2025"] and "2019" in registry["attribution_lines"]["mhclg"]
