"""config.yaml validation: unknown keys, typos and bad weights fail with one clear line."""

import pytest
import yaml
from _paths import ROOT

from mapper.config import load_config
from mapper.errors import ConfigError
from mapper.score import INDICATORS

KNOWN = tuple(INDICATORS)


def write(tmp_path, mutate):
    data = yaml.safe_load((ROOT / "config.yaml").read_text("utf-8"))
    mutate(data)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    return path


def test_default_config_is_valid():
    cfg = load_config(ROOT / "config.yaml", known_indicators=KNOWN)
    assert cfg.regions == ("E12000004", "E12000005")
    assert abs(sum(c.weight for c in cfg.score.indicators) - 1.0) < 1e-9
    assert all(p.exists() for p in cfg.inputs.values())


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.update(titel="x"), r"unknown key 'titel'; did you mean 'title'\?"),
    (lambda d: d["score"]["indicators"]["no_gigabit"].update(wieght=1), r"unknown key 'score.indicators.no_gigabit.wieght'; did you mean 'weight'"),
    (lambda d: d["score"]["indicators"].update(no_gigabyte={"weight": 1}), r"unknown indicator 'score.indicators.no_gigabyte'; did you mean 'no_gigabit'"),
    (lambda d: d["score"]["indicators"]["below_uso"].update(weight=-1), r"weight' is negative"),
    (lambda d: [v.update(weight=0) for v in d["score"]["indicators"].values()], r"every weight .* is zero"),
    (lambda d: d["score"]["indicators"]["below_uso"].update(weight="high"), r"must be a number"),
    (lambda d: d["score"].update(normalisation="log"), r"choose one of minmax, rank, zscore"),
    (lambda d: d["score"]["tiers"].update(scheme="jenks"), r"choose one of quantiles, natural_breaks, fixed"),
    (lambda d: d["score"]["tiers"].update(scheme="fixed", k=3, thresholds=[50, 10]), r"2 increasing score cut-offs"),
    (lambda d: d["inputs"].pop("la_coverage"), r"'inputs' is missing la_coverage"),
    (lambda d: d["score"].update(frame="regoin"), r"'score.frame' is 'regoin'.*did you mean 'region'"),
    (lambda d: (d["score"].update(frame="group"), d["inputs"].pop("area_groups")), r"needs 'inputs.area_groups'"),
    (lambda d: d["stability"].update(draws=-5), r"'stability.draws' is -5; it must be a whole number from 0 to 100,000"),
    (lambda d: d["stability"].update(weight_spread=1.5), r"'stability.weight_spread' is 1.5; it must be at least 0 and below 1"),
    (lambda d: d["stability"].update(normalisations=["log"]), r"'stability.normalisations' must be"),
    (lambda d: d["stability"].update(seeds=1), r"unknown key 'stability.seeds'; did you mean 'seed'"),
    (lambda d: d["diagnosis"]["inclusion"].update(older_people=1), r"unknown indicator 'diagnosis.inclusion.older_people'; did you mean 'older_population'"),
    (lambda d: [d["diagnosis"]["infrastructure"].update({k: 0}) for k in list(d["diagnosis"]["infrastructure"])],
     r"every weight in 'diagnosis.infrastructure' is zero"),
    (lambda d: d["diagnosis"].update(threshold=120), r"'diagnosis.threshold' is 120; it must be at least 0 and at most 100"),
])
def test_bad_config_one_line_error(tmp_path, mutate, message):
    path = write(tmp_path, mutate)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path, known_indicators=KNOWN)
    assert "\n" not in str(info.value)


def test_invalid_yaml_names_line(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("title: a\nscore:\n  indicators: [\n", "utf-8")
    with pytest.raises(ConfigError, match=r"config.yaml, line \d+: not valid YAML"):
        load_config(path)


def test_every_section_is_validated_and_typed_at_load(tmp_path):
    path = write(tmp_path, lambda d: d.update(pack={"areas": ["E07000142"]}, map={"split_above": 7}))
    cfg = load_config(path, known_indicators=KNOWN)
    assert cfg.pack.areas == ("E07000142",) and cfg.pack.top == 5
    assert cfg.map.split_above == 7 and cfg.map.classes == 5
    assert cfg.fetch.cache_dir == (tmp_path / "data/cache").resolve() and cfg.fetch.sources["ofcom_oa"].enabled
    assert cfg.stability.draws == 1000 and cfg.diagnosis.threshold == 60


# --- issue 18: a mistake in ANY section is found when the file is read, with its line -------------------

@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["map"].update(split_abov=10), r"unknown key 'map.split_abov'; did you mean 'split_above'\?"),
    (lambda d: d.update(pack={"area": ["x"]}), r"unknown key 'pack.area'; did you mean 'areas'\?"),
    (lambda d: d["fetch"].update(mirorr="https://x.example"), r"unknown key 'fetch.mirorr'; did you mean 'mirror'\?"),
    (lambda d: d["fetch"].update(sources={"ofcom_oa": {"ulr": "https://x.example/a.zip"}}), r"unknown key 'fetch.sources.ofcom_oa.ulr'"),
    (lambda d: d["fetch"].update(sources={"ofcom_oa_rez": {}}), r"unknown key 'fetch.sources.ofcom_oa_rez'; did you mean 'ofcom_oa_res'"),
    (lambda d: d["fetch"].update(mirror="htp://mirror"), r"'fetch.mirror' must be an http\(s\) URL"),
    (lambda d: d["fetch"].update(retries=-1), r"'fetch.retries' is -1; it must be a whole number from 0 to 20"),
    (lambda d: d["map"].update(classes=2), r"'map.classes' is 2; it must be a whole number from 3 to 9"),
    (lambda d: d["map"].update(basemap="yes"), r"'map.basemap' must be true or false"),
    (lambda d: d["pack"].update(top=0), r"'pack.top' is 0"),
    (lambda d: d["score"]["indicators"]["below_uso"].update(weight=float("nan")), r"below_uso.weight' is nan; give a finite number"),
    (lambda d: d["score"]["indicators"]["below_uso"].update(weight=float("inf")), r"below_uso.weight' is inf; give a finite number"),
    (lambda d: [v.update(weight=1e308) for v in list(d["score"]["indicators"].values())[:2]], r"weight' is 1e\+308; it must be at least 0 and at most 1e\+06"),
    (lambda d: d["score"].update(min_premises=10 ** 12), r"'score.min_premises' is 1,000,000,000,000; it must be a whole number from 0 to 1,000,000"),
    (lambda d: d["score"].update(tiers={"scheme": "fixed", "k": 3, "thresholds": [40, 40]}), r"strictly increasing"),
    (lambda d: d["score"].update(tiers={"scheme": "fixed", "k": 3, "thresholds": [40, 140]}), r"'score.tiers.thresholds' is 140"),
    (lambda d: d["stability"].update(stable_share=float("nan")), r"'stability.stable_share' is nan"),
    (lambda d: d.update(outputs_dir=""), r"'outputs_dir' must be a folder path"),
    (lambda d: d.update(outputs_dir="."), r"'outputs_dir' is the config's own folder"),
    (lambda d: d.update(regions=["Midlands"]), r"'regions' holds 'Midlands', which is not an ONS region code"),
])
def test_any_section_mistake_is_one_line_with_file_and_line(tmp_path, mutate, message):
    path = write(tmp_path, mutate)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path, known_indicators=KNOWN)
    text = str(info.value)
    assert "\n" not in text and text.startswith("config.yaml, line "), text


def test_a_key_given_twice_is_an_error_naming_both_lines(tmp_path):
    text = (ROOT / "config.yaml").read_text("utf-8") + "\nscore:\n  indicators:\n    no_gigabit: {weight: 1}\n"
    path = tmp_path / "config.yaml"
    path.write_text(text, "utf-8")
    first = next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("score:"))
    with pytest.raises(ConfigError, match=rf"'score' is given twice \(first on line {first}\)"):
        load_config(path, known_indicators=KNOWN)


def test_error_names_the_line_of_the_key(tmp_path):
    text = (ROOT / "config.yaml").read_text("utf-8").replace("  split_above: 20000", "  split_abov: 20000")
    path = tmp_path / "config.yaml"
    path.write_text(text, "utf-8")
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "split_abov:" in ln)
    with pytest.raises(ConfigError, match=rf"^config.yaml, line {line}: unknown key 'map.split_abov'"):
        load_config(path, known_indicators=KNOWN)


def test_outputs_dir_that_is_a_file_or_holds_inputs(tmp_path):
    (tmp_path / "out.txt").write_text("x")
    with pytest.raises(ConfigError, match=r"is a file, not a folder"):
        load_config(write(tmp_path, lambda d: d.update(outputs_dir=str(tmp_path / "out.txt"))), known_indicators=KNOWN)
    with pytest.raises(ConfigError, match=r"data\) holds the input inputs\.[a-z_]+; outputs never go where inputs live"):
        load_config(write(tmp_path, lambda d: d.update(outputs_dir=str(tmp_path / "data"))), known_indicators=KNOWN)


def test_module_docstring_documents_every_key():
    """Every key of the schema appears in the settings reference (the module docstring), and nothing else does."""
    import re

    import mapper.config as config

    documented = set(re.findall(r"``([a-z_]+(?:\.[a-z_<>*]+)*)``", config.__doc__))
    for section, keys in config.SCHEMA.items():
        for key in keys:
            dotted = f"{section}.{key}" if section else key
            if section == "fetch.sources.*":
                assert f".{key}" in config.__doc__, key
            elif section.startswith("diagnosis.floors"):
                assert "diagnosis.floors" in config.__doc__, key
            elif dotted not in ("inputs", "boundary_fields", "score", "joins", "stability", "diagnosis", "fetch", "map",
                                "pack", "study_area", "fetch.sources", "score.tiers", "boundary_fields.la",
                                "boundary_fields.pcon", "boundary_fields.pcon10", "boundary_fields.lsoa", "diagnosis.floors"):
                assert dotted in documented, f"{dotted} is not in the settings reference"
