"""fetch_all end to end against a loopback mirror serving real files, then OA -> LSOA totals reconcile."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest
from fetch_helpers import LA_FILE, ROOT, Sleeps, ofcom_style_zip
from werkzeug import Response

from mapper.config import override
from mapper.errors import ArchiveError, ConfigError, FetchError
from mapper.fetch import fetch_all, fetched_files
from mapper.fetch.sources import MIDLANDS_POSTCODE_AREAS
from mapper.join import Audit
from mapper.join.lsoa import normalise_oa_lookup, oa_to_lsoa
from mapper.load.ofcom import load_ofcom

TESTDATA = ROOT / "tests/data"
OA_SAMPLE = TESTDATA / "ofcom/202601_fixed_oa_coverage_r1_sample.csv"
OA_RES_SAMPLE = TESTDATA / "ofcom/202601_fixed_oa_res_coverage_r1_sample.csv"
PC_SAMPLE = TESTDATA / "ofcom/202601_fixed_pc_coverage_r2_CR_sample.csv"
BDUK_SAMPLE = TESTDATA / "bduk/202605_BDUK_uprn_release_sample.csv"
#: HAND-MADE lookup rows for the three real London OAs of the Ofcom sample (invented LSOA codes).
HANDMADE_OA_LOOKUP = [
    {"OA21CD": "E00005233", "LSOA21CD": "E01999901", "LSOA21NM": "Hand-made 001A", "MSOA21CD": "x", "LAD22CD": "E09000008", "LAD22NM": "x"},
    {"OA21CD": "E00174805", "LSOA21CD": "E01999901", "LSOA21NM": "Hand-made 001A", "MSOA21CD": "x", "LAD22CD": "E09000008", "LAD22NM": "x"},
    {"OA21CD": "E00178816", "LSOA21CD": "E01999902", "LSOA21NM": "Hand-made 001B", "MSOA21CD": "x", "LAD22CD": "E09000008", "LAD22NM": "x"},
]


def ofcom_release_zip() -> bytes:
    """Nested like Connected Nations 2025: outer zip -> folder -> one zip per geography -> folder -> CSV."""
    inner = {
        "202601_fixed_oa_coverage_r1.zip": ofcom_style_zip({"202601_fixed_oa_coverage_r1.csv": OA_SAMPLE.read_bytes()}, "202601_fixed_oa_coverage_r1"),
        "202601_fixed_oa_res_coverage_r1.zip": ofcom_style_zip({"202601_fixed_oa_res_coverage_r1.csv": OA_RES_SAMPLE.read_bytes()}, "202601_fixed_oa_res_coverage_r1"),
        "202507_fixed_laua_coverage_r01.zip": ofcom_style_zip({LA_FILE.name: LA_FILE.read_bytes()}, "202507_fixed_laua_coverage_r01"),
        # the real Croydon sample (not a Midlands area) and the same rows relabelled as Coventry (hand-made)
        "202601_fixed_pc_coverage_r2.zip": ofcom_style_zip({
            "202601_fixed_pc_coverage_r2_CR.csv": PC_SAMPLE.read_bytes(),
            "202601_fixed_pc_coverage_r2_CV.csv": PC_SAMPLE.read_bytes().replace(b"CR0 ", b"CV1 ").replace(b"CR0", b"CV1"),
        }, "202601_fixed_pc_coverage_r2"),
    }
    return ofcom_style_zip(inner, "202507_fixed_coverage_r01")


def arcgis_rows(rows, key):
    def handle(request):
        v = request.values
        if v.get("returnCountOnly") == "true":
            return Response(json.dumps({"count": len(rows)}))
        off, n = int(v["resultOffset"]), int(v["resultRecordCount"])
        feats = [{"type": "Feature", "geometry": None, "properties": r} for r in sorted(rows, key=lambda r: r[key])[off: off + n]]
        return Response(json.dumps({"type": "FeatureCollection", "features": feats}))
    return handle


@pytest.fixture
def mirror(httpserver):
    httpserver.expect_request("/ofcom/202507_fixed_broadband_coverage_r01.zip").respond_with_data(ofcom_release_zip())
    httpserver.expect_request("/ons/OA_LSOA_MSOA_EW_DEC_2021_LU_v3/FeatureServer/0/query").respond_with_handler(
        arcgis_rows(HANDMADE_OA_LOOKUP, "OA21CD"))
    bduk = ofcom_style_zip({"Rutland.csv": BDUK_SAMPLE.read_bytes(), "Medway.csv": BDUK_SAMPLE.read_bytes()}, "East_Midlands")
    httpserver.expect_request("/bduk/East_Midlands.zip").respond_with_data(bduk)
    return httpserver


def config(cfg, tmp_path, base_url, **extra):
    fetch = {"cache_dir": str(tmp_path / "cache"), "mirror": base_url.rstrip("/"), "sources": {
        "lad_region": {"enabled": False}, "lsoa_boundaries": {"enabled": False}, "lsoa_ruc": {"enabled": False},
        "oa_lsoa_lookup": {"where": "1=1"}, "bduk_west_midlands": {"enabled": False},
    }, **extra}
    return override(cfg, fetch=fetch)


def test_fetch_all_then_lsoa_totals_reconcile_with_the_served_file(cfg, tmp_path, mirror):
    c = config(cfg, tmp_path, mirror.url_for("/"))
    manifest = fetch_all(c, sleep=Sleeps(), log=lambda line: None)
    src = manifest["sources"]
    assert src["ofcom_oa"]["status"] == "ok" and src["oa_lsoa_lookup"]["features"] == 3
    files = fetched_files(c)
    assert [p.name for p in files["ofcom_oa"]] == ["202601_fixed_oa_coverage_r1.csv"]
    assert files["ofcom_oa"][0].read_bytes() == OA_SAMPLE.read_bytes()
    assert [p.name for p in files["ofcom_oa_res"]] == ["202601_fixed_oa_res_coverage_r1.csv"]
    assert files["ofcom_laua"][0].read_bytes() == LA_FILE.read_bytes()
    pd.testing.assert_frame_equal(load_ofcom(files["ofcom_laua"][0]).data, load_ofcom(LA_FILE).data)
    assert [p.name for p in files["ofcom_postcode"]] == ["202601_fixed_pc_coverage_r2_CV.csv"]  # CR is not Midlands
    assert [p.name for p in files["bduk_east_midlands"]] == ["Rutland.csv"]  # Medway is not a Midlands LA
    assert src["bduk_west_midlands"]["status"] == "disabled"
    assert "warning" in src["ofcom_pcon"]  # the served release has no constituency zip
    # one download of the shared Ofcom zip, recorded with its licence and hash
    assert sum("/ofcom/" in r.path for r, _ in mirror.log) == 1
    assert src["ofcom_oa"]["download"]["licence"] == "Open Government Licence v3.0"
    # LSOA level from what was fetched
    lookup = pd.DataFrame([f["properties"] for f in json.loads(files["oa_lsoa_lookup"][0].read_text())["features"]])
    oa = load_ofcom(files["ofcom_oa"][0])
    lsoa = oa_to_lsoa(oa.data, normalise_oa_lookup(lookup), audit=Audit(), meta=oa.meta)
    served = pd.read_csv(OA_SAMPLE)
    assert lsoa["premises"].sum() == served["All Premises"].sum()
    assert lsoa["gigabit_n"].sum() == served["Number of premises with Gigabit availability"].sum()
    assert len(lsoa) == 2

    # a rerun with a warm cache downloads nothing and rewrites the manifest byte for byte
    path = tmp_path / "cache/manifest.json"
    before = path.read_bytes()
    n = len(mirror.log)
    fetch_all(c, sleep=Sleeps(), log=lambda line: None)
    assert len(mirror.log) == n and path.read_bytes() == before
    # offline uses the cache only
    fetch_all(c, offline=True, log=lambda line: None)
    assert len(mirror.log) == n and path.read_bytes() == before


def test_offline_with_an_empty_cache_names_every_missing_source(cfg, tmp_path, httpserver):
    c = config(cfg, tmp_path, httpserver.url_for("/"))
    with pytest.raises(FetchError, match=r"offline: \d+ source\(s\) are not in the cache.*ofcom_oa.*bduk_east_midlands"):
        fetch_all(c, offline=True, log=lambda line: None)
    assert len(httpserver.log) == 0


def test_truncated_release_zip_is_refused_and_evicted(cfg, tmp_path, httpserver):
    data = ofcom_release_zip()
    httpserver.expect_request("/ofcom/202507_fixed_broadband_coverage_r01.zip").respond_with_data(data[: len(data) - 200])
    c = config(cfg, tmp_path, httpserver.url_for("/"))
    with pytest.raises(ArchiveError, match="corrupt or truncated"):
        fetch_all(c, only=("ofcom_oa",), log=lambda line: None)
    assert not list((tmp_path / "cache/files").glob("*"))
    assert not (tmp_path / "cache/sources/ofcom_oa").exists()


def test_bduk_without_url_or_mirror_is_skipped_with_the_reason(cfg, tmp_path):
    c = override(cfg, fetch={"cache_dir": str(tmp_path / "c")})
    manifest = fetch_all(c, only=("bduk_east_midlands",), log=lambda line: None)
    assert manifest["sources"]["bduk_east_midlands"]["status"] == "skipped"
    assert "fetch.sources.bduk_east_midlands.url" in manifest["sources"]["bduk_east_midlands"]["reason"]


def test_settings_reject_unknown_keys_with_a_hint(cfg):
    with pytest.raises(ConfigError, match="unknown key 'fetch.mirorr'; did you mean 'mirror'"):
        override(cfg, fetch={"mirorr": "https://x"})
    with pytest.raises(ConfigError, match="unknown key 'fetch.sources.ofcom_oa_rez'; did you mean 'ofcom_oa_res'"):
        override(cfg, fetch={"sources": {"ofcom_oa_rez": {}}})
    with pytest.raises(ConfigError, match="unknown key 'fetch.sources.ofcom_oa.ulr'; did you mean 'url'"):
        override(cfg, fetch={"sources": {"ofcom_oa": {"ulr": "https://x"}}})
    with pytest.raises(ConfigError, match="'fetch.retries' is -1; it must be a whole number from 0 to 20"):
        override(cfg, fetch={"retries": -1})
    s = override(cfg, fetch={"mirror": "https://mirror.example/cn/",
                             "sources": {"ofcom_oa": {"url": "https://o.example/a.zip", "timeout": 5}}}).fetch
    assert s.sources["ofcom_oa"].url == "https://o.example/a.zip" and s.sources["ofcom_oa"].timeout == 5
    assert s.sources["lsoa_ruc"].url == "https://mirror.example/cn/ons/LSOA21_RUC21_EW_LU/FeatureServer/0"
    assert s.cache_dir == (cfg.root / "data/cache").resolve()


def test_midlands_postcode_areas_match_the_postcode_directory():
    pts = pd.read_csv(ROOT / "data/lookups/NSPD_postcode_LAD25_grid_midlands.csv", usecols=["pcd7"], dtype=str)
    areas = sorted(pts["pcd7"].str.extract(r"^([A-Z]{1,2})")[0].unique())
    assert tuple(areas) == MIDLANDS_POSTCODE_AREAS


def test_edited_cached_zip_offline_names_the_file_and_online_is_fetched_again(cfg, tmp_path, mirror):
    c = config(cfg, tmp_path, mirror.url_for("/"))
    fetch_all(c, only=("ofcom_laua",), sleep=Sleeps(), log=lambda line: None)
    [zip_path] = (tmp_path / "cache/files").glob("*.zip")
    data = bytearray(zip_path.read_bytes())
    data[-100] ^= 0xFF  # same size, different bytes
    zip_path.write_bytes(bytes(data))
    with pytest.raises(FetchError) as exc:
        fetch_all(c, only=("ofcom_laua",), offline=True, log=lambda line: None)
    assert str(exc.value).startswith(f"offline: {zip_path}: the cached copy of ") and str(exc.value).endswith(
        "does not match the sha256 recorded in its sidecar (edited or damaged since it was downloaded); delete it and "
        "re-fetch with 'make fetch' on a machine with internet")
    n = len(mirror.log)
    lines = []
    manifest = fetch_all(c, only=("ofcom_laua",), sleep=Sleeps(), log=lines.append)
    assert len(mirror.log) == n + 1 and manifest["sources"]["ofcom_laua"]["status"] == "ok"
    assert any("does not match the sha256" in line and "downloading again" in line for line in lines)
    assert fetched_files(c)["ofcom_laua"][0].read_bytes() == LA_FILE.read_bytes()


def test_settings_deadline_and_url_typos(cfg):
    s = override(cfg, fetch={"deadline": 600, "sources": {"ofcom_oa": {"deadline": 30}}}).fetch
    assert s.deadline == 600 and s.sources["ofcom_oa"].deadline == 30 and s.sources["lsoa_ruc"].deadline == 600
    assert override(cfg, fetch={}).fetch.sources["ofcom_oa"].deadline == 3600
    with pytest.raises(ConfigError, match=r"'fetch.deadline' is 0; it must be above 0"):
        override(cfg, fetch={"deadline": 0})
    with pytest.raises(ConfigError, match=r"'fetch.mirror' must be an http\(s\) URL such as https://host/path, not "
                                          r"'htp://m.example/cn' \(did you mean 'http://m.example/cn'\?\)"):
        override(cfg, fetch={"mirror": "htp://m.example/cn"})
    with pytest.raises(ConfigError, match=r"'fetch.sources.ofcom_oa.url' .* not 'https:///x.zip' \(it has no host name\)"):
        override(cfg, fetch={"sources": {"ofcom_oa": {"url": "https:///x.zip"}}})
    with pytest.raises(ConfigError, match=r"not 'http://m.example:99999' \(Port out of range 0-65535\)"):
        override(cfg, fetch={"mirror": "http://m.example:99999"})
