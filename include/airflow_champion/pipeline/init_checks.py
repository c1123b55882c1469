"""What `mlops init` measures on the user's file before it writes a config: the features that alone
reproduce the target (a column known only after the outcome; the leakage guard would reject every
model using it), the floor (a constant model's score moved FLOOR_SHARE of the way to a perfect one),
and an example expectation for the suite file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_champion.errors import ConfigError
from airflow_champion.reports.numbers import fmt
from airflow_champion.tasks import get_task

if TYPE_CHECKING:
    import pandas as pd

    from airflow_champion.config import ModelConfig
    from airflow_champion.pipeline.init_render import Draft

FLOOR_SHARE = 0.10
"""The floor asks for this share of the way from a constant model's score to a perfect one."""


def leaking_features(cfg: ModelConfig, df: pd.DataFrame) -> list[str]:
    """Features that alone reproduce the target on half of the file, fit on the other half."""
    from airflow_champion.evaluation.leakage import single_feature_leaks
    from airflow_champion.modeling.pipeline import features_and_target

    X, y = features_and_target(cfg, df)
    half = (df.reset_index(drop=True).index % 2 == 0).tolist()
    rest = [not h for h in half]
    found = single_feature_leaks(cfg, X[half], y[half], X[rest], y[rest])
    return [n for n in cfg.data.feature_names if any(f"feature {n!r}" in m for m in found)]


def floor(cfg: ModelConfig, df: pd.DataFrame) -> tuple[float, str]:
    """A floor between a constant model's score on the file and a perfect one, and why, in words."""
    import math

    import numpy as np

    from airflow_champion.modeling.pipeline import target

    m, task = cfg.metric_entry, get_task(cfg.task)
    y = target(cfg, df)
    if task.name == "multiclass":
        shares = np.bincount(y, minlength=len(cfg.data.labels or [])) / len(y)
        pred, what = np.tile(shares, (len(y), 1)), "the class shares"
    else:
        pred, what = (
            np.full(len(y), float(np.mean(y))),
            "the positive share" if task.name == "binary" else "the mean",
        )
    try:
        constant = float(m.score(y, pred))
    except ValueError as exc:
        raise ConfigError(
            f"metric {m.name} of a constant model is undefined on this target ({exc}); pass --metric"
        ) from None
    perfect = m.perfect if m.perfect is not None else (m.upper if m.greater_is_better else m.lower)
    if perfect is None or not math.isfinite(constant):
        raise ConfigError(f"cannot derive a floor for metric {m.name}; pass another --metric")
    raw = constant + FLOOR_SHARE * (perfect - constant)
    scale = 10 ** (math.floor(math.log10(abs(raw))) - 2) if raw else 0.001
    steps = math.ceil(raw / scale - 1e-9) if m.greater_is_better else math.floor(raw / scale + 1e-9)
    value = round(steps * scale, max(0, -math.floor(math.log10(scale))))  # 3 digits, towards perfect
    note = (
        f"a constant model (always {what}) scores {fmt(constant)} {m.name} on this file, a perfect one "
        f"{fmt(perfect)}; this floor asks for {FLOOR_SHARE:.0%} of the way: raise it to what a first "
        "champion must be worth"
    )
    return value, note


def example_expectation(d: Draft, df: pd.DataFrame) -> dict[str, Any] | None:
    """A plausible-mean check on the first numeric feature, shown (commented) in the new suite file."""
    numeric = [f["name"] for f in d.features if f["type"] == "numeric" and "min" in f]
    if not numeric:
        return None
    col = numeric[0]
    mean = float(df[col].mean())
    lo, hi = sorted((float(f"{mean * 0.8:.3g}"), float(f"{mean * 1.2:.3g}")))
    return {
        "expectation": "expect_column_mean_to_be_between",
        "kwargs": {"column": col, "min_value": lo, "max_value": hi},
        "meta": {"why": f"{col} averaged {fmt(mean)} in {d.source}; far from it means a changed feed"},
    }


__all__ = ["FLOOR_SHARE", "example_expectation", "floor", "leaking_features"]
