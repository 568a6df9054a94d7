# make demo · make test · make lint · make bench — each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench bench-quick k8s clean

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
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,local,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run

bench-quick: $(BENCH_STAMP)
	$(BIN)/python -m bench.run --quick
