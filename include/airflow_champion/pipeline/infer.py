"""What a user's table says about itself: each column's feature type, values and range, and the task
its target implies (for `mlops init`).

Guesses are rules a person can check, and each one is said in words (`notes`, `left_out`): a column
is numeric when its dtype is; text columns are categorical, with their values as `allowed_values`
when there are at most MAX_CATEGORIES of them; a column with a different value in every row is an
id, one with a single value says nothing, a date/time column is not an input, and a mostly empty
one would fail validation. Ranges are the file's, widened by MARGIN so the next file may vary a little.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_champion.errors import ConfigError
from airflow_champion.reports.numbers import fmt, pct
from airflow_champion.validation.messages import MAX_NULL_FRACTION

if TYPE_CHECKING:
    import pandas as pd

MAX_CATEGORIES = 50
"""A text column with more values keeps no allowed_values (a new value must not fail validation)."""
MARGIN = 0.10
"""Numeric min/max: the file's range widened by this share of it on each side."""
MIN_ROWS_FOR_ID = 20
"""Below this many rows, a different value in every row is no evidence of an id."""
MAX_CLASSES_NUMERIC, MAX_CLASSES_TEXT = 10, 30
"""A target with at most this many values (whole numbers / text) is guessed to be classes."""
POSITIVE_WORDS = ("1", "true", "yes", "y", "t", "positive", "pos")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?")


@dataclass
class Inferred:
    """Features in file order (FeatureSpec-shaped dicts) and what was guessed or left out, in words."""

    features: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)


@dataclass
class TargetGuess:
    """The task and what follows for the target's keys; `why` and `detail` say so in words."""

    task: str
    why: str
    detail: str
    positive_label: Any = None
    labels: list[Any] | None = None
    target_min: float | None = None
    target_max: float | None = None


def _py(value: Any) -> Any:
    """A numpy scalar as the Python value YAML writes plainly (1.0 -> 1 for whole numbers)."""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _is_number(s: pd.Series) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s))


def _whole(s: pd.Series) -> bool:
    import numpy as np

    values = s.to_numpy(dtype=np.float64)
    finite = values[np.isfinite(values)]
    return bool(finite.size and np.all(finite == np.round(finite)))


def widened_range(lo: float, hi: float, *, whole: bool, margin: float = MARGIN) -> tuple[float, float]:
    """[lo, hi] widened by `margin` of its span on each side (never below 0 if lo >= 0), rounded outward
    to two significant digits of the span (whole numbers stay whole)."""
    pad = margin * (hi - lo)
    a, b = lo - pad, hi + pad
    if lo >= 0:
        a = max(a, 0.0)
    step = 10.0 ** (math.floor(math.log10(b - a)) - 1) if b > a else 1.0
    if whole:
        step = max(step, 1.0)
    digits = max(0, -math.floor(math.log10(step)))
    a, b = round(math.floor(a / step) * step, digits), round(math.ceil(b / step) * step, digits)
    return _py(a), _py(b)


def looks_like_times(s: pd.Series) -> bool:
    """Datetime dtype, or text of which (a sample) nearly all is ISO dates or times."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(s):
        return True
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return False
    sample = s.dropna().astype(str).head(1000)
    return bool(len(sample)) and sum(bool(_DATE.fullmatch(v.strip())) for v in sample) >= 0.95 * len(sample)


def _feature(name: str, s: pd.Series, out: Inferred) -> dict[str, Any] | None:
    import numpy as np
    import pandas as pd

    rows, present = len(s), s.dropna()
    distinct = int(present.nunique())
    if present.empty or len(present) < (1 - MAX_NULL_FRACTION) * rows:
        out.left_out[name] = (
            f"{pct(rows - len(present), rows)} of its values are empty (validation allows at most "
            f"{pct(MAX_NULL_FRACTION)} in a feature)"
        )
        return None
    if distinct == 1:
        out.left_out[name] = (
            f"the same value ({fmt(_py(present.iloc[0]))}) in every row: it tells the model nothing"
        )
        return None
    if looks_like_times(s):
        out.left_out[name] = (
            "dates or times: not a model input as they are (pass --time-column to judge by time)"
        )
        return None
    unique_per_row = distinct == rows and rows >= MIN_ROWS_FOR_ID
    if pd.api.types.is_bool_dtype(s):
        return {"name": name, "type": "numeric"}
    if _is_number(s):
        if unique_per_row and _whole(present):
            out.left_out[name] = (
                f"a different whole number in every one of the {rows} rows: an id, not a feature"
            )
            return None
        values = present.to_numpy(dtype=np.float64)
        finite = values[np.isfinite(values)]
        if finite.size < values.size:
            out.notes.append(f"{name}: {values.size - finite.size} infinite values; validation refuses them")
        lo, hi = widened_range(float(finite.min()), float(finite.max()), whole=_whole(present))
        return {"name": name, "type": "numeric", "min": lo, "max": hi}
    if unique_per_row:
        out.left_out[name] = f"a different value in every one of the {rows} rows: an id, not a feature"
        return None
    if distinct > MAX_CATEGORIES:
        hint = ""
        if distinct > 0.5 * rows:
            hint = f"; it looks like a key: if rows sharing a {name} are alike, pass --group-column {name}"
        out.notes.append(
            f"{name}: {distinct} distinct values (over {MAX_CATEGORIES}), kept as a categorical without "
            f"allowed_values, so a new value does not fail validation{hint}"
        )
        return {"name": name, "type": "categorical"}
    return {"name": name, "type": "categorical", "allowed_values": sorted(present.astype(str).unique())}


def infer_features(df: pd.DataFrame, *, skip: Iterable[str] = ()) -> Inferred:
    """Every column except `skip` as a feature (or left out, with why), in file order."""
    out = Inferred()
    skipped = set(skip)
    for name in df.columns:
        if str(name) in skipped:
            continue
        spec = _feature(str(name), df[name], out)
        if spec is not None:
            out.features.append(spec)
    return out


def _label(value: Any, numeric: bool) -> Any:
    value = _py(value)
    return value if numeric or isinstance(value, bool) else str(value)


def _positive(values: list[Any], counts: dict[Any, int]) -> tuple[Any, str]:
    for word in POSITIVE_WORDS:
        for v in values:
            if str(v).strip().lower() == word:
                return v, f"{fmt(v)!s} reads as the positive answer"
    rarer = min(values, key=lambda v: (counts[v], -values.index(v)))
    return rarer, "it is the rarer class (usually the event a model scores)"


def guess_target(s: pd.Series, name: str, task: str | None = None) -> TargetGuess:
    """The task a target column implies (or `task`, checked against it), with its labels or range."""
    present = s.dropna()
    numeric = _is_number(s)
    values = sorted({_label(v, numeric) for v in present.unique()}, key=lambda v: (str(type(v)), v))
    shown = ", ".join(fmt(v) for v in values[:6]) + (", ..." if len(values) > 6 else "")
    if len(values) < 2:
        raise ConfigError(f"target {name!r} has {len(values)} distinct value(s) ({shown}): nothing to learn")
    why = ""
    if task is None:
        if len(values) == 2:
            task, why = "binary", f"{name!r} has two values ({shown})"
        elif numeric and _whole(present) and len(values) <= MAX_CLASSES_NUMERIC:
            task, why = "multiclass", f"{name!r} has {len(values)} whole-number values ({shown})"
        elif numeric:
            task, why = "regression", f"{name!r} is numeric with {len(values)} distinct values"
        elif len(values) <= MAX_CLASSES_TEXT:
            task, why = "multiclass", f"{name!r} has {len(values)} text values ({shown})"
        else:
            raise ConfigError(
                f"target {name!r} has {len(values)} distinct text values ({shown}): too many to be classes, "
                "and not numbers; pick another target or pass --task"
            )
        why = f"guessed task {task}: {why}"
    else:
        why = f"task {task} (given)"
    if task == "binary":
        if len(values) != 2:
            raise ConfigError(
                f"task binary needs a target with two values; {name!r} has {len(values)} ({shown})"
            )
        counts = {v: int((present.astype(str) == str(v)).sum()) for v in values}
        positive, because = _positive(values, counts)
        return TargetGuess(
            task, why, f"guessed positive_label {fmt(positive)}: {because}", positive_label=positive
        )
    if task == "multiclass":
        return TargetGuess(task, why, f"the {len(values)} labels of the file, sorted", labels=values)
    if task == "regression":
        if not numeric:
            raise ConfigError(
                f"task regression needs a numeric target; {name!r} holds {s.dtype} values ({shown})"
            )
        lo, hi = widened_range(float(present.min()), float(present.max()), whole=_whole(present))
        detail = f"the file's range widened by {MARGIN:.0%} on each side, rounded outward"
        return TargetGuess(task, why, detail, target_min=lo, target_max=hi)
    raise ConfigError(f"unknown task {task!r}; one of binary, multiclass, regression")


__all__ = [
    "MARGIN",
    "MAX_CATEGORIES",
    "Inferred",
    "TargetGuess",
    "guess_target",
    "infer_features",
    "widened_range",
]
