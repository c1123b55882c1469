"""Typed model configs loaded from YAML, one file per model.

Parsing this module must stay cheap: DAG files call it at parse time, so it imports only pydantic and
yaml. Checks that need scikit-learn (is the estimator class real?) live in `check_estimator_importable`
and run inside tasks and the CLI, never at parse time.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from include.errors import ConfigError
from include.settings import CONFIG_DIR, EXPECTATIONS_DIR

MODEL_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,48}$")
ESTIMATOR_RE = re.compile(r"^sklearn(\.[a-z_][a-z0-9_]*)+\.[A-Z][A-Za-z0-9_]*$")
_CRON_FIELD_RE = re.compile(r"^[\d*/,\-A-Za-z?LW#]+$")
_CRON_PRESETS = {"@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@once"}

METRIC_DIRECTIONS: dict[str, str] = {
    "roc_auc": "maximize",
    "average_precision": "maximize",
    "accuracy": "maximize",
    "balanced_accuracy": "maximize",
    "f1": "maximize",
    "log_loss": "minimize",
    "brier": "minimize",
}


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

    @property
    def is_s3(self) -> bool:
        return self.root.startswith("s3://")


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
    name: Literal["roc_auc", "average_precision", "accuracy", "balanced_accuracy", "f1", "log_loss", "brier"]
    direction: Literal["maximize", "minimize"] | None = None

    @model_validator(mode="after")
    def _direction_matches(self) -> MetricSpec:
        expected = METRIC_DIRECTIONS[self.name]
        if self.direction is None:
            object.__setattr__(self, "direction", expected)
        elif self.direction != expected:
            raise ValueError(f"metric {self.name!r} must be {expected}d, not {self.direction}d")
        return self

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
    task: Literal["binary_classification"] = "binary_classification"
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
        payload = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def snapshot_root(self) -> str:
        """Absolute local path or s3:// URI of this model's snapshots."""
        from include.settings import mlops_home

        root = os.path.expandvars(self.snapshots.root)
        if root.startswith("s3://") or os.path.isabs(root):
            return root.rstrip("/")
        return str((mlops_home() / root).resolve())


def _format_validation_error(source: str, exc: ValidationError, raw: dict[str, Any]) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            key = str(err["loc"][-1])
            known = _known_keys(err["loc"][:-1])
            hint = difflib.get_close_matches(key, known, n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            lines.append(f"{loc}: unknown key{suggestion}")
        elif err["type"] == "missing":
            lines.append(f"{loc}: required field is missing")
        else:
            lines.append(f"{loc}: {err['msg']}")
    return f"invalid model config {source}:\n  " + "\n  ".join(lines)


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    model: Any = ModelConfig
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part)) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", None)
        if args:
            ann = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), ann)
        model = ann
    if not hasattr(model, "model_fields"):
        return []
    keys = []
    for name, f in model.model_fields.items():
        keys.append(f.alias or name)
    return keys


def parse_config(raw: Any, source: str = "<config>") -> ModelConfig:
    if not isinstance(raw, dict):
        raise ConfigError(
            f"invalid model config {source}: top level must be a mapping, got {type(raw).__name__}"
        )
    try:
        return ModelConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(source, exc, raw)) from None


def config_dir() -> Path:
    return Path(os.environ.get("MLOPS_CONFIG_DIR", str(CONFIG_DIR)))


def config_path(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if p.suffix in {".yaml", ".yml"}:
        return p
    if not MODEL_NAME_RE.match(str(name_or_path)):
        raise ConfigError(f"{name_or_path!r} is not a model name or a .yaml path")
    return config_dir() / f"{name_or_path}.yaml"


def load_config(name_or_path: str | Path) -> ModelConfig:
    """Load and validate one model config; errors name the file and the bad field."""
    path = config_path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"model config not found: {path}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML in {path}: {exc}") from None
    cfg = parse_config(raw, str(path))
    if path.stem != cfg.name:
        raise ConfigError(
            f"invalid model config {path}: name {cfg.name!r} must equal the file name {path.stem!r}"
        )
    return cfg


def list_config_names() -> list[str]:
    return sorted(p.stem for p in config_dir().glob("*.yaml"))


def check_estimator_importable(cfg: ModelConfig) -> type:
    """Resolve the estimator class; imports scikit-learn, so only call inside a task or the CLI."""
    import importlib

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
    from sklearn.base import ClassifierMixin

    if not issubclass(est, ClassifierMixin):
        raise ConfigError(f"{cfg.name}: estimator.class {cfg.estimator.class_path!r} is not a classifier")
    try:
        est(**cfg.estimator.params)
    except TypeError as exc:
        raise ConfigError(f"{cfg.name}: estimator.params: {exc}") from None
    return est
