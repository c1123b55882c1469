"""Airflow DAGs of the wine model, generated from include/configs/wine.yaml."""

from __future__ import annotations

from airflow_champion.operators.dag_factory import build_dags

globals().update(build_dags("wine"))
