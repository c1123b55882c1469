"""A failed training attempt leaves no FINISHED run with a model: its run ends FAILED, its version (if
one was registered) is removed, and the retry makes the one FINISHED run and version of the snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.dags import scenarios

pytestmark = [pytest.mark.unit, pytest.mark.mlflow]


def _training_runs(cfg: Any) -> list[Any]:
    from airflow_champion.registry import tags, tracking

    runs = tracking.client().search_runs([tracking.ensure_experiment(cfg)])
    return [r for r in runs if r.data.tags.get(tags.key("kind")) == "training"]


@pytest.mark.parametrize("fails", ["create_model_version", "set_registered_model_alias"])
def test_a_failed_attempt_ends_failed_and_its_retry_makes_the_one_version(
    fails: str, mlops_home: Path, churn_cfg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_champion.modeling.training import train_challenger
    from airflow_champion.registry import tracking
    from mlflow.tracking import MlflowClient

    df = scenarios.churn(300, 1)
    real = getattr(MlflowClient, fails)
    calls: list[str] = []

    def once(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(fails)
        if len(calls) == 1:
            raise ConnectionResetError("tracking server went away")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(MlflowClient, fails, once)
    with pytest.raises(ConnectionResetError):
        train_challenger(churn_cfg, df, snapshot_id="2026-11-02", snapshot_sha256="a" * 64)
    (dead,) = _training_runs(churn_cfg)
    assert dead.info.status == "FAILED"
    assert "ConnectionResetError" in dead.data.tags["mlops.superseded"]
    client = tracking.client()
    assert not client.search_model_versions(f"name='{churn_cfg.registered_model_name}'")

    result = train_challenger(churn_cfg, df, snapshot_id="2026-11-02", snapshot_sha256="a" * 64)
    finished = [r for r in _training_runs(churn_cfg) if r.info.status == "FINISHED"]
    assert [r.info.run_id for r in finished] == [result.run_id] and not result.reused
    versions = client.search_model_versions(f"name='{churn_cfg.registered_model_name}'")
    assert [(int(v.version), v.run_id) for v in versions] == [(result.version, result.run_id)]
