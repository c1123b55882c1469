"""Where state lives. Everything is derived from environment variables so that a task, the CLI and a
pod agree without sharing Python objects."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The checkout (include/ is below it); an editable install keeps it so."""
CONFIG_DIR = PROJECT_ROOT / "include" / "configs"
EXPECTATIONS_DIR = PROJECT_ROOT / "include" / "expectations"


def mlops_home() -> Path:
    """Root of the embedded default's state: MLflow store, artifacts, snapshots, locks."""
    return Path(os.environ.get("MLOPS_HOME", str(PROJECT_ROOT / ".mlops"))).resolve()


def tracking_uri() -> str:
    """MLflow tracking/registry URI; the embedded default is a SQLite file under MLOPS_HOME."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    return f"sqlite:///{mlops_home() / 'mlflow.db'}"


def artifact_root() -> str:
    """Default artifact location for experiments the project creates."""
    return os.environ.get("MLOPS_ARTIFACT_ROOT", (mlops_home() / "mlartifacts").as_uri())


def mlflow_ui_url() -> str:
    """Base URL of the MLflow UI, used for the Airflow extra links."""
    return os.environ.get("MLFLOW_UI_URL", "http://127.0.0.1:5000").rstrip("/")


def s3_endpoint_url() -> str | None:
    """Endpoint of an S3-compatible server (MinIO, moto); None means AWS itself."""
    return os.environ.get("MLOPS_S3_ENDPOINT_URL") or os.environ.get("MLFLOW_S3_ENDPOINT_URL") or None


def lock_url() -> str:
    """Where promotion's mutex lives: file:// (embedded), postgresql:// or redis://."""
    return os.environ.get("MLOPS_LOCK_URL", (mlops_home() / "locks").as_uri())


def code_version() -> str:
    """Version of this code, recorded as lineage on every run."""
    env = os.environ.get("MLOPS_CODE_VERSION")
    if env:
        return env
    head = PROJECT_ROOT / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            ref_file = PROJECT_ROOT / ".git" / ref[5:]
            if ref_file.exists():
                return ref_file.read_text().strip()[:12]
            packed = PROJECT_ROOT / ".git" / "packed-refs"
            if packed.exists():
                for line in packed.read_text().splitlines():
                    if line.endswith(ref[5:]):
                        return line.split()[0][:12]
            return "unknown"
        return ref[:12]
    except OSError:
        return "unknown"
