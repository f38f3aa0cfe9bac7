"""File input/output helpers shared by the stages.

* :func:`read_text` decodes a CSV the way Ofcom and ONS have shipped them:
  UTF-8 with or without a byte-order mark, or Windows cp1252.
* :func:`atomic_write_bytes` / :func:`atomic_write_text` write to a temporary
  file in the target folder and rename it into place, so a reader never sees a
  half-written output.
* :func:`check_input_file` refuses folders, devices, pipes and oversize files
  before anything is opened.
* :func:`csv_text` is the one CSV writer: text cells that a spreadsheet would
  run as a formula are made inert.

Publishing a whole set of outputs is :mod:`mapper.publish.files`.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path

from .errors import InputFileError

BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

#: Largest CSV or other text input read into memory (1 GiB). Every input is read whole, so a
#: larger file is almost certainly the wrong file (or a device such as /dev/zero).
MAX_TEXT_BYTES = 1 << 30
#: Largest boundary file (GeoJSON, GeoPackage, zipped shapefile): 2 GiB.
MAX_BOUNDARY_BYTES = 2 << 30
#: Largest config file: 1 MiB (the shipped one is under 10 KB).
MAX_CONFIG_BYTES = 1 << 20


def _size_text(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:,.1f} {unit}".replace(".0 ", " ")
    return f"{n:,} bytes"


def check_input_file(path: str | os.PathLike, *, what: str = "input file", max_bytes: int = MAX_TEXT_BYTES,
                     hint: str = "check the path in config.yaml") -> Path:
    """``path`` when it is a regular file no larger than ``max_bytes``; else :class:`InputFileError`.

    A folder, a device (``/dev/zero``), a named pipe or a socket would make a reader
    fail with a traceback, block for ever or fill the memory, so they are refused
    before anything is opened. Symbolic links to regular files are followed.

    >>> check_input_file("/dev/null", what="CSV")
    Traceback (most recent call last):
    ...
    mapper.errors.InputFileError: /dev/null: the CSV is a device, not a regular file; point the setting at a file (check the path in config.yaml)
    """
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputFileError(f"{path}: {what} not found; {hint}") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read the {what} ({exc.strerror}); {hint}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputFileError(f"{path}: the {what} is a folder, not a file; point the setting at a file inside it ({hint})")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "a device")
        raise InputFileError(f"{path}: the {what} is {kind}, not a regular file; point the setting at a file ({hint})")
    if st.st_size > max_bytes:
        raise InputFileError(
            f"{path}: the {what} is {_size_text(st.st_size)}, over the {_size_text(max_bytes)} limit for inputs read "
            f"into memory; check it is the right file, or split it ({hint})"
        )
    return path


def read_head(path: str | os.PathLike, n: int = 65536) -> bytes:
    """The first ``n`` bytes of a (checked) regular file."""
    with open(path, "rb") as handle:
        return handle.read(n)


def read_text(path: str | os.PathLike) -> tuple[str, str]:
    """Return ``(text, encoding)`` for a text file, with newlines normalised to ``\\n``.

    The encoding is ``utf-8-sig`` when the file starts with a UTF-8 byte-order
    mark, ``utf-8`` when the bytes decode as UTF-8, and ``cp1252`` otherwise
    (Ofcom's older releases, where "Ynys Môn" is the single byte 0xF4).
    """
    path = check_input_file(path, what="file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read file ({exc.strerror})") from None
    if raw.startswith(UTF16_BOMS):
        raise InputFileError(
            f"{path}: the file is UTF-16 text (Excel's 'Unicode Text' export), not a CSV; "
            "re-save it as 'CSV UTF-8 (comma delimited)'"
        )
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
        raise InputFileError(
            f"{path}: contains NUL bytes, so it is not CSV text (UTF-16, a spreadsheet or a zip?); "
            "re-save it as 'CSV UTF-8 (comma delimited)'"
        )
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


#: First characters that make a spreadsheet treat a text cell as a formula (or strip it into one).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: object) -> object:
    """Text that a spreadsheet would run as a formula, made inert with a leading apostrophe.

    Only text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
    changed; numbers and other text are returned as they are.

    >>> neutralise_formula("=HYPERLINK(\\"http://x\\")"), neutralise_formula("Bassetlaw"), neutralise_formula(-3)
    ('\\'=HYPERLINK("http://x")', 'Bassetlaw', -3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_text(frame) -> str:
    """A table as CSV text (``\\n`` line ends, no index) with every text cell made formula-safe.

    The one writer for every CSV the tool publishes, so an area name such as
    ``=cmd|...`` can never reach a spreadsheet as a live formula.
    """
    import io

    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            text = series.astype("string")
            risky = text.str.startswith(FORMULA_TRIGGERS).fillna(False).to_numpy(dtype=bool)
            if risky.any():
                series = series.astype(object).copy()
                series[risky] = ["'" + str(v) for v in series[risky]]
                out[col] = series
    buf = io.StringIO()
    out.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` is still running (a lock or a temporary file may belong to it)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


def load_yaml(text: str):
    """Parse YAML text safely, with libyaml's C parser when PyYAML has it (about 20x faster; same results).

    >>> load_yaml("a: [1, 2]")
    {'a': [1, 2]}
    """
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
