# make demo · make test · make lint · make bench · make conformance · make test-matrix — each creates its venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench bench-quick k8s clean conformance test-matrix

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,local]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/clarity-settings demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict clarity_settings loaders tests bench examples

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck unit

# The guide's ConfigMap and Secret and the engines' manifests, generated (tests/test_deploy.py checks they
# are current). A bare
# environment and no .env or .secrets.toml, so nothing of this machine's ends up in a committed file.
K8S_ENV := env -i PATH="$$PATH" ENV_FOR_DYNACONF=production CLARITY_USE_SSM=false \
	CLARITY_ALLOW_REDUCED_SECURITY=true SETTINGS_FILE_FOR_DYNACONF=settings.toml DOTENV_PATH_FOR_DYNACONF=/dev/null
k8s: $(STAMP)
	$(K8S_ENV) $(BIN)/clarity-settings export --format k8s-configmap > deploy/k8s/configmap.yaml
	$(K8S_ENV) $(BIN)/clarity-settings export --format k8s-secret > deploy/k8s/secret.yaml
	$(K8S_ENV) $(BIN)/clarity-settings export --format external-secret > deploy/k8s/external-secret.yaml
	$(K8S_ENV) $(BIN)/clarity-settings export --format csi-secret-provider > deploy/k8s/csi-secret-provider.yaml

clean:
	rm -rf $(VENV) .venv-* .cache .pytest_cache .mypy_cache .ruff_cache .hypothesis

# dynaconf's own tests (from its sdist, cached in .cache/), run as released and with ClaritySettings in
# place of Dynaconf/LazySettings; docs/dynaconf-compatibility.md lists the expected differences.
CONFORMANCE_STAMP := $(VENV)/.conformance-installed
$(CONFORMANCE_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,local,conformance]'
	touch $(CONFORMANCE_STAMP)

conformance: $(CONFORMANCE_STAMP)
	$(BIN)/python -m tests.conformance.run

# Every Python pyproject declares, each in a venv of its own built from pyproject: 3.12 and 3.13 run
# the read path, the refresher and integrity; 3.11 runs the whole suite on the lowest versions
# pyproject allows (tests/floors.py pins them). Interpreters come from pyenv, else from PATH.
PYENV_ROOT ?= $(HOME)/.pyenv
interpreter = $(or $(firstword $(wildcard $(PYENV_ROOT)/versions/$(1).*/bin/python$(1))),$(shell command -v python$(1)),$(error python$(1) not found: install it, e.g. pyenv install $(1)))
MATRIX_PYTHONS := 3.12 3.13
MATRIX_TESTS := tests/test_reading.py tests/test_freshness.py tests/test_secrets_manager.py tests/test_guide.py \
	tests/test_ssm_loader.py tests/test_layers.py tests/test_mounted.py tests/test_integrity.py \
	tests/test_dynaconf_internals.py tests/reliability/test_concurrency.py tests/reliability/test_outage.py
PIP_QUIET := python -m pip install --quiet

.venv-%/.installed: pyproject.toml
	$(call interpreter,$*) -m venv .venv-$*
	.venv-$*/bin/$(PIP_QUIET) --upgrade pip
	.venv-$*/bin/$(PIP_QUIET) -e '.[dev,local]'
	touch $@

.cache/floors.txt: pyproject.toml tests/floors.py
	mkdir -p .cache
	$(call interpreter,3.11) -m tests.floors > $@

.venv-floors/.installed: .cache/floors.txt
	$(call interpreter,3.11) -m venv .venv-floors
	.venv-floors/bin/$(PIP_QUIET) --upgrade pip
	.venv-floors/bin/$(PIP_QUIET) -c .cache/floors.txt -e '.[dev,local]'
	touch $@

test-matrix: $(foreach version,$(MATRIX_PYTHONS),.venv-$(version)/.installed) .venv-floors/.installed
	@failed=0; \
	for version in $(MATRIX_PYTHONS); do \
		echo "== Python $$version: the read path, the refresher and integrity"; \
		.venv-$$version/bin/pytest -q -p no:cacheprovider $(MATRIX_TESTS) || failed=1; \
	done; \
	echo "== Python 3.11 on the lowest versions pyproject allows: $$(tr '\n' ' ' < .cache/floors.txt)"; \
	.venv-floors/bin/pytest -q -p no:cacheprovider || failed=1; \
	exit $$failed

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,local,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run

bench-quick: $(BENCH_STAMP)
	$(BIN)/python -m bench.run --quick
