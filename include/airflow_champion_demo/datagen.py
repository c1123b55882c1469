"""Seeded data generators for the demo models, and the weekly snapshot writer behind `mlops generate`.

Why synthetic: the retraining story (a noisy first champion, a better challenger, a badly labelled
snapshot, a corrupted one, drift) must be reproducible on a laptop and in CI, so every snapshot is a
pure function of (generator, rows, seed, label_noise, drift, corruption). This package is not part of
the runtime library: nothing in `airflow_champion` imports it except the `generate` and `demo`
commands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
from airflow_champion.errors import ConfigError

from airflow_champion_demo import bundled, deliveries
from airflow_champion_demo.breast_cancer import (
    BREAST_CANCER_CORRUPTIONS,
    BREAST_CANCER_DRIFTS,
    generate_breast_cancer,
)
from airflow_champion_demo.churn import CORRUPTIONS, DRIFTS, generate_churn
from airflow_champion_demo.common import _check_choice

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig
    from airflow_champion.data.manifest import Manifest


@dataclass(frozen=True)
class Generator:
    """A demo model's generator and the drifts and corruptions it can inject."""

    fn: Callable[..., pd.DataFrame]
    drifts: tuple[str, ...]
    corruptions: tuple[str, ...]

    def __call__(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        return self.fn(*args, **kwargs)


GENERATORS: dict[str, Generator] = {
    "churn": Generator(generate_churn, DRIFTS, CORRUPTIONS),
    "breast_cancer": Generator(generate_breast_cancer, BREAST_CANCER_DRIFTS, BREAST_CANCER_CORRUPTIONS),
    "diabetes": Generator(bundled.generate_diabetes, bundled.DRIFTS, bundled.CORRUPTIONS),
    "wine": Generator(bundled.generate_wine, bundled.DRIFTS, bundled.CORRUPTIONS),
}
SCENARIOS: dict[str, Callable[..., list[Manifest]]] = {"deliveries": deliveries.write_scenario}
"""Models whose snapshots are cut from one simulated history (time-ordered, overlapping extracts)."""


def _model_name(cfg_or_name: ModelConfig | str) -> str:
    return cfg_or_name if isinstance(cfg_or_name, str) else cfg_or_name.name


def get_generator(cfg_or_name: ModelConfig | str) -> Generator:
    name = _model_name(cfg_or_name)
    try:
        return GENERATORS[name]
    except KeyError:
        raise ConfigError(
            f"no data generator for model {name!r}; known: {', '.join(sorted(GENERATORS))}"
        ) from None


def generate(
    cfg_or_name: ModelConfig | str, rows: int | None = None, seed: int = 0, **kw: Any
) -> pd.DataFrame:
    """Generate data for a model by name; `rows=None` means the generator's default size."""
    gen = get_generator(cfg_or_name)
    if rows is None:
        return gen(seed=seed, **kw)
    return gen(rows=rows, seed=seed, **kw)


def write_weekly_snapshots(
    cfg: ModelConfig,
    *,
    start: dt.date,
    weeks: int = 1,
    rows: int | None = None,
    seed: int = 0,
    label_noise: float = 0.0,
    drift: str = "none",
    corruption: str | None = None,
    fmt: str = "parquet",
    root: str | None = None,
) -> list[Manifest]:
    """Land `weeks` snapshots dated start, start+7d, ...; week i uses seed+i.

    The generator parameters go into each manifest's `extra`, so any snapshot can be regenerated.
    Arguments are checked before anything is written: a typo never leaves a half-written series.
    """
    from airflow_champion.data import snapshots

    if weeks < 1:
        raise ValueError(f"weeks must be >= 1, got {weeks}")
    gen = get_generator(cfg)
    _check_choice("drift", drift, gen.drifts, cfg.name)
    _check_choice("corruption", corruption, gen.corruptions, cfg.name)
    target_root = root if root is not None else cfg.snapshot_root()

    manifests: list[Manifest] = []
    for i in range(weeks):
        snapshot_id = (start + dt.timedelta(days=7 * i)).isoformat()
        week_seed = int(seed) + i
        df = generate(cfg, rows, week_seed, label_noise=label_noise, drift=drift, corruption=corruption)
        extra = {
            "generator": f"{gen.fn.__module__}.{gen.fn.__name__}",
            "seed": week_seed,
            "rows": len(df),
            "label_noise": float(label_noise),
            "drift": drift,
            "corruption": corruption,
        }
        manifests.append(snapshots.write_snapshot(target_root, snapshot_id, df, fmt=fmt, extra=extra))
    return manifests


__all__ = [
    "CORRUPTIONS",
    "DRIFTS",
    "GENERATORS",
    "SCENARIOS",
    "generate",
    "generate_breast_cancer",
    "generate_churn",
    "get_generator",
    "write_weekly_snapshots",
]
