"""No partial outputs: a run that fails or is stopped midway leaves outputs/ exactly as it was.

In-process tests inject failures into the last render stage, into writing the
last staged file and into the final moves; subprocess tests stop a real
``python -m mapper build`` with SIGTERM and SIGKILL after it has staged every
file (a child process whose ``write_outputs`` is given a pausing ``before_publish``
callback), and build twice under different hash
seeds to show the outputs are byte-identical across processes (the in-process
rerun test lives in tests/test_pipeline.py).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import ROOT
from mapper import pipeline
from mapper.publish import files as publish_files_module
from mapper.publish.files import clean_stale_staging


def snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (relative path -> digest)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def staging_dirs(folder: Path) -> list[Path]:
    return sorted(folder.parent.glob(f".{folder.name}.staging-*"))


@pytest.fixture
def outputs(built, tmp_path):
    """A copy of a real build's outputs/ (plus a README the tool must never touch)."""
    out = tmp_path / "outputs"
    shutil.copytree(built, out)
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


def test_failure_writing_the_last_staged_file_changes_nothing(rendered, outputs, monkeypatch):
    before = snapshot(outputs)
    changed = {name: data + b"\n" for name, data in rendered.items()}
    real_fsync, calls = os.fsync, []

    def fail_on_last_file(fd):
        calls.append(fd)
        if len(calls) == len(changed):
            raise OSError(28, "No space left on device (injected)")
        return real_fsync(fd)

    monkeypatch.setattr(publish_files_module.os, "fsync", fail_on_last_file)
    with pytest.raises(OSError, match="injected"):
        pipeline.write_outputs(changed, outputs)
    assert snapshot(outputs) == before
    assert staging_dirs(outputs) == []


def test_failure_while_moving_files_into_place_rolls_back(rendered, outputs, monkeypatch):
    before = snapshot(outputs)
    changed = {name: data + b"\n" for name, data in rendered.items()}
    changed["zz_new_output.txt"] = b"a file the previous run did not have\n"
    real_replace, calls = os.replace, []

    def fail_midway(src, dst):
        calls.append(dst)
        if len(calls) == len(changed) - 1:
            raise OSError(5, "I/O error (injected)")
        return real_replace(src, dst)

    monkeypatch.setattr(publish_files_module.os, "replace", fail_midway)
    with pytest.raises(OSError, match="injected"):
        pipeline.write_outputs(changed, outputs)
    assert snapshot(outputs) == before
    assert not (outputs / "zz_new_output.txt").exists()
    assert staging_dirs(outputs) == []


def test_success_replaces_every_file_leaves_others_and_logs_the_set(rendered, outputs, caplog):
    changed = {name: data + b"\n" for name, data in rendered.items()}
    changed["zz_new_output.txt"] = b"new\n"
    with caplog.at_level(logging.INFO, logger="mapper.publish.files"):
        paths = pipeline.write_outputs(changed, outputs)
    assert [p.relative_to(outputs).as_posix() for p in paths] == sorted(changed)
    for name, data in changed.items():
        assert (outputs / name).read_bytes() == data
    assert (outputs / "README.md").read_text("utf-8") == "kept as is\n"
    message = next(r.getMessage() for r in caplog.records if "published" in r.getMessage())
    assert "replaced: audit.json" in message and "new: zz_new_output.txt" in message
    assert staging_dirs(outputs) == []
    assert not list(outputs.glob(".*"))


def test_stale_staging_of_a_dead_run_is_removed_but_a_live_one_kept(tmp_path):
    out = tmp_path / "outputs"
    dead = tmp_path / ".outputs.staging-999999999-abc"  # no such process
    live = tmp_path / f".outputs.staging-{os.getppid()}-xyz"  # a running process (a concurrent build)
    for d in (dead, live):
        (d / "new").mkdir(parents=True)
        (d / "new" / "audit.json").write_text("{}", "utf-8")
    pipeline.write_outputs({"a.txt": b"a\n"}, out)
    assert not dead.exists() and live.exists()
    assert (out / "a.txt").read_bytes() == b"a\n"


def test_output_names_must_stay_inside_the_folder(tmp_path):
    for bad in ("../escape.txt", "/abs.txt", ".hidden"):
        with pytest.raises(ValueError):
            pipeline.write_outputs({bad: b"x"}, tmp_path / "outputs")
    assert not (tmp_path / "escape.txt").exists()


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
    for seed, proc in procs.items():
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    return root / "seed1", root / "seed2"


def test_two_builds_in_separate_processes_are_byte_identical(two_builds):
    a, b = two_builds
    sa, sb = snapshot(a), snapshot(b)
    assert len(sa) >= 9 and sa.keys() == sb.keys()
    assert sa == sb, [n for n in sa if sa[n] != sb[n]]


def test_sigterm_or_sigkill_midway_leaves_outputs_unchanged(two_builds, tmp_path):
    base = two_builds[0]
    before = snapshot(base)
    runs = {}
    for sig in (signal.SIGTERM, signal.SIGKILL):
        out = tmp_path / f"outputs_{sig.name}"
        shutil.copytree(base, out)
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
