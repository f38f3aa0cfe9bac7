"""Publish a build's outputs as one set.

:func:`publish_files` writes every file into a staging folder beside the target
folder, fsyncs them, and only then moves them into place, so a run that fails or
is stopped midway leaves the previous set untouched. :func:`contained_path` is
the guard used before deleting anything a manifest names.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath

log = logging.getLogger(__name__)


def _fsync_dir(path: Path) -> None:
    """Flush a folder's entries (new names, renames) to disk where the OS allows it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _staging_prefix(dest: Path) -> str:
    return f".{dest.name}.staging-"


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_staging(dest_dir: str | os.PathLike) -> list[Path]:
    """Remove staging folders of ``dest_dir`` left behind by runs that were killed.

    A staging folder is named ``.<dest>.staging-<pid>-<random>`` and lives
    beside ``dest_dir``; it is stale when process ``<pid>`` no longer runs.
    Folders of live processes (a concurrent run) are left alone.
    """
    dest = Path(dest_dir)
    removed = []
    prefix = _staging_prefix(dest)
    if not dest.parent.is_dir():
        return removed
    for folder in sorted(dest.parent.glob(prefix + "*")):
        pid_text = folder.name[len(prefix):].split("-", 1)[0]
        if pid_text.isdigit() and _pid_alive(int(pid_text)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
        log.info("removed stale staging folder %s", folder)
    return removed


def contained_path(root: str | os.PathLike, name: object) -> Path | None:
    """``root / name`` when ``name`` is a plain, normalised relative path that stays inside ``root``
    without passing through a symbolic link; otherwise None.

    Used before deleting a file named in a manifest that may have been planted or received:
    absolute paths, ``..``, ``.``, backslashes, empty parts and any symlinked folder (or file)
    on the way are refused, so nothing outside ``root`` can be touched.

    >>> contained_path("/tmp/pack", "maps/a.png").as_posix(), contained_path("/tmp/pack", "/etc/passwd")
    ('/tmp/pack/maps/a.png', None)
    >>> contained_path("/tmp/pack", "maps/../../x"), contained_path("/tmp/pack", "a//b")
    (None, None)
    """
    if not isinstance(name, str) or not name or "\\" in name or "\x00" in name:
        return None
    rel = PurePosixPath(name)
    if rel.is_absolute() or str(rel) != name or any(part in ("", ".", "..") for part in rel.parts):
        return None
    root = Path(root)
    current = root
    for part in rel.parts:
        current = current / part
        if current.is_symlink():
            return None
    real_root = os.path.realpath(root)
    real = os.path.realpath(current)
    if os.path.commonpath([real_root, real]) != real_root or real == real_root:
        return None
    return current


def _check_name(name: str) -> Path:
    rel = Path(name)
    if not name or rel.is_absolute() or ".." in rel.parts or rel.parts[0].startswith("."):
        raise ValueError(f"output name {name!r} must be a plain relative path")
    return rel


def publish_files(
    files: Mapping[str, bytes],
    dest_dir: str | os.PathLike,
    *,
    before_publish: Callable[[Path], None] | None = None,
) -> list[Path]:
    """Write every file of ``files`` (name -> bytes) into ``dest_dir`` as one set.

    1. Stale staging folders from killed runs are removed.
    2. Every file is written and fsynced into a fresh staging folder created
       beside ``dest_dir`` (same parent, hence the same file system, so the
       moves below are renames, not copies).
    3. ``before_publish(staging)`` runs, if given (a test hook).
    4. Each file is moved into place with :func:`os.replace`. The previous
       version is first hard-linked into the staging folder, so if anything
       fails during the moves, the files already moved are put back and
       ``dest_dir`` ends as it was.

    Files in ``dest_dir`` that are not in ``files`` (a README, say) are not
    touched. The staging folder is removed on success and on any exception,
    including :class:`KeyboardInterrupt`. Only a hard kill (SIGKILL, power
    loss) during step 4, a handful of renames, can leave a mix of old and new
    files; the staging folder it leaves is removed by the next run.
    Returns the paths written, in name order.
    """
    dest = Path(dest_dir)
    names = sorted(files)
    rels = {name: _check_name(name) for name in names}
    dest.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_staging(dest)
    staging = Path(tempfile.mkdtemp(prefix=f"{_staging_prefix(dest)}{os.getpid()}-", dir=dest.parent))
    new, old = staging / "new", staging / "old"
    try:
        for name in names:
            path = new / rels[name]
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(files[name])
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(path, 0o644)
        for folder in {(new / rels[n]).parent for n in names}:
            _fsync_dir(folder)
        if before_publish is not None:
            before_publish(staging)
        dest.mkdir(parents=True, exist_ok=True)
        moved: list[tuple[str, bool]] = []
        try:
            for name in names:
                target = dest / rels[name]
                had_old = target.exists()
                if had_old:
                    backup = old / rels[name]
                    backup.parent.mkdir(parents=True, exist_ok=True)
                    try:
                        os.link(target, backup)
                    except OSError:
                        shutil.copy2(target, backup)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(new / rels[name], target)
                moved.append((name, had_old))
        except BaseException:
            for name, had_old in reversed(moved):
                target = dest / rels[name]
                if had_old:
                    os.replace(old / rels[name], target)
                else:
                    target.unlink(missing_ok=True)
            log.warning("publishing into %s failed; %d file(s) moved back", dest, len(moved))
            raise
        _fsync_dir(dest)
        replaced = [n for n, had_old in moved if had_old]
        added = [n for n, had_old in moved if not had_old]
        log.info("published %d file(s) into %s; replaced: %s; new: %s", len(moved), dest,
                 ", ".join(replaced) or "none", ", ".join(added) or "none")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [dest / rels[name] for name in names]
