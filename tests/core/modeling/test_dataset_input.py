"""Training logs its snapshot as an MLflow dataset input (metadata only), so MLflow's own UI says which
data each version used: name = snapshot id, digest = the snapshot's sha256 (its first 36 hex digits,
MLflow's limit), source = the snapshot folder, context `training`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.dags import scenarios

pytestmark = [pytest.mark.unit, pytest.mark.mlflow]

SHA = "0123456789abcdef" * 4


def test_the_training_run_records_the_snapshot_it_was_trained_on(mlops_home: Path, churn_cfg: Any) -> None:
    from airflow_champion.modeling.training import train_challenger
    from airflow_champion.registry import tracking

    result = train_challenger(
        churn_cfg, scenarios.churn(300, 1), snapshot_id="2026-11-02", snapshot_sha256=SHA
    )
    (used,) = tracking.client().get_run(result.run_id).inputs.dataset_inputs
    assert used.dataset.name == "2026-11-02"
    assert used.dataset.digest == SHA[:36] and SHA.startswith(used.dataset.digest)
    assert json.loads(used.dataset.source)["uri"].endswith("/2026-11-02")
    assert used.dataset.source_type == "local"
    tags = {t.key: t.value for t in used.tags}
    assert tags["mlflow.data.context"] == "training" and tags["mlops.snapshot_sha256"] == SHA
    assert not used.dataset.profile  # metadata only: no rows, no profile of them
