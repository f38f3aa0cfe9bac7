"""Publish a build's outputs as one set.

An output folder (``outputs/``, ``outputs/pack/``) looks like this after a run::

    outputs/
      midlands_la_priority.html -> .mapper/current/midlands_la_priority.html
      ...                          one relative link per published name, made once
      README.md                    anything the tool did not publish is left alone
      .mapper/
        lock                       held (flock) by the run publishing here
        current -> v7              the published set: switched by ONE rename
        v7/                        every file of the published set
        staging-<pid>-<random>/    files being written (removed when done, or by the next run)

:func:`publish_files` writes and fsyncs every file into a staging folder inside
the output folder (so every move is a rename on one file system, also when the
folder is a Docker volume or a tmpfs), renames it to a new version, makes sure
every published name is a link into ``.mapper/current``, and then replaces
``current`` in one :func:`os.replace`. Before that rename every name shows the
previous set; after it, the new one; a run killed at any point (even SIGKILL)
leaves one or the other, never a mix. Links of names the new set no longer has
and older versions are then removed; a run killed before that is tidied by the
next one. Users open, copy and email ``outputs/<name>`` as before: programs
follow the link (copy a whole folder with ``cp -rL``, ``tar -h`` or ``zip -r``).

Where links cannot be made (Windows without developer mode, FAT/exFAT, some
network shares) each file is instead renamed into place with a rollback on
error; only a hard kill during those renames can then leave a mix, and the
names published are recorded in ``.mapper/published.json``.

One run publishes into a folder at a time: a second one waits for the lock
(``MAPPER_PUBLISH_WAIT`` seconds, default 600) and then stops with one line.
:func:`contained_path` is the guard used before deleting anything a record or
manifest names.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from .._io import pid_alive
from ..errors import MapperError

log = logging.getLogger(__name__)

#: The tool's own folder inside every output folder (lock, versions, staging).
STATE = ".mapper"
CURRENT = "current"
LOCK = "lock"
#: Names published as plain files (no-symlink fallback), so the next run can remove the ones it drops.
RECORD = "published.json"
#: Seconds a run waits for another one publishing into the same folder (environment override).
WAIT_ENV = "MAPPER_PUBLISH_WAIT"
DEFAULT_WAIT = 600.0

_VERSION = re.compile(r"v(\d+)")


class PublishError(MapperError):
    """The outputs cannot be published: the folder is a file, read-only, full, or busy."""


# --- messages -----------------------------------------------------------------------------------------


def write_error_text(exc: OSError, path: str | os.PathLike, *, choose: str = "choose another --outputs folder",
                     folder: bool = True) -> str:
    """One line for an :class:`OSError` raised while writing ``path`` (a folder, or a file with ``folder=False``).

    >>> write_error_text(OSError(errno.EROFS, "Read-only file system"), "/srv/out")
    'cannot write into /srv/out: read-only or no permission; choose another --outputs folder'
    >>> write_error_text(OSError(errno.ENOSPC, "No space left on device"), "/srv/out")
    'disk full while writing /srv/out; free space and run again'
    """
    where = f"cannot write into {path}" if folder else f"cannot write {path}"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{where}: read-only or no permission; {choose}"
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return f"disk full while writing {path}; free space and run again"
    return f"{where}: {exc.strerror or exc}; check the path, or {choose}"


def check_output_dir(dest_dir: str | os.PathLike) -> Path:
    """``dest_dir`` when it is a folder or can be made one; else :class:`PublishError`.

    Catches an outputs path that is an existing file (or lies under one) before a
    build spends time rendering.
    """
    dest = Path(dest_dir)
    for path in (dest, *dest.parents):
        if path.is_dir():
            return dest
        if os.path.lexists(path):
            if path == dest:
                raise PublishError(f"{dest}: the outputs folder is a file, not a folder; move the file away or "
                                   "choose another --outputs folder (or outputs_dir in config.yaml)")
            raise PublishError(f"{dest}: {path} is a file, not a folder; choose another --outputs folder "
                               "(or outputs_dir in config.yaml)")
    return dest


# --- small file-system helpers -------------------------------------------------------------------------


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


def _link_target(name: str) -> str:
    """The relative link target of published name ``name`` (``maps/a.png`` -> ``../.mapper/current/maps/a.png``)."""
    depth = len(PurePosixPath(name).parts) - 1
    return "../" * depth + f"{STATE}/{CURRENT}/{name}"


def _is_our_link(path: Path, name: str) -> bool:
    try:
        return os.readlink(path) == _link_target(name)
    except OSError:
        return False


def _temp(state: Path, what: str) -> Path:
    """A temporary name in ``.mapper`` that :func:`clean_stale_staging` removes if this run is killed."""
    tmp = state / f"staging-{os.getpid()}-{what}"
    if os.path.lexists(tmp) and not tmp.is_dir():
        os.unlink(tmp)
    return tmp


def _symlink_over(target: str, path: Path, state: Path) -> None:
    """Make ``path`` a symbolic link to ``target``, replacing whatever entry is there in one rename."""
    tmp = _temp(state, "link")
    os.symlink(target, tmp)
    try:
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


def _symlinks_work(state: Path) -> bool:
    """Whether this file system (and OS, and user) can make symbolic links in ``state``."""
    if (state / CURRENT).is_symlink():
        return True
    try:
        probe = _temp(state, "probe")
        os.symlink(CURRENT, probe)
    except (OSError, NotImplementedError, AttributeError):
        return False
    os.unlink(probe)
    return True


def _current_version(state: Path) -> Path | None:
    """The version folder ``.mapper/current`` points at, if it is one."""
    try:
        name = os.readlink(state / CURRENT)
    except OSError:
        return None
    version = state / name
    return version if _VERSION.fullmatch(name) and version.is_dir() and not version.is_symlink() else None


def _versions(state: Path) -> list[Path]:
    return [p for p in state.iterdir() if _VERSION.fullmatch(p.name) and p.is_dir() and not p.is_symlink()] \
        if state.is_dir() else []


def _next_version(state: Path) -> Path:
    numbers = [int(_VERSION.fullmatch(p.name).group(1)) for p in _versions(state)]
    return state / f"v{max(numbers, default=0) + 1}"


def _read_record(state: Path) -> list[str]:
    try:
        doc = json.loads((state / RECORD).read_text("utf-8"))
        return [n for n in doc.get("files", []) if isinstance(n, str)]
    except (OSError, ValueError, AttributeError):
        return []


def _write_record(state: Path, names: list[str]) -> None:
    data = (json.dumps({"files": names}, indent=1) + "\n").encode("utf-8")
    tmp = _temp(state, "record")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, state / RECORD)


def _wait_seconds(wait: float | None) -> float:
    if wait is not None:
        return wait
    text = os.environ.get(WAIT_ENV, "").strip()
    if not text:
        return DEFAULT_WAIT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise PublishError(f"{WAIT_ENV}={text!r} is not a number of seconds; set it to e.g. 600 or unset it")
    return seconds


@contextmanager
def _publish_lock(dest: Path, state: Path, wait: float) -> Iterator[bool]:
    """Hold ``.mapper/lock`` (an exclusive flock) while publishing; wait up to ``wait`` seconds for it.

    Yields False where the OS or file system has no such lock (Windows, some network shares):
    the run then publishes without one.
    """
    try:
        import fcntl
    except ImportError:  # Windows
        log.warning("no file locking on this system: do not run two builds into %s at once", dest)
        yield False
        return
    fd = os.open(state / LOCK, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        deadline = None
        locked = True
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pass
            except OSError as exc:  # ENOLCK, EOPNOTSUPP ...: a file system without locks
                log.warning("cannot lock %s (%s): do not run two builds into %s at once", state / LOCK,
                            exc.strerror, dest)
                locked = False
                break
            holder = _lock_holder(state)
            if deadline is None:
                deadline = time.monotonic() + wait
                print(f"another build{holder} is publishing into {dest}; waiting (up to {wait:g} s)",
                      file=sys.stderr, flush=True)
            left = deadline - time.monotonic()
            if left <= 0:
                raise PublishError(f"another build{holder} is still publishing into {dest} after {wait:g} s; "
                                   f"let it finish (or stop it) and run again ({WAIT_ENV} sets the wait)")
            time.sleep(min(0.2, left))
        if locked:
            try:
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
            except (OSError, AttributeError):
                pass
        yield locked
    finally:
        os.close(fd)  # releases the lock


def _lock_holder(state: Path) -> str:
    try:
        pid = (state / LOCK).read_text("ascii").strip()
    except (OSError, ValueError):
        return ""
    return f" (process {pid})" if pid.isdigit() else ""


# --- public helpers --------------------------------------------------------------------------------------


def clean_stale_staging(dest_dir: str | os.PathLike, *, locked: bool = False) -> list[Path]:
    """Remove staging folders of ``dest_dir`` left behind by runs that were killed.

    A staging folder is ``<dest>/.mapper/staging-<pid>-<random>`` (older releases
    used ``.<dest>.staging-<pid>-<random>`` beside ``dest_dir``; those are removed
    too). With ``locked`` (the caller holds the publish lock, and runs only stage
    under it) every one is stale; otherwise one is stale when process ``<pid>``
    no longer runs, so a concurrent run's folder is left alone.
    """
    dest = Path(dest_dir)
    removed = []
    places = [(dest / STATE, "staging-", locked), (dest.parent, f".{dest.name}.staging-", False)]
    for folder, prefix, all_stale in places:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(prefix + "*")):
            pid_text = path.name[len(prefix):].split("-", 1)[0]
            if not all_stale and pid_text.isdigit() and pid_alive(int(pid_text)):
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:  # a temporary link or record
                try:
                    os.unlink(path)
                except OSError:
                    continue
            removed.append(path)
            log.info("removed stale staging folder %s", path)
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
    if not name or rel.is_absolute() or ".." in rel.parts or any(part.startswith(".") for part in rel.parts):
        raise ValueError(f"output name {name!r} must be a plain relative path")
    return rel


# --- publishing --------------------------------------------------------------------------------------


def publish_files(
    files: Mapping[str, bytes],
    dest_dir: str | os.PathLike,
    *,
    before_publish: Callable[[Path], None] | None = None,
    previous_names: Callable[[Path], Iterable[str]] | None = None,
    wait: float | None = None,
) -> list[Path]:
    """Write every file of ``files`` (name -> bytes) into ``dest_dir`` as one set.

    1. The publish lock of ``dest_dir`` is taken (waiting for another run, see
       the module doc); staging folders of killed runs are removed.
    2. Every file is written and fsynced into a fresh staging folder inside
       ``dest_dir/.mapper`` (the same file system, so the moves are renames).
    3. ``before_publish(staging)`` runs, if given (tests use it to stop a run there).
    4. The staging folder becomes a new version; every name of the set is made a
       link into ``.mapper/current`` (a plain file already there is first taken
       into the current version, so the name keeps showing its old content);
       then ``current`` is switched to the new version in one rename. Without
       symbolic links, the files are renamed into place one by one instead,
       moving the old ones back if a rename fails.
    5. Names the previous run published that this set does not have are removed:
       links of this tool (exact target), files named in ``.mapper/published.json``
       and, for files published by older releases, those ``previous_names(dest)``
       lists (read before anything is written; pack manifests). Only plain names
       inside ``dest_dir`` are deleted (:func:`contained_path`); anything else
       in the folder (a README, say) is never touched. Older versions are pruned.

    Nothing visible in ``dest_dir`` changes before step 4's switch, so a failure
    or an interrupt before it leaves the previous set as it was; the staging
    folder is removed on any exception. An :class:`OSError` becomes a one-line
    :class:`PublishError` (read-only or no permission, disk full ...).
    Returns the paths written, in name order.
    """
    dest = Path(dest_dir)
    names = sorted(files)
    rels = {name: _check_name(name) for name in names}
    check_output_dir(dest)
    seconds = _wait_seconds(wait)
    try:
        state = dest / STATE
        if state.is_symlink() or (os.path.lexists(state) and not state.is_dir()):
            raise PublishError(f"{state} is a link or a file, not the tool's own folder; remove it and run again")
        state.mkdir(parents=True, exist_ok=True)
        with _publish_lock(dest, state, seconds) as locked:
            clean_stale_staging(dest, locked=locked)
            legacy = set(previous_names(dest)) if previous_names is not None else set()
            staging = Path(tempfile.mkdtemp(prefix=f"staging-{os.getpid()}-", dir=state))
            try:
                staged = staging / "files"
                _stage(files, names, rels, staged)
                if before_publish is not None:
                    before_publish(staging)
                shown = {n for n in names if (dest / rels[n]).is_file()}
                if _symlinks_work(state):
                    removed = _switch(dest, state, staged, names, rels, legacy)
                else:
                    log.warning("%s: this file system cannot hold symbolic links; files are renamed into place one "
                                "by one (a hard kill during those renames can leave a mix of old and new files)", dest)
                    removed = _rename_each(dest, state, staging, names, rels, legacy)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except OSError as exc:
        raise PublishError(write_error_text(exc, dest)) from exc
    replaced = [n for n in names if n in shown]
    added = [n for n in names if n not in shown]
    log.info("published %d file(s) into %s; replaced: %s; new: %s; removed: %s", len(names), dest,
             ", ".join(replaced) or "none", ", ".join(added) or "none", ", ".join(removed) or "none")
    return [dest / rels[name] for name in names]


def _stage(files: Mapping[str, bytes], names: list[str], rels: dict[str, Path], staged: Path) -> None:
    staged.mkdir()
    for name in names:
        path = staged / rels[name]
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(files[name])
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(path, 0o644)
    for folder in {(staged / rels[n]).parent for n in names} | {staged}:
        _fsync_dir(folder)


def _parent_folder(dest: Path, rel: Path) -> Path:
    """The folder that holds published name ``rel``, made if missing; never reached through a link."""
    parent = dest
    for part in rel.parts[:-1]:
        parent = parent / part
        if parent.is_symlink() or (os.path.lexists(parent) and not parent.is_dir()):
            raise PublishError(f"{parent} is a file or a link, but the build writes files inside a folder of that "
                               "name; move it away and run again")
        parent.mkdir(exist_ok=True)
    return parent


def _switch(dest: Path, state: Path, staged: Path, names: list[str], rels: dict[str, Path],
            legacy: set[str]) -> list[str]:
    """Steps 4 and 5 with symbolic links: returns the names removed."""
    if (state / CURRENT).is_dir() and not (state / CURRENT).is_symlink():  # a copy that followed the link
        kept = _next_version(state)
        os.rename(state / CURRENT, kept)
        _symlink_over(kept.name, state / CURRENT, state)
    shown = _current_version(state)
    if shown is not None and any(Path(base, n).is_symlink() for base, dirs, files in os.walk(shown) for n in dirs + files):
        log.warning("%s holds links (not made by this tool); publishing from a fresh version", shown)
        shown = None
    version = _next_version(state)
    os.rename(staged, version)
    _fsync_dir(state)
    made: list[Path] = []
    try:
        for name in names:
            rel = rels[name]
            _parent_folder(dest, rel)
            path = dest / rel
            if path.is_symlink() and _is_our_link(path, name):
                continue
            if path.is_dir() and not path.is_symlink():
                raise PublishError(f"{path} is a folder, but the build writes a file of that name; "
                                   "move the folder away and run again")
            # ``.mapper/current/<name>`` must show what ``<name>`` shows now, so that the link changes nothing
            if shown is None:  # first run here with links: an empty version stands for the files already there
                shown = _next_version(state)
                shown.mkdir()
                _symlink_over(shown.name, state / CURRENT, state)
            kept = shown / rel
            if path.is_file():
                if not (kept.is_file() and os.path.samefile(path, kept)):  # (a killed run may have done it)
                    kept.parent.mkdir(parents=True, exist_ok=True)
                    tmp = _temp(state, "adopt")
                    try:
                        os.link(path, tmp, follow_symlinks=True)
                    except OSError:
                        shutil.copy2(path, tmp)
                    os.replace(tmp, kept)
            elif os.path.lexists(kept) and not kept.is_dir():
                os.unlink(kept)
            if os.path.lexists(path):
                _symlink_over(_link_target(name), path, state)
            else:
                os.symlink(_link_target(name), path)
                made.append(path)
        for folder in {(dest / rels[n]).parent for n in names}:
            _fsync_dir(folder)
        _symlink_over(version.name, state / CURRENT, state)  # the switch: one rename
        _fsync_dir(state)
    except BaseException:
        for path in made:  # links that pointed at nothing: harmless, but leave the folder as it was
            try:
                os.unlink(path)
            except OSError:
                pass
        if _current_version(state) != version:
            shutil.rmtree(version, ignore_errors=True)
        raise
    return _tidy(dest, state, set(names), legacy, keep=version)


def _rename_each(dest: Path, state: Path, staging: Path, names: list[str], rels: dict[str, Path],
                 legacy: set[str]) -> list[str]:
    """Step 4 without symbolic links: each file renamed into place, the old ones moved back on error."""
    new, old = staging / "files", staging / "old"
    moved: list[tuple[str, bool]] = []
    try:
        for name in names:
            _parent_folder(dest, rels[name])
            target = dest / rels[name]
            had_old = os.path.lexists(target)
            if had_old:
                backup = old / rels[name]
                backup.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(target, backup, follow_symlinks=False)
                except OSError:
                    shutil.copy2(target, backup, follow_symlinks=False)
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
    return _tidy(dest, state, set(names), legacy, keep=None)


def _our_links(dest: Path) -> Iterator[tuple[str, Path]]:
    """Every link under ``dest`` made by :func:`publish_files` for ``dest`` (exact target), as (name, path).

    ``.mapper`` folders and nested output folders (``outputs/pack``, which have their own) are skipped.
    """
    for base, dirs, files in os.walk(dest):
        here = Path(base)
        for entry in [*files, *dirs]:
            path = here / entry
            if path.is_symlink():
                name = path.relative_to(dest).as_posix()
                if _is_our_link(path, name):
                    yield name, path
        dirs[:] = [d for d in dirs if d != STATE and not (here / d).is_symlink() and not (here / d / STATE).exists()]


def _tidy(dest: Path, state: Path, keep_names: set[str], legacy: set[str], *, keep: Path | None) -> list[str]:
    """Step 5: remove what the previous sets published and this one does not; prune versions.

    The new set is already published, so a failure here is logged, not raised.
    """
    removed: list[str] = []
    try:
        for name, path in sorted(_our_links(dest)):
            if name not in keep_names:
                os.unlink(path)
                removed.append(name)
        for name in sorted((set(_read_record(state)) | legacy) - keep_names):
            path = contained_path(dest, name)  # plain names inside dest only, never through a link
            if path is not None and path.is_file() and not path.is_symlink():
                path.unlink()
                removed.append(name)
        for name in removed:  # folders left empty by the removals (never dest itself)
            parent = (dest / name).parent
            while parent != dest and contained_path(dest, parent.relative_to(dest).as_posix()) is not None:
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent
        if keep is None:  # plain files: record them; links and versions of earlier runs are gone
            _write_record(state, sorted(keep_names))
            if (state / CURRENT).is_symlink():
                os.unlink(state / CURRENT)
        elif (state / RECORD).exists():
            os.unlink(state / RECORD)
        for version in _versions(state):
            if version != keep:
                shutil.rmtree(version)
        _fsync_dir(dest)
    except OSError as exc:
        log.warning("published into %s, but could not tidy up after it (%s); the next run will", dest, exc)
    return sorted(set(removed))
