"""The one number formatter for pages, log lines and reasons, so every report reads the same."""

from __future__ import annotations

import math
from typing import Any

DIGITS = 4
"""Significant digits of a metric or statistic: 0.8198, 0.01234, 1234 (enough to see a 0.001 gain)."""


def fmt(value: Any, digits: int = DIGITS) -> str:
    """A number as people read it; None is "-", booleans "yes"/"no", non-numbers their text."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalar
        try:
            value = value.item()
        except (ValueError, TypeError):
            return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.{digits}g}"
    return str(value)


def signed(value: float | None, digits: int = DIGITS) -> str:
    """A gain or a bound with its sign: +0.0631, -0.0229."""
    if value is None:
        return "-"
    text = fmt(float(value), digits)
    return text if text.startswith(("-", "nan", "inf")) else f"+{text}"


def pct(part: float, whole: float | None = None, digits: int = 3) -> str:
    """A share as a percentage with `digits` significant digits: pct(0.5) -> '50%', pct(3, 42) ->
    '7.14%' ('-' when whole is 0)."""
    if whole is not None:
        if not whole:
            return "-"
        part = part / whole
    return f"{100.0 * float(part):.{digits}g}%"


__all__ = ["DIGITS", "fmt", "pct", "signed"]
