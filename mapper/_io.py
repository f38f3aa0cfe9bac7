"""File input/output helpers shared by the stages.

* :func:`read_text` decodes a CSV the way Ofcom and ONS have shipped them:
  UTF-8 with or without a byte-order mark, or Windows cp1252.
* :func:`atomic_write_bytes` / :func:`atomic_write_text` write to a temporary
  file in the target folder and rename it into place, so a reader never sees a
  half-written output.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from .errors import InputFileError

BOM = b"\xef\xbb\xbf"


def read_text(path: str | os.PathLike) -> tuple[str, str]:
    """Return ``(text, encoding)`` for a text file, with newlines normalised to ``\\n``.

    The encoding is ``utf-8-sig`` when the file starts with a UTF-8 byte-order
    mark, ``utf-8`` when the bytes decode as UTF-8, and ``cp1252`` otherwise
    (Ofcom's older releases, where "Ynys Môn" is the single byte 0xF4).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"{path}: file not found; check the path in config.yaml") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read file ({exc.strerror})") from None
    if raw.startswith(BOM):
        text, encoding = raw[len(BOM):].decode("utf-8", errors="strict"), "utf-8-sig"
    else:
        try:
            text, encoding = raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            try:
                text, encoding = raw.decode("cp1252"), "cp1252"
            except UnicodeDecodeError as exc:
                raise InputFileError(
                    f"{path}: byte {exc.start} is neither UTF-8 nor Windows-1252 text; "
                    "re-save the file as UTF-8 CSV"
                ) from None
    if "\x00" in text:
        raise InputFileError(f"{path}: contains NUL bytes, so it is not a CSV text file")
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text (``\\n`` line ends) atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))
