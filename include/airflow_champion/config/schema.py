"""The model config schema: one typed YAML file per model (pydantic, unknown keys are errors).

Parsing must stay cheap: DAG files load configs at parse time, so this imports only pydantic and the
task registry (no numpy). Checks that need scikit-learn live in `config.checks`.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from airflow_champion.reports.jsonsafe import dumps
from airflow_champion.settings import EXPECTATIONS_DIR
from airflow_champion.tasks import ALIASES, TASKS, get_task
from airflow_champion.tasks.metrics import Metric

MODEL_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,48}$")


ESTIMATOR_RE = re.compile(r"^sklearn(\.[a-z_][a-z0-9_]*)+\.[A-Z][A-Za-z0-9_]*$")


_CRON_FIELD_RE = re.compile(r"^[\d*/,\-A-Za-z?LW#]+$")


_CRON_PRESETS = {"@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@once"}


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
    positive_label: str | int | bool = 1
    features: list[FeatureSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _names_unique(self) -> DataSpec:
        names = [f.name for f in self.features]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate feature names: {dupes}")
        if self.target in names:
            raise ValueError(f"target {self.target!r} is also listed as a feature")
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
        if not ESTIMATOR_RE.match(v):
            raise ValueError(
                f"{v!r} is not a scikit-learn estimator class path (expected e.g. "
                "'sklearn.linear_model.LogisticRegression')"
            )
        return v


class HoldoutSpec(_Strict):
    fraction: float = Field(default=0.25, gt=0.04, lt=0.6)
    seed: int = 42
    stratify: bool = True


class MetricSpec(_Strict):
    """The metric promotion is judged on; its direction follows from the registry (tasks.metrics)."""

    name: str = Field(min_length=1)
    direction: Literal["maximize", "minimize"] | None = None

    @property
    def greater_is_better(self) -> bool:
        return self.direction == "maximize"


class PromotionSpec(_Strict):
    floor: float = Field(description="the first model for a name must reach this on the holdout")
    min_abs_gain: float = Field(default=0.0, ge=0.0)
    min_rel_gain: float = Field(default=0.0, ge=0.0)
    significance: float = Field(default=0.05, gt=0.0, lt=0.5)
    bootstrap_samples: int = Field(default=1000, ge=100, le=20000)


class ValidationSpec(_Strict):
    suite: str = Field(min_length=1, description="file name under include/expectations/")
    min_rows: int = Field(default=100, ge=1)

    @property
    def suite_path(self) -> Path:
        return EXPECTATIONS_DIR / self.suite


class DriftSpec(_Strict):
    enabled: bool = True
    schedule: str = "0 * * * *"
    reference_rows: int = Field(default=50_000, ge=100, description="training rows kept as reference")
    max_rows: int = Field(default=200_000, ge=1000, description="rows of a snapshot the engine reads at most")
    report_rows: int = Field(default=5_000, ge=100, description="rows sampled for the Evidently HTML report")
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


class ModelConfig(_Strict):
    name: str
    description: str = ""
    owner: str = "mlops"
    task: str = Field(default="binary", description="binary (alias binary_classification)")
    schedule: str = "0 3 * * 1"
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

    @field_validator("name")
    @classmethod
    def _name_ok(cls, v: str) -> str:
        if not MODEL_NAME_RE.match(v):
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

    @property
    def metric_entry(self) -> Metric:
        """The registry entry of the promotion metric (direction, bootstrap statistic, range)."""
        return get_task(self.task).metric(self.metric.name)

    @field_validator("schedule")
    @classmethod
    def _cron_ok(cls, v: str) -> str:
        if v in _CRON_PRESETS:
            return v
        parts = v.split()
        if len(parts) != 5 or not all(_CRON_FIELD_RE.match(p) for p in parts):
            raise ValueError(f"{v!r} is not a 5-field cron expression or preset")
        return v

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
