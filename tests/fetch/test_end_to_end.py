"""End to end: fetch from a loopback mirror, then build the LSOA map and table; totals reconcile with the served files.

Served: the real Ofcom output-area schema sample (three London OAs) and the real BDUK sample, as
in test_runner.py. The OA21 -> LSOA21 lookup served here is HAND-MADE: it places those three real
OA rows in two real Midlands LSOA21s (Lincoln), so that the LSOA level can be built and drawn.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest
from fetch_helpers import ROOT, Sleeps, ofcom_style_zip
from werkzeug import Response

from mapper.config import override
from mapper.fetch import fetch_all
from mapper.pipeline import build_frames, render_outputs, write_outputs

TESTDATA = ROOT / "tests/data"
OA_SAMPLE = TESTDATA / "ofcom/202601_fixed_oa_coverage_r1_sample.csv"
BDUK_SAMPLE = TESTDATA / "bduk/202605_BDUK_uprn_release_sample.csv"
#: HAND-MADE: real OA codes from the Ofcom sample, assigned to two real Midlands LSOA21 codes (Lincoln).
HANDMADE_LOOKUP = [
    {"OA21CD": "E00005233", "LSOA21CD": "E01026151", "LAD22CD": "E07000138"},
    {"OA21CD": "E00174805", "LSOA21CD": "E01026151", "LAD22CD": "E07000138"},
    {"OA21CD": "E00178816", "LSOA21CD": "E01026152", "LAD22CD": "E07000138"},
]


def release_zip() -> bytes:
    inner = {
        "202601_fixed_oa_coverage_r1.zip": ofcom_style_zip({OA_SAMPLE.name.replace("_sample", ""): OA_SAMPLE.read_bytes()}, "oa"),
        # HAND-MADE residential file: the same three all-premises rows served as residential (the real
        # residential sample has only one of the three OAs), so non-residential premises must come out 0.
        "202601_fixed_oa_res_coverage_r1.zip": ofcom_style_zip({"202601_fixed_oa_res_coverage_r1.csv": OA_SAMPLE.read_bytes()}, "oa_res"),
    }
    return ofcom_style_zip(inner, "202507_fixed_coverage_r01")


def lookup_pages(request):
    v = request.values
    if v.get("returnCountOnly") == "true":
        return Response(json.dumps({"count": len(HANDMADE_LOOKUP)}))
    off, n = int(v["resultOffset"]), int(v["resultRecordCount"])
    feats = [{"type": "Feature", "geometry": None, "properties": r} for r in HANDMADE_LOOKUP[off: off + n]]
    return Response(json.dumps({"type": "FeatureCollection", "features": feats}))


@pytest.fixture(scope="module")
def built(cfg, tmp_path_factory, make_httpserver):
    """Fetch and build once for the module (pytest-httpserver's session server, cleared afterwards)."""
    tmp_path = tmp_path_factory.mktemp("e2e")
    httpserver = make_httpserver
    httpserver.expect_request("/ofcom/202507_fixed_broadband_coverage_r01.zip").respond_with_data(release_zip())
    httpserver.expect_request("/ons/OA_LSOA_MSOA_EW_DEC_2021_LU_v3/FeatureServer/0/query").respond_with_handler(lookup_pages)
    bduk = ofcom_style_zip({"Rutland.csv": BDUK_SAMPLE.read_bytes()}, "East_Midlands")
    httpserver.expect_request("/bduk/East_Midlands.zip").respond_with_data(bduk)
    off = {"enabled": False}
    fetch = {"cache_dir": str(tmp_path / "cache"), "mirror": httpserver.url_for("/").rstrip("/"), "sources": {
        "lad_region": off, "lsoa_boundaries": off, "lsoa_ruc": off, "bduk_west_midlands": off, "ofcom_pcon": off,
        "ofcom_laua": off, "ofcom_postcode": off, "oa_lsoa_lookup": {"where": "1=1"}}}
    c = replace(override(cfg, fetch=fetch), outputs_dir=tmp_path / "outputs")
    fetch_all(c, sleep=Sleeps(), log=lambda line: None)
    frames = build_frames(c)
    files = render_outputs(c, frames)
    write_outputs(files, c.outputs_dir)
    httpserver.clear()
    return c, frames, files


def test_lsoa_map_and_table_reconcile_with_the_served_files(built):
    cfg, frames, files = built
    assert frames.lsoa is not None and len(frames.lsoa.frame) == 6420
    for name in ("midlands_lsoa_priority.csv", "midlands_lsoa_priority_totals.csv", "midlands_lsoa_priority.meta.json"):
        assert (cfg.outputs_dir / name).exists()
    assert any(n.startswith("midlands_lsoa_priority") and n.endswith(".html") for n in files)
    served = pd.read_csv(OA_SAMPLE)
    table = pd.read_csv(cfg.outputs_dir / "midlands_lsoa_priority.csv")
    with_data = table.dropna(subset=["no_gigabit_den"])
    assert sorted(with_data["code"]) == ["E01026151", "E01026152"]
    assert with_data["no_gigabit_den"].sum() == served["All Premises"].sum()
    no_gig = served["All Premises"] - served["Number of premises with Gigabit availability"]
    assert with_data["no_gigabit_num"].sum() == no_gig.sum()
    totals = pd.read_csv(cfg.outputs_dir / "midlands_lsoa_priority_totals.csv").set_index("area")
    assert totals.loc["Midlands", "premises"] == served["All Premises"].sum()
    assert (with_data["nonres_premises"] == 0).all()  # residential served = all premises (hand-made)
    assert any(n.startswith("residential: LSOA21 from output areas") for n in frames.audit.notes)
    # full fibre is not in the 2026 OA files: not invented, and the audit says so
    assert "no_full_fibre_share" not in table.columns
    assert any("no full-fibre columns" in n for n in frames.audit.notes)
    assert all("no_full_fibre" not in c for c in table.columns)


def test_bduk_funding_reaches_the_la_table_and_provenance(built):
    _cfg, frames, files = built
    sample = pd.read_csv(BDUK_SAMPLE, dtype=str)
    rutland = frames.la.frame.set_index("code").loc["E06000017"]
    want = sample[sample["local_authority_district_ons_code"] == "E06000017"]
    assert rutland["bduk_premises_n"] == len(want)
    assert rutland["bduk_residual_n"] == ((want["current_gigabit"] == "false") & (want["future_gigabit"] == "false")
                                          & (want["bduk_gis"] == "false")).sum()
    meta = json.loads(files["midlands_lsoa_priority.meta.json"])
    assert any("fetched: ofcom_oa" in s["title"] for s in meta["sources"])
    assert any("BDUK" in line for line in frames.lsoa.attributions)
    assert "- LSOAs (2021): Ofcom Connected Nations, January 2026" in files["methodology.md"].decode()


def test_bduk_contracts_table_is_written(built):
    cfg, _frames, _files = built
    contracts = pd.read_csv(cfg.outputs_dir / "midlands_bduk_contracts.csv", dtype=str, keep_default_na=False)
    sample = pd.read_csv(BDUK_SAMPLE, dtype=str, keep_default_na=False)
    want = sample[sample["local_authority_district_ons_code"] == "E06000017"].iloc[0]
    got = contracts[contracts["lad_code"] == "E06000017"].iloc[0]
    assert (got["contract_name"], got["supplier"], got["final_coverage_date"]) == (
        want["bduk_gis_contract_name"], want["bduk_gis_supplier"], want["bduk_gis_final_coverage_date"])


@pytest.mark.browser
def test_lsoa_map_opens_offline_and_draws(built):
    """The LSOA map made from fetched data opens from disk with the network blocked, like the shipped maps."""
    from _browser import canvas_stats, console_errors, requested_urls, start_driver, wait_drawn

    cfg, _frames, _files = built
    driver = start_driver()
    try:
        driver.get((cfg.outputs_dir / "midlands_lsoa_priority.html").resolve().as_uri() + "#area=E01026151")
        assert wait_drawn(driver, timeout=60)
        stats = canvas_stats(driver)
        assert stats and stats["painted"] / stats["sampled"] > 0.05, stats
        assert driver.execute_script("return gmApp.state.area") == "E01026151"
        assert "BDUK" in driver.find_element("css selector", ".gm-sources").text
        assert [u for u in requested_urls(driver) if not u.startswith(("file:", "data:", "about:"))] == []
        assert console_errors(driver) == []
    finally:
        driver.quit()
