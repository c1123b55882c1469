# One entry point for people and CI. Every target installs what it needs into .venv first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ROOT := $(CURDIR)

.PHONY: install demo test test-fast lint bench airflow-ui mlflow-ui clean

install: $(STAMP)

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	@# --compile-bytecode: uv writes no .pyc by default and this machine sets PYTHONDONTWRITEBYTECODE, so
	@# without it every fresh process (each Airflow task, each test subprocess) recompiles Airflow, MLflow,
	@# sklearn and GX from source: measured under load, import mlflow 70 -> 33 s, sklearn 81 -> 28 s.
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r requirements.lock -r requirements-dev.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@# setuptools leaves airflow_champion.egg-info in the checkout; wherever the checkout is on sys.path
	@# (PYTHONPATH, `python -c`) it is a second distribution, and Airflow loads our plugin's entry point twice.
	@rm -rf airflow_champion.egg-info
	@touch $@

## make demo: four weeks of the churn model through Airflow on the embedded default
demo: install
	$(BIN)/mlops demo

## make test: every behaviour test (core, Airflow, integration against local PostgreSQL/Redis/S3); prints the 30 slowest
test: install
	$(BIN)/pytest -q -p no:cacheprovider -m "not lint" --durations=30

## make test-fast: the core's unit tests that need no service and no MLflow store
test-fast: install
	$(BIN)/pytest -q -p no:cacheprovider -m "unit and not mlflow and not postgres and not redis and not slow"

## make lint: ruff, mypy, and the structural checks of docker-compose, Dockerfile and Helm values
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	scripts/typecheck.sh
	$(BIN)/pytest -q -p no:cacheprovider -m lint

## make bench: the benchmark suite (bench/run.py) on a quiet machine, writing bench/results.json and the README's Performance table (bench/README.md)
bench: install
	@# a quiet machine; BENCH_ARGS goes last and wins, e.g. BENCH_ARGS="--scale smoke --out bench/results/smoke.json --table bench/results/smoke.md"
	$(BIN)/python bench/run.py --scale full --out bench/results.json --table README.md $(BENCH_ARGS)

## make airflow-ui: Airflow (`airflow standalone`) on the demo's state (.mlops/demo), or on yours with
## `make airflow-ui MLOPS_HOME=/path/to/state` (AIRFLOW_HOME and the SQLite metadata DB live in its airflow/;
## MLOPS_CONFIG_DIR passes through). http://127.0.0.1:8080 (AIRFLOW__API__PORT=...), user admin, password
## printed on the first start and kept in <MLOPS_HOME>/airflow/simple_auth_manager_passwords.json.generated.
## `mlops airflow` (pipeline/airflow_env.py) sets the rest, and PATH: standalone starts its components as `airflow`.
airflow-ui mlflow-ui: UI_HOME = $(abspath $(or $(MLOPS_HOME),$(ROOT)/.mlops/demo))
airflow-ui: AIRFLOW__API__HOST ?= 127.0.0.1
airflow-ui: AIRFLOW__API__PORT ?= 8080
airflow-ui: install
	MLOPS_HOME="$(UI_HOME)" AIRFLOW__API__HOST="$(AIRFLOW__API__HOST)" AIRFLOW__API__PORT="$(AIRFLOW__API__PORT)" \
	"$(ROOT)/$(BIN)/mlops" airflow standalone

## make mlflow-ui: MLflow's UI on the same state's store (MLOPS_HOME=..., MLFLOW_UI_PORT=..., default 5000)
mlflow-ui: MLFLOW_UI_PORT ?= 5000
mlflow-ui: install
	"$(ROOT)/$(BIN)/mlflow" ui --backend-store-uri "sqlite:///$(UI_HOME)/mlflow.db" --port "$(MLFLOW_UI_PORT)"

clean:
	rm -rf .mlops/demo .pytest_cache .mypy_cache .ruff_cache
