"""No partial outputs: a run that fails or is stopped midway leaves outputs/ exactly as it was.

What a user sees in an output folder is the set of names that open as files
(:func:`snapshot`; the tool's own ``.mapper`` folder is left out). In-process
tests inject failures into the last render stage, into writing the last staged
file and into every step of the switch; subprocess tests stop a real
``python -m mapper build`` with SIGTERM and SIGKILL after it has staged every
file, SIGKILL a publishing process at every single file-system call of the
switch and check that the folder shows the whole old set or the whole new set,
run two publishers into one folder at once (the second waits for the first),
and build twice under different hash seeds to show the outputs are
byte-identical across processes (the in-process rerun test lives in
tests/test_pipeline.py).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from _paths import ROOT
from test_bad_inputs import run_cli

from mapper import pipeline
from mapper.publish import files as publish_files_module
from mapper.publish.files import PublishError, clean_stale_staging, publish_files

STATE = publish_files_module.STATE


def snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every name under ``folder`` that opens as a file (links followed; ``.mapper`` left out)."""
    found = {}
    for base, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != STATE)
        for name in names:
            path = Path(base) / name
            if path.is_file():
                found[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return dict(sorted(found.items()))


def staging_dirs(folder: Path) -> list[Path]:
    return sorted((folder / STATE).glob("staging-*"))


def assert_tidy(folder: Path) -> None:
    """After a completed run: one version, ``current`` points at it, no staging, no dangling link of ours."""
    state = folder / STATE
    versions = sorted(p.name for p in state.iterdir() if p.name.startswith("v"))
    assert versions == [os.readlink(state / "current")], versions
    assert staging_dirs(folder) == []
    dangling = [p for p in folder.rglob("*") if p.is_symlink() and not p.exists() and STATE not in p.parts
                and f"{STATE}/current/" in os.readlink(p)]
    assert dangling == []


def as_bytes(files: dict[str, str]) -> dict[str, bytes]:
    return {k: v.encode("utf-8") for k, v in files.items()}


def digests(files: dict[str, str]) -> dict[str, str]:
    return dict(sorted((k, hashlib.sha256(v.encode("utf-8")).hexdigest()) for k, v in files.items()))


@pytest.fixture
def outputs(built, tmp_path):
    """A copy of a real build's outputs/ (plus a README the tool must never touch)."""
    out = tmp_path / "outputs"
    shutil.copytree(built, out, symlinks=True)
    (out / "README.md").write_text("kept as is\n", "utf-8")
    return out


@pytest.fixture(scope="module")
def rendered(cfg, frames):
    return pipeline.render_outputs(cfg, frames)


def test_failure_in_the_last_render_stage_changes_nothing(cfg, frames, outputs, monkeypatch):
    import mapper.render as render

    before = snapshot(outputs)
    name = "render_level" if hasattr(render, "render_level") else "render_map"
    real, calls = getattr(render, name), []

    def second_level_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("injected failure while rendering the second level")
        return real(*args, **kwargs)

    monkeypatch.setattr(render, name, second_level_fails)
    monkeypatch.setattr(pipeline, "build_frames", lambda c: frames)
    with pytest.raises(RuntimeError, match="injected"):
        pipeline.build(replace(cfg, outputs_dir=outputs))
    assert len(calls) == 2
    assert snapshot(outputs) == before
    assert staging_dirs(outputs) == []


def test_disk_full_writing_the_last_staged_file_changes_nothing(rendered, outputs, monkeypatch):
    before = snapshot(outputs)
    changed = {name: data + b"\n" for name, data in rendered.items()}
    real_fsync, calls = os.fsync, []

    def fail_on_last_file(fd):
        calls.append(fd)
        if len(calls) == len(changed):
            raise OSError(errno.ENOSPC, "No space left on device (injected)")
        return real_fsync(fd)

    monkeypatch.setattr(publish_files_module.os, "fsync", fail_on_last_file)
    with pytest.raises(PublishError) as info:
        pipeline.write_outputs(changed, outputs)
    assert str(info.value) == f"disk full while writing {outputs}; free space and run again"
    assert snapshot(outputs) == before
    assert staging_dirs(outputs) == []


def test_a_failure_at_any_step_of_the_switch_changes_nothing(rendered, outputs, monkeypatch):
    """Fail the 1st, 2nd, ... rename / link call after staging until the run gets through: each failed run
    leaves the folder showing the old set, with no staging folder, extra version or link of a new name."""
    before = snapshot(outputs)
    changed = {name: data + b"\n" for name, data in rendered.items()}
    changed["zz_new_output.txt"] = b"a file the previous run did not have\n"
    counter = {"n": 0, "fail_at": 0}
    reals = {name: getattr(os, name) for name in ("replace", "rename", "symlink", "link")}

    def failing(name):
        def call(*args, **kwargs):
            counter["n"] += 1
            if counter["n"] == counter["fail_at"]:
                raise OSError(errno.EIO, f"I/O error (injected into os.{name})")
            return reals[name](*args, **kwargs)
        return call

    for name in reals:
        monkeypatch.setattr(publish_files_module.os, name, failing(name))
    for fail_at in range(1, 100):
        counter.update(n=0, fail_at=fail_at)
        try:
            pipeline.write_outputs(changed, outputs)
        except PublishError as exc:
            assert "injected" in str(exc) and str(outputs) in str(exc)
            assert snapshot(outputs) == before, fail_at
            assert staging_dirs(outputs) == []
            assert not os.path.lexists(outputs / "zz_new_output.txt")
            assert_tidy(outputs)
        else:
            break
    assert fail_at >= 4, fail_at  # version rename, the new name's link, the switch (link + rename) at least
    assert snapshot(outputs) == {**before, **{n: hashlib.sha256(d).hexdigest() for n, d in changed.items()}}
    assert_tidy(outputs)


def test_success_replaces_every_file_leaves_others_and_logs_the_set(rendered, outputs, caplog):
    changed = {name: data + b"\n" for name, data in rendered.items()}
    changed["zz_new_output.txt"] = b"new\n"
    with caplog.at_level(logging.INFO, logger="mapper.publish.files"):
        paths = pipeline.write_outputs(changed, outputs)
    assert [p.relative_to(outputs).as_posix() for p in paths] == sorted(changed)
    for name, data in changed.items():
        assert (outputs / name).read_bytes() == data
        assert os.readlink(outputs / name) == f"{STATE}/current/{name}"  # a relative link into the current set
    assert (outputs / "README.md").read_text("utf-8") == "kept as is\n"
    message = next(r.getMessage() for r in caplog.records if "published" in r.getMessage())
    assert "replaced: audit.json" in message and "new: zz_new_output.txt" in message
    assert [p.name for p in outputs.glob(".*")] == [STATE]
    assert_tidy(outputs)


def test_staging_is_inside_the_output_folder_so_a_mounted_folder_works(tmp_path, monkeypatch):
    """outputs/ as a Docker volume or tmpfs: a rename between it and its parent fails with EXDEV."""
    out = tmp_path / "parent" / "outputs"
    out.mkdir(parents=True)
    (out / "README.md").write_text("mine", "utf-8")
    reals = {name: getattr(os, name) for name in ("replace", "rename", "link")}

    def same_mount_only(name):
        def call(src, dst, *args, **kwargs):
            inside = [os.path.abspath(p).startswith(str(out) + os.sep) for p in (src, dst)]
            if inside[0] != inside[1]:
                raise OSError(errno.EXDEV, "Invalid cross-device link (injected)", src, None, dst)
            return reals[name](src, dst, *args, **kwargs)
        return call

    for name in reals:
        monkeypatch.setattr(publish_files_module.os, name, same_mount_only(name))
    publish_files({"a.html": b"1", "maps/b.png": b"2"}, out)
    publish_files({"a.html": b"3", "maps/b.png": b"4"}, out)
    assert snapshot(out) == digests({"README.md": "mine", "a.html": "3", "maps/b.png": "4"})
    assert os.listdir(out.parent) == ["outputs"]  # nothing staged beside the mount
    assert_tidy(out)


def test_a_rebuild_removes_what_the_previous_build_published_and_nothing_else(tmp_path):
    out = tmp_path / "outputs"
    split = {"midlands_lsoa_priority.html": "overview", "midlands_lsoa_priority_E06000015.html": "Derby",
             "midlands_lsoa_priority_E06000016.html": "Leicester", "maps/E06000015.png": "png"}
    publish_files(as_bytes(split), out)
    (out / "README.md").write_text("the user's", "utf-8")
    (out / "maps" / "mine.png").write_text("the user's", "utf-8")
    (out / "my_link.html").symlink_to(out / "midlands_lsoa_priority_E06000015.html")
    publish_files(as_bytes({"midlands_lsoa_priority.html": "one map"}), out)
    assert snapshot(out) == digests({"README.md": "the user's", "maps/mine.png": "the user's",
                                     "midlands_lsoa_priority.html": "one map"})
    assert (out / "my_link.html").is_symlink()  # the user's link is left (dangling) as it was
    assert_tidy(out)
    publish_files(as_bytes({"midlands_lsoa_priority.html": "one map"}), out)  # a rerun changes nothing
    assert snapshot(out)["midlands_lsoa_priority.html"] == digests({"x": "one map"})["x"]


def test_a_folder_of_plain_files_from_an_older_release_is_taken_over(tmp_path):
    out = tmp_path / "outputs"
    (out / "maps").mkdir(parents=True)
    for name, text in {"a.html": "old a", "maps/b.png": "old b", "README.md": "mine"}.items():
        (out / name).write_text(text, "utf-8")
    publish_files(as_bytes({"a.html": "new a", "maps/b.png": "new b", "c.csv": "new c"}), out)
    assert snapshot(out) == digests({"a.html": "new a", "maps/b.png": "new b", "c.csv": "new c", "README.md": "mine"})
    assert (out / "a.html").is_symlink() and not (out / "README.md").is_symlink()
    assert_tidy(out)


def test_a_copy_of_the_folder_that_followed_the_links_can_be_published_into(tmp_path):
    first = tmp_path / "first"
    publish_files(as_bytes({"a.html": "1", "maps/b.png": "2"}), first)
    copy = tmp_path / "copy"
    shutil.copytree(first, copy)  # follows links: plain files, and a plain .mapper/current folder
    publish_files(as_bytes({"a.html": "3"}), copy)
    assert snapshot(copy) == digests({"a.html": "3", "maps/b.png": "2"})  # plain files are not known to be ours
    assert_tidy(copy)


def test_without_symbolic_links_files_are_renamed_into_place_and_recorded(tmp_path, monkeypatch, caplog):
    def no_symlinks(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted (injected: no symbolic links here)")

    monkeypatch.setattr(publish_files_module.os, "symlink", no_symlinks)
    out = tmp_path / "outputs"
    with caplog.at_level(logging.WARNING, logger="mapper.publish.files"):
        publish_files(as_bytes({"a.html": "1", "per_la/E06000015.html": "2", "b.csv": "3"}), out)
    assert "cannot hold symbolic links" in caplog.text
    (out / "README.md").write_text("mine", "utf-8")
    assert not any(p.is_symlink() for p in out.rglob("*"))
    record = json.loads((out / STATE / "published.json").read_text("utf-8"))
    assert record == {"files": ["a.html", "b.csv", "per_la/E06000015.html"]}
    publish_files(as_bytes({"a.html": "4", "b.csv": "3"}), out)
    assert snapshot(out) == digests({"a.html": "4", "b.csv": "3", "README.md": "mine"})
    assert not (out / "per_la").exists()  # emptied by the removal, so removed too
    monkeypatch.undo()  # links work again: the folder switches to links, the record goes
    publish_files(as_bytes({"a.html": "5"}), out)
    assert snapshot(out) == digests({"a.html": "5", "README.md": "mine"})
    assert not (out / STATE / "published.json").exists()
    assert_tidy(out)


def test_stale_staging_of_a_dead_run_is_removed(tmp_path):
    out = tmp_path / "outputs"
    dead = out / STATE / "staging-999999999-abc"  # no such process
    old_dead = tmp_path / ".outputs.staging-999999999-abc"  # beside the folder: older releases staged there
    old_live = tmp_path / f".outputs.staging-{os.getppid()}-xyz"  # a running process (an older release's build)
    for d in (dead, old_dead, old_live):
        (d / "new").mkdir(parents=True)
        (d / "new" / "audit.json").write_text("{}", "utf-8")
    (out / STATE / "staging-999999999-link").symlink_to("v1")
    pipeline.write_outputs({"a.txt": b"a\n"}, out)
    assert not dead.exists() and not old_dead.exists() and old_live.exists()
    assert staging_dirs(out) == []
    assert (out / "a.txt").read_bytes() == b"a\n"


def test_output_names_must_stay_inside_the_folder(tmp_path):
    for bad in ("../escape.txt", "/abs.txt", ".hidden", "maps/.mapper", f"{STATE}/current/x"):
        with pytest.raises(ValueError):
            pipeline.write_outputs({bad: b"x"}, tmp_path / "outputs")
    assert not (tmp_path / "escape.txt").exists()


@pytest.mark.browser
def test_a_published_map_opens_through_its_link_in_chromium(built):
    """Users open ``outputs/<map>.html`` itself (a link into ``.mapper/current``), not the resolved path."""
    from _browser import canvas_stats, start_driver, wait_drawn

    link = built / "midlands_la_priority.html"
    assert link.is_symlink() and not os.path.isabs(os.readlink(link))
    driver = start_driver()
    try:
        driver.get(link.absolute().as_uri())
        assert wait_drawn(driver)
        stats = canvas_stats(driver)
        assert stats and stats["painted"] / stats["sampled"] > 0.05, stats
        assert driver.execute_script("return location.pathname") == link.absolute().as_posix()
    finally:
        driver.quit()


# --- the CLI: read-only folder, full disk, a folder that is a file, a busy folder -------------------------


@pytest.fixture
def stub_build(monkeypatch):
    """``python -m mapper build`` with loading and rendering replaced by a small set of files."""
    files = {"midlands_la_priority.html": b"<html>new</html>\n", "audit.json": b"{}\n"}
    monkeypatch.setattr(pipeline, "build_frames", lambda cfg: None)
    monkeypatch.setattr(pipeline, "render_outputs", lambda cfg, frames: dict(files))
    return files


def _read_only_outside(monkeypatch, folder: Path) -> None:
    """Every write into ``folder`` fails with EROFS, as on a read-only mount (chmod does not stop root)."""
    real_open, real_mkdir = os.open, os.mkdir
    writes = os.O_WRONLY | os.O_RDWR | os.O_CREAT

    def inside(path) -> bool:
        return os.path.abspath(os.fsdecode(path)).startswith(str(folder))

    def ro_open(path, flags, *args, **kwargs):
        if flags & writes and inside(path):
            raise OSError(errno.EROFS, "Read-only file system", os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    def ro_mkdir(path, *args, **kwargs):
        if inside(path):
            raise OSError(errno.EROFS, "Read-only file system", os.fsdecode(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(publish_files_module.os, "open", ro_open)
    monkeypatch.setattr(publish_files_module.os, "mkdir", ro_mkdir)


@pytest.mark.parametrize("fresh", [True, False], ids=["new_folder", "published_folder"])
def test_read_only_outputs_is_one_line_and_leaves_outputs_intact(tmp_path, monkeypatch, stub_build, fresh):
    out = tmp_path / "outputs"
    if not fresh:
        publish_files({"midlands_la_priority.html": b"old\n"}, out)
    before = snapshot(out) if out.exists() else {}
    _read_only_outside(monkeypatch, out)
    rc, stdout, stderr = run_cli(["build", "--outputs", str(out)])
    errors = [ln for ln in stderr.splitlines() if ln.startswith("error")]
    assert rc == 2 and "Traceback" not in stderr and "wrote" not in stdout
    assert errors == [f"error: cannot write into {out}: read-only or no permission; choose another --outputs folder"]
    monkeypatch.undo()
    assert (snapshot(out) if out.exists() else {}) == before


def test_full_disk_is_one_line_and_leaves_outputs_intact(tmp_path, monkeypatch, stub_build):
    out = tmp_path / "outputs"
    publish_files({"midlands_la_priority.html": b"old\n"}, out)
    before = snapshot(out)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(publish_files_module.os, "fsync", full)
    rc, stdout, stderr = run_cli(["build", "--outputs", str(out)])
    errors = [ln for ln in stderr.splitlines() if ln.startswith("error")]
    assert rc == 2 and "Traceback" not in stderr and "wrote" not in stdout
    assert errors == [f"error: disk full while writing {out}; free space and run again"]
    monkeypatch.undo()
    assert snapshot(out) == before and staging_dirs(out) == []


def test_a_build_waiting_too_long_for_another_one_stops_with_one_line(tmp_path, monkeypatch, stub_build):
    out = tmp_path / "outputs"
    publish_files({"midlands_la_priority.html": b"old\n"}, out)
    before = snapshot(out)
    monkeypatch.setenv("MAPPER_PUBLISH_WAIT", "0.3")
    with open(out / STATE / "lock", "r+") as held:  # another build holds the lock (flock: per open file)
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("4242\n")
        held.flush()
        rc, stdout, stderr = run_cli(["build", "--outputs", str(out)])
    lines = stderr.strip().splitlines()
    assert rc == 2 and "Traceback" not in stderr and "wrote" not in stdout
    assert f"another build (process 4242) is publishing into {out}; waiting (up to 0.3 s)" in lines
    assert lines[-1] == (f"error: another build (process 4242) is still publishing into {out} after 0.3 s; "
                         "let it finish (or stop it) and run again (MAPPER_PUBLISH_WAIT sets the wait)")
    assert [ln for ln in lines if ln.startswith("error")] == [lines[-1]]
    assert snapshot(out) == before
    rc, _, stderr = run_cli(["build", "--outputs", str(out)])  # the lock is free again
    assert rc == 0, stderr


# --- real processes -------------------------------------------------------------------------------

#: ``python -m mapper build`` whose publish step pauses after staging (the callback is injected here, in the
#: child, so the product has no test hook).
_PAUSING_BUILD = r"""
import functools, sys, time
from mapper import cli, pipeline

def pause(staging):
    print(f"staged every file in {staging}; pausing before publishing", file=sys.stderr, flush=True)
    time.sleep(300)

pipeline.write_outputs = functools.partial(pipeline.write_outputs, before_publish=pause)
sys.exit(cli.main(sys.argv[1:]))
"""

#: Publishes the JSON set argv[2] into argv[1]. With argv[3] (a path), it holds the publish lock after staging
#: until that file exists; with argv[4] = N, it stops (sleeps, to be killed) at the N-th rename, link, unlink or
#: rmdir call after staging.
_PUBLISHER = r"""
import json, os, sys, time
from pathlib import Path
from mapper.publish.files import publish_files

out, files = Path(sys.argv[1]), json.loads(sys.argv[2])
go = sys.argv[3] if len(sys.argv) > 3 else ""
stop_at = int(sys.argv[4]) if len(sys.argv) > 4 else 0
calls, armed = 0, False

def staged(staging):
    global armed
    armed = True
    if go:
        print("staged; holding the lock", file=sys.stderr, flush=True)
        while not Path(go).exists():
            time.sleep(0.05)

def pausing(name, real):
    def call(*args, **kwargs):
        global calls
        if armed:
            calls += 1
            if calls == stop_at:
                print(f"stopped at call {calls}: os.{name}{args}", file=sys.stderr, flush=True)
                time.sleep(300)
        return real(*args, **kwargs)
    return call

for name in ("replace", "rename", "symlink", "link", "unlink", "rmdir"):
    setattr(os, name, pausing(name, getattr(os, name)))
publish_files({k: v.encode() for k, v in files.items()}, out, before_publish=staged)
print(f"published after {calls} calls", file=sys.stderr, flush=True)
"""


def _publisher(out: Path, files: dict[str, str], go: str = "", stop_at: int = 0) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _PUBLISHER, str(out), json.dumps(files), go, str(stop_at)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


OLD = {"a.html": "old a", "b.csv": "same b", "maps/x.png": "old x", "gone.html": "dropped", "maps/gone.png": "dropped"}
NEW = {"a.html": "new a", "b.csv": "same b", "maps/x.png": "new x", "maps/y.png": "new y", "new.txt": "new"}


@pytest.mark.parametrize("start", ["published", "plain_files"])
def test_sigkill_at_any_call_of_the_switch_leaves_the_whole_old_or_the_whole_new_set(tmp_path, start):
    """The publisher is killed at its 1st, 2nd, ... file-system call after staging: every time, the folder
    shows exactly the old set or exactly the new one, and the next run leaves exactly the new one, tidy."""
    old = OLD if start == "published" else {k: v for k, v in OLD.items() if "gone" not in k}  # plain files: none dropped
    new_set = {**digests(NEW), **digests({"README.md": "the user's"})}
    seen = set()
    for stop_at in range(1, 200):
        out = tmp_path / f"stop{stop_at}"
        if start == "published":
            publish_files(as_bytes(old), out)
        else:
            for name, text in old.items():
                (out / name).parent.mkdir(parents=True, exist_ok=True)
                (out / name).write_text(text, "utf-8")
        (out / "README.md").write_text("the user's", "utf-8")
        before = snapshot(out)
        proc = _publisher(out, NEW, stop_at=stop_at)
        line = proc.stderr.readline()
        if line.startswith("published"):
            assert proc.wait(timeout=60) == 0
            assert snapshot(out) == new_set
            assert_tidy(out)
            break
        assert line.startswith("stopped"), line + proc.stderr.read()
        proc.kill()
        proc.communicate(timeout=60)
        shown = snapshot(out)
        assert shown in (before, new_set), (line, shown)
        seen.add("old" if shown == before else "new")
        publish_files(as_bytes(NEW), out)  # the next run
        assert snapshot(out) == new_set, line
        assert_tidy(out)
    assert stop_at > 10 and seen == {"old", "new"}, (stop_at, seen)


def test_a_second_publisher_waits_for_the_first_and_the_last_set_wins_whole(tmp_path):
    out = tmp_path / "outputs"
    go = tmp_path / "go"
    first_set = {"a.html": "first", "first_only.html": "first", "maps/x.png": "first"}
    second_set = {"a.html": "second", "second_only.html": "second", "maps/y.png": "second"}
    first = _publisher(out, first_set, go=str(go))
    assert first.stderr.readline().startswith("staged; holding the lock")
    second = _publisher(out, second_set)
    waiting = second.stderr.readline()
    assert waiting == f"another build (process {first.pid}) is publishing into {out}; waiting (up to 600 s)\n"
    assert snapshot(out) == {}  # nothing published while the first holds the lock
    go.touch()
    for proc in (first, second):
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0 and err.startswith("published"), err
    assert snapshot(out) == digests(second_set)
    assert_tidy(out)


def _build(out: Path, *, pause: bool = False, **env) -> subprocess.Popen:
    head = [sys.executable, "-c", _PAUSING_BUILD] if pause else [sys.executable, "-m", "mapper"]
    return subprocess.Popen(
        [*head, "build", "--outputs", str(out)], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env},
    )


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    """Two full builds in parallel, under different hash seeds, into two folders."""
    root = tmp_path_factory.mktemp("builds")
    procs = {seed: _build(root / f"seed{seed}", PYTHONHASHSEED=seed) for seed in ("1", "2")}
    for proc in procs.values():
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    return root / "seed1", root / "seed2"


@pytest.mark.slow
def test_two_builds_in_separate_processes_are_byte_identical(two_builds):
    a, b = two_builds
    sa, sb = snapshot(a), snapshot(b)
    assert len(sa) >= 9 and sa.keys() == sb.keys()
    assert sa == sb, [n for n in sa if sa[n] != sb[n]]


@pytest.mark.slow
def test_sigterm_or_sigkill_midway_leaves_outputs_unchanged(two_builds, tmp_path):
    base = two_builds[0]
    before = snapshot(base)
    runs = {}
    for sig in (signal.SIGTERM, signal.SIGKILL):
        out = tmp_path / f"outputs_{sig.name}"
        shutil.copytree(base, out, symlinks=True)
        runs[sig] = (out, _build(out, pause=True))
    for sig, (out, proc) in runs.items():
        paused = False
        for line in proc.stderr:  # wait until every file is staged and the run pauses before publishing
            if "pausing" in line and "before publishing" in line:
                paused = True
                break
        assert paused, f"the build never reached the publish step: {proc.stderr.read()}"
        assert len(staging_dirs(out)) == 1
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=60)
        assert snapshot(out) == before, sig.name
        assert "Traceback" not in stderr
        assert "wrote" not in stdout
        if sig == signal.SIGTERM:
            assert proc.returncode == 130
            assert stderr.strip().splitlines() == ["error: interrupted; outputs were left as they were"]
            assert staging_dirs(out) == []  # cleaned up on the way out
        else:
            assert proc.returncode == -signal.SIGKILL
            stale = staging_dirs(out)
            assert len(stale) == 1  # a hard kill leaves its staging folder ...
            assert clean_stale_staging(out) == stale and staging_dirs(out) == []  # ... which the next run removes
            assert snapshot(out) == before
