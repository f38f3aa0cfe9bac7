"""`python -m mapper fetch`: one-line errors, offline mode and --only."""

from __future__ import annotations

from fetch_helpers import ROOT, faults

from mapper.cli import main


def _config(tmp_path, fetch_yaml: str):
    """The real config with its ``fetch:`` section replaced (absolute input paths, in ``tmp_path``)."""
    import yaml

    data = yaml.safe_load((ROOT / "config.yaml").read_text("utf-8"))
    data["inputs"] = {k: (str(ROOT / v) if v else v) for k, v in data["inputs"].items()}
    data["fetch"] = yaml.safe_load("fetch:\n" + fetch_yaml)["fetch"]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path


def test_offline_with_empty_cache_is_one_line_error(tmp_path, capsys):
    cfg = _config(tmp_path, f"  cache_dir: {tmp_path / 'cache'}\n")
    assert main(["--config", str(cfg), "fetch", "--offline", "--only", "ofcom_oa"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: offline: 1 source(s) are not in the cache") and "ofcom_oa" in err[-1]
    assert "Traceback" not in "\n".join(err)


def test_unknown_source_and_config_key(tmp_path, capsys):
    cfg = _config(tmp_path, f"  cache_dir: {tmp_path / 'cache'}\n")
    assert main(["--config", str(cfg), "fetch", "--only", "ofcom_zz"]) == 2
    assert "unknown source(s) ['ofcom_zz']" in capsys.readouterr().err
    bad = _config(tmp_path, "  timeot: 5\n")
    assert main(["--config", str(bad), "fetch", "--offline"]) == 2
    assert "unknown key 'fetch.timeot'; did you mean 'timeout'?" in capsys.readouterr().err


def test_skipped_bduk_is_reported(tmp_path, capsys):
    cfg = _config(tmp_path, f"  cache_dir: {tmp_path / 'cache'}\n")
    assert main(["--config", str(cfg), "fetch", "--only", "bduk_west_midlands"]) == 0
    out = capsys.readouterr().out
    assert "bduk_west_midlands" in out and "skipped" in out and (tmp_path / "cache/manifest.json").exists()


def test_network_faults_and_url_typos_are_one_line_errors(tmp_path, capsys, faults):
    from fetch_helpers import cut

    url = faults.script("/cn.zip", cut(b"PK\x03\x04" + b"x" * 20000, 5000, "short"))
    cfg = _config(tmp_path, f"  cache_dir: {tmp_path / 'cache'}\n  sources:\n    ofcom_oa: {{url: '{url}', retries: 0}}\n")
    assert main(["--config", str(cfg), "fetch", "--only", "ofcom_oa"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"error: {url}: connection cut mid-body after ") and "Traceback" not in "\n".join(err)
    assert [p.name for p in (tmp_path / "cache/files").iterdir()] == []
    bad = _config(tmp_path, "  mirror: htp://mirror.example/cn\n")
    assert main(["--config", str(bad), "fetch", "--offline"]) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("error: config.yaml, line ") and line.endswith(
        ": 'fetch.mirror' must be an http(s) URL such as https://host/path, not "
        "'htp://mirror.example/cn' (did you mean 'http://mirror.example/cn'?)")
