"""Where everything lives inside a snapshot folder: the one place that spells these paths.

    <root>/<snapshot_id>/data.parquet | data.csv      the data, written first
    <root>/<snapshot_id>/manifest.json                 written LAST: its presence means "complete"
    <root>/<snapshot_id>/_quarantine/                  QUARANTINED.json, result.json, report.html
    <root>/<snapshot_id>/_claims/                      announced.json, retrain-<n>.json, drift-retrain.json
    <root>/<snapshot_id>/_reports/                     validation.html, drift_verdict.{json,html}, ...
    <root>/_replays/<replay_id>/                       replay.json, replay.html (gate backtests)

Every path is relative to the model's snapshot root and starts with a validated snapshot id.
"""

from __future__ import annotations

from airflow_champion.data.ids import validate_snapshot_id

MANIFEST = "manifest.json"
DATA_FILES = {"parquet": "data.parquet", "csv": "data.csv"}
QUARANTINE_DIR = "_quarantine"
QUARANTINE_MARKER = "QUARANTINED.json"
CLAIMS_DIR = "_claims"
REPORTS_DIR = "_reports"
REPLAYS_DIR = "_replays"
"""Gate backtests of the model, beside its snapshots (not a snapshot id: ids start with a letter or digit)."""
LEDGER_DIR = "_ledger"
"""Ledger seq reservations of every model, beside its snapshots (registry.ledger)."""
CHAMPION_CHECK_JSON = "champion_check.json"
"""The champion check of a snapshot, beside its other reports."""


def manifest(snapshot_id: str) -> str:
    return f"{validate_snapshot_id(snapshot_id)}/{MANIFEST}"


def data(snapshot_id: str, data_file: str) -> str:
    return f"{validate_snapshot_id(snapshot_id)}/{data_file}"


def quarantine(snapshot_id: str, name: str = QUARANTINE_MARKER) -> str:
    return f"{validate_snapshot_id(snapshot_id)}/{QUARANTINE_DIR}/{name}"


def claim(snapshot_id: str, name: str) -> str:
    return f"{validate_snapshot_id(snapshot_id)}/{CLAIMS_DIR}/{name}"


def report(snapshot_id: str, name: str) -> str:
    return f"{validate_snapshot_id(snapshot_id)}/{REPORTS_DIR}/{name}"


def replay(replay_id: str, name: str) -> str:
    return f"{REPLAYS_DIR}/{validate_snapshot_id(replay_id)}/{name}"


__all__ = ["CLAIMS_DIR", "DATA_FILES", "MANIFEST", "QUARANTINE_DIR", "REPLAYS_DIR", "REPORTS_DIR"]
