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
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock -r requirements-dev.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@touch $@

## make demo: four weeks of the churn model through Airflow on the embedded default
demo: install
	$(BIN)/mlops demo

## make test: every behaviour test (core, Airflow, integration against local PostgreSQL/Redis/S3)
test: install
	$(BIN)/pytest -q -p no:cacheprovider -m "not lint"

## make test-fast: the core's unit tests that need no service and no MLflow store
test-fast: install
	$(BIN)/pytest -q -p no:cacheprovider -m "unit and not mlflow and not postgres and not redis and not slow"

## make lint: ruff, mypy, and the structural checks of docker-compose, Dockerfile and Helm values
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	scripts/typecheck.sh
	$(BIN)/pytest -q -p no:cacheprovider -m lint

## make bench: benchmarks writing JSON to bench/results/
bench: install
	@mkdir -p bench/results
	$(BIN)/python bench/drift_agreement.py --rows 100000 --out bench/results/drift_100k.json

## Airflow UI on the demo's state: http://127.0.0.1:8080 (user admin, password printed in .mlops/demo/airflow)
airflow-ui: install
	MLOPS_HOME=$(ROOT)/.mlops/demo AIRFLOW_HOME=$(ROOT)/.mlops/demo/airflow \
	AIRFLOW__CORE__DAGS_FOLDER=$(ROOT)/dags AIRFLOW__CORE__PLUGINS_FOLDER=$(ROOT)/plugins \
	AIRFLOW__CORE__LOAD_EXAMPLES=False \
	AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=sqlite:///$(ROOT)/.mlops/demo/airflow/airflow.db \
	$(BIN)/airflow standalone

mlflow-ui: install
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(ROOT)/.mlops/demo/mlflow.db --port 5000

clean:
	rm -rf .mlops/demo .pytest_cache .mypy_cache .ruff_cache
