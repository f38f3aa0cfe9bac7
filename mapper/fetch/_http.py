"""The only module that talks HTTP: a requests Session with timeouts, retries and a file cache.

Why one module: every download goes through the same rules, so a slow or
failing server, a half-written file or a missing cache entry is handled once.

* **Timeouts** on connect and read (``timeout`` seconds each), and a
  **deadline** (``deadline`` seconds) on each whole attempt, request to last
  byte, so a server trickling bytes cannot hold a download for ever. It is
  checked between reads, so an attempt can overrun it by at most ``timeout``.
* **Retries** with exponential backoff (``backoff * 2**attempt`` seconds, capped)
  on anything that may pass: connection errors, timeouts, a body cut mid-way
  (however the cut shows: a short body against ``Content-Length``, a broken
  chunked encoding, a reset), an undecodable compressed body, the deadline,
  HTTP 429 (honouring ``Retry-After``) and 5xx. Other 4xx answers, redirect
  loops, unusable URLs and TLS failures fail at once: retrying them is
  pointless. Every request and every body read goes through one loop, and every
  exception ``requests``/``urllib3`` can raise ends as a one-line
  :class:`~mapper.errors.FetchError` naming the URL and what to do. The sleep
  function is injectable so tests do not wait.
* **Cache keyed by URL**: ``<cache_dir>/files/<sha256(url)><suffix>`` plus a
  sidecar ``<sha256(url)>.json`` with ``url``, ``bytes``, ``sha256``,
  ``fetched_at`` and ``licence``. A body is streamed to a temporary file in
  the same folder and renamed into place only when it is complete and passes
  its check (e.g. "is a zip"), so a failure or partial download is never
  cached. The sidecar is written last: a data file without its sidecar is not
  a cache hit. Every cache hit is checked against the sidecar's size and
  sha256: online a file that differs (edited or damaged) is discarded and
  downloaded again, with a log line; offline it is an error naming the file.
* **Partial files** are named ``.<key>.<pid>-<random>.part`` (sidecars being
  written: ``.tmp``). Those of processes that no longer run (a killed
  download) are removed before the next download; those of a live process are
  left alone. They never match a cache key, so they are never used.
* **Offline**: ``offline=True`` never opens a connection; a missing entry
  raises :class:`~mapper.errors.FetchError` naming the URL and what to run.
* **Progress**: a tqdm bar per download, shown only when stderr is a terminal.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import json
import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests
import urllib3.exceptions

from .. import __version__
from .._io import pid_alive, sha256_file
from ..errors import FetchError, MapperError

USER_AGENT = f"midlands-connectivity-mapper/{__version__} (python-requests/{requests.__version__})"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF = 120.0
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
CHUNK = 1 << 20
#: A temporary file this module writes: ``.<tag>.<pid>-<random>.part`` or ``.tmp``.
PART_NAME = re.compile(r"^\.[^.]+\.(?P<pid>\d+)-[^.]*\.(?:part|tmp)$")
#: Temporary files named by older versions (no pid) are removed once this old (seconds).
LEGACY_PART_AGE = 24 * 3600
URL_HINT = "check fetch.sources.*.url or fetch.mirror in config.yaml"

log = logging.getLogger(__name__)


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
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


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
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def describe_body(head: bytes) -> str:
    """A short human description of what a body that should have been binary looks like."""
    text = head[:512].lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text[:200]:
        return "an HTML page (the server probably sent an error or login page instead of the file)"
    if text.startswith((b"{", b"[")):
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



def clean_stale_parts(files_dir: str | os.PathLike) -> list[Path]:
    """Remove temporary files in ``files_dir`` left behind by downloads that were killed.

    A file named ``.<tag>.<pid>-<random>.part`` (or ``.tmp``) is stale when process
    ``<pid>`` no longer runs; those of live processes (a concurrent fetch) are kept.
    Unnamed temporary files of older versions are removed once a day old.
    """
    removed: list[Path] = []
    folder = Path(files_dir)
    if not folder.is_dir():
        return removed
    now = time.time()
    for path in sorted(folder.glob(".*")):
        if not path.name.endswith((".part", ".tmp")) or not path.is_file():
            continue
        m = PART_NAME.match(path.name)
        try:
            if m is not None:
                if pid_alive(int(m["pid"])):
                    continue
            elif now - path.stat().st_mtime < LEGACY_PART_AGE:
                continue
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
        log.info("removed stale partial download %s", path)
    return removed


# ---------------------------------------------------------------- exception classes
class _Retry(Exception):
    """A fault worth another attempt; ``str()`` says what happened, ``advice`` what to do at the end."""

    def __init__(self, text: str, advice: str = "try again later or use fetch.mirror") -> None:
        super().__init__(text)
        self.advice = advice


class _Deadline(Exception):
    """An attempt ran past ``deadline`` while the body was still arriving."""


def _chain(exc: BaseException):
    """``exc`` and every exception it wraps (causes, contexts, urllib3 ``reason`` and exception args)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen or not isinstance(e, BaseException):
            continue
        seen.add(id(e))
        yield e
        todo.extend([getattr(e, "reason", None), e.__cause__, e.__context__])
        todo.extend(a for a in e.args if isinstance(a, BaseException))


def _why(exc: BaseException) -> str:
    """A short reason for a network fault: the innermost OS error text (``Connection refused``), else a type name."""
    for e in _chain(exc):
        if isinstance(e, http.client.IncompleteRead):
            return f"{e.expected:,} more bytes were expected" if isinstance(e.expected, int) else "the body ended early"
        if isinstance(e, OSError) and not isinstance(e, requests.RequestException) and e.strerror:
            return e.strerror
    inner = [e for e in _chain(exc) if not isinstance(e, requests.RequestException)]
    return type(inner[-1] if inner else exc).__name__


def _one_line(text: object, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------- Fetcher
class Fetcher:
    """Downloads with retries into a URL-keyed file cache.

    ``sleep`` is called with the number of seconds to back off (tests pass a
    recorder). ``progress`` forces the tqdm bar on or off; by default it is on
    only when stderr is a terminal. ``log`` receives a line when a cached file
    is found damaged and downloaded again (default: this module's logger).
    """

    def __init__(
        self,
        cache_dir: str | os.PathLike,
        *,
        offline: bool = False,
        timeout: float = 60.0,
        retries: int = 4,
        backoff: float = 1.0,
        deadline: float = 3600.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
        progress: bool | None = None,
        clock: Callable[[], str] = _utc_now,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.files_dir = self.cache_dir / "files"
        self.offline = offline
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.deadline = float(deadline)
        self.sleep = sleep
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.clock = clock
        self.log = log or log_warning
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.attempts: list[str] = []  # "GET url -> outcome", for logs and tests
        self._encoding = ""  # Content-Encoding of the response being read
        self._verified: dict[Path, tuple] = {}  # path -> (size, mtime_ns, inode, sha256) already hashed

    # ----------------------------------------------------------------- cache
    def _paths(self, url: str, suffix: str) -> tuple[Path, Path]:
        key = url_key(url)
        return self.files_dir / f"{key}{suffix}", self.files_dir / f"{key}.json"

    def lookup(self, url: str) -> CacheRecord | None:
        """The cache record for ``url`` if its file and sidecar are present and the file matches the sidecar.

        The file's size and sha256 are checked against the sidecar on every hit
        (the hash once per file and Fetcher). A file that differs was edited or
        damaged: online it is discarded (logged) and None returned so it is
        downloaded again; offline that is a :class:`FetchError` naming the file.
        """
        key = url_key(url)
        sidecar = self.files_dir / f"{key}.json"
        if not sidecar.exists():
            return None
        try:
            rec = CacheRecord(**json.loads(sidecar.read_text("utf-8")))
        except (ValueError, TypeError, OSError):
            return None
        rel = Path(str(rec.path))
        if rec.url != url or rel.parent.as_posix() != "files" or not rel.name.startswith(key):
            return None
        path = self.cache_dir / rel
        try:
            st = path.stat()
        except OSError:
            return None
        stamp = (st.st_size, st.st_mtime_ns, st.st_ino, rec.sha256)
        if self._verified.get(path) == stamp:
            return rec
        if st.st_size == rec.bytes and _sha256_or_none(path) == rec.sha256:
            self._verified[path] = stamp
            return rec
        problem = (f"{path}: the cached copy of {url} does not match the "
                   f"{'sha256' if st.st_size == rec.bytes else 'size'} recorded in its sidecar "
                   "(edited or damaged since it was downloaded)")
        if self.offline:
            err = FetchError(f"offline: {problem}; delete it and re-fetch with 'make fetch' on a machine with internet")
            err.cache_damaged = True  # the runner reports this at once instead of as "not in the cache"
            raise err
        self.log(f"{problem}; discarding it and downloading again")
        self.evict(url)
        return None

    def path_of(self, rec: CacheRecord) -> Path:
        return self.cache_dir / rec.path

    def evict(self, url: str) -> None:
        """Remove ``url``'s cached file and sidecar (used when a later check finds the file broken)."""
        key = url_key(url)
        for p in self.files_dir.glob(f"{key}*"):
            p.unlink(missing_ok=True)
            self._verified.pop(p, None)

    def clean_stale_parts(self) -> list[Path]:
        """Remove partial files of killed downloads from the cache (see :func:`clean_stale_parts`)."""
        return clean_stale_parts(self.files_dir)

    def _temp(self, tag: str, suffix: str = ".part") -> tuple[int, Path]:
        """A new temporary file in the cache folder, named with this process's id (see :data:`PART_NAME`)."""
        fd, name = tempfile.mkstemp(prefix=f".{tag}.{os.getpid()}-", suffix=suffix, dir=self.files_dir)
        return fd, Path(name)

    def _prepare(self) -> None:
        try:
            self.files_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FetchError(f"{self.files_dir}: cannot create the cache folder ({exc.strerror}); "
                             "set fetch.cache_dir in config.yaml to a writable folder") from None
        self.clean_stale_parts()

    def _commit(self, url: str, tmp: Path, suffix: str, licence: str) -> CacheRecord:
        data_path, sidecar = self._paths(url, suffix)
        os.chmod(tmp, 0o644)
        os.replace(tmp, data_path)
        rec = CacheRecord(
            url=url, path=data_path.relative_to(self.cache_dir).as_posix(), bytes=data_path.stat().st_size,
            sha256=sha256_file(data_path), fetched_at=self.clock(), licence=licence,
        )
        fd, side_tmp = self._temp(url_key(url)[:16], ".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write((json.dumps(rec.as_dict(), indent=2, sort_keys=True) + "\n").encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(side_tmp, 0o644)
            os.replace(side_tmp, sidecar)
        finally:
            side_tmp.unlink(missing_ok=True)
        return rec

    def put_bytes(self, url: str, data: bytes, *, licence: str, suffix: str = "") -> CacheRecord:
        """Store bytes assembled by the caller (e.g. ArcGIS pages joined into one file) under ``url``."""
        self._prepare()
        fd, tmp = self._temp("put")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            return self._commit(url, tmp, suffix, licence)
        except OSError as exc:
            raise self._write_error(url, exc) from None
        finally:
            tmp.unlink(missing_ok=True)

    def _write_error(self, url: str, exc: OSError) -> FetchError:
        return FetchError(f"{self.files_dir}: cannot write the download of {url} ({exc.strerror or exc}); "
                          "free some disk space or set fetch.cache_dir in config.yaml; nothing was cached")

    def missing(self, url: str, what: str = "") -> FetchError:
        label = f" ({what})" if what else ""
        return FetchError(
            f"offline: {url}{label} is not in the cache {self.cache_dir}; "
            "run 'make fetch' on a machine with internet (or copy its cache folder here) first"
        )

    # ------------------------------------------------------------------ HTTP
    def _fatal(self, url: str, exc: BaseException, in_body: bool) -> FetchError | None:
        """The one-line error for an exception that retrying cannot fix, or None if it may pass."""
        if isinstance(exc, requests.TooManyRedirects):
            return FetchError(f"{url}: too many redirects (more than {self.session.max_redirects}; a redirect loop); "
                              "check the URL (fetch.sources.*.url or fetch.mirror in config.yaml)")
        if isinstance(exc, (requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema,
                            requests.exceptions.InvalidURL, requests.exceptions.URLRequired)):
            return FetchError(f"{url}: not a usable http(s) URL ({_one_line(exc)}); {URL_HINT}")
        if not in_body and isinstance(exc, (requests.exceptions.SSLError, urllib3.exceptions.SSLError)):
            return FetchError(f"{url}: TLS/SSL failure ({_why(exc)}); check the address (https on the right port) "
                              "and this machine's certificates or proxy")
        return None

    def _classify(self, url: str, exc: BaseException, got: int | None) -> _Retry:
        """Turn an exception from a request (``got`` None) or a body read (``got`` bytes so far) into
        a :class:`_Retry`, or raise the one-line :class:`FetchError` for a fault retrying cannot fix."""
        if isinstance(exc, MapperError):
            raise exc
        if isinstance(exc, _Deadline):
            return _Retry(f"not finished within the {self.deadline:g}s deadline (fetch.deadline) after "
                          f"{got or 0:,} bytes; the server is sending too slowly",
                          "raise fetch.deadline in config.yaml or use fetch.mirror")
        fatal = self._fatal(url, exc, got is not None)
        if fatal is not None:
            raise fatal from None
        timeouts = (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError)
        body = "" if got is None else f" mid-body after {got:,} bytes"
        if isinstance(exc, timeouts):
            return _Retry(f"timed out after {self.timeout:g}s{body}")
        if isinstance(exc, (requests.exceptions.ContentDecodingError, urllib3.exceptions.DecodeError)):
            return _Retry(f"body could not be decoded (Content-Encoding: {self._encoding or '?'})")
        if got is not None and isinstance(exc, (requests.RequestException, urllib3.exceptions.HTTPError,
                                                http.client.HTTPException, OSError)):
            return _Retry(f"connection cut{body} ({_why(exc)})")
        if isinstance(exc, requests.exceptions.ChunkedEncodingError):  # e.g. a redirect's body, read by requests
            return _Retry(f"connection cut ({_why(exc)})")
        if isinstance(exc, requests.RequestException) and not isinstance(exc, requests.ConnectionError):
            raise FetchError(f"{url}: request failed ({type(exc).__name__}: {_one_line(exc)}); {URL_HINT}") from None
        if isinstance(exc, (ValueError, UnicodeError)) and got is None:
            # http.client refuses some URLs (control characters) with a plain ValueError
            raise FetchError(f"{url}: not a usable http(s) URL ({_one_line(exc)}); {URL_HINT}") from None
        if isinstance(exc, (OSError, urllib3.exceptions.HTTPError, http.client.HTTPException)):
            return _Retry(f"connection failed ({_why(exc)})")  # requests' ConnectionError is an OSError
        raise exc  # a programming error: let it show

    def _attempts(self, method: str, url: str, consume: Callable, *, cached_note: str = "", **kwargs):
        """Request ``url`` and ``consume(resp, end)`` its body, with the retry policy for both.

        ``consume`` reads the body (checking ``time.monotonic() > end``) and returns
        the result. Returns that result, or raises a one-line :class:`FetchError`.
        """
        if self.offline:
            raise self.missing(url)
        last: _Retry | None = None
        for attempt in range(self.retries + 1):
            wait = min(MAX_BACKOFF, self.backoff * (2 ** attempt))
            end = time.monotonic() + self.deadline
            self._encoding = ""
            try:
                resp = self.session.request(method, url, timeout=(self.timeout, self.timeout), stream=True, **kwargs)
            except Exception as exc:
                last = self._classify(url, exc, None)
            else:
                try:
                    if resp.status_code < 300:
                        self._encoding = resp.headers.get("Content-Encoding", "")
                        result = consume(resp, end)
                        self.attempts.append(f"{method} {url} -> {resp.status_code}")
                        return result
                    status = f"HTTP {resp.status_code} {resp.reason or ''}".strip()
                    if resp.status_code not in RETRY_STATUS:
                        self.attempts.append(f"{method} {url} -> {status}")
                        raise FetchError(f"{url}: {status}; check the URL (fetch.sources.*.url or fetch.mirror in "
                                         f"config.yaml){cached_note}")
                    last = _Retry(status)
                    if resp.status_code == 429:
                        after = _retry_after(resp.headers.get("Retry-After"))
                        if after is not None:
                            wait = min(MAX_BACKOFF * 5, after)
                except _Partial as exc:
                    last = self._classify(url, exc.cause, exc.got)
                finally:
                    resp.close()
            self.attempts.append(f"{method} {url} -> {last}")
            if attempt < self.retries:
                self.sleep(wait)
        raise FetchError(f"{url}: {last} (gave up after {self.retries + 1} attempt(s)); {last.advice}{cached_note}")

    def _read(self, resp: requests.Response, end: float, write: Callable[[bytes], None], bar=None) -> int:
        """Stream the (decoded) body into ``write``; a fault while reading becomes :class:`_Partial`.

        ``read1`` returns whatever has arrived, so the deadline is checked even
        when a server trickles a byte at a time. A body shorter than its
        ``Content-Length`` is a fault (urllib3 also checks this).
        """
        raw = resp.raw
        read = getattr(raw, "read1", None) or raw.read  # urllib3 1.x has no read1: 64 KiB reads, coarser deadline
        size = CHUNK if read is not raw.read else 1 << 16
        got = 0
        try:
            while True:
                if time.monotonic() > end:
                    raise _Deadline()
                chunk = read(size, decode_content=True)
                if not chunk:
                    break
                write(chunk)
                got += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
            expected = _content_length(resp)
            if expected is not None and not self._encoding and got != expected:
                raise http.client.IncompleteRead(b"", expected - got)
        except MapperError:
            raise
        except Exception as exc:
            raise _Partial(exc, got) from None
        return got

    def get_json(self, url: str, params: dict | None = None, *, method: str = "GET") -> dict:
        """GET (or POST as a form) and decode JSON, with the retry policy and deadline. Not cached."""
        kwargs = {"params": params} if method == "GET" else {"data": params}

        def consume(resp, end):
            parts: list[bytes] = []
            self._read(resp, end, parts.append)
            return b"".join(parts)

        data = self._attempts(method, url, consume, **kwargs)
        try:
            return json.loads(data)
        except (ValueError, RecursionError):
            raise FetchError(f"{url}: expected JSON but got {describe_body(data)}") from None

    def fetch(self, url: str, *, licence: str, suffix: str = "", expect: str | None = None, what: str = "") -> CacheRecord:
        """Return the cache record for ``url``, downloading it first unless already cached.

        ``expect="zip"`` checks the body starts like a zip archive before it is
        cached. A body cut short, trickling past the deadline or failing to
        decode is retried; after the last attempt nothing is left in the cache.
        """
        rec = self.lookup(url)
        if rec is not None:
            return rec
        if self.offline:
            raise self.missing(url, what)
        self._prepare()

        def consume(resp, end):
            from tqdm import tqdm

            try:
                fd, tmp = self._temp(url_key(url)[:16])
            except OSError as exc:
                raise self._write_error(url, exc) from None
            try:
                with os.fdopen(fd, "wb") as handle, tqdm(
                    total=_content_length(resp), unit="B", unit_scale=True, desc=(what or url)[-40:],
                    disable=not self.progress, file=sys.stderr, leave=False,
                ) as bar:
                    def write(chunk: bytes) -> None:
                        try:
                            handle.write(chunk)
                        except OSError as exc:
                            raise self._write_error(url, exc) from None

                    self._read(resp, end, write, bar)
                    try:
                        handle.flush()
                        os.fsync(handle.fileno())
                    except OSError as exc:
                        raise self._write_error(url, exc) from None
                if expect == "zip":
                    check_zip_head(tmp, url)
                try:
                    return self._commit(url, tmp, suffix, licence)
                except OSError as exc:
                    raise self._write_error(url, exc) from None
            finally:
                tmp.unlink(missing_ok=True)

        return self._attempts("GET", url, consume, cached_note="; nothing was cached")


class _Partial(Exception):
    """A fault while reading a body, with the number of bytes that had arrived."""

    def __init__(self, cause: BaseException, got: int) -> None:
        super().__init__(str(cause))
        self.cause, self.got = cause, got


def _content_length(resp: requests.Response) -> int | None:
    try:
        n = int(resp.headers.get("Content-Length") or "")
    except ValueError:
        return None
    return n if n >= 0 else None


def _sha256_or_none(path: Path) -> str | None:
    try:
        return sha256_file(path)
    except OSError:  # unreadable (or a folder): treated as damaged
        return None


def log_warning(line: str) -> None:
    log.warning("%s", line)
