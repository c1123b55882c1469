"""Shared fixtures. Every test must carry one of the markers unit / airflow / integration."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REQUIRED_MARKERS = {"unit", "airflow", "integration"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if not REQUIRED_MARKERS & {m.name for m in item.iter_markers()}:
            raise pytest.UsageError(f"{item.nodeid} has none of the markers {sorted(REQUIRED_MARKERS)}")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(ok: bool, reason: str) -> None:
    """Skip on a user's machine without the service; under CI a missing service is a failure."""
    if ok:
        return
    if in_ci():
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


@pytest.fixture
def mlops_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private embedded state (MLflow SQLite store, artifacts, snapshots, locks) for one test."""
    home = tmp_path / "mlops"
    home.mkdir()
    monkeypatch.setenv("MLOPS_HOME", str(home))
    for var in ("MLFLOW_TRACKING_URI", "MLOPS_ARTIFACT_ROOT", "MLOPS_LOCK_URL", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def churn_cfg():  # type: ignore[no-untyped-def]
    from include.config import load_config

    return load_config("churn")


@pytest.fixture
def bc_cfg():  # type: ignore[no-untyped-def]
    from include.config import load_config

    return load_config("breast_cancer")
