"""Operators take the snapshot id exactly as given: an id that is not valid is refused, never trimmed.

Trimming made the claim and its teardown disagree: "2026-11-02\\n" was claimed, "2026-11-02" released.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.airflow


def test_the_teardown_refuses_an_id_it_would_have_to_trim(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_champion.errors import SnapshotError
    from airflow_champion.operators.claims import ReleaseClaimOperator
    from airflow_champion.pipeline import steps

    released: list[str] = []
    monkeypatch.setattr(steps, "release_claim", lambda _cfg, sid, *_a: released.append(sid) or True)
    op = ReleaseClaimOperator(task_id="release_claim", model="churn", snapshot_id="2026-11-02\n")
    with pytest.raises(SnapshotError, match="invalid snapshot id '2026-11-02\\\\n'"):
        op.run({"run_id": "r1"})  # type: ignore[arg-type]
    assert released == []


def test_the_drift_sensor_refuses_an_id_it_would_have_to_trim() -> None:
    from airflow_champion.errors import SnapshotError
    from airflow_champion.sensors.drift_sensor import DriftSensor

    with pytest.raises(SnapshotError, match="invalid snapshot id"):
        DriftSensor(task_id="drift_gate", model="churn", snapshot_id=" 2026-11-09\n")._snapshot()
    assert DriftSensor(task_id="g", model="churn", snapshot_id="2026-11-09")._snapshot() == "2026-11-09"
    assert DriftSensor(task_id="g", model="churn", snapshot_id="None")._snapshot() is None
