"""The ledger's sequence numbers: allocated with create-if-absent, so a lost race is never an overwrite."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from airflow_champion.registry import ledger, tracking

pytestmark = [pytest.mark.unit, pytest.mark.mlflow]

WRITERS = 4


def test_writers_without_a_shared_lock_never_lose_an_entry(
    mlops_home: Path, bc_cfg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two Airflow deployments configured with different locks (or none) append at once: every writer
    reads the same last seq before any of them writes (a barrier after the read), the worst case of
    read-then-write. Each entry must survive, with its own seq, and each writer is told its own."""
    client = tracking.client()
    client.create_registered_model(bc_cfg.registered_model_name)
    ledger.append(client, bc_cfg, {"action": "promote", "to_version": 1, "actor": "setup"})

    barrier = threading.Barrier(WRITERS)
    read = ledger.read_ledger
    first_read = threading.local()

    def read_then_wait(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        entries = read(*args, **kwargs)
        if not getattr(first_read, "done", False):
            first_read.done = True
            barrier.wait(timeout=60)  # every writer has now seen the same last seq
        return entries

    monkeypatch.setattr(ledger, "read_ledger", read_then_wait)
    told: dict[str, int] = {}
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            entry = ledger.append(
                tracking.client(), bc_cfg, {"action": "reject", "to_version": 2, "actor": f"w{i}"}
            )
            told[f"w{i}"] = int(entry["seq"])
        except BaseException as exc:  # reported below, with the entries
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    monkeypatch.setattr(ledger, "read_ledger", read)

    assert errors == []
    entries = ledger.read_ledger(bc_cfg, client)
    assert [e["seq"] for e in entries] == list(range(1, WRITERS + 2)), entries
    assert sorted(e["actor"] for e in entries[1:]) == sorted(told), entries
    assert {e["actor"]: e["seq"] for e in entries[1:]} == told


def test_a_reserved_seq_is_kept_with_its_entry(mlops_home: Path, bc_cfg: Any) -> None:
    """The reservation that wins a seq holds the entry itself: the audit survives a writer that died
    between reserving and writing the tag, and a later writer skips the seq instead of reusing it."""
    client = tracking.client()
    client.create_registered_model(bc_cfg.registered_model_name)
    store, rel = ledger.reservation(bc_cfg, 1)
    assert store.create_exclusive(rel, b'{"seq": 1, "action": "promote", "actor": "died"}')
    entry = ledger.append(client, bc_cfg, {"action": "reject", "to_version": 2, "actor": "later"})
    assert entry["seq"] == 2
    assert [e["actor"] for e in ledger.read_ledger(bc_cfg, client)] == ["later"]
