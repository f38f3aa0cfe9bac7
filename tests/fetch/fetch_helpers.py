"""Helpers for the fetch tests: real files zipped like Ofcom does, and a cache lister."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LA_FILE = ROOT / "data/ofcom/laua/202507_fixed_laua_coverage_r01_midlands.csv"
LSOA_FILE = ROOT / "boundaries/LSOA21_BSC_midlands.geojson"


class Sleeps(list):
    """Records the backoff waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def ofcom_style_zip(members: dict[str, bytes], folder: str | None) -> bytes:
    """A zip whose members sit inside ``folder/`` (Ofcom names the folder like the zip)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(f"{folder}/{name}" if folder else name, data)
    return buf.getvalue()


def cache_files(cache_dir: Path) -> list[str]:
    """Every file in the cache's files/ folder (temporary .part files included)."""
    d = Path(cache_dir) / "files"
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


# Fixtures (imported by the test modules; a conftest.py here would shadow tests/conftest.py's module name)
import pytest  # noqa: E402


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def fetcher(tmp_path, sleeps):
    from mapper.fetch._http import Fetcher

    return Fetcher(tmp_path / "cache", timeout=5, retries=3, sleep=sleeps, progress=False)


# ------------------------------------------------------------------ fault server
import socket  # noqa: E402
import socketserver  # noqa: E402
import struct  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

Answer = Callable[[socket.socket, "FaultServer"], None]


def _head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()), "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


def ok(body: bytes, content_type: str = "application/octet-stream", headers: dict | None = None) -> Answer:
    """A 200 answer with a Content-Length (and any extra ``headers``, e.g. a Content-Encoding)."""
    def answer(sock, server):
        head = {"Content-Type": content_type, "Content-Length": str(len(body)), **(headers or {})}
        sock.sendall(_head("200 OK", head) + body)
    return answer


def cut(body: bytes, at: int, how: str = "short") -> Answer:
    """Start sending ``body`` and drop the connection after ``at`` bytes.

    ``how``: ``"short"`` closes cleanly after announcing the full Content-Length;
    ``"chunked"`` sends chunks and closes without the final empty chunk;
    ``"reset"`` aborts the connection (TCP RST) after the partial body.
    """
    def answer(sock, server):
        if how == "chunked":
            sock.sendall(_head("200 OK", {"Transfer-Encoding": "chunked"}))
            part = body[:at]
            for i in range(0, len(part), 1000):
                piece = part[i: i + 1000]
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        else:
            sock.sendall(_head("200 OK", {"Content-Length": str(len(body))}) + body[:at])
        if how == "reset":
            time.sleep(0.2)  # let the partial body reach the client before the RST
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()  # now, before socketserver's orderly shutdown(SHUT_WR) could send a FIN
        else:
            sock.shutdown(socket.SHUT_WR)
    return answer


def trickle(body: bytes, every: float = 0.02) -> Answer:
    """Send ``body`` one byte every ``every`` seconds (each read succeeds; the whole never finishes soon).

    Appends ``"client hung up"`` or ``"sent all"`` to ``server.outcomes`` when done.
    """
    def answer(sock, server):
        sock.sendall(_head("200 OK", {"Content-Length": str(len(body))}))
        outcome = "sent all"
        for i in range(len(body)):
            if server.stopping.wait(every):
                outcome = "server stopped"
                break
            try:
                sock.sendall(body[i: i + 1])
            except OSError:  # the client gave up
                outcome = "client hung up"
                break
        with server.lock:
            server.outcomes.append(outcome)
    return answer


def redirect(location: str, status: str = "302 Found") -> Answer:
    def answer(sock, server):
        sock.sendall(_head(status, {"Location": location, "Content-Length": "0"}))
    return answer


class FaultServer:
    """A loopback HTTP/1.1 server (127.0.0.1 only) that misbehaves on purpose.

    ``script(path, *answers)`` sets the answers to successive requests for ``path``
    (query strings ignored); the last answer repeats. ``log`` lists every request
    target in order. Each answer writes raw bytes to the socket, so a body can be
    cut mid-way, trickled or reset, which a WSGI server cannot do.
    """

    def __init__(self) -> None:
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                sock = self.request
                data = sock.recv(4096)
                if data[:1] == b"\x16":  # a TLS ClientHello: answer in plain HTTP, as a misconfigured port would
                    sock.sendall(_head("400 Bad Request", {"Content-Length": "0"}))
                    return
                while b"\r\n\r\n" not in data and len(data) < 65536:
                    got = sock.recv(4096)
                    if not got:
                        return
                    data += got
                method, target = data.split(b"\r\n", 1)[0].decode("latin-1").split(" ")[:2]
                path = target.split("?", 1)[0]
                with outer.lock:
                    outer.log.append((method, target))
                    answers = outer.scripts.get(path) or [lambda s, srv: s.sendall(
                        _head("404 Not Found", {"Content-Length": "0"}))]
                    answer = answers.pop(0) if len(answers) > 1 else answers[0]
                try:
                    answer(sock, outer)
                except OSError:
                    pass

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
            block_on_close = False

        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.log: list[tuple[str, str]] = []
        self.outcomes: list[str] = []  # how trickled answers ended
        self.scripts: dict[str, list[Answer]] = {}
        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def script(self, path: str, *answers: Answer) -> str:
        with self.lock:
            self.scripts[path] = list(answers)
        return self.url(path)

    def wait_outcomes(self, n: int, limit: float = 30.0) -> list[str]:
        """The trickle outcomes once ``n`` have ended (waiting at most ``limit`` seconds)."""
        stop = time.monotonic() + limit
        while len(self.outcomes) < n and time.monotonic() < stop:
            time.sleep(0.02)
        return list(self.outcomes)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def start(self) -> FaultServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def faults():
    server = FaultServer().start()
    yield server
    server.stop()
