"""Gate 1 as a whole: resolve the snapshot, read it, run its suite, quarantine it or pass it.

A failing snapshot is quarantined with its report (never deleted) and ValidationFailedError is
raised; an incomplete snapshot (no manifest, hash mismatch) is refused without quarantine because it
may still be landing, and a snapshot the config misreads (its positive_label is neither of the
target's two values) is a ConfigError without quarantine: the config is wrong, not the data.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from airflow_champion.data import snapshots
from airflow_champion.data.reading import load_snapshot
from airflow_champion.errors import (
    ConfigError,
    SnapshotLoadError,
    SnapshotTooLargeError,
    ValidationFailedError,
)
from airflow_champion.reports.jsonsafe import dumps
from airflow_champion.telemetry.gates import records_validation
from airflow_champion.validation.report import render_report_html, unreadable_snapshot
from airflow_champion.validation.validate import positive_label_absent, validate_dataframe

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig

log = logging.getLogger(__name__)

VALIDATION_JSON = "validation.json"
"""The passing result beside validation.html (a failing one is in the quarantine): read at promote."""


@records_validation
def validate_snapshot(cfg: ModelConfig, snapshot: str = "latest") -> dict[str, Any]:
    """The validate step's result (JSON-safe) for one snapshot of `cfg`, or ValidationFailedError."""

    root = cfg.snapshot_root()
    snapshot_id = snapshots.resolve_snapshot_id(root, snapshot)
    snapshots.refuse_quarantined(root, snapshot_id, "fix the data and land it as a new snapshot")
    try:
        df, manifest = load_snapshot(cfg, snapshot_id)
    except (SnapshotLoadError, SnapshotTooLargeError) as exc:
        failure, failure_page = unreadable_snapshot(cfg.name, snapshot_id, exc)
        uri = snapshots.quarantine(
            root, snapshot_id, reason=str(exc), result=failure, report_html=failure_page
        )
        raise ValidationFailedError(
            f"{cfg.name}: snapshot {snapshot_id} is unreadable and was quarantined: {exc} (report: {uri})",
            snapshot_id=snapshot_id,
            report_uri=uri,
            result=failure,
        ) from exc

    wrong_label = positive_label_absent(cfg, df, snapshot_id)
    if wrong_label:  # the config's mistake: refuse the run, keep the snapshot
        raise ConfigError(f"{cfg.name}: {wrong_label}")
    result = validate_dataframe(cfg, df, snapshot_id)
    page = render_report_html(result)
    payload = result.as_dict()
    if not result.success:
        uri = snapshots.quarantine(
            root, snapshot_id, reason=result.summary(), result=payload, report_html=page
        )
        raise ValidationFailedError(
            f"{cfg.name}: snapshot {snapshot_id} failed validation and was quarantined: {result.summary()} "
            f"(report: {uri})",
            snapshot_id=snapshot_id,
            report_uri=uri,
            result=payload,
        )
    uri = snapshots.write_report(root, snapshot_id, "validation.html", page)
    snapshots.write_report(root, snapshot_id, VALIDATION_JSON, dumps(payload))  # the evidence bundle's
    log.info(
        "Snapshot %s of %s passed %s expectations", snapshot_id, cfg.name, result.statistics["evaluated"]
    )
    return {
        "model": cfg.name,
        "snapshot_id": snapshot_id,
        "sha256": manifest.sha256,
        "rows": manifest.rows,
        "success": True,
        "statistics": payload["statistics"],
        "report_uri": uri,
    }
