"""The HTTP module against a loopback server: retries, timeouts, cache and offline mode."""

from __future__ import annotations

import json
import time

import pytest
from fetch_helpers import LA_FILE, cache_files, fetcher, ofcom_style_zip, sleeps
from werkzeug import Response

from mapper._io import sha256_file
from mapper.errors import FetchError, MapperError
from mapper.fetch._http import USER_AGENT, Fetcher, url_key


@pytest.fixture
def la_zip():
    return ofcom_style_zip({LA_FILE.name: LA_FILE.read_bytes()}, "202507_fixed_laua_coverage_r01")


def test_download_is_cached_with_a_sidecar_and_served_once(httpserver, fetcher, la_zip):
    httpserver.expect_oneshot_request("/la.zip").respond_with_data(la_zip, content_type="application/zip")
    url = httpserver.url_for("/la.zip")
    rec = fetcher.fetch(url, licence="OGL v3.0", suffix=".zip", expect="zip")
    path = fetcher.path_of(rec)
    assert path.read_bytes() == la_zip
    assert rec.bytes == len(la_zip) and rec.sha256 == sha256_file(path) and rec.url == url
    sidecar = json.loads((fetcher.files_dir / f"{url_key(url)}.json").read_text())
    assert sidecar["licence"] == "OGL v3.0" and sidecar["fetched_at"].endswith("Z")
    # second call is a cache hit: the one-shot handler would answer 500 if asked again
    assert fetcher.fetch(url, licence="OGL v3.0", suffix=".zip").sha256 == rec.sha256
    assert httpserver.log[0][0].headers["User-Agent"] == USER_AGENT
    assert len(httpserver.log) == 1


def test_500_then_success_retries_with_backoff(httpserver, fetcher, sleeps, la_zip):
    httpserver.expect_ordered_request("/la.zip").respond_with_data("busy", status=500)
    httpserver.expect_ordered_request("/la.zip").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/la.zip").respond_with_data(la_zip)
    rec = fetcher.fetch(httpserver.url_for("/la.zip"), licence="OGL", expect="zip")
    assert fetcher.path_of(rec).read_bytes() == la_zip
    assert sleeps == [1.0, 2.0]


def test_429_honours_retry_after(httpserver, fetcher, sleeps):
    httpserver.expect_ordered_request("/x").respond_with_data("slow down", status=429, headers={"Retry-After": "7"})
    httpserver.expect_ordered_request("/x").respond_with_json({"ok": True})
    assert fetcher.get_json(httpserver.url_for("/x")) == {"ok": True}
    assert sleeps == [7.0]


def test_404_fails_at_once_and_caches_nothing(httpserver, fetcher, sleeps):
    httpserver.expect_request("/gone.zip").respond_with_data("not here", status=404)
    with pytest.raises(FetchError, match="HTTP 404"):
        fetcher.fetch(httpserver.url_for("/gone.zip"), licence="OGL")
    assert sleeps == [] and cache_files(fetcher.cache_dir) == []


def test_persistent_500_gives_up_and_caches_nothing(httpserver, fetcher, sleeps):
    httpserver.expect_request("/la.zip").respond_with_data("down", status=502)
    with pytest.raises(FetchError, match=r"HTTP 502.*gave up after 4 attempt"):
        fetcher.fetch(httpserver.url_for("/la.zip"), licence="OGL")
    assert sleeps == [1.0, 2.0, 4.0]
    assert cache_files(fetcher.cache_dir) == []


def test_timeout_is_a_clear_error(httpserver, tmp_path, sleeps):
    def slow(request):
        time.sleep(1.0)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    f = Fetcher(tmp_path / "c", timeout=0.2, retries=1, sleep=sleeps, progress=False)
    with pytest.raises(FetchError, match=r"timed out after 0.2s.*2 attempt"):
        f.fetch(httpserver.url_for("/slow"), licence="OGL")
    assert sleeps == [1.0] and cache_files(f.cache_dir) == []


def test_html_error_page_where_a_zip_was_expected(httpserver, fetcher):
    page = b"<!DOCTYPE html><html><head><title>Maintenance</title></head><body>Back soon</body></html>"
    httpserver.expect_request("/la.zip").respond_with_data(page, content_type="text/html")
    with pytest.raises(FetchError, match="expected a zip archive but got an HTML page"):
        fetcher.fetch(httpserver.url_for("/la.zip"), licence="OGL", suffix=".zip", expect="zip")
    assert cache_files(fetcher.cache_dir) == []


def test_offline_uses_only_the_cache_and_names_what_is_missing(httpserver, tmp_path, la_zip):
    httpserver.expect_oneshot_request("/la.zip").respond_with_data(la_zip)
    url = httpserver.url_for("/la.zip")
    online = Fetcher(tmp_path / "c", progress=False)
    online.fetch(url, licence="OGL", suffix=".zip")
    offline = Fetcher(tmp_path / "c", offline=True, progress=False)
    assert offline.path_of(offline.fetch(url, licence="OGL")).read_bytes() == la_zip
    other = httpserver.url_for("/other.zip")
    with pytest.raises(MapperError, match=r"offline: .*/other.zip \(Ofcom OA\) is not in the cache"):
        offline.fetch(other, licence="OGL", what="Ofcom OA")
    assert len(httpserver.log) == 1  # offline opened no connection


def test_a_data_file_without_its_sidecar_is_not_a_cache_hit(httpserver, fetcher, la_zip):
    httpserver.expect_request("/la.zip").respond_with_data(la_zip)
    url = httpserver.url_for("/la.zip")
    fetcher.fetch(url, licence="OGL", suffix=".zip")
    (fetcher.files_dir / f"{url_key(url)}.json").unlink()
    assert fetcher.lookup(url) is None
    fetcher.fetch(url, licence="OGL", suffix=".zip")
    assert len(httpserver.log) == 2
