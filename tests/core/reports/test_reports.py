"""The one JSON encoder, the one number formatter, and templates that escape whatever data says."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from airflow_champion.reports import dumps, fmt, pct, render, to_jsonable
from airflow_champion.reports.numbers import signed

pytestmark = pytest.mark.unit


def test_one_rule_for_non_finite_numbers_everywhere() -> None:
    raw = {
        "nan": float("nan"),
        "inf": math.inf,
        "-inf": -math.inf,
        "np": np.float64(0.5),
        "int": np.int64(3),
        "bool": np.bool_(True),
        "na": pd.NA,
        "arr": np.array([1.0, np.nan]),
        "t": (1, 2),
        "obj": object,
    }
    out = to_jsonable(raw)
    assert out["nan"] is None and out["na"] is None
    assert out["inf"] == "inf" and out["-inf"] == "-inf"
    assert out["np"] == 0.5 and type(out["np"]) is float
    assert out["int"] == 3 and type(out["int"]) is int
    assert out["bool"] is True
    assert out["arr"] == [1.0, None] and out["t"] == [1, 2]
    assert isinstance(out["obj"], str)
    assert json.loads(dumps(raw)) == out  # strict JSON: allow_nan=False would raise on a NaN


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "-"),
        (True, "yes"),
        (3, "3"),
        (0.81976, "0.8198"),
        (0.0123456, "0.01235"),
        (np.float32(2.5), "2.5"),
    ],
)
def test_numbers_read_the_same_on_every_page(value: object, text: str) -> None:
    assert fmt(value) == text


def test_signed_and_percent() -> None:
    assert signed(0.0631) == "+0.0631" and signed(-0.02) == "-0.02" and signed(None) == "-"
    assert pct(0.5) == "50%" and pct(3, 42) == "7.14%" and pct(1, 0) == "-"


def test_templates_autoescape_and_refuse_missing_values() -> None:
    page = render(
        "evidently_unavailable.html.j2", title="<t>", verdict_page="<x>", error="<script>alert(1)</script>"
    )
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;t&gt;" in page
    import jinja2

    with pytest.raises(jinja2.UndefinedError):
        render("evidently_unavailable.html.j2", title="t")  # a caller bug, not an empty cell
