"""`mlops snapshot import | list | show | release`: a model's snapshots, for a person at a shell.

Thin: the work is in the data stage (`data.importing`, `data.inventory`, `data.snapshots`); this
module names the report and claim files their writers own, and lays the list out as a table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow_champion.config import ModelConfig
from airflow_champion.data import importing, inventory, snapshots
from airflow_champion.reports.numbers import fmt

VALIDATION_HTML = "validation.html"
"""The `_reports/` page of a snapshot that passed validation (validation.gate writes it)."""


def import_file(
    cfg: ModelConfig,
    path: str | Path,
    *,
    snapshot_id: str | None = None,
    fmt: str | None = None,
    prog: str = "mlops",
) -> dict[str, Any]:
    """Land a file as a snapshot; the manifest, where it is, and what to run next."""
    manifest = importing.import_snapshot(cfg, path, snapshot_id=snapshot_id, fmt=fmt)
    return {
        "model": cfg.name,
        "root": cfg.snapshot_root(),
        "manifest": manifest.to_dict(),
        "next": f"{prog} run {cfg.name} --snapshot {manifest.snapshot_id}",
    }


def import_text(result: dict[str, Any]) -> str:
    """What `snapshot import` landed, for a person (the whole manifest: --json)."""
    m = result["manifest"]
    return "\n".join(
        [
            f"Landed snapshot {m['snapshot_id']} of {result['model']}: {m['rows']} rows, "
            f"{len(m.get('columns') or [])} columns, {m['bytes']} bytes "
            f"({m['format']}, sha256 {m['sha256'][:12]}...)",
            f"  in {result['root']}/{m['snapshot_id']}/ ({m['data_file']}, then manifest.json)",
            f"Next: {result['next']}   (or in Airflow: trigger {result['model']}_retrain)",
        ]
    )


def list_rows(cfg: ModelConfig) -> list[dict[str, Any]]:
    """One row per snapshot folder: rows, bytes, created_at, complete, quarantined, claim."""
    return inventory.list_snapshots(cfg)


def show(cfg: ModelConfig, snapshot_id: str) -> dict[str, Any]:
    """Manifest, quarantine (and releases), claims and the reports present, of one snapshot."""
    from airflow_champion.data.layout import CHAMPION_CHECK_JSON
    from airflow_champion.monitoring.gate import DRIFT_RETRAIN
    from airflow_champion.monitoring.report import EVIDENTLY_HTML, VERDICT_HTML, VERDICT_JSON

    names = (VALIDATION_HTML, CHAMPION_CHECK_JSON, VERDICT_JSON, VERDICT_HTML, EVIDENTLY_HTML)
    return inventory.describe(cfg, snapshot_id, report_names=names, claim_names=(DRIFT_RETRAIN,))


def release(
    cfg: ModelConfig, snapshot_id: str, *, reason: str, actor: str, prog: str = "mlops"
) -> dict[str, Any]:
    """Lift a quarantine on purpose (the record says who, why, when); the next run validates again."""
    record = snapshots.release_quarantine(cfg.snapshot_root(), snapshot_id, reason=reason, actor=actor)
    return {
        **record,
        "next": f"{prog} run {cfg.name} --snapshot {record['snapshot_id']} (validation runs again)",
    }


CLAIM_WORDS = {"active": "held", "done": "decided", "released": "free"}
"""A retrain claim's state in the list: a run holds it, a run decided on it, or the last run ended
without deciding (a later run may take it)."""


def _claim(row: dict[str, Any]) -> str:
    if row["claim"] is None:
        return "-"
    return f"{CLAIM_WORDS.get(row['claim'], row['claim'])} (run #{row['claim_generation']})"


def table(rows: list[dict[str, Any]]) -> str:
    """The list as aligned columns, one snapshot a line."""
    header = ("snapshot", "rows", "bytes", "created_at", "complete", "quarantined", "retrain")
    body = [
        (
            r["snapshot_id"],
            fmt(r["rows"]),
            fmt(r["bytes"]),
            r["created_at"] or "-",
            "yes" if r["complete"] else "no",
            "yes" if r["quarantined"] else ("released" if r["released"] else "no"),
            _claim(r),
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body, strict=True)]
    lines = [
        "  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip()
        for line in [header, *body]
    ]
    return "\n".join(lines) if body else "no snapshots yet"


__all__ = ["import_file", "list_rows", "release", "show", "table"]
