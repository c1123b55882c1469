"""Airflow on the embedded default (tests.airflow_support sets the environment before Airflow loads)."""

from __future__ import annotations

from tests.airflow_support import airflow_db  # noqa: F401
