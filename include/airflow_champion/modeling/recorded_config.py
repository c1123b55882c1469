"""The config a version was trained with, kept with its training run: `config/config.json`.

The text is exactly what `ModelConfig.config_hash` hashes (the validated config, defaults filled in),
so a version's `mlops.config_hash` tag proves the text is the one it was trained with: `mlops
reproduce` retrains from it even after the config file was edited or deleted. Versions trained
before this artifact existed have only the hash (and their logged params).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from airflow_champion.reports.jsonsafe import dumps

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from airflow_champion.config import ModelConfig

ARTIFACT = "config/config.json"


def text(cfg: ModelConfig) -> str:
    """The config as `config_hash` hashes it (compact JSON of the validated config)."""
    return dumps(cfg.model_dump(mode="json", by_alias=True), compact=True)


def text_hash(value: str) -> str:
    """The `config_hash` of a recorded config text (same digest and length as ModelConfig's)."""
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def log_config(cfg: ModelConfig) -> None:
    """Log the config text to the active MLflow run (training: with the version's other artifacts)."""
    import mlflow

    mlflow.log_text(text(cfg), ARTIFACT)


def load_text(client: MlflowClient, run_id: str) -> str | None:
    """The config text a training run recorded, or None when it recorded none (an older version)."""
    import tempfile
    from pathlib import Path

    folder, _, _name = ARTIFACT.rpartition("/")
    if ARTIFACT not in {a.path for a in client.list_artifacts(run_id, folder)}:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        return Path(client.download_artifacts(run_id, ARTIFACT, tmp)).read_text(encoding="utf-8")


__all__ = ["ARTIFACT", "load_text", "log_config", "text", "text_hash"]
