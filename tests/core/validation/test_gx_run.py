"""GX runs each expectation on the columns it reads (a whole-frame copy per column check made it
twice as slow at 1M rows): the results must be the ones a whole-frame run gives, failures included."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from airflow_champion.config import load_config
from airflow_champion.validation import gx_run
from airflow_champion.validation.suite import build_suite_spec

from tests.core.validation.test_validate import valid_frame

pytestmark = pytest.mark.unit

EXTRA = [  # other domains: a pair, a list, a row condition naming another column, the table
    {
        "expectation": "expect_column_pair_values_a_to_be_greater_than_b",
        "kwargs": {"column_A": "total_charges", "column_B": "monthly_charges", "or_equal": True},
        "meta": {},
    },
    {
        "expectation": "expect_compound_columns_to_be_unique",
        "kwargs": {"column_list": ["region", "plan_tier"]},
        "meta": {},
    },
    {
        "expectation": "expect_column_values_to_be_between",
        "kwargs": {
            "column": "age",
            "min_value": 30,
            "row_condition": 'plan_tier=="premium"',
            "condition_parser": "pandas",
        },
        "meta": {},
    },
    {"expectation": "expect_table_column_count_to_equal", "kwargs": {"value": 14}, "meta": {}},
]


def _canonical(r: Any) -> str:
    exc = {k: v for k, v in (r.exception_info or {}).items() if k != "exception_traceback"}
    return json.dumps({"success": r.success, "result": r.result, "exc": exc}, sort_keys=True, default=str)


def test_column_groups_give_the_whole_frames_results(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_config("churn")
    df = valid_frame(cfg, 400)
    df.loc[df.index[:7], "tenure_months"] = 999.0  # above max
    df.loc[df.index[5:9], "contract_type"] = "weekly"  # not allowed
    df.loc[df.index[20:23], "plan_tier"] = None  # not nullable
    df.loc[df.index[30], "age"] = np.inf
    specs = build_suite_spec(cfg) + EXTRA
    groups: list[tuple[str, ...] | None] = []
    real = gx_run.columns_read
    monkeypatch.setattr(gx_run, "columns_read", lambda *a: groups.append(real(*a)) or groups[-1])
    grouped = gx_run.run_expectations(specs, df)
    assert ("tenure_months",) in groups and ("total_charges", "monthly_charges") in groups
    assert groups[-2:] == [None, None]  # the row condition and the table count: the whole frame
    monkeypatch.setattr(gx_run, "columns_read", lambda *a: None)
    whole = gx_run.run_expectations(specs, df)
    assert sorted(grouped) == sorted(whole) == list(range(len(specs)))
    assert sum(not r.success for r in whole.values()) >= 5
    assert [_canonical(grouped[i]) for i in whole] == [_canonical(whole[i]) for i in whole]
