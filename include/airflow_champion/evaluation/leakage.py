"""Signs that a score is too good to be true, found before anything is promoted.

* a judged score at the metric's perfect value (ROC AUC 1.0, RMSE 0): nothing real scores that;
* a single feature that alone reproduces the target on the judged rows: a depth-limited tree on that
  one feature, fit on (a sample of) the training rows, gets every judged row right (classification)
  or explains >= 99.9% of its variance (regression). That is a label copied into a feature (a poisoned
  or post-outcome column) even when the values stay within their declared range.

Each sign becomes a failing reason "possible leakage: ...": the challenger is rejected and a person
looks. Cost is bounded: at most SAMPLE_ROWS rows per side, one small tree per feature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_champion.reports.numbers import fmt, pct
from airflow_champion.tasks import get_task

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from airflow_champion.config import ModelConfig
    from airflow_champion.tasks.metric import Metric

SAMPLE_ROWS = 20_000
TREE_DEPTH = {"classifier": 4, "regressor": 8}
"""Depth of the one-feature probe: a few splits name a copied label; a copied number needs more."""
R2_REPRODUCES = 0.999


def perfect_score(metric: Metric, score: float, judged_rows: int, who: str) -> list[str]:
    if metric.is_perfect(score):
        return [f"possible leakage: {who} {metric.name} is {fmt(score)} (perfect) on {judged_rows} rows"]
    return []


def _positions(n: int, seed: int) -> np.ndarray | None:
    """The rows (sorted) the probe uses of n, None for all of them."""
    import numpy as np

    if n <= SAMPLE_ROWS:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, SAMPLE_ROWS, replace=False))


def _sample(X: pd.DataFrame, y: np.ndarray, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    idx = _positions(len(X), seed)
    return (X, y) if idx is None else (X.iloc[idx], y[idx])


def training_sample(cfg: ModelConfig, train: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """(X, y) of the training rows single_feature_leaks samples, without the features of the rest: the
    same rows as sampling features_and_target(train) (features are row by row), so the same probe."""
    import numpy as np

    from airflow_champion.modeling.pipeline import features_and_target

    idx = _positions(len(train), cfg.holdout.seed)
    X, y = features_and_target(cfg, train if idx is None else train.iloc[idx])
    return X, np.asarray(y)


def _one_feature(column: pd.Series) -> np.ndarray:
    """The feature as a single numeric column a tree can split on (categories as integer codes)."""
    import numpy as np
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype=np.float64)
        finite = values[np.isfinite(values)]
        missing = (finite.min() - 1.0) if finite.size else 0.0  # its own branch, below every value
        return np.where(np.isfinite(values), values, missing).reshape(-1, 1)
    codes, _ = pd.factorize(column.astype(str), sort=True)
    return codes.reshape(-1, 1).astype(np.float64)


def single_feature_leaks(
    cfg: ModelConfig, X_train: pd.DataFrame, y_train: np.ndarray, X_judged: pd.DataFrame, y_judged: np.ndarray
) -> list[str]:
    """Features that alone reproduce the target on the judged rows (see the module docstring)."""
    import numpy as np
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    if len(X_judged) < 10 or len(X_train) < 10:
        return []
    classifier = get_task(cfg.task).estimator_kind == "classifier"
    Xt, yt = _sample(X_train, y_train, cfg.holdout.seed)
    Xj, yj = _sample(X_judged, y_judged, cfg.holdout.seed + 1)
    if classifier and np.unique(yj).size < 2:
        return []
    out = []
    for name in X_train.columns:
        depth = TREE_DEPTH["classifier" if classifier else "regressor"]
        model = (DecisionTreeClassifier if classifier else DecisionTreeRegressor)(
            max_depth=depth, random_state=0
        )
        model.fit(_one_feature(Xt[name]), yt)
        pred = model.predict(_one_feature(Xj[name]))
        if classifier and bool((pred == yj).all()):
            out.append(
                f"possible leakage: feature {name!r} alone predicts every one of {len(yj)} judged labels"
            )
        elif not classifier:
            ss = float(((yj - yj.mean()) ** 2).sum())
            r2 = 1.0 - float(((yj - pred) ** 2).sum()) / ss if ss > 0 else 0.0
            if r2 >= R2_REPRODUCES:
                out.append(
                    f"possible leakage: feature {name!r} alone explains {fmt(r2)} of the target's variance"
                )
    return out


def holdout_blockers(cfg: ModelConfig, info: dict[str, Any]) -> list[str]:
    """Reasons the judged rows cannot decide: too few left, or a holdout made of training duplicates."""
    h = cfg.holdout
    out = []
    share = float(info.get("duplicate_share") or 0.0)
    if share > h.max_duplicate_share:
        out.append(
            f"possible leakage: {pct(share)} of the holdout's {info.get('holdout_rows')} rows duplicate "
            f"training rows (holdout.max_duplicate_share {pct(h.max_duplicate_share)}): copies cannot tell "
            "memorising from learning"
        )
    judged = int(info.get("judged_rows") or 0)
    if judged < h.min_judged_rows:
        removed = int(info.get("duplicates_of_training") or 0) + int(info.get("seen_by_champion") or 0)
        out.append(
            f"only {judged} judged rows (of {info.get('holdout_rows')}; {removed} removed as seen in "
            f"training) < holdout.min_judged_rows {h.min_judged_rows}: too few to tell the models apart"
        )
    return out


__all__ = ["holdout_blockers", "perfect_score", "single_feature_leaks", "training_sample"]
