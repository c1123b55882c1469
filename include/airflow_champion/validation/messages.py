"""Words for expectations: what each one asks (`describe`) and why it failed (`failure_message`).

Every failure becomes a sentence that names the column and the problem with numbers, e.g.
"column 'age': 3000 of 5000 values (60%) are null (at most 50% allowed)".
"""

from __future__ import annotations

from typing import Any

from airflow_champion.reports.numbers import fmt, pct

MAX_SAMPLES = 10
"""Unexpected values kept per failure: enough to recognise the problem, small enough for XCom."""
MAX_NULL_FRACTION = 0.5
"""A nullable column may have at most this share of nulls; an (almost) empty column is a broken feed."""
VALUE_DIGITS = 6
"""Significant digits of a data value or bound in a message (a bound like 1000.5 reads exactly)."""
COLUMN_KWARGS = ("column", "column_A", "column_B")

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


def _fmt(v: Any) -> str:
    """A data value as it appears in a message: numbers via reports.numbers, text quoted."""
    if isinstance(v, bool) or v is None:
        return repr(v)
    if isinstance(v, int | float) or (hasattr(v, "item") and not isinstance(v, str)):
        text = fmt(v, VALUE_DIGITS)
        return text if text not in {"yes", "no"} else repr(v)
    return repr(v) if isinstance(v, str) else repr(str(v))


def _fmt_list(values: list[Any]) -> str:
    return "[" + ", ".join(_fmt(v) for v in values) + "]"


def spec_column(spec: dict[str, Any]) -> str | None:
    kw = spec["kwargs"]
    for key in COLUMN_KWARGS:
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
    col = spec_column(spec)
    c = f"column {col!r}"
    if exp == "expect_unique_column_names":
        return "column names are unique"
    if exp == "expect_share_of_repeated_rows_at_most":
        return "few rows repeat another row"
    if exp == "expect_rows_per_class_at_least":
        return f"{c} has enough rows of every class"
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
    cols = ", ".join(repr(kw[k]) for k in COLUMN_KWARGS if k in kw)
    return f"{exp}({cols}{', ' if cols and args else ''}{args})"


def _samples(r: dict[str, Any]) -> list[Any]:
    return list(r.get("partial_unexpected_list") or [])[:MAX_SAMPLES]


def failure_message(spec: dict[str, Any], r: dict[str, Any], dtypes: dict[str, str]) -> tuple[str, dict]:
    """A sentence naming the column and the problem, plus small JSON-safe details."""
    exp, kw, check = spec["expectation"], spec["kwargs"], spec["meta"].get("check")
    col = spec_column(spec)
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
    allowed = f" (at most {pct(1 - mostly, 1)} allowed)" if mostly is not None and mostly < 1 else ""

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
        return f"{c}: {unexpected} of {n} values ({pct(unexpected, n or 0)}) are null{allowed}", details
    if exp == "expect_column_values_to_be_between" and unexpected is not None:
        problem = "are infinite" if check == "finite" else _range_text(kw)
        share = pct(unexpected, nonnull or 0)
        return f"{c}: {unexpected} of {nonnull} values ({share}) {problem}{allowed}{eg}", details
    if exp == "expect_column_values_to_be_in_set" and unexpected is not None:
        what = "not one of the labels" if check == "labels" else "not in the allowed set"
        return (
            f"{c}: {unexpected} of {nonnull} values ({pct(unexpected, nonnull or 0)}) {what} "
            f"{_fmt_list(list(kw.get('value_set') or []))}{allowed}{eg}"
        ), details
    if check == "both_classes":
        observed = r.get("observed_value")
        if isinstance(observed, int | float) and observed > 2:
            return (
                f"{c} has {_fmt(observed)} distinct values; a binary target has exactly two "
                "(for more classes set task: multiclass and data.labels)",
                details,
            )
        return f"{c} has {_fmt(observed)} distinct value(s); both classes must be present", details
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
