"""Loading model configs: one YAML file per model in the config folder, errors that name the field.

`MLOPS_CONFIG_DIR` points at the folder (default `settings.CONFIG_DIR`: a checkout's include/configs/,
or `<cwd>/include/configs` when installed into an Airflow project); a config's
file name must equal its `name`. A typo in a key is an error that suggests the closest known key.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from airflow_champion.config.safe_yaml import load_yaml
from airflow_champion.config.schema import MODEL_NAME_RE, ModelConfig
from airflow_champion.errors import ConfigError
from airflow_champion.settings import CONFIG_DIR


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
    if not MODEL_NAME_RE.fullmatch(str(name_or_path)):
        raise ConfigError(f"{name_or_path!r} is not a model name or a .yaml path")
    return config_dir() / f"{name_or_path}.yaml"


def load_config(name_or_path: str | Path) -> ModelConfig:
    """Load and validate one model config; errors name the file and the bad field."""
    path = config_path(name_or_path)
    try:
        raw = load_yaml(path, "model config")
    except FileNotFoundError:
        raise ConfigError(f"model config not found: {path}") from None
    cfg = parse_config(raw, str(path))
    if path.stem != cfg.name:
        raise ConfigError(
            f"invalid model config {path}: name {cfg.name!r} must equal the file name {path.stem!r}"
        )
    return cfg


def list_config_names() -> list[str]:
    return sorted(p.stem for p in config_dir().glob("*.yaml"))


OVERRIDABLE = ("holdout", "promotion", "metric", "estimator", "validation")
"""Sections a backtest may override (what is judged and how); the model's name, data and storage stay."""


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = (
            _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


def with_overrides(
    cfg: ModelConfig, overrides: dict[str, Any] | None, source: str = "<overrides>"
) -> ModelConfig:
    """`cfg` with some sections replaced or merged (e.g. a backtest's thresholds), validated again."""
    if not overrides:
        return cfg
    if not isinstance(overrides, dict):
        raise ConfigError(f"{source}: overrides must be a mapping of config sections")
    unknown = sorted(set(overrides) - set(OVERRIDABLE))
    if unknown:
        raise ConfigError(f"{source}: cannot override {unknown}; only {list(OVERRIDABLE)}")
    raw = _merge(cfg.model_dump(mode="json", by_alias=True), overrides)
    return parse_config(raw, source)


def load_overrides(path: str | Path) -> dict[str, Any]:
    """A YAML file of config-section overrides (for `mlops replay --policy`)."""
    try:
        raw = load_yaml(path, "overrides file")
    except FileNotFoundError:
        raise ConfigError(f"overrides file not found: {path}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: top level must be a mapping of config sections")
    return raw
