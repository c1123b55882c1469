"""A version's predictions shared inside the one-process chain: reused only where they are the very
numbers predicting the rows again would give."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from airflow_champion.data.reading import shared_reads
from airflow_champion.evaluation import predictions
from airflow_champion.modeling.pipeline import build_pipeline, features, target

pytestmark = pytest.mark.unit

ESTIMATORS = [
    ("sklearn.ensemble.HistGradientBoostingClassifier", {"max_iter": 30}),
    ("sklearn.ensemble.GradientBoostingClassifier", {"n_estimators": 20}),
    ("sklearn.tree.DecisionTreeClassifier", {"max_depth": 5}),
]


@pytest.fixture(scope="module")
def churn() -> tuple[Any, pd.DataFrame]:
    from airflow_champion.config import load_config
    from airflow_champion_demo.datagen import generate_churn

    return load_config("churn"), generate_churn(4000, 3)


def _fitted(cfg: Any, df: pd.DataFrame, class_path: str, params: dict[str, Any]) -> Any:
    cfg = cfg.model_copy(
        update={"estimator": cfg.estimator.model_copy(update={"class_path": class_path, "params": params})}
    )
    return build_pipeline(cfg).fit(features(cfg, df), target(cfg, df))


@pytest.mark.parametrize(("class_path", "params"), ESTIMATORS)
def test_row_exact_pipelines_predict_a_subset_to_the_same_bits(
    churn: tuple[Any, pd.DataFrame], class_path: str, params: dict[str, Any]
) -> None:
    """What the reuse relies on, checked for each listed estimator behind the config's preprocessing."""
    cfg, df = churn
    model = _fitted(cfg, df.iloc[:2000], class_path, params)
    assert predictions.row_exact(model)
    X = features(cfg, df)
    rows = np.sort(np.random.default_rng(0).choice(len(df), 777, replace=False))
    whole = model.predict_proba(X)
    assert np.array_equal(model.predict_proba(X.iloc[rows]), whole[rows])


def test_a_linear_model_is_not_row_exact(churn: tuple[Any, pd.DataFrame]) -> None:
    cfg, df = churn
    model = _fitted(cfg, df.iloc[:2000], "sklearn.linear_model.LogisticRegression", {"max_iter": 500})
    assert not predictions.row_exact(model)


@pytest.mark.parametrize("exact", [True, False])
def test_inside_shared_reads_a_version_is_loaded_once_and_exact_rows_predicted_once(
    churn: tuple[Any, pd.DataFrame], monkeypatch: pytest.MonkeyPatch, exact: bool
) -> None:
    from airflow_champion.tasks import get_task

    cfg, df = churn
    class_path = ESTIMATORS[0][0] if exact else "sklearn.linear_model.LogisticRegression"
    model = _fitted(cfg, df.iloc[:2000], class_path, {"max_iter": 30 if exact else 500})
    loads: list[int] = []
    monkeypatch.setattr(predictions, "load_version", lambda c, v, r: loads.append(v) or model)
    scored: list[int] = []
    real = predictions.predict_loaded
    monkeypatch.setattr(predictions, "predict_loaded", lambda *a: scored.append(len(a[-1])) or real(*a))
    task, X = get_task(cfg.task), features(cfg, df)
    judged = np.flatnonzero(np.arange(len(df)) % 4 == 0)
    with shared_reads():
        everything = predictions.predict_rows(cfg, task, 7, "champion", df, X, np.arange(len(df)))
        some = predictions.predict_rows(cfg, task, 7, "champion", df, X.iloc[judged], judged)
    assert loads == [7]
    assert scored == ([len(df)] if exact else [len(df), len(judged)])
    assert np.array_equal(some, everything[judged]) if exact else np.allclose(some, everything[judged])
    assert np.array_equal(some, task.predict(model, X.iloc[judged], cfg.data))  # what evaluate always got


@pytest.mark.parametrize("exact", [True, False])
def test_a_row_exact_model_predicts_a_large_frame_in_chunks_to_the_same_numbers(
    churn: tuple[Any, pd.DataFrame], monkeypatch: pytest.MonkeyPatch, exact: bool
) -> None:
    """Chunks bound the pipeline's intermediate copies (~600 MB at 1M rows); a linear model's bits
    would depend on the batch, so it is predicted in one piece as before."""
    from airflow_champion.tasks import get_task

    cfg, df = churn
    class_path = ESTIMATORS[0][0] if exact else "sklearn.linear_model.LogisticRegression"
    model = _fitted(cfg, df.iloc[:2000], class_path, {"max_iter": 30 if exact else 500})
    task, X = get_task(cfg.task), features(cfg, df)
    whole = task.predict(model, X, cfg.data)
    monkeypatch.setattr(predictions, "CHUNK_ROWS", 1000)
    batches: list[int] = []
    real = task.predict
    monkeypatch.setattr(task, "predict", lambda m, X, d: batches.append(len(X)) or real(m, X, d))
    got = predictions.predict_in_chunks(task, model, X, cfg.data)
    assert batches == ([1000] * 4 if exact else [len(X)])
    assert np.array_equal(got, whole)
