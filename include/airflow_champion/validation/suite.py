"""The expectation suite of a model: derived from its config, plus the model's suite file.

* From the config, so the config stays the single source of truth for the schema: every feature and
  the target exist, enough rows, numeric features are numeric, finite and within min/max,
  categorical features use only `allowed_values`, non-nullable columns have no nulls (nullable ones
  may not be mostly null), and the target passes its task's checks (binary: the two labels, both
  classes present).
* From the suite file `cfg.validation.suite` (optional), for facts the config cannot express (e.g.
  the churn rate is plausible), found next to the configs (suite_path). Format::

      expectations:
        - expectation: expect_column_mean_to_be_between     # any GX 1.x expectation, snake_case
          kwargs: {column: churned, min_value: 0.05, max_value: 0.6}
          meta: {why: "a churn rate outside 5-60% means a labelling bug"}   # optional, shown in reports
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_champion.tasks import TargetCheck, get_task
from airflow_champion.validation.messages import MAX_NULL_FRACTION
from airflow_champion.validation.suite_file import load_suite_file

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig

FLOAT_MAX = 1.7976931348623157e308
"""Finite bounds for the "no +/-inf" check (GX kwargs must stay JSON-serialisable)."""


NUMERIC_TYPES = [
    *(f"int{b}" for b in (8, 16, 32, 64)),
    *(f"uint{b}" for b in (8, 16, 32, 64)),
    *(f"float{b}" for b in (16, 32, 64)),
    *(f"Int{b}Dtype" for b in (8, 16, 32, 64)),
    *(f"UInt{b}Dtype" for b in (8, 16, 32, 64)),
    "Float32Dtype",
    "Float64Dtype",
    "bool",
    "BooleanDtype",
    "int",
    "float",
]
"""dtype names (and, for object columns, Python value types) accepted as numeric."""


def _spec(expectation: str, why: str, check: str | None = None, **kwargs: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"source": "config", "why": why}
    if check:
        meta["check"] = check
    return {"expectation": expectation, "kwargs": kwargs, "meta": meta}


def _config_specs(cfg: ModelConfig) -> list[dict[str, Any]]:
    data = cfg.data
    specs = [
        _spec(
            "expect_table_row_count_to_be_between",
            f"validation.min_rows = {cfg.validation.min_rows}: fewer rows cannot train a reliable model",
            min_value=cfg.validation.min_rows,
        )
    ]
    for name in [*data.feature_names, data.target]:
        specs.append(_spec("expect_column_to_exist", "declared in the model config", column=name))
    for f in data.features:
        if f.type == "numeric":
            specs.append(
                _spec(
                    "expect_column_values_to_be_in_type_list",
                    "numeric feature",
                    "numeric",
                    column=f.name,
                    type_list=NUMERIC_TYPES,
                )
            )
            specs.append(
                _spec(
                    "expect_column_values_to_be_between",
                    "+/-inf breaks scaling and most estimators",
                    "finite",
                    column=f.name,
                    min_value=-FLOAT_MAX,
                    max_value=FLOAT_MAX,
                )
            )
            if f.min is not None or f.max is not None:
                bounds: dict[str, Any] = {}
                if f.min is not None:
                    bounds["min_value"] = f.min
                if f.max is not None:
                    bounds["max_value"] = f.max
                specs.append(
                    _spec(
                        "expect_column_values_to_be_between",
                        "min/max declared in the model config",
                        "range",
                        column=f.name,
                        **bounds,
                    )
                )
        elif f.allowed_values is not None:
            specs.append(
                _spec(
                    "expect_column_values_to_be_in_set",
                    "allowed_values declared in the model config; unseen categories mean a changed feed",
                    "categories",
                    column=f.name,
                    value_set=list(f.allowed_values),
                )
            )
        if f.nullable:
            specs.append(
                _spec(
                    "expect_column_values_to_not_be_null",
                    f"nullable column, but more than {MAX_NULL_FRACTION:.0%} nulls means a broken feed",
                    "mostly_present",
                    column=f.name,
                    mostly=1 - MAX_NULL_FRACTION,
                )
            )
        else:
            specs.append(
                _spec("expect_column_values_to_not_be_null", "nullable: false", "not_null", column=f.name)
            )
    specs.append(
        _spec(
            "expect_column_values_to_not_be_null",
            "rows without a label cannot train",
            "not_null",
            column=data.target,
        )
    )
    for check in get_task(cfg.task).target_checks(data):
        spec = _target_spec(data.target, check)
        if spec is not None:
            specs.append(spec)
    return [*specs, *_holdout_specs(cfg)]


PANDAS_CHECKS = {"min_count_per_value"}
"""Target checks GX has no expectation for; validation.validate runs them on the frame."""


def _target_spec(column: str, check: TargetCheck) -> dict[str, Any] | None:
    """A task's target check as an expectation (its `check` name picks the failure message)."""
    p = check.params
    name = p.get("check")
    if check.kind == "in_set":
        return _spec(
            "expect_column_values_to_be_in_set", check.why, name, column=column, value_set=list(p["values"])
        )
    if check.kind == "n_distinct":
        return _spec(
            "expect_column_unique_value_count_to_be_between",
            check.why,
            name,
            column=column,
            min_value=p.get("min"),
            max_value=p.get("max"),
        )
    if check.kind == "numeric":
        return _spec(
            "expect_column_values_to_be_in_type_list", check.why, name, column=column, type_list=NUMERIC_TYPES
        )
    if check.kind == "finite":
        return _spec(
            "expect_column_values_to_be_between",
            check.why,
            name,
            column=column,
            min_value=-FLOAT_MAX,
            max_value=FLOAT_MAX,
        )
    if check.kind == "range":
        bounds = {
            k: v for k, v in (("min_value", p.get("min")), ("max_value", p.get("max"))) if v is not None
        }
        return _spec("expect_column_values_to_be_between", check.why, name, column=column, **bounds)
    if check.kind in PANDAS_CHECKS:
        return None
    raise ValueError(f"unknown target check kind {check.kind!r}")


def _holdout_specs(cfg: ModelConfig) -> list[dict[str, Any]]:
    """The holdout policy's own column (time or group key) must be there and complete in every snapshot."""
    specs = []
    for column in cfg.holdout.columns:
        why = f"holdout.policy {cfg.holdout.policy!r} splits on it"
        specs.append(_spec("expect_column_to_exist", why, column=column))
        specs.append(_spec("expect_column_values_to_not_be_null", why, "not_null", column=column))
    return specs


def build_suite_spec(cfg: ModelConfig) -> list[dict[str, Any]]:
    """Every expectation for this model: derived from the config, then the suite file's extras."""
    return [*_config_specs(cfg), *load_suite_file(cfg)]
