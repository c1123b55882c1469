"""Where a gate backtest goes: `<snapshot root>/_replays/<replay id>/replay.{json,html}`.

Beside the snapshots, so every deployment can read it with the same storage and credentials; never
into the registry: a backtest registers nothing, moves no alias and writes no ledger entry.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from airflow_champion.data import layout
from airflow_champion.data.storage import open_store
from airflow_champion.evaluation.backtest_report import render_backtest_html
from airflow_champion.reports.jsonsafe import dumps

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig


def replay_id(overrides: dict[str, Any] | None, now: datetime | None = None) -> str:
    """A sortable id: the time, and a short hash of the overrides (none: "as-configured")."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    tail = (
        hashlib.sha256(dumps(overrides, compact=True).encode()).hexdigest()[:8]
        if overrides
        else "as-configured"
    )
    return f"{stamp}-{tail}"


def record_replay(cfg: ModelConfig, result: dict[str, Any], rid: str) -> dict[str, Any]:
    """Write the JSON and the page; returns the result with `replay_id`, `json_uri`, `report_uri`."""
    store = open_store(cfg.snapshot_root())
    result = {**result, "replay_id": rid}
    report_uri = store.write_bytes(layout.replay(rid, "replay.html"), render_backtest_html(result).encode())
    result["report_uri"] = report_uri
    result["json_uri"] = store.uri(layout.replay(rid, "replay.json"))
    store.write_bytes(layout.replay(rid, "replay.json"), dumps(result).encode())
    return result


__all__ = ["record_replay", "replay_id"]
