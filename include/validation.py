"""Gate 1's data checks: a snapshot must match its model config and expectation suite.

The suite has two parts, merged by `build_suite_spec`:

* expectations derived from the model config, so the config stays the single source of truth for the
  schema: every feature and the target exist, enough rows, numeric features are numeric, finite and
  within min/max, categorical features use only `allowed_values`, non-nullable columns have no nulls
  (nullable ones may not be mostly null), the target holds the two labels and both classes occur;
* extra, model-specific expectations from `include/expectations/<cfg.validation.suite>`, for facts the
  config cannot express (e.g. the churn rate is plausible). Format::

      expectations:
        - expectation: expect_column_mean_to_be_between     # any GX 1.x expectation, snake_case
          kwargs: {column: churned, min_value: 0.05, max_value: 0.6}
          meta: {why: "a churn rate outside 5-60% means a labelling bug"}   # optional, shown in reports

Great Expectations runs the suite (ephemeral context, nothing written to disk). What GX handles badly is
checked in pandas first and reported in the same result: duplicate column names fail; expectations on a
missing or non-numeric column are skipped (the column's own "exists"/"is numeric" check already fails
with a clear message) instead of erroring. Every failure gets a sentence that names the column.
"""

from __future__ import annotations

import difflib
import html
import math
import os
import re
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from include.errors import ConfigError

if TYPE_CHECKING:
    from include.config import ModelConfig

MAX_SAMPLES = 10
"""Unexpected values kept per failure: enough to recognise the problem, small enough for XCom."""
MAX_NULL_FRACTION = 0.5
"""A nullable column may have at most this share of nulls; an (almost) empty column is a broken feed."""
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
_COLUMN_KWARGS = ("column", "column_A", "column_B")
_SUITE_ENTRY_KEYS = {"expectation", "kwargs", "meta"}
_AGGREGATE_STATS = {
    "expect_column_mean_to_be_between": "mean",
    "expect_column_median_to_be_between": "median",
    "expect_column_min_to_be_between": "minimum",
    "expect_column_max_to_be_between": "maximum",
    "expect_column_stdev_to_be_between": "standard deviation",
    "expect_column_sum_to_be_between": "sum",
    "expect_column_unique_value_count_to_be_between": "number of distinct values",
    "expect_column_proportion_of_unique_values_to_be_between": "share of distinct values",
    "expect_column_proportion_of_non_null_values_to_be_between": "share of non-null values",
    "expect_table_row_count_to_be_between": "row count",
    "expect_table_column_count_to_be_between": "column count",
}


# ------------------------------------------------------------------------------------------------ result


@dataclass
class ValidationResult:
    """Outcome of one snapshot's validation; `as_dict()` is what goes to XCom and the quarantine."""

    model: str
    snapshot_id: str
    success: bool
    statistics: dict[str, Any]
    failures: list[dict[str, Any]]
    checks: list[dict[str, Any]]
    duration_s: float
    extra_columns: list[str] = field(default_factory=list)
    """Columns in the data that are neither a feature nor the target: allowed, but listed."""

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))

    def summary(self) -> str:
        """One line for logs, the quarantine reason and the exception message."""
        n = self.statistics.get("evaluated", len(self.checks))
        if self.success:
            line = f"all {n} expectations passed"
            if self.extra_columns:
                line += f" (extra columns ignored: {', '.join(map(repr, self.extra_columns))})"
            return line
        shown = [f["message"] for f in self.failures[:5]]
        more = len(self.failures) - len(shown)
        tail = f"; and {more} more" if more > 0 else ""
        return f"{len(self.failures)} of {n} expectations failed: " + "; ".join(shown) + tail


# ------------------------------------------------------------------------------------------------- suite


def _gx() -> Any:
    """Import Great Expectations quietly (costs seconds, so only when validating)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    return gx


def _class_name(expectation: str) -> str:
    return "".join(part.capitalize() for part in expectation.split("_"))


def _expectation_class(expectation: str) -> type | None:
    gx = _gx()
    if not isinstance(expectation, str) or not re.fullmatch(r"expect(_[a-z0-9]+)+", expectation):
        return None
    cls = getattr(gx.expectations, _class_name(expectation), None)
    if isinstance(cls, type) and issubclass(cls, gx.expectations.Expectation):
        return cls
    return None


def _known_expectations() -> list[str]:
    gx = _gx()
    names = []
    for attr in dir(gx.expectations):
        obj = getattr(gx.expectations, attr)
        if attr.startswith("Expect") and isinstance(obj, type):
            names.append(re.sub(r"(?<!^)(?=[A-Z])", "_", attr).lower())
    return names


def _spec(expectation: str, why: str, check: str | None = None, **kwargs: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"source": "config", "why": why}
    if check:
        meta["check"] = check
    return {"expectation": expectation, "kwargs": kwargs, "meta": meta}


def _target_labels(positive: str | int | bool) -> list[Any] | None:
    if isinstance(positive, bool):
        return [False, True]
    if isinstance(positive, int) and positive in (0, 1):
        return [0, 1]
    return None  # the negative label of a string/other positive label is unknown: count classes only


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
    labels = _target_labels(data.positive_label)
    if labels is not None:
        specs.append(
            _spec(
                "expect_column_values_to_be_in_set",
                f"binary target with positive_label {data.positive_label!r}",
                "labels",
                column=data.target,
                value_set=labels,
            )
        )
    specs.append(
        _spec(
            "expect_column_unique_value_count_to_be_between",
            "a binary classifier needs both classes",
            "both_classes",
            column=data.target,
            min_value=2,
            max_value=2,
        )
    )
    return specs


def _entry_columns(kwargs: dict[str, Any]) -> list[str]:
    cols = [kwargs[k] for k in _COLUMN_KWARGS if isinstance(kwargs.get(k), str)]
    cols += [c for c in kwargs.get("column_list") or [] if isinstance(c, str)]
    return cols


def load_suite_file(cfg: ModelConfig) -> list[dict[str, Any]]:
    """Parse and check the model's extra expectations; a mistake is a ConfigError naming file and entry."""
    path: Path = cfg.validation.suite_path
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{cfg.name}: expectation suite not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML in expectation suite {path}: {exc}") from None
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
        cls = _expectation_class(name)
        if cls is None:
            hint = difflib.get_close_matches(str(name), _known_expectations(), n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ConfigError(f"{where}: unknown expectation{suggestion}")
        bad_cols = [c for c in _entry_columns(kwargs) if c not in known_columns]
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


def build_suite_spec(cfg: ModelConfig) -> list[dict[str, Any]]:
    """Every expectation for this model: derived from the config, then the suite file's extras."""
    return [*_config_specs(cfg), *load_suite_file(cfg)]


# ------------------------------------------------------------------------------------------- formatting


def _fmt(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:.6g}"
    if hasattr(v, "item") and not isinstance(v, str):  # numpy scalar
        try:
            return _fmt(v.item())
        except (ValueError, TypeError):
            pass
    return repr(v) if isinstance(v, str) else repr(str(v))


def _fmt_list(values: list[Any]) -> str:
    return "[" + ", ".join(_fmt(v) for v in values) + "]"


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.3g}%" if whole else "n/a"


def _spec_column(spec: dict[str, Any]) -> str | None:
    kw = spec["kwargs"]
    for key in _COLUMN_KWARGS:
        if isinstance(kw.get(key), str):
            return str(kw[key])
    cols = kw.get("column_list")
    return str(cols[0]) if cols else None


def _range_text(kw: dict[str, Any]) -> str:
    lo, hi = kw.get("min_value"), kw.get("max_value")
    if lo is not None and hi is not None:
        return f"outside [{_fmt(lo)}, {_fmt(hi)}]"
    if lo is not None:
        return f"below the minimum {_fmt(lo)}"
    return f"above the maximum {_fmt(hi)}"


def describe(spec: dict[str, Any]) -> str:
    """What the expectation asks for, in words (for the report's table)."""
    exp, kw, check = spec["expectation"], spec["kwargs"], spec["meta"].get("check")
    col = _spec_column(spec)
    c = f"column {col!r}"
    if exp == "expect_unique_column_names":
        return "column names are unique"
    if exp == "expect_column_to_exist":
        return f"{c} exists"
    if check == "numeric":
        return f"{c} is numeric"
    if check == "finite":
        return f"{c} has no +/-inf"
    if check == "mostly_present":
        return f"{c} is at most {MAX_NULL_FRACTION:.0%} null"
    if exp == "expect_column_values_to_not_be_null":
        return f"{c} has no nulls"
    if exp == "expect_column_values_to_be_between":
        lo = _fmt(kw["min_value"]) if kw.get("min_value") is not None else "-inf"
        hi = _fmt(kw["max_value"]) if kw.get("max_value") is not None else "inf"
        return f"{c} values within [{lo}, {hi}]"
    if exp == "expect_column_values_to_be_in_set":
        return f"{c} values in {_fmt_list(list(kw.get('value_set') or []))}"
    if check == "both_classes":
        return f"{c} has both classes"
    if exp in _AGGREGATE_STATS:
        lo, hi = kw.get("min_value"), kw.get("max_value")
        what = _AGGREGATE_STATS[exp] + (f" of {c}" if col else " of the table")
        if hi is None:
            return f"{what} >= {_fmt(lo)}"
        if lo is None:
            return f"{what} <= {_fmt(hi)}"
        return f"{what} between {_fmt(lo)} and {_fmt(hi)}"
    args = ", ".join(f"{k}={_fmt(v)}" for k, v in kw.items() if k not in {"column", "column_A", "column_B"})
    cols = ", ".join(repr(kw[k]) for k in _COLUMN_KWARGS if k in kw)
    return f"{exp}({cols}{', ' if cols and args else ''}{args})"


def _samples(r: dict[str, Any]) -> list[Any]:
    return list(r.get("partial_unexpected_list") or [])[:MAX_SAMPLES]


def _failure_message(spec: dict[str, Any], r: dict[str, Any], dtypes: dict[str, str]) -> tuple[str, dict]:
    """A sentence naming the column and the problem, plus small JSON-safe details."""
    exp, kw, check = spec["expectation"], spec["kwargs"], spec["meta"].get("check")
    col = _spec_column(spec)
    c = f"column {col!r}"
    details: dict[str, Any] = {}
    n = r.get("element_count")
    unexpected = r.get("unexpected_count")
    nonnull = (n - (r.get("missing_count") or 0)) if n is not None else None
    samples = _samples(r)
    if samples:
        details["examples"] = samples
    if unexpected is not None:
        details["unexpected_count"] = unexpected
        details["element_count"] = n
    if "observed_value" in r:
        details["observed_value"] = r["observed_value"]
    eg = f", e.g. {_fmt_list(samples)}" if samples else ""
    mostly = kw.get("mostly")
    allowed = f" (at most {_pct(1 - mostly, 1)} allowed)" if mostly is not None and mostly < 1 else ""

    if exp == "expect_column_to_exist":
        return f"{c} is missing", details
    if exp == "expect_table_row_count_to_be_between":
        return (
            f"table has {_fmt(r.get('observed_value'))} rows, expected at least {_fmt(kw.get('min_value'))}",
            details,
        )
    if check == "numeric":
        dtype = dtypes.get(col or "", "?")
        return f"{c} has dtype {dtype}, expected numeric{eg}", details
    if exp == "expect_column_values_to_not_be_null" and unexpected is not None:
        details.pop("examples", None)
        if n and unexpected == n:
            return f"{c} is entirely null ({n} of {n} values)", details
        return f"{c}: {unexpected} of {n} values ({_pct(unexpected, n or 0)}) are null{allowed}", details
    if exp == "expect_column_values_to_be_between" and unexpected is not None:
        problem = "are infinite" if check == "finite" else _range_text(kw)
        share = _pct(unexpected, nonnull or 0)
        return f"{c}: {unexpected} of {nonnull} values ({share}) {problem}{allowed}{eg}", details
    if exp == "expect_column_values_to_be_in_set" and unexpected is not None:
        what = "not one of the labels" if check == "labels" else "not in the allowed set"
        return (
            f"{c}: {unexpected} of {nonnull} values ({_pct(unexpected, nonnull or 0)}) {what} "
            f"{_fmt_list(list(kw.get('value_set') or []))}{allowed}{eg}"
        ), details
    if check == "both_classes":
        return (
            f"{c} has {_fmt(r.get('observed_value'))} distinct value(s); both classes must be present",
            details,
        )
    if exp in _AGGREGATE_STATS:
        lo, hi = kw.get("min_value"), kw.get("max_value")
        if hi is None:
            expected = f"at least {_fmt(lo)}"
        elif lo is None:
            expected = f"at most {_fmt(hi)}"
        else:
            expected = f"between {_fmt(lo)} and {_fmt(hi)}"
        subject = c if col else "table"
        observed = r.get("observed_value")
        value = "undefined (no values)" if observed is None else _fmt(observed)
        return f"{subject}: {_AGGREGATE_STATS[exp]} is {value}, expected {expected}", details
    if unexpected is not None:
        return f"{describe(spec)} failed for {unexpected} of {nonnull} values{allowed}{eg}", details
    observed = f": observed {_fmt(r['observed_value'])}" if "observed_value" in r else ""
    return f"{describe(spec)} failed{observed}", details


def _jsonable(obj: Any) -> Any:
    """Plain JSON types only: numpy scalars unwrapped, NaN -> None, +/-inf -> 'inf'/'-inf'."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in obj]
    if obj is None or type(obj) in (bool, int, str):
        return obj
    if isinstance(obj, float):  # also numpy.float64, a float subclass json would print as-is
        if math.isnan(obj):
            return None
        if math.isinf(obj):
            return "inf" if obj > 0 else "-inf"
        return float(obj)
    if isinstance(obj, str):
        return str(obj)
    if hasattr(obj, "item"):
        try:
            return _jsonable(obj.item())
        except (ValueError, TypeError):
            pass
    if obj is pd.NA or obj is pd.NaT:
        return None
    return str(obj)


# ------------------------------------------------------------------------------------------ validation


def _is_numeric_like(s: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(s.dtype):
        return True
    if s.dtype == object:
        return pd.api.types.infer_dtype(s, skipna=True) in {
            "integer",
            "floating",
            "mixed-integer-float",
            "empty",
        }
    return False


def _prepare(
    cfg: ModelConfig, df: pd.DataFrame
) -> tuple[pd.DataFrame, list[dict[str, Any]], set[str], set[str]]:
    """Pandas pre-checks: duplicate names (fail), missing and non-numeric columns (skip dependants)."""
    prechecks: list[dict[str, Any]] = []
    names = [str(c) for c in df.columns]
    changed = names != list(df.columns)
    seen: dict[str, int] = {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
    for name, count in seen.items():
        if count > 1:
            spec = {
                "expectation": "expect_unique_column_names",
                "kwargs": {"column": name},
                "meta": {"source": "pandas", "why": "duplicate columns make the table ambiguous"},
            }
            msg = f"column {name!r} appears {count} times; names must be unique (only the first was checked)"
            prechecks.append({"spec": spec, "success": False, "message": msg, "details": {"count": count}})
    if changed or len(seen) != len(names):
        df = df.copy(deep=False)
        df.columns = names
        df = df.loc[:, ~df.columns.duplicated()]
    category_cols = [c for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)]
    if category_cols:  # GX's set checks want plain values
        df = df.astype({c: object for c in category_cols})
    missing = {c for c in [*cfg.data.feature_names, cfg.data.target] if c not in df.columns}
    non_numeric = {c for c in cfg.data.numeric if c in df.columns and not _is_numeric_like(df[c])}
    return df, prechecks, missing, non_numeric


def _skip_reason(spec: dict[str, Any], missing: set[str], non_numeric: set[str]) -> str | None:
    if spec["expectation"] == "expect_column_to_exist":
        return None
    cols = _entry_columns(spec["kwargs"])
    for col in cols:
        if col in missing:
            return f"skipped: column {col!r} is missing"
    keep_for_non_numeric = spec["meta"].get("check") == "numeric" or spec["expectation"] == (
        "expect_column_values_to_not_be_null"
    )
    for col in cols:
        if col in non_numeric and not keep_for_non_numeric:
            return f"skipped: column {col!r} is not numeric"
    return None


def _run_gx(specs: list[dict[str, Any]], df: pd.DataFrame) -> dict[int, Any]:
    """Run the expectations through an ephemeral GX context; results keyed by their index in `specs`."""
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    tag = uuid.uuid4().hex[:8]
    batch_def = (
        context.data_sources.add_pandas(f"snapshot-{tag}")
        .add_dataframe_asset("frame")
        .add_batch_definition_whole_dataframe("whole")
    )
    expectations = []
    for i, spec in enumerate(specs):
        cls = _expectation_class(spec["expectation"])
        assert cls is not None, spec["expectation"]  # build_suite_spec guarantees it
        expectations.append(cls(**spec["kwargs"], meta={"spec_index": i}))
    # passed to the constructor, not add_expectation(): that one drops look-alike duplicates (a suite
    # file repeating a config check would lose its result) and compares every pair (quadratic)
    suite = context.suites.add(gx.ExpectationSuite(name=f"suite-{tag}", expectations=expectations))
    vd = context.validation_definitions.add(
        gx.ValidationDefinition(data=batch_def, suite=suite, name=f"vd-{tag}")
    )
    run = vd.run(
        batch_parameters={"dataframe": df},
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": MAX_SAMPLES},
    )
    return {int(r.expectation_config.meta["spec_index"]): r for r in run.results}


def validate_dataframe(cfg: ModelConfig, df: pd.DataFrame, snapshot_id: str) -> ValidationResult:
    """Run the model's suite on one snapshot's frame; never raises on bad data, only on a bad suite."""
    started = time.perf_counter()
    specs = build_suite_spec(cfg)
    frame, prechecks, missing, non_numeric = _prepare(cfg, df)
    dtypes = {str(c): str(frame[c].dtype) for c in frame.columns}

    to_run: list[dict[str, Any]] = []
    skipped: dict[int, str] = {}
    for i, spec in enumerate(specs):
        reason = _skip_reason(spec, missing, non_numeric)
        if reason:
            skipped[i] = reason
        else:
            to_run.append(spec)
    gx_results = _run_gx(to_run, frame) if to_run else {}
    run_index = {id(s): j for j, s in enumerate(to_run)}

    checks: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []

    def add(spec: dict[str, Any], success: bool | None, message: str, details: dict[str, Any]) -> None:
        status = "skipped" if success is None else ("passed" if success else "failed")
        column = _spec_column(spec)
        checks.append(
            {
                "expectation": spec["expectation"],
                "column": column,
                "description": describe(spec),
                "success": success,
                "status": status,
                "message": message,
                "source": spec["meta"].get("source", "config"),
                "why": spec["meta"].get("why", ""),
            }
        )
        if success is False:
            failures.append(
                {"expectation": spec["expectation"], "column": column, "message": message, "details": details}
            )

    for pre in prechecks:
        add(pre["spec"], pre["success"], pre["message"], pre["details"])
    for i, spec in enumerate(specs):
        if i in skipped:
            add(spec, None, skipped[i], {})
            continue
        r = gx_results.get(run_index[id(spec)])
        if r is None:
            add(spec, False, f"{describe(spec)}: no result from Great Expectations", {})
            continue
        exc = r.exception_info or {}
        if exc.get("raised_exception"):
            first = (str(exc.get("exception_message") or "").strip().splitlines() or ["unknown error"])[0]
            col = _spec_column(spec)
            where = f"column {col!r}: " if col else ""
            add(
                spec, False, f"{where}{spec['expectation']} could not be evaluated: {first}", {"error": first}
            )
        elif r.success:
            add(spec, True, "ok", {})
        else:
            message, details = _failure_message(spec, dict(r.result or {}), dtypes)
            add(spec, False, message, details)

    evaluated = sum(1 for c in checks if c["success"] is not None)
    successful = sum(1 for c in checks if c["success"])
    required = {*cfg.data.feature_names, cfg.data.target}
    extra = [c for c in dict.fromkeys(str(c) for c in df.columns) if c not in required]
    return ValidationResult(
        model=cfg.name,
        snapshot_id=snapshot_id,
        success=not failures,
        statistics={
            "evaluated": evaluated,
            "successful": successful,
            "unsuccessful": evaluated - successful,
            "success_percent": round(100.0 * successful / evaluated, 2) if evaluated else 100.0,
            "skipped": len(skipped),
            "rows": len(df),
        },
        failures=_jsonable(failures),
        checks=_jsonable(checks),
        duration_s=round(time.perf_counter() - started, 3),
        extra_columns=extra,
    )


# ---------------------------------------------------------------------------------------------- report

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}.PASSED{color:#1a7f37}.FAILED{color:#c62828}
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border:1px solid #ddd;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f4f4f4}tr.failed{background:#fdecea}
tr.skipped{color:#888}.stats span{margin-right:2em}code{font-size:.95em}
"""


def render_report_html(result: ValidationResult) -> str:
    """Self-contained HTML page (no external assets) for the snapshot folder and the quarantine."""
    e = html.escape
    verdict = "PASSED" if result.success else "FAILED"
    st = result.statistics
    rows = []
    for c in sorted(result.checks, key=lambda c: {"failed": 0, "skipped": 1}.get(c["status"], 2)):
        rows.append(
            f"<tr class='{e(c['status'])}'><td>{e(c['status'].upper())}</td>"
            f"<td><code>{e(c['expectation'])}</code></td><td>{e(str(c['column'] or ''))}</td>"
            f"<td>{e(c['description'])}</td><td>{e(c['message'])}</td>"
            f"<td>{e(str(c.get('why') or ''))}</td><td>{e(str(c.get('source') or ''))}</td></tr>"
        )
    extra = (
        f"<p>Extra columns (not features or target, ignored): {e(', '.join(result.extra_columns))}</p>"
        if result.extra_columns
        else ""
    )
    title = f"Validation of {result.model} / {result.snapshot_id}: {verdict}"
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>Validation of {e(result.model)} / {e(result.snapshot_id)}: "
        f"<span class='{verdict}'>{verdict}</span></h1>"
        f"<p>{e(result.summary())}</p>"
        "<p class='stats'>"
        f"<span>evaluated: {e(str(st.get('evaluated')))}</span>"
        f"<span>successful: {e(str(st.get('successful')))}</span>"
        f"<span>failed: {e(str(st.get('unsuccessful')))}</span>"
        f"<span>skipped: {e(str(st.get('skipped', 0)))}</span>"
        f"<span>success: {e(str(st.get('success_percent')))}%</span>"
        f"<span>rows: {e(str(st.get('rows', '')))}</span>"
        f"<span>duration: {result.duration_s:.2f} s</span></p>{extra}"
        "<table><thead><tr><th>status</th><th>expectation</th><th>column</th><th>expects</th>"
        "<th>result</th><th>why</th><th>source</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>"
    )
