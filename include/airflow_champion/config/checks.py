"""Config checks that need scikit-learn: run inside tasks and the CLI, never at DAG parse time."""

from __future__ import annotations

import difflib
import importlib

from airflow_champion.config.schema import ModelConfig
from airflow_champion.errors import ConfigError
from airflow_champion.tasks import get_task


def check_estimator_importable(cfg: ModelConfig) -> type:
    """Resolve the estimator class; imports scikit-learn, so only call inside a task or the CLI."""
    module_name, _, cls_name = cfg.estimator.class_path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise ConfigError(
            f"{cfg.name}: estimator.class {cfg.estimator.class_path!r}: module {module_name!r} does not exist"
        ) from None
    est = getattr(module, cls_name, None)
    if est is None or not isinstance(est, type):
        known = [n for n in dir(module) if n[:1].isupper() and isinstance(getattr(module, n), type)]
        hint = difflib.get_close_matches(cls_name, known, n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise ConfigError(
            f"{cfg.name}: estimator.class {cfg.estimator.class_path!r}: unknown estimator {cls_name!r} "
            f"in {module_name}{suggestion}"
        )
    from sklearn.base import is_classifier, is_regressor

    try:
        instance = est(**cfg.estimator.params)
    except TypeError as exc:
        raise ConfigError(f"{cfg.name}: estimator.params: {exc}") from None
    kind = get_task(cfg.task).estimator_kind
    fits = is_classifier(instance) if kind == "classifier" else is_regressor(instance)
    if not fits:
        raise ConfigError(
            f"{cfg.name}: estimator.class {cfg.estimator.class_path!r} is not a {kind}, but task "
            f"{cfg.task!r} needs one"
        )
    return est
