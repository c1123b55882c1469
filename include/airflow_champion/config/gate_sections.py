"""The promotion section of a model config: the comparison rules, and the gates beside them (slices,
calibration, serving budgets), the live/shadow mode and the automatic rollback.

Each gate's limits are here and nowhere else; evaluation.* reads them, the README's table lists them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from airflow_champion.config.approval_sections import ApprovalSpec
from airflow_champion.config.sections import _Strict


class SliceBy(_Strict):
    """One slicing column: each value of a categorical column is a slice, or numeric bins by edges."""

    column: str = Field(min_length=1)
    bins: list[float] | None = Field(
        default=None,
        description="numeric edges e1 < e2 < ...: slices (-inf, e1), [e1, e2), ..., [ek, inf); "
        "empty = one slice per value",
    )

    @model_validator(mode="after")
    def _edges_increase(self) -> SliceBy:
        if self.bins is not None:
            if not self.bins:
                raise ValueError(f"slice {self.column!r}: bins needs at least one edge")
            if any(b >= a for a, b in zip(self.bins[1:], self.bins[:-1], strict=False)) or len(
                set(self.bins)
            ) != len(self.bins):
                raise ValueError(f"slice {self.column!r}: bins must strictly increase, got {self.bins}")
        return self


class SliceSpec(_Strict):
    """Non-inferiority on every slice: a challenger significantly worse than the champion by more
    than `margin` on any slice (Holm-corrected over the slices tested) is rejected."""

    by: list[SliceBy] = Field(default_factory=list, description="slicing columns; empty = no slice gate")
    min_rows: int = Field(default=200, ge=10, description="judged rows a slice needs to be tested")
    margin: float = Field(default=0.01, ge=0, description="tolerated loss on a slice, in metric units")
    significance: float = Field(
        default=0.05, gt=0, lt=0.5, description="family-wise error rate over the slices (Holm)"
    )
    max_slices: int = Field(
        default=50, ge=1, le=500, description="largest slices tested per column; the rest are listed"
    )


class CalibrationSpec(_Strict):
    """Classifiers only: the challenger's calibration may not be worse than the champion's by more
    than the limits (and the worsening must be beyond noise: its bootstrap lower bound above 0)."""

    enabled: bool = True
    bins: int = Field(default=10, ge=2, le=100, description="equal-width probability bins of the ECE")
    max_ece_increase: float | None = Field(default=0.03, ge=0, description="None = not gated")
    max_brier_increase: float | None = Field(default=0.01, ge=0, description="None = not gated")
    max_ece: float | None = Field(default=None, ge=0, description="absolute ECE limit (also first model)")


class BudgetSpec(_Strict):
    """Serving budgets, measured on the loaded registered model; None = measured and reported only."""

    batch_rows: int = Field(default=1000, ge=1, description="judged rows in the timed predict batch")
    repeats: int = Field(default=30, ge=5, le=1000, description="timed predict calls (p95 over them)")
    max_p95_latency_ms: float | None = Field(default=None, gt=0)
    max_artifact_mb: float | None = Field(default=None, gt=0)


class AutoRollbackSpec(_Strict):
    """After a promotion: on the next labelled snapshot, a champion significantly worse than its
    predecessor by more than `margin` is rolled back and revoked."""

    enabled: bool = True
    margin: float = Field(default=0.0, ge=0, description="tolerated loss vs the predecessor, metric units")
    significance: float = Field(default=0.05, gt=0, lt=0.5)
    min_rows: int = Field(default=100, ge=10, description="unseen labelled rows needed to judge")


class PromotionSpec(_Strict):
    floor: float = Field(description="the first model for a name must reach this on the holdout")
    min_abs_gain: float = Field(default=0.0, ge=0.0)
    min_rel_gain: float = Field(default=0.0, ge=0.0)
    significance: float = Field(default=0.05, gt=0.0, lt=0.5)
    bootstrap_samples: int = Field(default=1000, ge=100, le=20000)
    bootstrap_unit: Literal["auto", "row", "day", "group"] = Field(
        default="auto",
        description="what the bootstrap resamples: rows, days of holdout.time_column, or keys of "
        "holdout.group_column; auto = days for the time policy, keys for the group policy, rows for random",
    )
    leakage_checks: bool = Field(
        default=True,
        description="reject on a perfect judged score or a feature that alone reproduces the target",
    )
    mode: Literal["live", "shadow"] = Field(
        default="live",
        description="shadow: every gate runs and is recorded (ledger `shadow`), no alias ever moves",
    )
    slices: SliceSpec = Field(default_factory=SliceSpec)
    calibration: CalibrationSpec = Field(default_factory=CalibrationSpec)
    budgets: BudgetSpec = Field(default_factory=BudgetSpec)
    auto_rollback: AutoRollbackSpec = Field(default_factory=AutoRollbackSpec)
    # Who may move the alias is not what is trained or judged: out of model_dump, so out of the config
    # hash and the recorded config, like `notifications` (config/approval_sections.py).
    approval: ApprovalSpec = Field(
        default_factory=ApprovalSpec,
        exclude=True,
        description="never | always | when: {conditions}; a person approves before the champion moves",
    )

    @model_validator(mode="after")
    def _approval_can_ask(self) -> PromotionSpec:
        when = self.approval.when
        if not isinstance(when, str) and when.slice_skipped and not self.slices.by:
            raise ValueError("approval.when.slice_skipped needs promotion.slices.by (no slice is tested)")
        return self


__all__ = ["AutoRollbackSpec", "BudgetSpec", "CalibrationSpec", "PromotionSpec", "SliceBy", "SliceSpec"]
