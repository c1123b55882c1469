"""Builds the DAGs of the model configs; the one file in dags/ calls `build_all_dags`.

Parse-time cost matters (the dag-processor re-parses often): these modules import only the Airflow
SDK, the config loader and the operator classes; operators import the heavy core inside execute().
"""

from __future__ import annotations

from airflow.sdk import DAG
from airflow_champion.config import config_dir, list_config_names, load_config
from airflow_champion.errors import MlopsError
from airflow_champion.operators.dag_factory.drift import build_drift_dag
from airflow_champion.operators.dag_factory.retrain import build_retrain_dag
from airflow_champion.operators.dag_factory.small import (
    build_replay_dag,
    build_rollback_dag,
    build_snapshot_watch_dag,
)


def build_dags(model: str) -> dict[str, DAG]:
    """All DAGs of one model config, keyed by dag_id (for `globals().update(...)` in dags/)."""
    cfg = load_config(model)
    dags = [build_retrain_dag(cfg), build_rollback_dag(cfg), build_replay_dag(cfg)]
    if cfg.snapshots.detection == "sensor":
        dags.append(build_snapshot_watch_dag(cfg))
    if cfg.drift.enabled:
        dags.append(build_drift_dag(cfg))
    return {d.dag_id: d for d in dags}


CONFIG_ERRORS_DAG_ID = "mlops_config_errors"


class ConfigErrors(DAG):
    """Stands for the configs that do not load: validating it raises their errors, so Airflow records
    them as this file's import error (the UI's "Dag Import Errors") while every other model's DAGs,
    already bagged from the same file, keep loading. Airflow bags each DAG of a file separately and
    turns a DAG whose `validate()` raises into an import error (airflow/dag_processing/dagbag.py);
    a file that raises while importing would lose every model's DAGs instead."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(CONFIG_ERRORS_DAG_ID, schedule=None, tags=["mlops"])
        self.config_errors = errors

    def validate(self) -> None:
        lines = [f"{len(self.config_errors)} model config(s) in {config_dir()} do not load:"]
        lines += [f"- {name}: {error}" for name, error in sorted(self.config_errors.items())]
        raise MlopsError("\n".join(lines))


def build_all_dags() -> dict[str, DAG]:
    """The DAGs of every config in the config folder (MLOPS_CONFIG_DIR): a new config needs no code.

    A config that does not load is reported by name and field as an import error of the DAG file
    (ConfigErrors); the other configs' DAGs still load.
    """
    dags: dict[str, DAG] = {}
    errors: dict[str, str] = {}
    for name in list_config_names():
        try:
            dags.update(build_dags(name))
        except (MlopsError, ValueError) as exc:  # ConfigError names the file and the field
            errors[name] = str(exc)
    if errors:
        dags[CONFIG_ERRORS_DAG_ID] = ConfigErrors(errors)
    return dags


__all__ = ["CONFIG_ERRORS_DAG_ID", "ConfigErrors", "build_all_dags", "build_dags"]
