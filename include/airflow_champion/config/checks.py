"""Config checks that need scikit-learn: run inside tasks and the CLI, never at DAG parse time.

Each check returns every problem it finds as a sentence naming the key (`mlops check-config` reports
them all in one run); `check_estimator_importable` raises the first one, for the steps that need the
estimator class before they can go on.
"""

from __future__ import annotations

import difflib
import importlib
import math
from typing import Any

from airflow_champion.config.schema import ModelConfig
from airflow_champion.errors import ConfigError
from airflow_champion.reports.numbers import fmt
from airflow_champion.tasks import get_metric, get_task


def _resolve(class_path: str) -> tuple[type | None, str | None]:
    """(the estimator class, None) or (None, why it cannot be imported)."""
    module_name, _, cls_name = class_path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None, f"estimator.class {class_path!r}: module {module_name!r} does not exist"
    est = getattr(module, cls_name, None)
    if est is None or not isinstance(est, type):
        known = [n for n in dir(module) if n[:1].isupper() and isinstance(getattr(module, n), type)]
        hint = difflib.get_close_matches(cls_name, known, n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        return None, (
            f"estimator.class {class_path!r}: unknown estimator {cls_name!r} in {module_name}{suggestion}"
        )
    return est, None


def _invalid(instance: Any) -> str | None:
    validate = getattr(instance, "_validate_params", None)  # scikit-learn >= 1.2: types and ranges
    if not callable(validate):
        return None
    try:
        validate()
    except (TypeError, ValueError) as exc:
        return str(exc)
    return None


def _param_problems(est: type, params: dict[str, Any]) -> list[str]:
    """What scikit-learn rejects in these params: each bad one (it stops at the first of a set)."""
    if _invalid(est(**params)) is None:
        return []
    each = [why for key, value in params.items() if (why := _invalid(est(**{key: value})))]
    return each or [str(_invalid(est(**params)))]  # only the combination is rejected


def estimator_problems(class_path: str, params: dict[str, Any], task: str) -> list[str]:
    """The class exists, takes these params with values scikit-learn accepts, and fits the task."""
    from sklearn.base import is_classifier, is_regressor

    est, problem = _resolve(class_path)
    if est is None:
        return [str(problem)]
    try:
        instance = est(**params)
    except TypeError as exc:
        return [f"estimator.params: {exc}"]
    problems = [f"estimator.params: {p}" for p in _param_problems(est, params)]
    kind = get_task(task).estimator_kind
    if not (is_classifier(instance) if kind == "classifier" else is_regressor(instance)):
        problems.append(f"estimator.class {class_path!r} is not a {kind}, but task {task!r} needs one")
    return problems


def chance_level(task: str, metric: str, classes: int | None = None) -> float | None:
    """What guessing scores on `metric` whatever the data (None: it depends on the class shares).

    A random ranking has ROC AUC 0.5; always predicting 0.5 has Brier 0.25 and log loss ln 2 (ln K
    for K classes, predicting 1/K each); a constant prediction of the mean has R2 0; guessing one
    class in K has balanced accuracy 1/K. Accuracy, F1 or average precision of a guess depend on
    the class shares, and errors like RMSE on the target's scale: for those only the range is checked.
    """
    k = classes or 2
    known: dict[tuple[str, str], float] = {
        ("binary", "roc_auc"): 0.5,
        ("binary", "balanced_accuracy"): 0.5,
        ("binary", "brier"): 0.25,
        ("binary", "log_loss"): math.log(2),
        ("multiclass", "roc_auc_ovr"): 0.5,
        ("multiclass", "balanced_accuracy"): 1 / k,
        ("multiclass", "log_loss"): math.log(k),
        ("regression", "r2"): 0.0,
    }
    if task == "multiclass" and classes is None and metric in {"balanced_accuracy", "log_loss"}:
        return None
    return known.get((task, metric))


def floor_problems(task: str, metric: str, floor: float, classes: int | None = None) -> list[str]:
    """The floor is a score the metric can take, better than guessing, and short of a perfect score.

    A floor outside the range, or one a guess already meets (ROC AUC 0.05, or -5), would make any
    first model a champion; `classes` (multiclass: len(data.labels)) sets the chance of K classes.
    """
    m = get_metric(task, metric)
    if not m.in_range(floor):
        return [
            f"promotion.floor {fmt(floor)} is outside the range of {metric} "
            f"[{fmt(m.lower) if m.lower is not None else '-inf'}, "
            f"{fmt(m.upper) if m.upper is not None else 'inf'}]: no model scores that"
        ]
    if m.is_perfect(floor):
        return [
            f"promotion.floor {fmt(floor)} is {metric}'s perfect score: only a perfect model reaches it, "
            "and the leakage guard rejects perfect scores"
        ]
    chance = chance_level(task, metric, classes)
    if chance is not None and (floor < chance if m.greater_is_better else floor > chance):
        side, better = ("below", "higher") if m.greater_is_better else ("above", "lower")
        return [
            f"promotion.floor {fmt(floor)} is {side} {metric}'s chance level {fmt(chance)}: a model "
            f"that guesses passes it; set a floor {better} than {fmt(chance)}"
        ]
    return []


def config_problems(cfg: ModelConfig) -> list[str]:
    """Every scikit-learn and metric problem of a config that parsed."""
    classes = len(cfg.data.labels) if cfg.data.labels else None
    return [
        *estimator_problems(cfg.estimator.class_path, cfg.estimator.params, cfg.task),
        *floor_problems(cfg.task, cfg.metric.name, cfg.promotion.floor, classes),
    ]


def check_before_data(cfg: ModelConfig) -> None:
    """The claim gate's config check: the first of `config_problems` as a ConfigError, so a run with
    params scikit-learn refuses or a floor a guess passes stops before any data is read or claimed."""
    problems = config_problems(cfg)
    if problems:
        raise ConfigError(f"{cfg.name}: {problems[0]}")


def check_estimator_importable(cfg: ModelConfig) -> type:
    """Resolve the estimator class; imports scikit-learn, so only call inside a task or the CLI."""
    problems = estimator_problems(cfg.estimator.class_path, cfg.estimator.params, cfg.task)
    if problems:
        raise ConfigError(f"{cfg.name}: {problems[0]}")
    est, _ = _resolve(cfg.estimator.class_path)
    assert est is not None  # no problem means it resolved
    return est


__all__ = [
    "chance_level",
    "check_before_data",
    "check_estimator_importable",
    "config_problems",
    "estimator_problems",
    "floor_problems",
]
