"""The snapshot sensor defers (no worker slot while waiting), resumes, announces once, and its trigger
serializes round-trip and logs why it skips an incomplete snapshot."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.sensors.polling import PollClock, Stop
from tests.sensors.polling import first_event as _first_event

pytestmark = pytest.mark.airflow


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path))
    return tmp_path


def _write(sid: str, rows: int = 300, seed: int = 1) -> Any:
    from airflow_champion.config import load_config
    from airflow_champion_demo import datagen

    cfg = load_config("churn")
    (manifest,) = datagen.write_weekly_snapshots(
        cfg, start=date.fromisoformat(sid), weeks=1, rows=rows, seed=seed
    )
    return manifest


def _roundtrip(trigger: Any) -> Any:
    """What the triggerer does: store (classpath, kwargs) as JSON, import the class, rebuild it."""
    from airflow.sdk._shared.module_loading import import_string

    classpath, kwargs = trigger.serialize()
    stored = json.loads(json.dumps(kwargs))
    return import_string(classpath)(**stored)


@pytest.mark.parametrize("which", ["snapshot", "drift"])
def test_triggers_serialize_round_trip(which: str) -> None:
    from airflow_champion.sensors.triggers import DriftVerdictTrigger, NewSnapshotTrigger

    trigger: Any = (
        NewSnapshotTrigger("churn", mode="watch", poll_seconds=5, aws_conn_id="aws_minio")
        if which == "snapshot"
        else DriftVerdictTrigger("churn", snapshot_id="2026-11-09", poll_seconds=5, aws_conn_id=None)
    )
    rebuilt = _roundtrip(trigger)
    assert type(rebuilt) is type(trigger)
    assert rebuilt.serialize() == trigger.serialize()
    assert trigger.serialize()[0].startswith("airflow_champion.sensors.triggers.")


def test_sensor_defers_instead_of_holding_a_worker_slot(home: Path) -> None:
    from airflow.sdk.exceptions import TaskDeferred
    from airflow_champion.sensors.snapshot_sensor import NewSnapshotSensor
    from airflow_champion.sensors.triggers import NewSnapshotTrigger

    sensor = NewSnapshotSensor(task_id="wait", model="churn")
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute(context={})  # type: ignore[arg-type]
    assert isinstance(deferred.value.trigger, NewSnapshotTrigger)
    assert deferred.value.method_name == "execute_complete"
    assert deferred.value.trigger.mode == "sensor"


def test_trigger_waits_while_snapshot_is_incomplete_and_logs_why(
    home: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_champion.sensors.triggers import NewSnapshotTrigger

    m = _write("2026-11-02")
    data = Path(m.snapshot_id and home / "snapshots" / "churn" / m.snapshot_id / m.data_file)
    original = data.read_bytes()
    data.write_bytes(original + b"still uploading")
    trigger = _roundtrip(NewSnapshotTrigger("churn", mode="sensor", poll_seconds=1))
    clock = PollClock(monkeypatch)
    clock.after[2] = lambda: data.write_bytes(original)  # the upload completes after two polls

    with caplog.at_level(logging.WARNING, logger="airflow_champion.sensors.triggers"):
        event = asyncio.run(_first_event(trigger))
    assert clock.polls == 2, "nothing may fire while the hash does not match"
    assert event.payload["snapshot_id"] == "2026-11-02"
    assert event.payload["sha256"] == m.sha256
    lines = [r.getMessage() for r in caplog.records if "not picked up" in r.getMessage()]
    assert len(lines) == 1, "one clear line per snapshot and reason, not one per poll"
    assert "2026-11-02" in lines[0] and "sha256" in lines[0]


def test_watch_mode_announces_each_snapshot_once_across_restarts(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_champion.sensors.triggers import NewSnapshotTrigger

    _write("2026-11-02")
    first = _roundtrip(NewSnapshotTrigger("churn", mode="watch", poll_seconds=0.5))
    event = asyncio.run(_first_event(first))
    assert event.payload["snapshot_id"] == "2026-11-02"
    restarted = _roundtrip(first)  # a triggerer restart rebuilds it from its kwargs
    clock = PollClock(monkeypatch)
    clock.stop_after = 3
    with pytest.raises(Stop):  # three polls, and the announced snapshot is not announced again
        asyncio.run(_first_event(restarted))
    clock.stop_after = None
    clock.after[clock.polls + 1] = lambda: _write("2026-11-09", seed=2)
    assert asyncio.run(_first_event(restarted)).payload["snapshot_id"] == "2026-11-09"


def test_watch_dag_defers_resumes_and_emits_the_snapshot_asset_event(
    airflow_db: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session
    from airflow_champion.config import load_config
    from airflow_champion.data import claims
    from airflow_champion.operators.dag_factory import build_dags
    from airflow_champion.sensors.snapshot_sensor import NewSnapshotSensor
    from airflow_champion.sensors.triggers import NewSnapshotTrigger
    from sqlalchemy import select

    calls: list[str] = []
    real_run = NewSnapshotTrigger.run

    def spy_run(self: Any) -> Any:
        calls.append("trigger.run")  # `dag.test` runs the trigger in line once the task has deferred
        return real_run(self)

    def no_poke(self: Any, context: Any) -> Any:
        raise AssertionError("a deferrable sensor must not poke from the worker")

    monkeypatch.setattr(NewSnapshotTrigger, "run", spy_run)
    monkeypatch.setattr(NewSnapshotSensor, "poke", no_poke)
    m = _write("2026-11-02")
    dag = build_dags("churn")["churn_snapshot_watch"]
    dr = dag.test(logical_date=datetime(2026, 12, 1, tzinfo=UTC))
    assert str(dr.state) == "success"
    # dag.test runs a trigger only for a task instance that ended its try in state DEFERRED (its
    # process exited, freeing the slot), then resumes it with the event: the spy proves both happened.
    assert calls == ["trigger.run"]
    (ti,) = dr.get_task_instances()
    payload = ti.xcom_pull(task_ids="wait_for_snapshot")
    assert payload == {"model": "churn", "snapshot_id": "2026-11-02", "sha256": m.sha256, "rows": 300}
    with create_session() as session:
        events = session.scalars(select(AssetEvent).where(AssetEvent.source_run_id == dr.run_id)).all()
        extras = [(e.asset.uri, e.extra) for e in events]
    assert extras == [("x-mlops://churn/snapshots", payload)]
    assert claims.is_announced(load_config("churn"), "2026-11-02")


@pytest.mark.parametrize(
    "extra",
    [
        {"model": "churn", "snapshot_id": "2026-11-09", "sha256": "ab"},  # from the sensor's outlet
        {"from_trigger": True, "payload": {"snapshot_id": "2026-11-09"}},  # from an AssetWatcher
    ],
)
def test_asset_triggered_run_trains_the_snapshot_named_by_the_event(extra: dict[str, Any]) -> None:
    from types import SimpleNamespace

    from airflow_champion.operators.claims import snapshot_from_asset_event

    older = SimpleNamespace(extra={"snapshot_id": "2026-11-02"})
    context: Any = {
        "triggering_asset_events": {"x-mlops://churn/snapshots": [older, SimpleNamespace(extra=extra)]}
    }
    assert snapshot_from_asset_event(context) == "2026-11-09"
    assert snapshot_from_asset_event({"triggering_asset_events": {}}) is None  # type: ignore[typeddict-item]


def test_redefer_after_a_lost_announce_race_keeps_the_sensors_remaining_timeout(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sensor's `timeout` counts from its start: a re-defer gets what is left, not a fresh week
    (and not None, which would wait for ever)."""
    from datetime import timedelta
    from types import SimpleNamespace

    from airflow.sdk.exceptions import AirflowSensorTimeout, TaskDeferred
    from airflow_champion.config import load_config
    from airflow_champion.data import claims
    from airflow_champion.sensors import base
    from airflow_champion.sensors.snapshot_sensor import NewSnapshotSensor

    started = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    monkeypatch.setattr(base, "_now", lambda: started)
    sensor = NewSnapshotSensor(task_id="wait", model="churn", timeout=timedelta(hours=6))
    context: Any = {"dag": SimpleNamespace(dag_id="churn_snapshot_watch"), "run_id": "r1"}
    with pytest.raises(TaskDeferred) as first:
        sensor.execute(context)
    assert first.value.timeout == timedelta(hours=6)
    resume_kwargs = first.value.kwargs or {}

    _write("2026-11-02")
    assert claims.announce(load_config("churn"), "2026-11-02", "asset-watcher")  # the watcher wins
    event = {"status": "new_snapshot", "model": "churn", "snapshot_id": "2026-11-02", "sha256": "x"}
    monkeypatch.setattr(base, "_now", lambda: started + timedelta(hours=5))
    with pytest.raises(TaskDeferred) as again:
        sensor.execute_complete(context, event, **resume_kwargs)
    assert again.value.timeout == timedelta(hours=1), "the re-defer must carry the remaining timeout"
    assert again.value.kwargs == resume_kwargs, "and the same start, for the next re-defer"

    monkeypatch.setattr(base, "_now", lambda: started + timedelta(hours=6, seconds=1))
    with pytest.raises(AirflowSensorTimeout, match="churn"):
        sensor.execute_complete(context, event, **resume_kwargs)
