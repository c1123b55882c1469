"""A drift verdict's numbers as metrics (telemetry.names): per retrain signal, per feature, and the
champion's age, sent after each drift check.

Here rather than in telemetry because a signal's value is the retrain policy's reading of the verdict
(policy.reading: the share of drifted features, an effect size, the metric drop), so the dashboard
shows exactly the number the policy judges, from the one place that defines it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec

from airflow_champion.monitoring.policy import SIGNALS, reading
from airflow_champion.telemetry import emitter
from airflow_champion.telemetry import names as n
from airflow_champion.telemetry.gates import champion_samples, safely

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig

P = ParamSpec("P")


def drift_samples(cfg: ModelConfig, verdict: dict[str, Any]) -> list[emitter.Sample]:
    """Every measured signal's value and whether it crossed; every testable feature's effect size."""
    samples: list[emitter.Sample] = []
    for signal in SIGNALS:
        r = reading(cfg.drift, signal, verdict)
        tags = {"model": cfg.name, "signal": signal}
        samples.append((n.DRIFT_SCORE, r["value"], tags))
        if r["crossed"] is not None:
            samples.append((n.DRIFT_DETECTED, int(bool(r["crossed"])), tags))
    for feature, result in sorted((verdict.get("features") or {}).items()):
        if result.get("status") != "ok":
            continue
        tags = {"model": cfg.name, "feature": feature}
        samples.append((n.DRIFT_FEATURE_SCORE, result.get("effect_size"), tags))
        samples.append((n.DRIFT_FEATURE_DETECTED, int(bool(result.get("drifted"))), tags))
    return samples


def records_drift(fn: Callable[P, dict[str, Any]]) -> Callable[P, dict[str, Any]]:
    """On monitoring.monitor.monitor(cfg, ...): the verdict's numbers, then the champion's age."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> dict[str, Any]:
        verdict = fn(*args, **kwargs)
        if emitter.enabled():
            cfg: ModelConfig = args[0] if args else kwargs["cfg"]  # type: ignore[assignment]
            champion = verdict.get("champion_version")
            emitter.send(
                (safely("drift verdict", lambda: drift_samples(cfg, verdict)) or [])
                + (safely("champion", lambda: champion_samples(cfg, champion)) or [])
            )
        return verdict

    return wrapper


__all__ = ["drift_samples", "records_drift"]
