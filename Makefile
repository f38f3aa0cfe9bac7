# Midlands connectivity gap mapper: the pipeline graph.
# `make` or `make help` lists the targets. Raw data in data/ and boundaries/ is
# never modified; everything generated goes to outputs/.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

INPUTS := config.yaml $(shell find data boundaries -type f -not -name '*.md' -not -path 'data/cache/*' 2>/dev/null | sort) \
          $(wildcard data/cache/manifest.json)
CODE := $(shell find mapper -type f \( -name '*.py' -o -name '*.yaml' -o -name '*.js' -o -name '*.css' \) 2>/dev/null | sort)
MAPS := outputs/midlands_la_priority.html outputs/midlands_constituency_priority.html \
        outputs/midlands_la_priority_table.html outputs/midlands_constituency_priority_table.html
TABLES := outputs/midlands_la_priority.csv outputs/midlands_constituency_priority.csv \
          outputs/midlands_la_priority_totals.csv outputs/midlands_constituency_priority_totals.csv \
          outputs/midlands_la_priority.meta.json outputs/midlands_constituency_priority.meta.json \
          outputs/audit.json outputs/methodology.md

.PHONY: help venv dev-venv maps test test-fast lint check inspect bench clean distclean
.SECONDARY:

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_.\/%-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

venv: $(STAMP) ## create .venv and install the pinned runtime dependencies (requirements.lock)

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	@touch $@

dev-venv: $(DEV_STAMP) ## add the pinned test and lint tools (requirements-dev.lock) to .venv

maps: $(MAPS) $(TABLES) ## build the priority maps, tables and audit into outputs/ (creates .venv if missing)

$(MAPS) $(TABLES) &: $(STAMP) $(INPUTS) $(CODE)
	$(PY) -m mapper build

test: $(DEV_STAMP) ## run the whole test suite (browser tests need chromium + chromium-driver)
	@$(PY) -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: FAILED: no tests were collected" >&2; fi; exit $$rc

test-fast: $(DEV_STAMP) ## the suite without the slow end-to-end tests (marked slow): about two minutes
	@$(PY) -m pytest -m "not slow"; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test-fast: FAILED: no tests were collected" >&2; fi; exit $$rc

lint: $(DEV_STAMP) ## ruff (rules in pyproject.toml) over the package, tests, benchmarks and scripts
	$(PY) -m ruff check mapper tests benchmarks scripts

check: $(STAMP) ## validate config.yaml and every input without building; print the join audit
	$(PY) -m mapper check

bench: $(DEV_STAMP) ## measure build vs read-inputs floor, CLI start-up, map size/draw/settle/switch vs naive and competent folium (LSOA), 34k and 180k split renders, stability at 180k, national-size inputs, pack: outputs/bench.json (~15 min)
	$(PY) -m benchmarks.bench

.PHONY: pack
pack: $(STAMP) ## build the bid evidence pack into outputs/pack/: make pack [AREA=E07000142 or AREA="West Lindsey"]
	$(PY) -m mapper pack $(if $(AREA),--area "$(AREA)")

.PHONY: fetch
fetch: $(STAMP) ## download ONS layers, Ofcom OA/postcode/LA/constituency zips and BDUK plans into data/cache (OFFLINE=1: cache only)
	$(PY) -m mapper fetch $(if $(OFFLINE),--offline,)

inspect: $(STAMP) ## describe an Ofcom file: make inspect FILE=data/ofcom/laua/...csv
	$(PY) -m mapper inspect --json "$(FILE)"

clean: ## remove generated outputs (keeps outputs/README.md)
	find outputs -mindepth 1 \( -type f -o -type l \) -not -name README.md -delete
	find outputs -mindepth 1 -type d -empty -delete

distclean: clean ## also remove .venv and caches
	rm -rf $(VENV) .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
