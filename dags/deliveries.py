"""Airflow DAGs of the deliveries model, generated from include/configs/deliveries.yaml."""

from __future__ import annotations

from airflow_champion.operators.dag_factory import build_dags

globals().update(build_dags("deliveries"))
