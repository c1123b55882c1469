"""Airflow DAGs of the breast_cancer model, generated from include/configs/breast_cancer.yaml."""

from __future__ import annotations

from airflow_champion.operators.dag_factory import build_dags

globals().update(build_dags("breast_cancer"))
