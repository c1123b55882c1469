"""The serving-budget gate: how fast the registered challenger predicts and how large it is to ship.

Both are measured on what would be served: the model as loaded from the registry and its registered
artifacts. Latency is the time of `task.predict` (what scoring calls, probabilities included) on a
fixed batch of judged rows, so two evaluations of the same data time the same work; the p95 over the
timed calls is what `promotion.budgets.max_p95_latency_ms` limits. A limit left None is measured and
reported only. 1 MB here is 10^6 bytes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from airflow_champion.errors import EvaluationError, classified
from airflow_champion.registry import tracking
from airflow_champion.reports.numbers import fmt

if TYPE_CHECKING:
    import pandas as pd

    from airflow_champion.config import ModelConfig
    from airflow_champion.tasks import Task
    from airflow_champion.tasks.base import TargetSpec

BYTES_PER_MB = 1_000_000
CLIENT_WRITTEN = frozenset({"registered_model_meta"})
"""What MLflow's client writes into a `models:/` download (the name and version, 45 bytes) and is not
the model: not counted. With a local artifact store a download without dst_path (`load_model`) is
the store's own folder, so the client writes it there and the store lists it too."""


def predict_latency(
    task: Task, model: Any, X_batch: pd.DataFrame, data: TargetSpec, repeats: int
) -> dict[str, Any]:
    """One untimed warm-up call (lazy imports, caches), then `repeats` timed calls of the task's predict
    on the same batch; milliseconds per call."""
    if repeats < 1:
        raise ValueError(f"need repeats >= 1, got {repeats}")
    task.predict(model, X_batch, data)
    times = np.empty(repeats)
    for i in range(repeats):
        start = time.perf_counter()
        task.predict(model, X_batch, data)
        times[i] = time.perf_counter() - start
    ms = times * 1000.0
    p50, p95 = (float(v) for v in np.percentile(ms, [50, 95]))
    return {
        "batch_rows": len(X_batch),
        "repeats": int(repeats),
        "p50_ms": p50,
        "p95_ms": p95,
        "max_ms": float(ms.max()),
    }


def _listed_bytes(uri: str, path: str = "") -> int | None:
    """Sum of the file sizes the artifact store reports under `uri`, walking folders; None when the
    store leaves a size out (then only a download can tell)."""
    import mlflow.artifacts

    total = 0
    for info in mlflow.artifacts.list_artifacts(artifact_uri=f"{uri}/{path}" if path else uri):
        if info.is_dir:
            sub = _listed_bytes(uri, info.path)
            if sub is None:
                return None
            total += sub
        elif info.path in CLIENT_WRITTEN:
            continue
        elif info.file_size is None:
            return None
        else:
            total += int(info.file_size)
    return total


def _downloaded_bytes(uri: str) -> int:
    import tempfile

    import mlflow.artifacts

    with tempfile.TemporaryDirectory(prefix="mlops-artifact-size-") as tmp:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=tmp))
        files = [local] if local.is_file() else [f for f in local.rglob("*") if f.is_file()]
        return sum(f.stat().st_size for f in files if f.relative_to(local).as_posix() not in CLIENT_WRITTEN)


def artifact_size_bytes(cfg: ModelConfig, version: int) -> int:
    """Total bytes of the registered version's model artifacts, as the registry serves them.

    The store's listing (file sizes, no transfer) is used: the same files a `models:/` download
    fetches, without copying a model that may be hundreds of MB a second time (loading it already
    did once). A store that lists a file without its size falls back to downloading the artifacts into
    a temporary folder and summing the files. The client's `registered_model_meta` (CLIENT_WRITTEN) is
    not counted either way.
    """
    try:
        tracking.configure()
        uri = tracking.model_uri(cfg, version)
        listed = _listed_bytes(uri)
        size = listed if listed is not None else _downloaded_bytes(uri)
    except Exception as exc:
        raise classified(
            exc, EvaluationError, f"{cfg.name}: cannot measure the artifacts of v{version} in the registry"
        ) from exc
    if size <= 0:
        raise EvaluationError(f"{cfg.name}: v{version} has no model artifacts in the registry ({uri})")
    return size


def budget_gate(
    cfg: ModelConfig, task: Task, model: Any, version: int, X_judged: pd.DataFrame
) -> dict[str, Any]:
    """Latency of `model` (the loaded registered `version`) on the first `batch_rows` judged rows and the
    version's artifact size, with a blocker sentence per limit that is set and exceeded (JSON-safe)."""
    spec = cfg.promotion.budgets
    rows = min(spec.batch_rows, len(X_judged))
    if rows == 0:
        raise EvaluationError(f"{cfg.name}: no judged rows to time v{version}'s predictions on")
    batch = X_judged.iloc[:rows]
    try:
        latency = predict_latency(task, model, batch, cfg.data, spec.repeats)
    except Exception as exc:
        raise EvaluationError(
            f"{cfg.name}: v{version} cannot score the timed batch: {type(exc).__name__}: {exc}"
        ) from exc
    size = artifact_size_bytes(cfg, version)
    mb = size / BYTES_PER_MB
    blockers: list[str] = []
    if spec.max_p95_latency_ms is not None and latency["p95_ms"] > spec.max_p95_latency_ms:
        blockers.append(
            f"serving budget: p95 predict latency {fmt(latency['p95_ms'])} ms > max_p95_latency_ms "
            f"{fmt(spec.max_p95_latency_ms)} (batch of {rows} judged rows, {spec.repeats} calls)"
        )
    if spec.max_artifact_mb is not None and mb > spec.max_artifact_mb:
        blockers.append(
            f"serving budget: model artifact {fmt(mb)} MB > max_artifact_mb {fmt(spec.max_artifact_mb)}"
        )
    return {
        **latency,
        "artifact_bytes": int(size),
        "artifact_mb": float(mb),
        "limits": {"max_p95_latency_ms": spec.max_p95_latency_ms, "max_artifact_mb": spec.max_artifact_mb},
        "blockers": blockers,
    }


__all__ = ["BYTES_PER_MB", "artifact_size_bytes", "budget_gate", "predict_latency"]
