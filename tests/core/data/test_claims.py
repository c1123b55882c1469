"""Once per snapshot: claims, announcements and what the pickers skip (and why)."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from airflow_champion.data import claim_heartbeat, claims, manifest, snapshots

pytestmark = pytest.mark.unit


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, churn_cfg: Any) -> Any:
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path))
    return churn_cfg


def _snapshot(cfg: Any, sid: str) -> manifest.Manifest:
    df = pd.DataFrame({"tenure_months": [1.0, 2.0, 3.0], "churned": [0, 1, 0]})
    return snapshots.write_snapshot(cfg.snapshot_root(), sid, df)


def test_second_run_is_refused_and_says_who_holds_the_snapshot(cfg: Any) -> None:
    _snapshot(cfg, "s1")
    first = claims.claim_retrain(cfg, "s1", run_id="r1", reason="cron")
    second = claims.claim_retrain(cfg, "s1", run_id="r2", reason="drift")
    assert first.granted and first.generation == 1
    assert not second.granted
    assert "being retrained by run r1 (cron)" in second.reason


def test_same_run_retrying_keeps_its_claim(cfg: Any) -> None:
    _snapshot(cfg, "s1")
    claims.claim_retrain(cfg, "s1", run_id="r1", reason="cron")
    again = claims.claim_retrain(cfg, "s1", run_id="r1", reason="cron")
    assert again.granted and again.generation == 1


def test_a_decided_snapshot_is_refused_unless_forced(cfg: Any) -> None:
    _snapshot(cfg, "s1")
    claims.claim_retrain(cfg, "s1", run_id="r1", reason="cron")
    outcome = claims.outcome({"promoted": True, "to_version": 3, "reasons": ["gain +0.02"]})
    assert claims.finish_claim(cfg, "s1", "r1", outcome)
    refused = claims.claim_retrain(cfg, "s1", run_id="r2", reason="rest")
    assert not refused.granted
    assert "already retrained" in refused.reason and "v3 promoted: gain +0.02" in refused.reason
    forced = claims.claim_retrain(cfg, "s1", run_id="r3", reason="rest", force=True)
    assert forced.granted and forced.generation == 2
    assert forced.holder is not None and forced.holder["forced"] is True
    assert forced.holder["previous"]["run_id"] == "r1"


def test_released_claim_can_be_taken_and_release_never_undoes_a_decision(cfg: Any) -> None:
    _snapshot(cfg, "s1")
    claims.claim_retrain(cfg, "s1", run_id="r1", reason="cron")
    assert not claims.release_claim(cfg, "s1", "someone-else", "x")
    assert claims.release_claim(cfg, "s1", "r1", "train failed")
    retry = claims.claim_retrain(cfg, "s1", run_id="r2", reason="cron")
    assert retry.granted and retry.generation == 2
    claims.finish_claim(cfg, "s1", "r2", {"summary": "done"})
    assert not claims.release_claim(cfg, "s1", "r2", "teardown")
    assert claims.current_claim(cfg, "s1")[1]["state"] == claims.DONE  # type: ignore[index]


def test_stale_claim_of_a_dead_run_is_taken_over(cfg: Any) -> None:
    _snapshot(cfg, "s1")
    t0 = datetime(2026, 11, 23, 8, tzinfo=UTC)
    claims.claim_retrain(cfg, "s1", run_id="dead", reason="cron", now=t0)
    soon = t0 + timedelta(hours=cfg.snapshots.claim_ttl_hours - 1)
    late = t0 + timedelta(hours=cfg.snapshots.claim_ttl_hours + 1)
    assert not claims.claim_retrain(cfg, "s1", run_id="r2", reason="cron", now=soon).granted
    took = claims.claim_retrain(cfg, "s1", run_id="r2", reason="cron", now=late)
    assert took.granted and took.reason == "previous claim active"


def test_concurrent_claims_have_exactly_one_winner(cfg: Any) -> None:
    _snapshot(cfg, "s1")
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def worker(i: int) -> None:
        barrier.wait()
        results.append(claims.claim_retrain(cfg, "s1", run_id=f"r{i}", reason="race").granted)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]


def test_announce_is_first_caller_only(cfg: Any) -> None:
    _snapshot(cfg, "s1")
    assert claims.announce(cfg, "s1", "sensor-a")
    assert not claims.announce(cfg, "s1", "watcher-b")


def test_pickers_skip_incomplete_quarantined_announced_and_claimed_with_reasons(cfg: Any) -> None:
    root = Path(cfg.snapshot_root())
    for sid in ("a-ready", "b-announced", "c-claimed", "d-quarantined", "e-mismatch"):
        _snapshot(cfg, sid)
    (root / "f-nomanifest").mkdir()
    (root / "f-nomanifest" / "data.parquet").write_bytes(b"PAR1 still uploading")
    with (root / "e-mismatch" / "data.parquet").open("ab") as fh:
        fh.write(b"tampered")
    claims.announce(cfg, "b-announced", "x")
    claims.claim_retrain(cfg, "c-claimed", run_id="r1", reason="cron")
    snapshots.quarantine(cfg.snapshot_root(), "d-quarantined", reason="bad", result={}, report_html="<p>")

    ready, skipped = claims.find_new_snapshots(cfg)
    assert [m.snapshot_id for m in ready] == ["a-ready"]
    assert skipped["b-announced"] == "already announced"
    assert skipped["c-claimed"] == "already claimed by a retrain run"
    assert skipped["d-quarantined"] == "quarantined"
    assert skipped["e-mismatch"].startswith("incomplete") and "sha256" in skipped["e-mismatch"]
    assert skipped["f-nomanifest"].startswith("incomplete") and "manifest" in skipped["f-nomanifest"]


def test_snapshot_ids_are_validated_before_any_path_is_built(cfg: Any) -> None:
    from airflow_champion.errors import SnapshotError

    with pytest.raises(SnapshotError):
        claims.claim_retrain(cfg, "../other-model/2026-11-02", run_id="r", reason="x")
    with pytest.raises(SnapshotError):
        claims.announce(cfg, "..", "x")


def test_weekly_generator_snapshots_are_picked_up_in_order(cfg: Any) -> None:
    from airflow_champion_demo import datagen

    datagen.write_weekly_snapshots(cfg, start=date(2026, 11, 2), weeks=2, rows=300, seed=1)
    ready, _ = claims.find_new_snapshots(cfg)
    assert [m.snapshot_id for m in ready] == ["2026-11-02", "2026-11-09"]


# ------------------------------------------------------------------------- claims of absent snapshots
def test_an_unknown_snapshot_is_refused_and_nothing_is_created(cfg: Any) -> None:
    """A typo'd snapshot id used to leave `<root>/<id>/_claims/retrain-1.json`: a folder that the
    pickers then listed as a snapshot 'already claimed'. Now: refused, and nothing is written."""
    from airflow_champion.errors import SnapshotError

    _snapshot(cfg, "s1")
    expected = re.escape(f"snapshot 2026-13-01 does not exist in {cfg.snapshot_root()}")
    with pytest.raises(SnapshotError, match=expected):
        claims.claim_retrain(cfg, "2026-13-01", run_id="r1", reason="rest")
    assert snapshots.list_snapshot_ids(cfg.snapshot_root()) == ["s1"]
    assert not (Path(cfg.snapshot_root()) / "2026-13-01").exists()


def test_a_snapshot_still_landing_is_refused_and_nothing_is_created(cfg: Any) -> None:
    """No manifest yet: the data may still be uploading. The run is refused (retry later); no claim
    is written, so the snapshot is picked up normally once its manifest lands."""
    from airflow_champion.errors import IncompleteSnapshotError

    landing = Path(cfg.snapshot_root()) / "s2"
    landing.mkdir(parents=True)
    (landing / "data.parquet").write_bytes(b"PAR1 still uploading")
    with pytest.raises(IncompleteSnapshotError, match=r"snapshot s2 in .* has no manifest\.json yet"):
        claims.claim_retrain(cfg, "s2", run_id="r1", reason="rest")
    assert sorted(p.name for p in landing.iterdir()) == ["data.parquet"]
    assert claims.current_claim(cfg, "s2") == (0, None)


# ------------------------------------------------------------------------------------- heartbeats
def test_a_heartbeated_claim_older_than_the_ttl_is_not_taken_over(cfg: Any) -> None:
    """A training run longer than claim_ttl_hours: alive and heartbeating, so it keeps the snapshot."""
    _snapshot(cfg, "s1")
    ttl = timedelta(hours=cfg.snapshots.claim_ttl_hours)
    t0 = datetime(2026, 11, 23, 8, tzinfo=UTC)
    claims.claim_retrain(cfg, "s1", run_id="long", reason="cron", now=t0)
    assert claim_heartbeat.heartbeat(cfg, "s1", "long", now=t0 + ttl * 0.9)
    later = t0 + ttl * 1.5  # older than the TTL, heartbeated 0.6 TTL ago
    second = claims.claim_retrain(cfg, "s1", run_id="r2", reason="drift", now=later)
    assert not second.granted and "being retrained by run long" in second.reason


def test_a_claim_that_stopped_heartbeating_for_the_ttl_is_taken_over_and_its_run_is_stopped(
    cfg: Any,
) -> None:
    from airflow_champion.errors import ClaimLostError

    _snapshot(cfg, "s1")
    ttl = timedelta(hours=cfg.snapshots.claim_ttl_hours)
    t0 = datetime(2026, 11, 23, 8, tzinfo=UTC)
    claims.claim_retrain(cfg, "s1", run_id="stalled", reason="cron", now=t0)
    claim_heartbeat.heartbeat(cfg, "s1", "stalled", now=t0 + ttl * 0.5)
    took = claims.claim_retrain(cfg, "s1", run_id="r2", reason="drift", now=t0 + ttl * 1.6)
    assert took.granted and took.generation == 2
    # the stalled run wakes up: its next step is refused instead of training or promoting twice
    with pytest.raises(ClaimLostError, match=r"snapshot s1 .*run stalled.*taken over by run r2"):
        claim_heartbeat.heartbeat(cfg, "s1", "stalled", now=t0 + ttl * 1.7)
    assert claims.current_claim(cfg, "s1")[1]["run_id"] == "r2"  # type: ignore[index]


def test_a_heartbeat_outside_any_claim_changes_nothing(cfg: Any) -> None:
    """A step called without a claim (CLI on one snapshot, a test) has nothing to keep alive."""
    _snapshot(cfg, "s1")
    assert not claim_heartbeat.heartbeat(cfg, "s1", "never-claimed")
    assert claims.current_claim(cfg, "s1") == (0, None)


def test_keep_alive_renews_at_start_and_in_the_background(cfg: Any) -> None:
    """Each step under the claim renews it when it starts; a long step (train) also renews it from a
    thread, stopped when the step ends."""
    _snapshot(cfg, "s1")
    t0 = datetime(2026, 11, 23, 8, tzinfo=UTC)
    claims.claim_retrain(cfg, "s1", run_id="r1", reason="cron", now=t0)
    with claim_heartbeat.keep_alive(cfg, "s1", "r1") as keeper:
        record = claims.current_claim(cfg, "s1")[1]
        assert record is not None and claims._parse(record["heartbeat_at"]) > t0  # type: ignore[operator]
        assert keeper is not None and keeper.thread.is_alive()
        assert keeper.beat()  # what the thread does every interval
    assert not keeper.thread.is_alive()


def test_a_step_of_a_run_whose_claim_was_taken_over_is_refused(cfg: Any) -> None:
    """steps.promote of a run that lost its claim refuses before touching the registry."""
    from airflow_champion.errors import ClaimLostError
    from airflow_champion.pipeline import steps

    _snapshot(cfg, "s1")
    t0 = datetime(2026, 11, 23, 8, tzinfo=UTC)
    claims.claim_retrain(cfg, "s1", run_id="old", reason="cron", now=t0)
    claims.claim_retrain(cfg, "s1", run_id="new", reason="drift", now=t0 + timedelta(days=30))
    verdict = {"model": cfg.name, "snapshot_id": "s1", "challenger_version": 2, "decision": "promote"}
    with pytest.raises(ClaimLostError, match="taken over by run new"):
        steps.promote(cfg, verdict, actor="t", run_id="old")
