"""The serving-budget gate on a real registered model: the artifact size is what the registry serves,
the latency is timed on a fixed batch, and a limit that is set and exceeded blocks with its numbers.
No assertion is made on how fast anything is, only on the structure and the limit logic."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from airflow_champion.errors import EvaluationError
from airflow_champion.evaluation import budgets
from airflow_champion.reports.numbers import fmt

pytestmark = pytest.mark.unit

KEYS = {
    "batch_rows",
    "repeats",
    "p50_ms",
    "p95_ms",
    "max_ms",
    "artifact_bytes",
    "artifact_mb",
    "limits",
    "blockers",
}


class SpyTask:
    """A task whose predict records the batches it was given (and answers like a binary task)."""

    def __init__(self) -> None:
        self.batches: list[pd.Index] = []

    def predict(self, model: Any, X: pd.DataFrame, data: Any) -> np.ndarray:
        from airflow_champion.tasks import get_task

        self.batches.append(X.index)
        return get_task("binary").predict(model, X, data)


def test_predict_latency_warms_up_once_then_times_repeats_calls(bc_cfg: Any) -> None:
    from sklearn.dummy import DummyClassifier

    X = pd.DataFrame({"a": np.arange(20.0)})
    model = DummyClassifier(strategy="prior").fit(X, np.arange(20) % 2)
    spy = SpyTask()
    out = budgets.predict_latency(spy, model, X, bc_cfg.data, 7)  # type: ignore[arg-type]
    assert len(spy.batches) == 8 and all(b.equals(X.index) for b in spy.batches)
    assert set(out) == {"batch_rows", "repeats", "p50_ms", "p95_ms", "max_ms"}
    assert out["batch_rows"] == 20 and out["repeats"] == 7
    assert 0 <= out["p50_ms"] <= out["p95_ms"] <= out["max_ms"]


# ------------------------------------------------------------------------- through the registry


def _register(cfg: Any, model: Any) -> int:
    """Log and register `model` as evaluation's tests do (skops, the reviewed trusted types)."""
    import mlflow
    import mlflow.sklearn
    from airflow_champion.modeling import trusted_types
    from airflow_champion.registry import tracking

    tracking.configure()
    with mlflow.start_run(experiment_id=tracking.ensure_experiment(cfg)):
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=cfg.registered_model_name,
            serialization_format="skops",
            skops_trusted_types=trusted_types.TRUSTED_TYPES,
            pip_requirements=["scikit-learn"],
        )
    return int(info.registered_model_version)


def _budgets(cfg: Any, **limits: Any) -> Any:
    pr = cfg.promotion
    return cfg.model_copy(
        update={"promotion": pr.model_copy(update={"budgets": pr.budgets.model_copy(update=limits)})}
    )


@pytest.fixture
def registered(mlops_home: Path, bc_cfg: Any) -> dict[str, Any]:
    """A tiny LogisticRegression pipeline (the breast-cancer config's own) registered, loaded back."""
    from airflow_champion.modeling import pipeline
    from airflow_champion.registry import tracking
    from sklearn.datasets import load_breast_cancer

    df = load_breast_cancer(as_frame=True).frame
    X, y = pipeline.features_and_target(bc_cfg, df)
    version = _register(bc_cfg, pipeline.build_pipeline(bc_cfg).fit(X, y))
    return {"cfg": bc_cfg, "version": version, "model": tracking.load_model(bc_cfg, version), "X": X}


@pytest.mark.mlflow
def test_artifact_size_is_the_sum_of_the_files_the_registry_serves(
    registered: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow.artifacts
    from airflow_champion.registry import tracking

    cfg, version = registered["cfg"], registered["version"]
    size = budgets.artifact_size_bytes(cfg, version)
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(
            mlflow.artifacts.download_artifacts(artifact_uri=tracking.model_uri(cfg, version), dst_path=tmp)
        )
        files = {f.relative_to(local).as_posix(): f.stat().st_size for f in local.rglob("*") if f.is_file()}
    assert "model.skops" in files and "registered_model_meta" in files  # the latter is written by the client
    assert size > 0 and size == sum(n for name, n in files.items() if name != "registered_model_meta")

    monkeypatch.setattr(budgets, "_listed_bytes", lambda *_a, **_k: None)  # a store listing no sizes
    assert budgets.artifact_size_bytes(cfg, version) == size


@pytest.mark.mlflow
def test_an_unknown_version_is_a_named_evaluation_error(registered: dict[str, Any]) -> None:
    with pytest.raises(EvaluationError, match=r"breast_cancer: .*v99.*not found"):
        budgets.artifact_size_bytes(registered["cfg"], 99)


@pytest.mark.mlflow
def test_tiny_limits_block_with_their_numbers(registered: dict[str, Any]) -> None:
    cfg = _budgets(registered["cfg"], batch_rows=40, repeats=5, max_artifact_mb=1e-6, max_p95_latency_ms=1e-6)
    spy = SpyTask()
    out = budgets.budget_gate(cfg, spy, registered["model"], registered["version"], registered["X"])  # type: ignore[arg-type]
    assert json.loads(json.dumps(out, allow_nan=False)) == out and set(out) == KEYS
    assert out["limits"] == {"max_p95_latency_ms": 1e-6, "max_artifact_mb": 1e-6}
    assert out["blockers"] == [
        f"serving budget: p95 predict latency {fmt(out['p95_ms'])} ms > max_p95_latency_ms 1e-06 "
        "(batch of 40 judged rows, 5 calls)",
        f"serving budget: model artifact {fmt(out['artifact_mb'])} MB > max_artifact_mb 1e-06",
    ]
    first_40 = registered["X"].index[:40]
    assert len(spy.batches) == 6 and all(b.equals(first_40) for b in spy.batches)  # the same fixed batch


@pytest.mark.mlflow
def test_without_limits_the_numbers_are_reported_and_nothing_blocks(registered: dict[str, Any]) -> None:
    from airflow_champion.tasks import get_task

    cfg, X = registered["cfg"], registered["X"]
    assert cfg.promotion.budgets.max_artifact_mb is None and cfg.promotion.budgets.max_p95_latency_ms is None
    out = budgets.budget_gate(cfg, get_task(cfg.task), registered["model"], registered["version"], X.head(25))
    assert set(out) == KEYS and out["blockers"] == []
    assert out["batch_rows"] == 25 and out["repeats"] == cfg.promotion.budgets.repeats  # fewer rows than 1000
    assert 0 <= out["p50_ms"] <= out["p95_ms"] <= out["max_ms"]
    assert out["artifact_bytes"] == budgets.artifact_size_bytes(cfg, registered["version"]) > 0
    assert out["artifact_mb"] == pytest.approx(out["artifact_bytes"] / 1e6)
    generous = _budgets(cfg, max_artifact_mb=1e4, max_p95_latency_ms=1e6)
    assert (
        budgets.budget_gate(generous, get_task(cfg.task), registered["model"], registered["version"], X)[
            "blockers"
        ]
        == []
    )
