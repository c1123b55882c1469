"""The one JSON-safe encoder: what XCom, verdict files, ledger entries and reports are written with.

Strict JSON has no NaN or infinity, and XCom, MLflow tags and the REST API must all read what we
write, so one rule holds everywhere: NaN (and pandas' NA/NaT) becomes null, +/-inf becomes the
strings "inf"/"-inf" (an infinite value is a fact worth keeping, e.g. a validation failure's
example), numpy scalars become Python numbers, tuples and sets become lists, and anything else its
`str()`.
"""

from __future__ import annotations

import json
import math
from typing import Any


def _is_missing(obj: Any) -> bool:
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a core dependency
        return False
    return obj is pd.NA or obj is pd.NaT


def to_jsonable(obj: Any) -> Any:
    """A structure of plain JSON types (see the module docstring for the rules)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    if obj is None or type(obj) in (bool, int, str):
        return obj
    if isinstance(obj, bool):
        return bool(obj)
    if isinstance(obj, float):  # also numpy.float64, a float subclass json would print as-is
        if math.isnan(obj):
            return None
        if math.isinf(obj):
            return "inf" if obj > 0 else "-inf"
        return float(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, str):
        return str(obj)
    if hasattr(obj, "item") and getattr(obj, "ndim", 0) == 0:  # numpy scalar (incl. numpy.bool_)
        try:
            return to_jsonable(obj.item())
        except (ValueError, TypeError):
            pass
    if hasattr(obj, "tolist"):  # numpy array
        return to_jsonable(obj.tolist())
    if _is_missing(obj):
        return None
    return str(obj)


def finite_or_none(value: Any) -> float | None:
    """A number for a verdict field: finite floats as they are, anything else (None, NaN, inf) None."""
    if value is None:
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def dumps(obj: Any, *, indent: int | None = 2, compact: bool = False) -> str:
    """Strict JSON (allow_nan=False) of `to_jsonable(obj)`, keys sorted so files diff cleanly."""
    if compact:
        return json.dumps(to_jsonable(obj), separators=(",", ":"), sort_keys=True, allow_nan=False)
    return json.dumps(to_jsonable(obj), indent=indent, sort_keys=True, allow_nan=False)


__all__ = ["dumps", "finite_or_none", "to_jsonable"]
