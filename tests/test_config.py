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
    (lambda d: d["score"].update(frame="group"), r"needs 'inputs.area_groups'"),
    (lambda d: d["stability"].update(draws=-5), r"'stability.draws' must be a whole number"),
    (lambda d: d["stability"].update(weight_spread=1.5), r"'stability.weight_spread' must be at least 0 and below 1"),
    (lambda d: d["stability"].update(normalisations=["log"]), r"'stability.normalisations' must be"),
    (lambda d: d["stability"].update(seeds=1), r"unknown key 'stability.seeds'; did you mean 'seed'"),
    (lambda d: d["diagnosis"]["inclusion"].update(older_people=1), r"unknown indicator 'diagnosis.inclusion.older_people'; did you mean 'older_population'"),
    (lambda d: [d["diagnosis"]["infrastructure"].update({k: 0}) for k in list(d["diagnosis"]["infrastructure"])],
     r"every weight in 'diagnosis.infrastructure' is zero"),
    (lambda d: d["diagnosis"].update(threshold=120), r"'diagnosis.threshold' must be between 0 and 100"),
])
def test_bad_config_one_line_error(tmp_path, mutate, message):
    path = write(tmp_path, mutate)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path, known_indicators=KNOWN)
    assert "\n" not in str(info.value)


def test_invalid_yaml_names_line(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("title: a\nscore:\n  indicators: [\n", "utf-8")
    with pytest.raises(ConfigError, match=r"not valid YAML at line"):
        load_config(path)


def test_stage_sections_are_kept_for_their_stage(tmp_path):
    path = write(tmp_path, lambda d: d.update(pack={"areas": ["E07000142"]}))
    cfg = load_config(path, known_indicators=KNOWN)
    assert cfg.sections["pack"] == {"areas": ["E07000142"]}
    assert cfg.stability.draws == 1000 and cfg.diagnosis.threshold == 60
