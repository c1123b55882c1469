"""The model's suite file: where it is found, and its entries parsed and checked against Great
Expectations (an unknown expectation, a column the model does not have or bad kwargs are a
ConfigError naming the file and the entry). validation.suite adds these to what the config implies.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_champion.config.safe_yaml import load_yaml
from airflow_champion.errors import ConfigError
from airflow_champion.validation.messages import COLUMN_KWARGS

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig

_SUITE_ENTRY_KEYS = {"expectation", "kwargs", "meta"}


def gx_module() -> Any:
    """Import Great Expectations quietly (costs seconds, so only when validating)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    return gx


def _class_name(expectation: str) -> str:
    return "".join(part.capitalize() for part in expectation.split("_"))


def expectation_class(expectation: str) -> type | None:
    gx = gx_module()
    if not isinstance(expectation, str) or not re.fullmatch(r"expect(_[a-z0-9]+)+", expectation):
        return None
    cls = getattr(gx.expectations, _class_name(expectation), None)
    if isinstance(cls, type) and issubclass(cls, gx.expectations.Expectation):
        return cls
    return None


def _known_expectations() -> list[str]:
    gx = gx_module()
    names = []
    for attr in dir(gx.expectations):
        obj = getattr(gx.expectations, attr)
        if attr.startswith("Expect") and isinstance(obj, type):
            names.append(re.sub(r"(?<!^)(?=[A-Z])", "_", attr).lower())
    return names


def entry_columns(kwargs: dict[str, Any]) -> list[str]:
    cols = [kwargs[k] for k in COLUMN_KWARGS if isinstance(kwargs.get(k), str)]
    cols += [c for c in kwargs.get("column_list") or [] if isinstance(c, str)]
    return cols


def suite_path(cfg: ModelConfig) -> Path | None:
    """Where the model's suite file is: next to the configs (`<config dir>/expectations/<suite>`), else
    the shipped `include/expectations/<suite>`; None without a suite. The first that exists wins; when
    neither does, the first is named in the error. (Not `<config dir>/<suite>`: a suite is usually
    named as its model, and that is the config file itself.)"""
    from airflow_champion.config import config_dir
    from airflow_champion.settings import EXPECTATIONS_DIR

    name = cfg.validation.suite
    if not name:
        return None
    candidates = [_inside(cfg, root, name) for root in (config_dir() / "expectations", EXPECTATIONS_DIR)]
    return next((c for c in candidates if c.is_file()), candidates[0])


def _inside(cfg: ModelConfig, root: Path, name: str) -> Path:
    """`root / name`, refused unless it resolves inside `root`: an absolute path, a `..` escape or a
    symlink pointing out would let a config read any file the worker can (e.g. /etc/passwd)."""
    path = root / name  # an absolute `name` replaces root
    resolved, top = path.resolve(), root.resolve()
    if not resolved.is_relative_to(top):
        raise ConfigError(
            f"{cfg.name}: validation.suite {name!r} resolves to {resolved}, outside {root}: "
            "a suite file must be inside the suite folder"
        )
    return path


def load_suite_file(cfg: ModelConfig) -> list[dict[str, Any]]:
    """Parse and check the model's extra expectations; a mistake is a ConfigError naming file and entry."""
    path = suite_path(cfg)
    if path is None:
        return []
    try:
        raw = load_yaml(path, "expectation suite")
    except FileNotFoundError:
        raise ConfigError(f"{cfg.name}: expectation suite not found: {path}") from None
    if raw is None:
        return []
    if not isinstance(raw, dict) or set(raw) - {"expectations"}:
        raise ConfigError(f"expectation suite {path}: top level must be a mapping with only 'expectations'")
    entries = raw.get("expectations") or []
    if not isinstance(entries, list):
        raise ConfigError(f"expectation suite {path}: 'expectations' must be a list")
    known_columns = {*cfg.data.feature_names, cfg.data.target}
    specs = []
    for i, entry in enumerate(entries):
        where = f"expectation suite {path}, entry {i}"
        if not isinstance(entry, dict) or "expectation" not in entry:
            raise ConfigError(f"{where}: must be a mapping with an 'expectation' key, got {entry!r}")
        name = entry["expectation"]
        where = f"{where} ({name!r})"
        unknown = set(entry) - _SUITE_ENTRY_KEYS
        if unknown:
            raise ConfigError(
                f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(_SUITE_ENTRY_KEYS)})"
            )
        kwargs = entry.get("kwargs") or {}
        meta = entry.get("meta") or {}
        if not isinstance(kwargs, dict) or not isinstance(meta, dict):
            raise ConfigError(f"{where}: 'kwargs' and 'meta' must be mappings")
        cls = expectation_class(name)
        if cls is None:
            hint = difflib.get_close_matches(str(name), _known_expectations(), n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ConfigError(f"{where}: unknown expectation{suggestion}")
        bad_cols = [c for c in entry_columns(kwargs) if c not in known_columns]
        if bad_cols:
            raise ConfigError(
                f"{where}: column(s) {bad_cols} are neither a feature nor the target of model {cfg.name!r}"
            )
        try:
            cls(**kwargs)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"{where}: invalid kwargs {kwargs!r}: {first}") from None
        specs.append(
            {"expectation": name, "kwargs": dict(kwargs), "meta": {**meta, "source": f"suite:{path.name}"}}
        )
    return specs


__all__ = ["entry_columns", "expectation_class", "gx_module", "load_suite_file", "suite_path"]
