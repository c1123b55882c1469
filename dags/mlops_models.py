"""Every model's DAGs, from the configs in MLOPS_CONFIG_DIR (one YAML per model): a new config needs
no code. Copy this file into your Airflow project's dags/ folder to add the project to it."""

from __future__ import annotations

from airflow_champion.operators.dag_factory import build_all_dags

globals().update(build_all_dags())
