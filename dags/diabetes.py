"""Airflow DAGs of the diabetes model, generated from include/configs/diabetes.yaml."""

from __future__ import annotations

from airflow_champion.operators.dag_factory import build_dags

globals().update(build_dags("diabetes"))
