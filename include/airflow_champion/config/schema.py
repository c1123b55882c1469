"""The model config schema: one typed YAML file per model (pydantic, unknown keys are errors).

Parsing must stay cheap: DAG files load configs at parse time, so this imports only pydantic and the
task registry (no numpy). Checks that need scikit-learn live in `config.checks`.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from pydantic import Field, field_validator, model_validator

from airflow_champion.config.drift_sections import DriftSpec
from airflow_champion.config.gate_sections import PromotionSpec
from airflow_champion.config.notification_sections import NotificationSpec
from airflow_champion.config.sections import (
    MODEL_NAME_RE,
    CronSchedule,
    DataSpec,
    EstimatorSpec,
    ExecutionSpec,
    FeatureSpec,
    HoldoutSpec,
    MetricSpec,
    ResourcesSpec,
    SnapshotSpec,
    ValidationSpec,
    _Strict,
)
from airflow_champion.reports.jsonsafe import dumps
from airflow_champion.tasks import ALIASES, TASKS, get_task
from airflow_champion.tasks.metric import Metric


class ModelConfig(_Strict):
    name: str
    description: str = ""
    owner: str = "mlops"
    task: str = Field(
        default="binary", description="binary (alias binary_classification), multiclass, regression"
    )
    schedule: CronSchedule = "0 3 * * 1"
    snapshots: SnapshotSpec
    data: DataSpec
    estimator: EstimatorSpec
    holdout: HoldoutSpec = Field(default_factory=HoldoutSpec)
    metric: MetricSpec
    promotion: PromotionSpec
    validation: ValidationSpec
    drift: DriftSpec = Field(default_factory=DriftSpec)
    execution: ExecutionSpec = Field(default_factory=ExecutionSpec)
    tags: dict[str, str] = Field(default_factory=dict)
    # Who hears of a decision changes nothing that is trained: left out of model_dump, so out of the
    # config hash and the recorded config (editing a recipient retrains nothing).
    notifications: NotificationSpec | None = Field(
        default=None, exclude=True, description="e-mail on promote/reject/rollback/failure/drift retrain"
    )

    @field_validator("name")
    @classmethod
    def _name_ok(cls, v: str) -> str:
        if not MODEL_NAME_RE.fullmatch(v):
            raise ValueError(f"{v!r} must match {MODEL_NAME_RE.pattern} (lowercase, digits, underscore)")
        return v

    @field_validator("task")
    @classmethod
    def _task_known(cls, v: str) -> str:
        key = ALIASES.get(v, v)
        if key not in TASKS:
            raise ValueError(f"unknown task {v!r}; one of {sorted(TASKS)}")
        return key

    @model_validator(mode="after")
    def _metric_of_task(self) -> ModelConfig:
        known = TASKS[self.task].metrics
        if self.metric.name not in known:
            raise ValueError(
                f"metric.name {self.metric.name!r} is not a {self.task} metric; one of {sorted(known)}"
            )
        expected = known[self.metric.name].direction
        if self.metric.direction is None:
            object.__setattr__(self.metric, "direction", expected)
        elif self.metric.direction != expected:
            raise ValueError(f"metric {self.metric.name!r} must be {expected}d, not {self.metric.direction}d")
        return self

    @model_validator(mode="after")
    def _target_fits_task(self) -> ModelConfig:
        data, task = self.data, self.task
        if task == "multiclass" and not data.labels:
            raise ValueError("task 'multiclass' needs data.labels: every class, in a fixed order")
        if task != "multiclass" and data.labels is not None:
            raise ValueError(f"data.labels applies to task 'multiclass', not {task!r}")
        if task != "regression" and (data.target_min is not None or data.target_max is not None):
            raise ValueError(f"data.target_min/target_max apply to task 'regression', not {task!r}")
        unit = self.promotion.bootstrap_unit
        if unit == "day" and not self.holdout.time_column:
            raise ValueError("promotion.bootstrap_unit 'day' needs holdout.time_column")
        if unit == "group" and not self.holdout.group_column:
            raise ValueError("promotion.bootstrap_unit 'group' needs holdout.group_column")
        features = set(data.feature_names)
        for column in self.holdout.columns:
            if column == data.target:
                raise ValueError(f"holdout column {column!r} is the target")
            if self.holdout.policy == "time" and column in features:
                raise ValueError(
                    f"holdout.time_column {column!r} is a feature; time orders rows, it is not an input"
                )
        numeric = set(data.numeric)
        for by in self.promotion.slices.by:
            if by.column not in features and by.column not in self.holdout.columns:
                raise ValueError(
                    f"promotion.slices column {by.column!r} is neither a feature nor a holdout column"
                )
            if by.bins is not None and by.column not in numeric:
                raise ValueError(f"promotion.slices column {by.column!r} has bins but is not numeric")
        return self

    @model_validator(mode="after")
    def _approval_within_claim(self) -> ModelConfig:
        """A run parked for approval renews no claim: waiting past the TTL would let another run take
        its snapshot as stale (promote would then stop with ClaimLostError)."""
        approval = self.promotion.approval
        ttl = self.snapshots.claim_ttl_hours
        if approval.enabled and approval.response_timeout.total_seconds() > ttl * 3600:
            raise ValueError(
                f"promotion.approval.timeout {approval.timeout} is longer than snapshots.claim_ttl_hours "
                f"{ttl:g}: a run waiting that long for approval would lose its snapshot claim; raise "
                "claim_ttl_hours above the timeout or shorten it"
            )
        return self

    def holdout_as_logged(self, params: dict[str, str]) -> ModelConfig:
        """This config with the holdout settings a training run logged (how that version was split)."""
        h = self.holdout
        logged: dict[str, Any] = {
            "policy": params.get("holdout.policy", "random"),
            "fraction": float(params.get("holdout.fraction", h.fraction)),
            "seed": int(params.get("holdout.seed", h.seed)),
            "stratify": params.get("holdout.stratify", str(h.stratify)) == "True",
        }
        for key in ("time_column", "cutoff", "group_column"):
            value = params.get(f"holdout.{key}")
            logged[key] = None if value in (None, "None", "") else value
        return self.model_copy(update={"holdout": HoldoutSpec.model_validate({**h.model_dump(), **logged})})

    @property
    def bootstrap_unit(self) -> str:
        """What the bootstrap resamples (promotion.bootstrap_unit, with "auto" resolved)."""
        unit = self.promotion.bootstrap_unit
        if unit != "auto":
            return unit
        return {"time": "day", "group": "group"}.get(self.holdout.policy, "row")

    @property
    def metric_entry(self) -> Metric:
        """The registry entry of the promotion metric (direction, bootstrap statistic, range)."""
        return get_task(self.task).metric(self.metric.name)

    @property
    def registered_model_name(self) -> str:
        return self.name

    @property
    def config_hash(self) -> str:
        """Stable hash of everything that changes what is trained; recorded as lineage."""
        payload = dumps(self.model_dump(mode="json", by_alias=True), compact=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def snapshot_root(self) -> str:
        """Absolute local path or s3:// URI of this model's snapshots."""
        from airflow_champion.settings import mlops_home

        root = os.path.expandvars(self.snapshots.root)
        if root.startswith("s3://") or os.path.isabs(root):
            return root.rstrip("/")
        return str((mlops_home() / root).resolve())


__all__ = [
    "MODEL_NAME_RE",
    "DataSpec",
    "DriftSpec",
    "EstimatorSpec",
    "ExecutionSpec",
    "FeatureSpec",
    "HoldoutSpec",
    "MetricSpec",
    "ModelConfig",
    "NotificationSpec",
    "PromotionSpec",
    "ResourcesSpec",
    "SnapshotSpec",
    "ValidationSpec",
]
