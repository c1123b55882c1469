"""Thin Airflow operators over the core library (installed as `airflow_champion.operators`)."""
