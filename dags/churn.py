"""Airflow DAGs of the churn model, generated from include/configs/churn.yaml."""

from __future__ import annotations

from airflow_champion.operators.dag_factory import build_dags

globals().update(build_dags("churn"))
