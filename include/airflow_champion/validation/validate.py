"""Gate 1's data checks: does a snapshot's frame pass its model's expectation suite?

What Great Expectations handles badly is checked in pandas first and reported in the same result:
duplicate column names fail; expectations on a missing or non-numeric column are skipped (the
column's own "exists"/"is numeric" check already fails with a clear message) instead of erroring.
Every failure gets a sentence that names the column (validation.messages).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from airflow_champion.config import ModelConfig
from airflow_champion.reports.jsonsafe import to_jsonable
from airflow_champion.tasks import get_task
from airflow_champion.validation.gx_run import run_expectations
from airflow_champion.validation.messages import describe, failure_message, spec_column
from airflow_champion.validation.suite import build_suite_spec
from airflow_champion.validation.suite_file import entry_columns


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
        return to_jsonable(asdict(self))

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
    required = [*cfg.data.feature_names, cfg.data.target, *cfg.holdout.columns]
    missing = {c for c in required if c not in df.columns}
    numeric = [*cfg.data.numeric, *([cfg.data.target] if get_task(cfg.task).target_type == "numeric" else [])]
    non_numeric = {c for c in numeric if c in df.columns and not _is_numeric_like(df[c])}
    prechecks.extend(_frame_checks(cfg, df, missing))
    return df, prechecks, missing, non_numeric


def _precheck(
    expectation: str, column: str | None, why: str, failure: str | None, **details: Any
) -> dict[str, Any]:
    spec = {
        "expectation": expectation,
        "kwargs": {"column": column},
        "meta": {"source": "pandas", "why": why},
    }
    return {"spec": spec, "success": failure is None, "message": failure or "ok", "details": details}


def _frame_checks(cfg: ModelConfig, df: pd.DataFrame, missing: set[str]) -> list[dict[str, Any]]:
    """Whole-frame checks GX has no expectation for: repeated rows, and rows per class (multiclass)."""
    from airflow_champion.modeling.fingerprints import duplicate_share
    from airflow_champion.reports.numbers import pct

    limit = cfg.validation.max_duplicate_share
    share = duplicate_share(cfg, df)
    out = [
        _precheck(
            "expect_share_of_repeated_rows_at_most",
            None,
            f"validation.max_duplicate_share = {pct(limit)}: copies leak between training and judging",
            None
            if share <= limit
            else f"{pct(share)} of the {len(df)} rows repeat another row (features and target), "
            f"more than validation.max_duplicate_share {pct(limit)}",
            duplicate_share=share,
        )
    ]
    target = cfg.data.target
    for check in get_task(cfg.task).target_checks(cfg.data):
        if check.kind != "min_count_per_value" or target in missing:
            continue
        counts = df[target].astype(str).value_counts()
        need = int(check.params["min_count"])
        short = {
            str(v): int(counts.get(str(v), 0)) for v in check.params["values"] if counts.get(str(v), 0) < need
        }
        failure = None
        if short:
            listed = ", ".join(f"{k!r}: {n}" for k, n in short.items())
            failure = f"column {target!r}: classes with fewer than {need} rows: {listed}"
        out.append(_precheck("expect_rows_per_class_at_least", target, check.why, failure, short=short))
    return out


def _skip_reason(spec: dict[str, Any], missing: set[str], non_numeric: set[str]) -> str | None:
    if spec["expectation"] == "expect_column_to_exist":
        return None
    cols = entry_columns(spec["kwargs"])
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


def positive_label_absent(cfg: ModelConfig, df: pd.DataFrame, snapshot_id: str) -> str | None:
    """Binary: the target holds two classes and neither is the config's positive_label -> why.

    Two classes none of which is the positive label is a label the config got wrong (1 for a yes/no
    column, "yes" for 0/1), not bad data: quarantining would blame a good snapshot. One class only is
    still the snapshot's fault (the "both classes" expectation fails as before).
    """
    data = cfg.data
    if cfg.task != "binary" or data.target not in df.columns:
        return None
    column = df[data.target]
    if isinstance(column, pd.DataFrame):  # duplicate names: the pandas precheck reports them
        return None
    values = pd.Series(column.dropna().unique())
    if len(values) != 2 or get_task(cfg.task).encode_target(values, data).any():
        return None
    shown = ", ".join(repr(v) for v in sorted(values.tolist(), key=str))
    return (
        f"the config's data.positive_label {data.positive_label!r} of model {cfg.name!r} is not among "
        f"the values of target column {data.target!r} in snapshot {snapshot_id} ({shown}): set "
        "data.positive_label to the value that means positive; the snapshot is not quarantined"
    )


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
    gx_results = run_expectations(to_run, frame) if to_run else {}
    run_index = {id(s): j for j, s in enumerate(to_run)}

    checks: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []

    def add(spec: dict[str, Any], success: bool | None, message: str, details: dict[str, Any]) -> None:
        status = "skipped" if success is None else ("passed" if success else "failed")
        column = spec_column(spec)
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
            col = spec_column(spec)
            where = f"column {col!r}: " if col else ""
            add(
                spec, False, f"{where}{spec['expectation']} could not be evaluated: {first}", {"error": first}
            )
        elif r.success:
            add(spec, True, "ok", {})
        else:
            message, details = failure_message(spec, dict(r.result or {}), dtypes)
            add(spec, False, message, details)

    evaluated = sum(1 for c in checks if c["success"] is not None)
    successful = sum(1 for c in checks if c["success"])
    required = {*cfg.data.feature_names, cfg.data.target, *cfg.holdout.columns}
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
        failures=to_jsonable(failures),
        checks=to_jsonable(checks),
        duration_s=round(time.perf_counter() - started, 3),
        extra_columns=extra,
    )
