"""The triggers' run() loops: no full re-hash of unchanged snapshot files between polls, a known hash
mismatch is read once and named once, and a poll that keeps failing ends in a named error event
(never an unnamed trigger crash), which the sensors turn into a named task failure."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

# Imported here, not in the tests: importing Airflow configures its logging, which must happen before
# caplog attaches its handler, or a test run alone captures nothing.
import airflow_champion.sensors.triggers  # noqa: F401
import pytest

from tests.sensors.polling import PollClock, Stop, first_event

pytestmark = pytest.mark.airflow


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path))
    return tmp_path


def _write(sid: str, seed: int = 1) -> Any:
    from airflow_champion.config import load_config
    from airflow_champion_demo import datagen

    (manifest,) = datagen.write_weekly_snapshots(
        load_config("churn"), start=date.fromisoformat(sid), weeks=1, rows=300, seed=seed
    )
    return manifest


def test_known_mismatch_is_hashed_once_named_once_and_rehashed_after_the_file_changes(
    home: Path, hashes: Counter[str], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_champion.sensors.triggers import NewSnapshotTrigger

    m = _write("2026-11-02")
    data = home / "snapshots" / "churn" / m.snapshot_id / m.data_file
    original = data.read_bytes()
    data.write_bytes(original + b"altered")
    rel = f"{m.snapshot_id}/{m.data_file}"
    clock = PollClock(monkeypatch)
    clock.stop_after = 4
    watcher = NewSnapshotTrigger("churn", mode="watch", poll_seconds=60)
    logged = caplog.at_level(logging.WARNING, logger="airflow_champion.sensors.triggers")
    with logged, pytest.raises(Stop):  # four polls of an unchanged, mismatching file
        asyncio.run(first_event(watcher))
    assert hashes[rel] == 1, f"an unchanged mismatching file was read in full {hashes[rel]} times"
    named = [r.getMessage() for r in caplog.records if "not picked up" in r.getMessage()]
    assert len(named) == 1 and "2026-11-02" in named[0] and "sha256" in named[0]

    clock.stop_after = None
    clock.after[clock.polls + 1] = lambda: data.write_bytes(original)  # the producer fixes it
    event = asyncio.run(first_event(watcher))
    assert event.payload["snapshot_id"] == "2026-11-02" and event.payload["sha256"] == m.sha256
    assert hashes[rel] == 3, "a changed file is hashed again (once by the fresh run(), once after the fix)"


def test_a_poll_that_keeps_failing_ends_in_a_named_error_event(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_champion.sensors import triggers

    def unreachable(*_args: Any, **_kwargs: Any) -> Any:
        raise ConnectionError("could not connect to the endpoint URL http://minio:9000/")

    monkeypatch.setattr(triggers, "scan_new_snapshots", unreachable)
    clock = PollClock(monkeypatch)
    trigger = triggers.NewSnapshotTrigger("churn", mode="sensor", poll_seconds=60)
    trigger.max_failed_polls = 3
    event = asyncio.run(first_event(trigger))
    assert clock.polls == 2, "two failed polls are waited out, the third gives up"
    assert event.payload["status"] == "error"
    assert event.payload["model"] == "churn"
    message = event.payload["message"]
    assert "churn" in message and "3 polls in a row" in message and "http://minio:9000/" in message


def test_a_poll_that_fails_then_recovers_carries_on(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_champion.sensors import triggers

    real = triggers.scan_new_snapshots
    calls: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) <= 2:
            raise ConnectionError("read timeout")
        return real(*args, **kwargs)

    monkeypatch.setattr(triggers, "scan_new_snapshots", flaky)
    _write("2026-11-02")
    PollClock(monkeypatch)
    trigger = triggers.NewSnapshotTrigger("churn", mode="sensor", poll_seconds=60)
    trigger.max_failed_polls = 3
    assert asyncio.run(first_event(trigger)).payload["status"] == "new_snapshot"


def test_a_bad_config_fails_at_the_first_poll(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_champion.sensors.triggers import DriftVerdictTrigger, NewSnapshotTrigger

    clock = PollClock(monkeypatch)
    for trigger in (NewSnapshotTrigger("no-such-model"), DriftVerdictTrigger("no-such-model")):
        event = asyncio.run(first_event(trigger))
        assert event.payload["status"] == "error" and event.payload["permanent"] is True
        assert "no-such-model" in event.payload["message"] and "config" in event.payload["message"]
    assert clock.polls == 0, "a config error is not retried"


def test_drift_trigger_errors_are_named_too(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_champion.sensors import triggers

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise PermissionError("AccessDenied on s3://mlops/churn/_drift/")

    monkeypatch.setattr(triggers, "check_drift", broken)
    clock = PollClock(monkeypatch)
    trigger = triggers.DriftVerdictTrigger("churn", snapshot_id="2026-11-02")
    trigger.max_failed_polls = 2
    event = asyncio.run(first_event(trigger))
    assert clock.polls == 1
    assert event.payload["status"] == "error" and "AccessDenied" in event.payload["message"]


def test_watch_mode_never_turns_an_error_into_an_asset_event(
    home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An AssetWatcher's every event is an asset event (a retrain): it logs the error, named, and keeps
    watching until storage is back."""
    from airflow_champion.sensors import triggers

    def unreachable(*_args: Any, **_kwargs: Any) -> Any:
        raise ConnectionError("endpoint down")

    monkeypatch.setattr(triggers, "scan_new_snapshots", unreachable)
    clock = PollClock(monkeypatch)
    clock.stop_after = 6
    trigger = triggers.NewSnapshotTrigger("churn", mode="watch")
    trigger.max_failed_polls = 2
    logged = caplog.at_level(logging.WARNING, logger="airflow_champion.sensors.triggers")
    with logged, pytest.raises(Stop):
        asyncio.run(first_event(trigger))
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1, "one ERROR line per failure streak, not one per poll"
    assert "churn" in errors[0] and "endpoint down" in errors[0]


@pytest.mark.parametrize("which", ["snapshot", "drift"])
def test_sensor_fails_naming_the_trigger_error(which: str, home: Path) -> None:
    from airflow.sdk.exceptions import AirflowException, AirflowFailException
    from airflow_champion.sensors.drift_sensor import DriftSensor
    from airflow_champion.sensors.snapshot_sensor import NewSnapshotSensor

    sensor: Any = (
        NewSnapshotSensor(task_id="wait", model="churn")
        if which == "snapshot"
        else DriftSensor(task_id="gate", model="churn")
    )
    context: Any = {"dag": SimpleNamespace(dag_id="d"), "run_id": "r"}
    message = "churn: new-snapshot scan failed 5 polls in a row; last error: ConnectionError: down"
    event = {"status": "error", "model": "churn", "message": message, "permanent": False}
    with pytest.raises(AirflowException, match="5 polls in a row") as failed:
        sensor.execute_complete(context, event)
    assert not isinstance(failed.value, AirflowFailException), "a transient failure may be retried"
    with pytest.raises(AirflowFailException, match="churn: bad config"):
        sensor.execute_complete(context, {**event, "message": "churn: bad config", "permanent": True})
