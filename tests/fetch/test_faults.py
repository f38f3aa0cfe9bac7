"""Transport faults against the loopback fault server: cut bodies, trickles, killed downloads,
edited cache files, redirect loops and unusable URLs. Each must end as one FetchError line
(or a successful retry) and leave nothing half-written in the cache."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from fetch_helpers import (
    LA_FILE,
    ROOT,
    cache_files,
    cut,
    faults,
    fetcher,
    ofcom_style_zip,
    ok,
    redirect,
    sleeps,
    trickle,
)

from mapper.errors import FetchError
from mapper.fetch._http import Fetcher, url_key

CUTS = ["short", "chunked", "reset"]


@pytest.fixture(scope="module")
def la_zip():
    return ofcom_style_zip({LA_FILE.name: LA_FILE.read_bytes()}, "202507_fixed_laua_coverage_r01")


def one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def cached_pair(cache_dir, url):
    return sorted(n for n in cache_files(cache_dir) if n.startswith(url_key(url)))


# ------------------------------------------------------------------ 1. bodies cut mid-way
@pytest.mark.parametrize("how", CUTS)
def test_body_cut_mid_way_is_retried_then_cached(faults, fetcher, sleeps, la_zip, how):
    url = faults.script("/la.zip", cut(la_zip, len(la_zip) // 2, how), ok(la_zip))
    rec = fetcher.fetch(url, licence="OGL", suffix=".zip", expect="zip")
    assert fetcher.path_of(rec).read_bytes() == la_zip
    assert sleeps == [1.0] and len(faults.log) == 2
    assert cache_files(fetcher.cache_dir) == [f"{url_key(url)}.json", f"{url_key(url)}.zip"]


@pytest.mark.parametrize("how", CUTS)
def test_body_cut_every_time_gives_up_and_caches_nothing(faults, fetcher, sleeps, la_zip, how):
    url = faults.script("/la.zip", cut(la_zip, 3000, how))
    with pytest.raises(FetchError) as exc:
        fetcher.fetch(url, licence="OGL", suffix=".zip", expect="zip")
    text = one_line(exc)
    # a reset that overtakes the partial body (a loaded machine) discards it: then no byte arrived
    assert text.startswith(f"{url}: connection cut mid-body after ") or (
        how == "reset" and text.startswith(f"{url}: connection failed (Connection reset by peer)"))
    assert "(gave up after 4 attempt(s)); try again later or use fetch.mirror; nothing was cached" in text
    assert sleeps == [1.0, 2.0, 4.0] and len(faults.log) == 4
    assert cache_files(fetcher.cache_dir) == []


def test_json_page_cut_mid_way_is_retried_like_a_download(faults, fetcher, sleeps):
    body = json.dumps({"count": 6420, "pad": "x" * 5000}).encode()
    url = faults.script("/query", cut(body, 100, "chunked"), ok(body, "application/json"))
    assert fetcher.get_json(url)["count"] == 6420
    assert sleeps == [1.0]
    faults.script("/query", cut(body, 100, "short"))
    with pytest.raises(FetchError, match=r"connection cut mid-body after 100 bytes .*gave up after 4 attempt"):
        fetcher.get_json(url)


def test_undecodable_gzip_body_is_retried_then_one_line(faults, fetcher, sleeps, la_zip):
    good = gzip.compress(la_zip)
    url = faults.script("/la.zip", ok(b"\x1f\x8b\x08 not gzip at all" * 50, headers={"Content-Encoding": "gzip"}),
                        ok(good, headers={"Content-Encoding": "gzip"}))
    assert fetcher.path_of(fetcher.fetch(url, licence="OGL", expect="zip")).read_bytes() == la_zip
    faults.script("/la.zip", ok(b"\x1f\x8b\x08 not gzip at all" * 50, headers={"Content-Encoding": "gzip"}))
    fetcher.evict(url)
    with pytest.raises(FetchError) as exc:
        fetcher.fetch(url, licence="OGL", expect="zip")
    assert "body could not be decoded (Content-Encoding: gzip)" in one_line(exc)
    assert cache_files(fetcher.cache_dir) == []


# ------------------------------------------------------------------ 2. trickling server, deadline
def test_trickling_download_hits_the_deadline(faults, tmp_path, sleeps, la_zip):
    url = faults.script("/la.zip", trickle(la_zip[:200], every=0.02))  # would take 4 s to finish
    f = Fetcher(tmp_path / "c", timeout=5, retries=1, deadline=0.3, sleep=sleeps, progress=False)
    with pytest.raises(FetchError) as exc:
        f.fetch(url, licence="OGL", suffix=".zip", expect="zip")
    text = one_line(exc)
    assert text.startswith(f"{url}: not finished within the 0.3s deadline (fetch.deadline) after ")
    assert text.endswith("(gave up after 2 attempt(s)); raise fetch.deadline in config.yaml or use fetch.mirror; "
                         "nothing was cached")
    assert len(faults.log) == 2 and sleeps == [1.0] and cache_files(f.cache_dir) == []
    # the client hung up while bytes were still trickling in (a blocking read would wait for them all)
    assert faults.wait_outcomes(2) == ["client hung up", "client hung up"]


def test_trickling_json_page_hits_the_deadline(faults, tmp_path, sleeps):
    url = faults.script("/query", trickle(json.dumps({"count": 1, "pad": "x" * 200}).encode(), every=0.02))
    f = Fetcher(tmp_path / "c", timeout=5, retries=0, deadline=0.3, sleep=sleeps, progress=False)
    with pytest.raises(FetchError, match=r"not finished within the 0.3s deadline .*raise fetch.deadline"):
        f.get_json(url)
    assert faults.wait_outcomes(1) == ["client hung up"]


# ------------------------------------------------------------------ 3. killed download
KILLED_CHILD = """
import sys
from mapper.fetch._http import Fetcher
Fetcher(sys.argv[1], timeout=30, retries=0, progress=False).fetch(sys.argv[2], licence="OGL", suffix=".zip")
"""


def test_part_file_of_a_killed_download_is_removed_by_the_next_run(faults, tmp_path, la_zip):
    cache = tmp_path / "cache"
    url = faults.script("/la.zip", trickle(la_zip, every=0.05), ok(la_zip))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", KILLED_CHILD, str(cache), url], env=env, cwd=ROOT)
    try:
        for _ in range(400):  # wait (up to 20 s) until the child is writing its partial file
            parts = [n for n in cache_files(cache) if n.endswith(".part")]
            if parts:
                break
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert len(parts) == 1 and str(child.pid) in parts[0]
    # a partial file of a download still running in another (live) process must be left alone
    live = cache / "files" / f".{url_key('https://other.example/x.zip')[:16]}.{os.getpid()}-abcd1234.part"
    live.write_bytes(b"PK\x03\x04 still arriving")
    f = Fetcher(cache, retries=0, progress=False)
    rec = f.fetch(url, licence="OGL", suffix=".zip", expect="zip")
    assert f.path_of(rec).read_bytes() == la_zip
    assert cache_files(cache) == sorted([f"{url_key(url)}.json", f"{url_key(url)}.zip", live.name])
    assert len(faults.log) == 2  # the partial file was not taken for a cached copy


def test_unnamed_partial_files_of_older_versions_are_removed_once_a_day_old(tmp_path):
    files = tmp_path / "c/files"
    files.mkdir(parents=True)
    old_part, old_tmp = files / ".0123456789abcdef.k2j3h4.part", files / ".abc.json.x1y2.tmp"
    fresh = files / ".fedcba9876543210.zz11yy.part"
    kept = [files / "abc.zip", files / "abc.json", fresh]
    for p in (old_part, old_tmp, *kept):
        p.write_bytes(b"x")
    two_days_ago = time.time() - 2 * 86400
    for p in (old_part, old_tmp, files / "abc.zip"):
        os.utime(p, (two_days_ago, two_days_ago))
    assert Fetcher(tmp_path / "c", progress=False).clean_stale_parts() == sorted([old_part, old_tmp])
    assert cache_files(tmp_path / "c") == sorted(p.name for p in kept)


# ------------------------------------------------------------------ 4. edited cache file, same size
def _tamper(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_edited_cache_file_of_the_same_size_is_downloaded_again_online(faults, tmp_path, la_zip):
    url = faults.script("/la.zip", ok(la_zip))
    first = Fetcher(tmp_path / "c", progress=False)
    path = first.path_of(first.fetch(url, licence="OGL", suffix=".zip"))
    _tamper(path)
    assert path.stat().st_size == len(la_zip)
    lines = []
    again = Fetcher(tmp_path / "c", progress=False, log=lines.append)
    rec = again.fetch(url, licence="OGL", suffix=".zip")
    assert again.path_of(rec).read_bytes() == la_zip and len(faults.log) == 2
    assert lines == [f"{path}: the cached copy of {url} does not match the sha256 recorded in its sidecar "
                     "(edited or damaged since it was downloaded); discarding it and downloading again"]


def test_edited_cache_file_of_the_same_size_is_refused_offline(faults, tmp_path, la_zip):
    url = faults.script("/la.zip", ok(la_zip))
    online = Fetcher(tmp_path / "c", progress=False)
    path = online.path_of(online.fetch(url, licence="OGL", suffix=".zip"))
    _tamper(path)
    offline = Fetcher(tmp_path / "c", offline=True, progress=False)
    with pytest.raises(FetchError) as exc:
        offline.fetch(url, licence="OGL", suffix=".zip")
    assert one_line(exc) == (
        f"offline: {path}: the cached copy of {url} does not match the sha256 recorded in its sidecar (edited or "
        "damaged since it was downloaded); delete it and re-fetch with 'make fetch' on a machine with internet")
    assert path.exists() and len(faults.log) == 1  # offline neither deletes nor connects


# ------------------------------------------------------------------ 5. redirects, bad URLs, TLS, refused
def test_redirect_loop_is_one_line_and_not_retried(faults, fetcher, sleeps):
    url = faults.script("/loop.zip", redirect("/loop.zip"))
    with pytest.raises(FetchError) as exc:
        fetcher.fetch(url, licence="OGL", suffix=".zip")
    assert one_line(exc) == (f"{url}: too many redirects (more than 30; a redirect loop); check the URL "
                             "(fetch.sources.*.url or fetch.mirror in config.yaml)")
    assert sleeps == [] and cache_files(fetcher.cache_dir) == []
    with pytest.raises(FetchError, match="too many redirects"):
        fetcher.get_json(url)


@pytest.mark.parametrize("bad, why", [
    ("htp://127.0.0.1/x.zip", "No connection adapters were found for 'htp://127.0.0.1/x.zip'"),
    ("ftp://127.0.0.1/x.zip", "No connection adapters were found for 'ftp://127.0.0.1/x.zip'"),
    ("http:///x.zip", "Invalid URL 'http:///x.zip': No host supplied"),
    ("127.0.0.1/x.zip", "Invalid URL '127.0.0.1/x.zip': No scheme supplied. Perhaps you meant https://127.0.0.1/x.zip?"),
    ("http://127.0.0.1:99999/x.zip", "Failed to parse: http://127.0.0.1:99999/x.zip"),
])
def test_unusable_url_is_one_line(fetcher, sleeps, bad, why):
    with pytest.raises(FetchError) as exc:
        fetcher.fetch(bad, licence="OGL")
    assert one_line(exc) == (f"{bad}: not a usable http(s) URL ({why}); check fetch.sources.*.url or fetch.mirror "
                             "in config.yaml")
    assert sleeps == []


def test_redirect_to_an_unusable_scheme_is_one_line(faults, fetcher):
    url = faults.script("/moved.zip", redirect("htp://mirror.example/x.zip"))
    with pytest.raises(FetchError) as exc:
        fetcher.fetch(url, licence="OGL")
    assert one_line(exc).startswith(f"{url}: not a usable http(s) URL (No connection adapters were found for "
                                    "'htp://mirror.example/x.zip')")


def test_tls_failure_is_one_line_and_not_retried(faults, fetcher, sleeps):
    url = faults.script("/x.zip", ok(b"plain http")).replace("http://", "https://")
    with pytest.raises(FetchError) as exc:
        fetcher.fetch(url, licence="OGL")
    text = one_line(exc)
    assert text.startswith(f"{url}: TLS/SSL failure (") and text.endswith(
        "); check the address (https on the right port) and this machine's certificates or proxy")
    assert sleeps == []


def test_refused_connection_is_retried_then_one_line(fetcher, sleeps):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x.zip"
    with pytest.raises(FetchError) as exc:
        fetcher.fetch(url, licence="OGL")
    assert one_line(exc) == (f"{url}: connection failed (Connection refused) (gave up after 4 attempt(s)); "
                             "try again later or use fetch.mirror; nothing was cached")
    assert sleeps == [1.0, 2.0, 4.0]
