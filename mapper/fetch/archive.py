"""Safe extraction of members from downloaded zip archives.

Ofcom and BDUK publish zips; some hold their CSVs inside a folder named like
the zip, some hold further zips. :func:`extract_members` writes the chosen
members *flat* into one folder (by base name) and refuses, with an
:class:`~mapper.errors.ArchiveError` naming the archive and member:

* bodies that are not zips at all (an HTML error page saved as ``.zip``),
* truncated or corrupt archives, including members whose CRC does not match,
* member names that would escape the folder (``../x``, ``/etc/x``, ``C:\\x``:
  "zip slip"),
* members larger than ``max_member_bytes`` or archives whose chosen members
  together exceed ``max_total_bytes``. The declared sizes are checked first,
  and the bytes actually inflated are counted while streaming. (Python's
  zipfile also never inflates past a member's declared size, so a member that
  lies about its size, a zip bomb, stops there and fails its CRC check.)

On any error, every file this call had written is removed, so a failed
extraction leaves nothing half-done behind.
"""

from __future__ import annotations

import fnmatch
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

from ..errors import ArchiveError
from ._http import ZIP_MAGIC, describe_body

DEFAULT_MAX_MEMBER_BYTES = 4 << 30  # 4 GiB: the largest Ofcom/BDUK CSVs are well under 1 GiB
DEFAULT_MAX_TOTAL_BYTES = 16 << 30
_CHUNK = 1 << 20


def _matcher(include: Iterable[str] | Callable[[str], bool] | None) -> Callable[[str], bool]:
    """Turn ``include`` (None, globs on the base name, or a predicate on the member name) into a predicate."""
    if include is None:
        return lambda name: True
    if callable(include):
        return include
    patterns = [p.casefold() for p in include]
    return lambda name: any(fnmatch.fnmatchcase(PurePosixPath(name).name.casefold(), p) for p in patterns)


def unsafe_member_name(name: str) -> bool:
    """True if a member name is absolute or climbs out of the extraction folder.

    >>> [unsafe_member_name(n) for n in ("a/b.csv", "../b.csv", "/etc/x", "C:\\\\x.csv", "a/../../b")]
    [False, True, True, True, True]
    """
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        return True
    return ".." in PurePosixPath(norm).parts


def extract_members(
    zip_path: str | os.PathLike,
    dest_dir: str | os.PathLike,
    *,
    include: Iterable[str] | Callable[[str], bool] | None = None,
    max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
) -> list[Path]:
    """Extract the members chosen by ``include`` into ``dest_dir`` (flat, by base name).

    ``include`` is ``None`` (every file member), an iterable of glob patterns
    matched case-insensitively against each member's base name (``"*_CV.csv"``),
    or a predicate on the full member name. Returns the written paths, sorted.
    """
    zip_path, dest = Path(zip_path), Path(dest_dir)
    try:
        with open(zip_path, "rb") as handle:
            head = handle.read(512)
    except OSError as exc:
        raise ArchiveError(f"{zip_path}: cannot read archive ({exc.strerror})") from None
    if not head.startswith(ZIP_MAGIC):
        raise ArchiveError(f"{zip_path}: not a zip archive: it is {describe_body(head)}")
    wanted = _matcher(include)
    written: list[Path] = []
    try:
        try:
            archive = zipfile.ZipFile(zip_path)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ArchiveError(f"{zip_path}: corrupt or truncated zip archive ({exc}); delete it and download again") from None
        with archive:
            infos = archive.infolist()
            bad = [i.filename for i in infos if unsafe_member_name(i.filename)]
            if bad:
                raise ArchiveError(
                    f"{zip_path}: member {bad[0]!r} has an absolute or '..' path that would be written outside "
                    "the extraction folder (zip slip); the archive was not extracted"
                )
            chosen = [i for i in infos if not i.is_dir() and wanted(i.filename)]
            names: dict[str, str] = {}
            for info in chosen:
                base = PurePosixPath(info.filename.replace("\\", "/")).name
                if base in names:
                    raise ArchiveError(f"{zip_path}: members {names[base]!r} and {info.filename!r} have the same file name")
                names[base] = info.filename
                if info.file_size > max_member_bytes:
                    raise ArchiveError(
                        f"{zip_path}: member {info.filename!r} declares {info.file_size:,} bytes uncompressed, over the "
                        f"cap of {max_member_bytes:,} (fetch.max_member_mb in config.yaml)"
                    )
            declared = sum(i.file_size for i in chosen)
            if declared > max_total_bytes:
                raise ArchiveError(
                    f"{zip_path}: the chosen members declare {declared:,} bytes uncompressed, over the cap of "
                    f"{max_total_bytes:,} (fetch.max_total_mb in config.yaml)"
                )
            dest.mkdir(parents=True, exist_ok=True)
            total = 0
            for info in chosen:
                target = dest / PurePosixPath(info.filename.replace("\\", "/")).name
                fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=dest)
                tmp = Path(tmp_name)
                try:
                    size = 0
                    with os.fdopen(fd, "wb") as out, archive.open(info) as member:
                        while chunk := member.read(_CHUNK):
                            size += len(chunk)
                            total += len(chunk)
                            if size > max_member_bytes:
                                raise ArchiveError(
                                    f"{zip_path}: member {info.filename!r} inflates past the cap of {max_member_bytes:,} "
                                    f"bytes (it declared {info.file_size:,}); the archive may be malicious"
                                )
                            if total > max_total_bytes:
                                raise ArchiveError(f"{zip_path}: members inflate past the total cap of {max_total_bytes:,} bytes")
                            out.write(chunk)
                    os.replace(tmp, target)
                    written.append(target)
                except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                    raise ArchiveError(
                        f"{zip_path}: member {info.filename!r} is corrupt ({exc}); the download is damaged, "
                        "delete it and download again"
                    ) from None
                finally:
                    tmp.unlink(missing_ok=True)
    except BaseException:
        for p in written:
            p.unlink(missing_ok=True)
        raise
    return sorted(written)
