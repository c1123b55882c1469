"""The pipeline's steps, composed from the core modules.

Operators, the CLI and a KubernetesPodOperator pod all call these functions, so one code path runs
everywhere. Each takes plain values and returns a small JSON-safe dict (what goes to XCom).
"""

from __future__ import annotations

import html
import logging
from typing import Any

from include.config import ModelConfig, check_estimator_importable, load_config
from include.errors import SnapshotError, SnapshotLoadError, SnapshotTooLargeError, ValidationFailedError

log = logging.getLogger(__name__)


def _cfg(model: str | ModelConfig) -> ModelConfig:
    return model if isinstance(model, ModelConfig) else load_config(model)


def _load_failure_report(model: str, snapshot_id: str, exc: Exception) -> tuple[dict[str, Any], str]:
    result = {
        "success": False,
        "model": model,
        "snapshot_id": snapshot_id,
        "statistics": {"evaluated": 1, "successful": 0, "unsuccessful": 1, "success_percent": 0.0},
        "failures": [{"expectation": "snapshot_is_readable", "column": None, "message": str(exc)}],
    }
    page = (
        f"<html><body><h1>Validation of {html.escape(model)} / {html.escape(snapshot_id)}: FAILED</h1>"
        f"<p>The snapshot could not be read as a table.</p><pre>{html.escape(str(exc))}</pre></body></html>"
    )
    return result, page


def claim(
    model: str | ModelConfig, snapshot: str = "latest", *, run_id: str, reason: str, force: bool = False
) -> dict[str, Any]:
    """Gate 0: one retrain per snapshot, whatever started the run (cron, new snapshot, drift, REST).

    The estimator is resolved first: a typo'd class in the config fails here, before any data is read
    or claimed, rather than after validation at the train gate.
    """
    from include import claims, snapshots

    cfg = _cfg(model)
    check_estimator_importable(cfg)
    snapshot_id = snapshots.resolve_snapshot_id(cfg.snapshot_root(), snapshot)
    decision = claims.claim_retrain(cfg, snapshot_id, run_id=run_id, reason=reason, force=force)
    return {**decision.as_dict(), "model": cfg.name, "requested": snapshot}


def finish_claim(model: str | ModelConfig, snapshot_id: str, run_id: str, outcome: dict[str, Any]) -> bool:
    from include import claims

    return claims.finish_claim(_cfg(model), snapshot_id, run_id, outcome)


def release_claim(model: str | ModelConfig, snapshot_id: str, run_id: str, why: str) -> bool:
    from include import claims

    return claims.release_claim(_cfg(model), snapshot_id, run_id, why)


def validate(model: str | ModelConfig, snapshot: str = "latest") -> dict[str, Any]:
    """Gate 1: the snapshot must be complete, readable and pass its expectation suite.

    A failing snapshot is quarantined with its report (never deleted) and ValidationFailedError is
    raised; an incomplete snapshot (no manifest, hash mismatch) is refused without quarantine because
    it may still be landing.
    """
    from include import snapshots, validation

    cfg = _cfg(model)
    root = cfg.snapshot_root()
    snapshot_id = snapshots.resolve_snapshot_id(root, snapshot)
    if snapshots.is_quarantined(root, snapshot_id):
        raise SnapshotError(
            f"snapshot {snapshot_id!r} of {cfg.name} is quarantined (see {root}/{snapshot_id}/_quarantine/); "
            "fix the data and land it as a new snapshot"
        )
    try:
        df, manifest = snapshots.load_snapshot(cfg, snapshot_id)
    except (SnapshotLoadError, SnapshotTooLargeError) as exc:
        failure, failure_page = _load_failure_report(cfg.name, snapshot_id, exc)
        uri = snapshots.quarantine(
            root, snapshot_id, reason=str(exc), result=failure, report_html=failure_page
        )
        raise ValidationFailedError(
            f"{cfg.name}: snapshot {snapshot_id} is unreadable and was quarantined: {exc} (report: {uri})",
            snapshot_id=snapshot_id,
            report_uri=uri,
            result=failure,
        ) from exc

    result = validation.validate_dataframe(cfg, df, snapshot_id)
    page = validation.render_report_html(result)
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


def train(
    model: str | ModelConfig,
    snapshot_id: str,
    *,
    expected_sha256: str | None = None,
    force: bool = False,
    lineage: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Gate 2: fit the challenger on the validated snapshot; idempotent per (model, snapshot, config)."""
    from include import snapshots, training

    cfg = _cfg(model)
    check_estimator_importable(cfg)
    snapshot_id = snapshots.validate_snapshot_id(snapshot_id)
    df, manifest = snapshots.load_snapshot(cfg, snapshot_id)
    if expected_sha256 and manifest.sha256 != expected_sha256:
        raise SnapshotError(
            f"snapshot {snapshot_id} changed since validation (sha256 {manifest.sha256[:12]} != "
            f"validated {expected_sha256[:12]}); refusing to train on unvalidated data"
        )
    result = training.train_challenger(
        cfg, df, snapshot_id=snapshot_id, snapshot_sha256=manifest.sha256, force=force, lineage=lineage
    )
    return result.as_dict()


def evaluate(model: str | ModelConfig, snapshot_id: str, challenger_version: int) -> dict[str, Any]:
    """Gate 3: challenger vs the current champion on the same holdout -> verdict (the 'blessing')."""
    from include import evaluation, snapshots, tracking

    cfg = _cfg(model)
    snapshot_id = snapshots.validate_snapshot_id(snapshot_id)
    df, _ = snapshots.load_snapshot(cfg, snapshot_id)
    champion = tracking.alias_version(cfg, tracking.CHAMPION)
    return evaluation.evaluate_challenger(
        cfg,
        df,
        snapshot_id=snapshot_id,
        challenger_version=int(challenger_version),
        champion_version=champion,
    )


def promote(
    model: str | ModelConfig, verdict: dict[str, Any], *, actor: str, context: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Gate 4: compare-and-set the champion alias if the verdict allows it; always write the ledger."""
    from include import registry

    return registry.promote(_cfg(model), verdict, actor=actor, context=context)


def rollback(
    model: str | ModelConfig,
    *,
    to_version: int | None,
    reason: str,
    actor: str,
    context: dict[str, Any] | None = None,
    expected_champion: int | None = None,
) -> dict[str, Any]:
    """Move the champion back; `expected_champion` refuses if a promotion landed since the decision."""
    from include import registry

    return registry.rollback(
        _cfg(model),
        to_version=to_version,
        reason=reason,
        actor=actor,
        context=context,
        expected_champion=expected_champion,
    )


def status(model: str | ModelConfig) -> dict[str, Any]:
    from include import registry

    return registry.status(_cfg(model))
