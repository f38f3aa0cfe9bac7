"""Another English region from the national files (issue 15): no Midlands assumption in code or text.

The real national files shipped in data/ (every UK local authority, July 2025) with the
England LAD -> region and England-and-Wales rural-urban lookups build the local-authority
map and tables of the North East (E12000001) from config alone.
"""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
import yaml
from _paths import DATA, ROOT

from mapper.config import load_config

NATIONAL = DATA / "ofcom/national/202507_fixed_laua_coverage_r01.csv"


@pytest.fixture(scope="module")
def north_east(tmp_path_factory):
    from mapper.pipeline import build_frames, render_outputs

    tmp = tmp_path_factory.mktemp("north_east")
    data = yaml.safe_load((ROOT / "config.yaml").read_text("utf-8"))
    data.update(regions=["E12000001"], title="North East connectivity gap", outputs_dir=str(tmp / "outputs"))
    data.pop("study_area")
    data["inputs"] = {
        "la_coverage": str(NATIONAL),
        "la_boundaries": str(ROOT / "boundaries/LAD24_BUC_uk.geojson"),
        "lad_region_lookup": str(DATA / "lookups/LAD24_RGN24_lookup_england.csv"),
        "la_ruc": str(DATA / "lookups/RUC21_LAD24_ew.csv"),
        "la_takeup": str(DATA / "ofcom/national/202507_full_fibre_take-up_laua_r01.csv"),
        "la_coverage_national": str(NATIONAL),
        "nations_fixed": str(DATA / "ofcom/national/202507_fixed_coverage_UK_and_nations_r01.csv"),
    }
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    shutil_copy_registry(tmp)
    cfg = load_config(path)
    frames = build_frames(cfg)
    return cfg, frames, render_outputs(cfg, frames)


def shutil_copy_registry(tmp):
    import shutil

    (tmp / "data").mkdir()
    shutil.copy(DATA / "sources.yaml", tmp / "data/sources.yaml")


def test_the_north_east_builds_with_its_own_names(north_east):
    cfg, frames, files = north_east
    assert cfg.study_area.name == "North East" and cfg.study_area.file_prefix == "north_east"
    assert frames.pcon is None and frames.pcon10 is None
    assert {"north_east_la_priority.html", "north_east_la_priority.csv", "north_east_la_priority_totals.csv"} <= set(files)
    table = pd.read_csv(io.StringIO(files["north_east_la_priority.csv"].decode()))
    lookup = pd.read_csv(DATA / "lookups/LAD24_RGN24_lookup_england.csv")
    ne = set(lookup.loc[lookup["RGN24CD"] == "E12000001", "LAD24CD"])
    assert set(table["code"]) == ne and len(ne) == 12
    assert table["score"].notna().all() and table["rank"].min() == 1


def test_north_east_totals_are_the_national_files_sums(north_east):
    _cfg, _frames, files = north_east
    raw = pd.read_csv(NATIONAL, encoding="utf-8")
    lookup = pd.read_csv(DATA / "lookups/LAD24_RGN24_lookup_england.csv")
    ne = raw[raw["laua"].isin(lookup.loc[lookup["RGN24CD"] == "E12000001", "LAD24CD"])]
    tot = pd.read_csv(io.StringIO(files["north_east_la_priority_totals.csv"].decode()))
    row = tot[tot["scope"] == "study area"].iloc[0]
    assert row["area"] == "North East" and row["premises"] == ne["All Premises"].sum()
    no_gig = (ne["All Premises"] - ne["Number of premises with Gigabit availability"]).sum()
    assert row["no_gigabit_num"] == no_gig
    assert row["no_gigabit_share"] == pytest.approx(no_gig / ne["All Premises"].sum(), abs=5e-7)
    assert tot.set_index("area").loc["England", "premises"] == 26_986_731  # the England benchmark is on the same table


def test_no_midlands_text_and_missing_inputs_are_said(north_east):
    _cfg, frames, files = north_east
    for name, data in files.items():
        text = data.decode("utf-8", "replace").replace("Midlands connectivity gap mapper", "")
        assert "Midlands" not in text, name
    notes = " ".join(frames.audit.notes)
    assert "LSOA 2021 inputs not configured" in notes and "inputs.pcon_coverage not set" in notes
    assert "deprived_lsoas cannot be computed" in notes
    meta = json.loads(files["north_east_la_priority.meta.json"])
    assert list(meta["score"]["indicators"]) == ["no_gigabit", "below_uso", "unable_30"]  # what was really scored
