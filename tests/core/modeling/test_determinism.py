"""determinism.assess: an unset random_state is "not reproducible" exactly where the estimator draws
from it, and "unset, not drawn from" where scikit-learn documents that it does not."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.unit


def _estimator(name: str, **params: Any) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC

    classes = {
        "hgb": HistGradientBoostingClassifier,
        "rf": RandomForestClassifier,
        "logreg": LogisticRegression,
        "mlp": MLPClassifier,
        "svc": SVC,
    }
    return classes[name](**params)


@pytest.mark.parametrize(
    ("name", "params", "rows", "why"),
    [
        ("rf", {}, 600, "bootstrap samples"),
        ("mlp", {}, 600, "initial weights"),
        ("logreg", {"solver": "saga"}, 600, "solver='saga'"),
        ("svc", {"probability": True}, 600, "probability=True"),
        ("hgb", {"early_stopping": True}, 600, "early stopping"),
        ("hgb", {}, 20_000, "early stopping"),  # early_stopping="auto" turns on above 10,000 rows
        ("hgb", {"max_features": 0.5}, 600, "max_features"),
    ],
)
def test_an_unset_seed_that_is_drawn_from_is_not_reproducible(
    name: str, params: dict[str, Any], rows: int, why: str
) -> None:
    from airflow_champion.modeling.determinism import assess

    out = assess(_estimator(name, **params), rows)
    assert out["deterministic"] is False
    assert out["message"].startswith("not reproducible: random_state is unset")
    assert why in out["unset"][0]["why"]


@pytest.mark.parametrize(
    ("name", "params"),
    [("logreg", {}), ("svc", {}), ("hgb", {})],  # lbfgs, probability=False, no early stopping (600 rows)
)
def test_an_unset_seed_the_estimator_does_not_draw_from_is_not_a_refusal(
    name: str, params: dict[str, Any]
) -> None:
    from airflow_champion.modeling.determinism import assess

    out = assess(_estimator(name, **params), 600)
    assert out["deterministic"] is True and out["unset"] == []
    assert [u["param"] for u in out["unused"]] == ["random_state"]


def test_the_config_pipeline_is_seen_through_to_its_estimator(churn_cfg: Any) -> None:
    from airflow_champion.modeling.determinism import assess
    from airflow_champion.modeling.pipeline import build_pipeline

    seeded = assess(build_pipeline(churn_cfg), 600)
    assert seeded["deterministic"] is True
    assert seeded["seeded"] == [
        {"param": "model__random_state", "estimator": "HistGradientBoostingClassifier", "value": "0"}
    ]
    forest = churn_cfg.estimator.model_copy(
        update={"class_path": "sklearn.ensemble.RandomForestClassifier", "params": {"n_estimators": 5}}
    )
    unseeded = churn_cfg.model_copy(update={"estimator": forest})
    out = assess(build_pipeline(unseeded), 600)
    assert "not reproducible: model__random_state is unset" in out["message"]


def test_blas_backed_estimators_carry_a_thread_note_even_when_seeded() -> None:
    from airflow_champion.modeling.determinism import assess

    out = assess(_estimator("mlp", random_state=0), 600)
    assert out["deterministic"] is True and any("BLAS" in n for n in out["notes"])
