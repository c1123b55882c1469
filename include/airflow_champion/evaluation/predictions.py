"""A registered version's predictions: loaded and checked with named errors, and shared inside the
one-process chain.

In the chain (data.reading.shared_reads) check_champion predicts the champion on every row of the new
snapshot it was not trained on, and evaluate needs its predictions on the judged rows, a subset. They
are reused only where they are the very numbers predicting the subset would give: when every step of
the fitted pipeline computes a row's output from that row alone with the same floating-point
operations whatever the batch (ROW_EXACT: imputation, scaling, one-hot encoding, trees and boosted
trees). A linear model's matrix product is blocked by the batch's shape in BLAS, so its last bits
can differ with the batch: it is predicted again (the model, loaded once, is reused). A row_exact
model also predicts a large frame in chunks, which bounds the memory of its intermediate copies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from airflow_champion.data.reading import derived, sharing
from airflow_champion.errors import EvaluationError, classified
from airflow_champion.registry import tracking

if TYPE_CHECKING:
    import pandas as pd

    from airflow_champion.config import ModelConfig
    from airflow_champion.tasks import Task

ROW_EXACT = frozenset(
    {
        "sklearn.pipeline.Pipeline",
        "sklearn.compose._column_transformer.ColumnTransformer",
        "sklearn.impute._base.SimpleImputer",
        "sklearn.preprocessing._data.StandardScaler",
        "sklearn.preprocessing._encoders.OneHotEncoder",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor",
        "sklearn.ensemble._gb.GradientBoostingClassifier",
        "sklearn.ensemble._gb.GradientBoostingRegressor",
        "sklearn.tree._classes.DecisionTreeClassifier",
        "sklearn.tree._classes.DecisionTreeRegressor",
    }
)
"""Fitted steps whose output for a row is the same bits in any batch (elementwise arithmetic, lookups,
tree traversal and per-row sums in a fixed order)."""

CHUNK_ROWS = 131_072
"""Rows a row_exact model predicts at once (predict_in_chunks)."""


def row_exact(model: Any) -> bool:
    """Whether every step of a fitted pipeline is in ROW_EXACT ("drop"/"passthrough" columns too)."""
    if model in ("drop", "passthrough"):
        return True
    if f"{type(model).__module__}.{type(model).__qualname__}" not in ROW_EXACT:
        return False
    steps = [s for _, s in getattr(model, "steps", [])]
    steps += [t for _, t, _ in getattr(model, "transformers_", [])]
    return all(row_exact(s) for s in steps)


def load_version(cfg: ModelConfig, version: int, role: str) -> Any:
    """A registered version, loaded once; a failure names the model, version and cause, and is a
    TransientError (retried) when the registry or the artifact store blinked."""
    try:
        return tracking.load_model(cfg, version)
    except Exception as exc:
        raise classified(
            exc, EvaluationError, f"{cfg.name}: cannot load {role} v{version} from the registry"
        ) from exc


def predict_in_chunks(task: Task, model: Any, X: pd.DataFrame, data: Any) -> np.ndarray:
    """task.predict of `model` on X; a row_exact model's in chunks of CHUNK_ROWS rows: the same numbers,
    with the pipeline's intermediate copies (scaled, one-hot, stacked: ~30 floats a row) bounded by
    the chunk rather than the frame (600 MB at 1M churn rows)."""
    if len(X) <= CHUNK_ROWS or not row_exact(model):
        return np.asarray(task.predict(model, X, data))
    parts = [task.predict(model, X.iloc[i : i + CHUNK_ROWS], data) for i in range(0, len(X), CHUNK_ROWS)]
    return np.concatenate(parts)


def predict_loaded(
    cfg: ModelConfig, task: Task, model: Any, version: int, role: str, X: pd.DataFrame
) -> np.ndarray:
    """Predictions of a loaded version; any failure (or a non-finite value) names it."""
    try:
        pred = predict_in_chunks(task, model, X, cfg.data)
    except Exception as exc:
        raise EvaluationError(
            f"{cfg.name}: {role} v{version} cannot score the holdout: {type(exc).__name__}: {exc}"
        ) from exc
    if not np.isfinite(pred).all():
        raise EvaluationError(f"{cfg.name}: {role} v{version} returned non-finite predictions")
    return pred


def predict_version(cfg: ModelConfig, task: Task, version: int, role: str, X: pd.DataFrame) -> np.ndarray:
    """Predictions of one registered version; any failure names the model, version and cause."""
    return predict_loaded(cfg, task, load_version(cfg, version, role), version, role, X)


def predict_rows(
    cfg: ModelConfig,
    task: Task,
    version: int,
    role: str,
    df: pd.DataFrame,
    X: pd.DataFrame,
    positions: np.ndarray | None,
) -> np.ndarray:
    """predict_version on `X`, the features of the rows of `df` at `positions`; inside
    data.reading.shared_reads() the version is loaded once and, when row_exact, each row of `df`
    predicted once (module docstring)."""
    if positions is None or not sharing():
        return predict_version(cfg, task, version, role, X)
    memo: dict[str, Any] = derived(df, f"predictions:{cfg.config_hash}:{int(version)}", dict)
    if "model" not in memo:
        memo["model"] = load_version(cfg, version, role)
        memo["exact"] = row_exact(memo["model"])
    done = memo.get("done")
    if done is not None and bool(done[positions].all()):
        return memo["pred"][positions]  # type: ignore[no-any-return]
    pred = predict_loaded(cfg, task, memo["model"], version, role, X)
    if memo["exact"]:
        if done is None:
            memo["pred"] = np.zeros((len(df), *pred.shape[1:]), dtype=pred.dtype)
            done = memo["done"] = np.zeros(len(df), dtype=bool)
        memo["pred"][positions] = pred
        done[positions] = True
    return pred


__all__ = [
    "CHUNK_ROWS",
    "ROW_EXACT",
    "load_version",
    "predict_in_chunks",
    "predict_loaded",
    "predict_rows",
    "predict_version",
    "row_exact",
]
