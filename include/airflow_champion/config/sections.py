"""The sections of a model config (snapshots, data, estimator, holdout, metric, promotion, validation,
drift, execution): typed, unknown keys are errors, each field with a description.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

MODEL_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,48}$")


ESTIMATOR_RE = re.compile(r"^sklearn(\.[a-z_][a-z0-9_]*)+\.[A-Z][A-Za-z0-9_]*$")


_CRON_PRESETS = {"@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly", "@once"}
"""Airflow's cron presets (airflow.utils.dates.cron_presets) and @once."""

_CRON_FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")


def cron_problem(expr: str) -> str | None:
    """Why `expr` is not a schedule Airflow can run, naming the bad field; None if it is one.

    croniter is what Airflow's cron timetables parse with, so what it accepts Airflow runs; each
    field is tried alone (the others `*`) so the message names the one out of range.
    """
    if expr in _CRON_PRESETS:
        return None
    parts = expr.split()
    if len(parts) != 5:
        return f"{expr!r} is not a 5-field cron expression or one of {sorted(_CRON_PRESETS)}"
    from croniter import croniter  # only when a cron is parsed: not a cost of importing the schema

    if croniter.is_valid(expr):
        return None
    for i, (name, part) in enumerate(zip(_CRON_FIELDS, parts, strict=True)):
        alone = " ".join(part if j == i else "*" for j in range(5))
        if not croniter.is_valid(alone):
            return f"{expr!r}: the {name} field {part!r} is not valid (out of range or not a cron value)"
    return f"{expr!r} is not a valid cron expression"


def _checked_cron(expr: str) -> str:
    problem = cron_problem(expr)
    if problem:
        raise ValueError(problem)
    return expr


CronSchedule = Annotated[str, AfterValidator(_checked_cron)]
"""A config field that is a schedule Airflow can run (a cron or a preset), checked at load."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FeatureSpec(_Strict):
    name: str = Field(min_length=1)
    type: Literal["numeric", "categorical"]
    allowed_values: list[str] | None = None
    min: float | None = None
    max: float | None = None
    nullable: bool = True


class SnapshotSpec(_Strict):
    root: str = Field(min_length=1, description="local folder (relative to MLOPS_HOME) or s3://bucket/prefix")
    max_bytes: int = Field(default=2 * 1024**3, gt=0)
    csv_delimiter: str = Field(default=",", min_length=1, max_length=1)
    csv_encoding: str = "utf-8"
    aws_conn_id: str = "aws_default"
    detection: Literal["sensor", "watcher", "off"] = Field(
        default="sensor",
        description="how new snapshots are noticed: a deferrable sensor DAG, an AssetWatcher, or not at all",
    )
    retrain_on_arrival: bool = Field(default=True, description="a new snapshot starts <model>_retrain")
    poll_seconds: float = Field(default=60.0, ge=1, le=3600, description="storage poll interval of triggers")
    claim_ttl_hours: float = Field(
        default=12.0, gt=0, description="an unreleased claim older than this is stale (its run died)"
    )


class DataSpec(_Strict):
    target: str = Field(min_length=1)
    positive_label: str | int | bool = Field(default=1, description="binary: the label that counts as 1")
    labels: list[str | int | bool] | None = Field(
        default=None, description="multiclass: every class, in a fixed order (probability columns follow it)"
    )
    min_per_class: int = Field(default=1, ge=0, description="multiclass: rows each class needs in a snapshot")
    target_min: float | None = Field(default=None, description="regression: lowest valid target value")
    target_max: float | None = Field(default=None, description="regression: highest valid target value")
    features: list[FeatureSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _names_unique(self) -> DataSpec:
        names = [f.name for f in self.features]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate feature names: {dupes}")
        if self.target in names:
            raise ValueError(f"target {self.target!r} is also listed as a feature")
        if self.labels is not None:
            texts = [str(v) for v in self.labels]
            if len(set(texts)) != len(texts) or len(texts) < 2:
                raise ValueError(f"labels must be at least two distinct values, got {self.labels}")
            if "positive_label" in self.model_fields_set and str(self.positive_label) not in texts:
                raise ValueError(  # the config contradicts itself: its fault, not any snapshot's
                    f"data.positive_label {self.positive_label!r} is not one of data.labels {self.labels}"
                )
        if self.target_min is not None and self.target_max is not None and self.target_min > self.target_max:
            raise ValueError(f"target_min {self.target_min} is above target_max {self.target_max}")
        return self

    @property
    def numeric(self) -> list[str]:
        return [f.name for f in self.features if f.type == "numeric"]

    @property
    def categorical(self) -> list[str]:
        return [f.name for f in self.features if f.type == "categorical"]

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]


class EstimatorSpec(_Strict):
    class_path: str = Field(alias="class")
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("class_path")
    @classmethod
    def _sklearn_only(cls, v: str) -> str:
        if not ESTIMATOR_RE.fullmatch(v):
            raise ValueError(
                f"{v!r} is not a scikit-learn estimator class path (expected e.g. "
                "'sklearn.linear_model.LogisticRegression')"
            )
        return v


class HoldoutSpec(_Strict):
    """Which rows judge a challenger (modeling.holdout); whatever the policy, no judged row was trained on."""

    policy: Literal["random", "time", "group"] = Field(
        default="random", description="random | time (judge the latest rows) | group (an entity on one side)"
    )
    fraction: float = Field(default=0.25, gt=0.04, lt=0.6, description="share of rows (or of keys) judged")
    seed: int = 42
    stratify: bool = Field(default=True, description="random policy: stratify on the task's classes")
    time_column: str | None = Field(default=None, description="time policy: the column that orders rows")
    cutoff: str | None = Field(
        default=None,
        description="time policy: judge rows at/after this ISO time (default: the latest fraction)",
    )
    group_column: str | None = Field(default=None, description="group policy: the entity key")
    min_judged_rows: int = Field(default=30, ge=1, description="fewer judged rows than this: no decision")
    max_duplicate_share: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="judged rows duplicating a training row above this share: reject",
    )

    @model_validator(mode="after")
    def _policy_columns(self) -> HoldoutSpec:
        if self.policy == "time" and not self.time_column:
            raise ValueError("policy 'time' needs time_column")
        if self.policy == "group" and not self.group_column:
            raise ValueError("policy 'group' needs group_column")
        if self.cutoff is not None:
            if self.policy != "time":
                raise ValueError("cutoff applies to policy 'time' only")
            from datetime import datetime

            try:
                datetime.fromisoformat(self.cutoff)
            except ValueError:
                raise ValueError(f"cutoff {self.cutoff!r} is not an ISO date or time") from None
        return self

    @property
    def columns(self) -> list[str]:
        """Columns the policy reads besides the features (they must be in every snapshot)."""
        return [c for c in (self.time_column, self.group_column) if c]


class MetricSpec(_Strict):
    """The metric promotion is judged on; its direction follows from the registry (airflow_champion.tasks)."""

    name: str = Field(min_length=1)
    direction: Literal["maximize", "minimize"] | None = None

    @property
    def greater_is_better(self) -> bool:
        return self.direction == "maximize"


class ValidationSpec(_Strict):
    suite: str | None = Field(
        default=None,
        min_length=1,
        description="extra expectations file: <config dir>/expectations/<suite>, else the shipped "
        "include/expectations/<suite>; empty = only what the config implies",
    )
    min_rows: int = Field(default=100, ge=1)
    max_duplicate_share: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="a snapshot whose repeated rows exceed this share fails validation",
    )


class ResourcesSpec(_Strict):
    requests: dict[str, str] = Field(default_factory=lambda: {"cpu": "500m", "memory": "1Gi"})
    limits: dict[str, str] = Field(default_factory=lambda: {"cpu": "2", "memory": "4Gi"})


class ExecutionSpec(_Strict):
    mode: Literal["in_process", "kubernetes"] = "in_process"
    image: str = "airflow-champion:latest"
    namespace: str = "default"
    service_account: str | None = None
    kubernetes_conn_id: str = "kubernetes_default"
    resources: ResourcesSpec = Field(default_factory=ResourcesSpec)
    env: dict[str, str] = Field(default_factory=dict)
    secrets: list[str] = Field(default_factory=list, description="names of Kubernetes secrets mounted as env")
