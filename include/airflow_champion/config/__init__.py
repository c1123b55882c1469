"""Model configs: the typed schema, loading from YAML, and the checks that need scikit-learn.

Cheap to import (pydantic and yaml only) because DAG files load configs at parse time; `checks`
imports scikit-learn and is only used inside tasks and the CLI.
"""

from __future__ import annotations

from airflow_champion.config.loading import (
    config_dir,
    config_path,
    list_config_names,
    load_config,
    parse_config,
)
from airflow_champion.config.schema import DataSpec, DriftSpec, FeatureSpec, ModelConfig, ValidationSpec

__all__ = [
    "DataSpec",
    "DriftSpec",
    "FeatureSpec",
    "ModelConfig",
    "ValidationSpec",
    "config_dir",
    "config_path",
    "list_config_names",
    "load_config",
    "parse_config",
]
