"""Shared fixtures. Every test must carry one of the markers unit / airflow / integration / lint (how it
runs), plus the markers of what it needs (mlflow, postgres, redis, s3, browser) and `slow`."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REQUIRED_MARKERS = {"unit", "airflow", "integration", "lint"}


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


ISOLATED_VARS = ("MLFLOW_TRACKING_URI", "MLOPS_ARTIFACT_ROOT", "MLOPS_LOCK_URL", "MLFLOW_REGISTRY_URI")


@pytest.fixture(scope="session")
def mlflow_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated MLflow SQLite store, made once: migrating takes ~10 s, copying it ~0."""
    home = tmp_path_factory.mktemp("mlflow-template")
    mp = pytest.MonkeyPatch()
    mp.setenv("MLOPS_HOME", str(home))
    for var in ISOLATED_VARS:
        mp.delenv(var, raising=False)
    try:
        from airflow_champion.registry import tracking

        tracking.client().search_registered_models()
    finally:
        mp.undo()
        for var in ISOLATED_VARS:  # mlflow.set_tracking_uri exports them; monkeypatch cannot undo that
            os.environ.pop(var, None)
    return home / "mlflow.db"


@pytest.fixture(autouse=True)
def _tracking_env_does_not_leak() -> Iterator[None]:
    """Restore the tracking variables after every test.

    `mlflow.set_tracking_uri` (called by tracking.configure) writes MLFLOW_TRACKING_URI into os.environ,
    so without this a test that does not isolate its store would write into the previous test's store
    (once, into the session's template, which every later test then copied).
    """
    before = {var: os.environ.get(var) for var in ISOLATED_VARS}
    yield
    for var, value in before.items():
        if value is None:
            os.environ.pop(var, None)
        else:
            os.environ[var] = value


@pytest.fixture
def mlops_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlflow_db_template: Path) -> Path:
    """A private embedded state (MLflow SQLite store, artifacts, snapshots, locks) for one test."""
    import shutil

    home = tmp_path / "mlops"
    home.mkdir()
    shutil.copy(mlflow_db_template, home / "mlflow.db")
    monkeypatch.setenv("MLOPS_HOME", str(home))
    for var in ISOLATED_VARS:
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def churn_cfg():  # type: ignore[no-untyped-def]
    from airflow_champion.config import load_config

    return load_config("churn")


@pytest.fixture
def bc_cfg():  # type: ignore[no-untyped-def]
    from airflow_champion.config import load_config

    return load_config("breast_cancer")


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the full reads (sha256) of each file of the local store, by relative path."""
    from airflow_champion.data.storage import LocalStore

    counts: Counter[str] = Counter()
    real = LocalStore.sha256

    def counting(self: LocalStore, rel: str) -> str:
        counts[rel] += 1
        return real(self, rel)

    monkeypatch.setattr(LocalStore, "sha256", counting)
    return counts
