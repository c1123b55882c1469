"""Registers the operators' extra links so the UI can show them for serialized DAGs."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin
from airflow_champion.operators.links import MlflowRunLink, ModelVersionLink, ReportLink


class MlopsPlugin(AirflowPlugin):
    name = "mlops"
    operator_extra_links = [MlflowRunLink(), ModelVersionLink(), ReportLink()]
