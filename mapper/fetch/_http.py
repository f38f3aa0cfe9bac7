"""The only module that talks HTTP: a requests Session with timeouts, retries and a file cache.

Why one module: every download goes through the same rules, so a slow or
failing server, a half-written file or a missing cache entry is handled once.

* **Timeouts** on connect and read (``timeout`` seconds each).
* **Retries** with exponential backoff (``backoff * 2**attempt`` seconds, capped)
  on connection errors, timeouts, bodies cut short, HTTP 429 (honouring
  ``Retry-After``) and 5xx. Other 4xx answers fail at once: retrying a 404 is
  pointless. The sleep function is injectable so tests do not wait.
* **Cache keyed by URL**: ``<cache_dir>/files/<sha256(url)><suffix>`` plus a
  sidecar ``<sha256(url)>.json`` with ``url``, ``bytes``, ``sha256``,
  ``fetched_at`` and ``licence``. A body is streamed to a temporary file in
  the same folder and renamed into place only when it is complete and passes
  its check (e.g. "is a zip"), so a failure or partial download is never
  cached. The sidecar is written last: a data file without its sidecar is not
  a cache hit.
* **Offline**: ``offline=True`` never opens a connection; a missing entry
  raises :class:`~mapper.errors.FetchError` naming the URL and what to run.
* **Progress**: a tqdm bar per download, shown only when stderr is a terminal.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import requests

from .. import __version__
from .._io import atomic_write_text, sha256_file
from ..errors import FetchError

USER_AGENT = f"midlands-connectivity-mapper/{__version__} (python-requests/{requests.__version__})"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF = 120.0
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass(frozen=True)
class CacheRecord:
    """What the cache knows about one stored URL (the sidecar's content)."""

    url: str
    path: str
    bytes: int
    sha256: str
    fetched_at: str
    licence: str

    def as_dict(self) -> dict:
        return asdict(self)


def url_key(url: str) -> str:
    """Cache file stem for a URL: the hex SHA-256 of the URL text.

    >>> url_key("https://example.org/a.zip")[:12]
    'c8aaa45458c0'
    """
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def _utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def describe_body(head: bytes) -> str:
    """A short human description of what a body that should have been binary looks like."""
    text = head[:512].lstrip().lower()
    if text.startswith(b"<!doctype html") or text.startswith(b"<html") or b"<html" in text[:200]:
        return "an HTML page (the server probably sent an error or login page instead of the file)"
    if text.startswith(b"{") or text.startswith(b"["):
        return "a JSON document (probably an error message from the server)"
    if not head:
        return "an empty body"
    return f"data starting with {head[:16]!r}"


def check_zip_head(path: Path, url: str) -> None:
    """Raise :class:`FetchError` unless the file starts like a zip archive."""
    with open(path, "rb") as handle:
        head = handle.read(512)
    if not head.startswith(ZIP_MAGIC):
        raise FetchError(f"{url}: expected a zip archive but got {describe_body(head)}; nothing was cached")


class Fetcher:
    """Downloads with retries into a URL-keyed file cache.

    ``sleep`` is called with the number of seconds to back off (tests pass a
    recorder). ``progress`` forces the tqdm bar on or off; by default it is on
    only when stderr is a terminal.
    """

    def __init__(
        self,
        cache_dir: str | os.PathLike,
        *,
        offline: bool = False,
        timeout: float = 60.0,
        retries: int = 4,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
        progress: bool | None = None,
        clock: Callable[[], str] = _utc_now,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.files_dir = self.cache_dir / "files"
        self.offline = offline
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.sleep = sleep
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.clock = clock
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.attempts: list[str] = []  # "GET url -> outcome", for logs and tests

    # ----------------------------------------------------------------- cache
    def _paths(self, url: str, suffix: str) -> tuple[Path, Path]:
        key = url_key(url)
        return self.files_dir / f"{key}{suffix}", self.files_dir / f"{key}.json"

    def lookup(self, url: str) -> CacheRecord | None:
        """The cache record for ``url`` if its file and sidecar are both present and agree in size."""
        key = url_key(url)
        sidecar = self.files_dir / f"{key}.json"
        if not sidecar.exists():
            return None
        try:
            rec = CacheRecord(**json.loads(sidecar.read_text("utf-8")))
        except (ValueError, TypeError):
            return None
        path = self.cache_dir / rec.path
        if rec.url != url or not path.exists() or path.stat().st_size != rec.bytes:
            return None
        return rec

    def path_of(self, rec: CacheRecord) -> Path:
        return self.cache_dir / rec.path

    def evict(self, url: str) -> None:
        """Remove ``url``'s cached file and sidecar (used when a later check finds the file broken)."""
        key = url_key(url)
        for p in self.files_dir.glob(f"{key}*"):
            p.unlink(missing_ok=True)

    def _commit(self, url: str, tmp: Path, suffix: str, licence: str) -> CacheRecord:
        data_path, sidecar = self._paths(url, suffix)
        os.chmod(tmp, 0o644)
        os.replace(tmp, data_path)
        rec = CacheRecord(
            url=url, path=data_path.relative_to(self.cache_dir).as_posix(), bytes=data_path.stat().st_size,
            sha256=sha256_file(data_path), fetched_at=self.clock(), licence=licence,
        )
        atomic_write_text(sidecar, json.dumps(rec.as_dict(), indent=2, sort_keys=True) + "\n")
        return rec

    def put_bytes(self, url: str, data: bytes, *, licence: str, suffix: str = "") -> CacheRecord:
        """Store bytes assembled by the caller (e.g. ArcGIS pages joined into one file) under ``url``."""
        self.files_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".put.", suffix=".part", dir=self.files_dir)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return self._commit(url, Path(name), suffix, licence)

    def missing(self, url: str, what: str = "") -> FetchError:
        label = f" ({what})" if what else ""
        return FetchError(
            f"offline: {url}{label} is not in the cache {self.cache_dir}; "
            "run 'make fetch' on a machine with internet (or copy its cache folder here) first"
        )

    # ------------------------------------------------------------------ HTTP
    def _request(self, method: str, url: str, *, stream: bool, **kwargs) -> requests.Response:
        """One request with the retry policy; returns a 2xx response or raises FetchError."""
        if self.offline:
            raise self.missing(url)
        last = ""
        for attempt in range(self.retries + 1):
            wait = min(MAX_BACKOFF, self.backoff * (2 ** attempt))
            try:
                resp = self.session.request(method, url, timeout=(self.timeout, self.timeout), stream=stream, **kwargs)
            except requests.Timeout:
                last = f"timed out after {self.timeout:g}s"
            except requests.ConnectionError as exc:
                last = f"connection failed ({type(exc).__name__})"
            else:
                if resp.status_code < 300:
                    self.attempts.append(f"{method} {url} -> {resp.status_code}")
                    return resp
                last = f"HTTP {resp.status_code} {resp.reason or ''}".strip()
                if resp.status_code not in RETRY_STATUS:
                    resp.close()
                    self.attempts.append(f"{method} {url} -> {last}")
                    raise FetchError(f"{url}: {last}; check the URL (fetch.sources.*.url or fetch.mirror in config.yaml)")
                if resp.status_code == 429:
                    after = _retry_after(resp.headers.get("Retry-After"))
                    if after is not None:
                        wait = min(MAX_BACKOFF * 5, after)
                resp.close()
            self.attempts.append(f"{method} {url} -> {last}")
            if attempt < self.retries:
                self.sleep(wait)
        raise FetchError(f"{url}: {last} (gave up after {self.retries + 1} attempt(s)); try again later or use fetch.mirror")

    def get_json(self, url: str, params: dict | None = None, *, method: str = "GET") -> dict:
        """GET (or POST as a form) and decode JSON, with the retry policy. Not cached."""
        kwargs = {"params": params} if method == "GET" else {"data": params}
        resp = self._request(method, url, stream=False, **kwargs)
        try:
            return resp.json()
        except ValueError:
            raise FetchError(f"{url}: expected JSON but got {describe_body(resp.content)}") from None

    def fetch(self, url: str, *, licence: str, suffix: str = "", expect: str | None = None, what: str = "") -> CacheRecord:
        """Return the cache record for ``url``, downloading it first unless already cached.

        ``expect="zip"`` checks the body starts like a zip archive before it is
        cached. A body shorter than its ``Content-Length`` is retried like a
        connection error; after the last attempt nothing is left in the cache.
        """
        rec = self.lookup(url)
        if rec is not None:
            return rec
        if self.offline:
            raise self.missing(url, what)
        self.files_dir.mkdir(parents=True, exist_ok=True)
        last_error: FetchError | None = None
        for attempt in range(self.retries + 1):
            resp = self._request("GET", url, stream=True)
            fd, name = tempfile.mkstemp(prefix=f".{url_key(url)[:16]}.", suffix=".part", dir=self.files_dir)
            tmp = Path(name)
            try:
                expected = int(resp.headers.get("Content-Length") or 0) or None
                got = self._stream(resp, fd, expected, what or url)
                if expected is not None and got != expected:
                    raise _Short(f"body ended after {got} of {expected} bytes")
                if expect == "zip":
                    check_zip_head(tmp, url)
                return self._commit(url, tmp, suffix, licence)
            except (_Short, requests.ConnectionError, requests.Timeout) as exc:
                # requests raises ChunkedEncodingError (a ConnectionError) when a body is cut short
                last_error = FetchError(f"{url}: download incomplete ({exc if isinstance(exc, _Short) else type(exc).__name__})")
                self.attempts.append(f"GET {url} -> incomplete body")
                if attempt < self.retries:
                    self.sleep(min(MAX_BACKOFF, self.backoff * (2 ** attempt)))
            finally:
                resp.close()
                tmp.unlink(missing_ok=True)
        raise FetchError(f"{last_error} (gave up after {self.retries + 1} attempt(s)); nothing was cached")

    def _stream(self, resp: requests.Response, fd: int, total: int | None, label: str) -> int:
        from tqdm import tqdm

        got = 0
        with os.fdopen(fd, "wb") as handle, tqdm(
            total=total, unit="B", unit_scale=True, desc=label[-40:], disable=not self.progress, file=sys.stderr, leave=False,
        ) as bar:
            for chunk in resp.iter_content(chunk_size=1 << 20):
                if chunk:
                    handle.write(chunk)
                    got += len(chunk)
                    bar.update(len(chunk))
            handle.flush()
            os.fsync(handle.fileno())
        return got


class _Short(Exception):
    """A body shorter than its Content-Length."""
