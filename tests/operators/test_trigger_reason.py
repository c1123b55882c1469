"""`trigger_reason` says what really started a run (before: cron and asset runs were "manual",
because the task SDK's run type is a str enum whose str() is "DagRunType.SCHEDULED")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

pytestmark = pytest.mark.airflow


@dataclass
class Event:
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Run:
    run_type: Any
    triggering_user_name: str | None = None


def _context(run_type: Any, reason: str = "", user: str | None = None, events: Any = None) -> dict[str, Any]:
    return {
        "dag_run": Run(run_type, user),
        "params": {"reason": reason},
        "triggering_asset_events": events or {},
    }


@pytest.mark.parametrize(
    ("context", "snapshot", "expected"),
    [
        ("scheduled", None, "cron"),
        ("asset", "2026-11-09", "new snapshot 2026-11-09"),
        ("drift", None, "drift: target drift jensenshannon 0.17 on snapshot 2026-11-09"),
        ("rest", None, "rest: backfill after the outage"),
        ("ui", None, "manual: by admin"),
        ("bare", None, "manual: no reason given"),
    ],
)
def test_each_trigger_is_named_as_it_was(context: str, snapshot: str | None, expected: str) -> None:
    from airflow.sdk.api.datamodels._generated import DagRunType
    from airflow_champion.operators.base import run_lineage, trigger_reason

    contexts = {
        "scheduled": _context(DagRunType.SCHEDULED),
        "asset": _context(DagRunType.ASSET_TRIGGERED, events={"a": [Event({"snapshot_id": "2026-11-09"})]}),
        "drift": _context(DagRunType.MANUAL, "drift: target drift jensenshannon 0.17 on snapshot 2026-11-09"),
        "rest": _context(DagRunType.MANUAL, "backfill after the outage", user="svc-ml"),
        "ui": _context(DagRunType.MANUAL, "", user="admin"),
        "bare": _context(DagRunType.MANUAL, "manual"),
    }
    ctx = contexts[context]
    assert trigger_reason(ctx, snapshot) == expected  # type: ignore[arg-type]
    lineage = run_lineage({**ctx, "dag": type("D", (), {"dag_id": "churn_retrain"})(), "run_id": "r"})  # type: ignore[arg-type]
    assert lineage["trigger_reason"] == expected
    assert "DagRunType" not in lineage["run_type"]
