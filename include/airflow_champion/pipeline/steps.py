"""The pipeline's steps: the one facade every Airflow task, sensor, CLI command and pod calls.

Each takes a model name (or a loaded config) and plain values, and returns a small JSON-safe dict (what
goes to XCom); a gate that refuses raises a named MlopsError. Retraining is claim -> validate ->
check_champion -> train -> evaluate -> promote (pipeline.chain runs it in one process, the DAG as tasks);
drift is drift -> drift_decision -> record_drift_retrain; new snapshots are found and announced here too.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow_champion.config import ModelConfig, load_config
from airflow_champion.config.checks import check_before_data, check_estimator_importable
from airflow_champion.errors import SnapshotError

log = logging.getLogger(__name__)


def config(model: str | ModelConfig) -> ModelConfig:
    return model if isinstance(model, ModelConfig) else load_config(model)


# ------------------------------------------------------------------------------------------ retraining


def claim(
    model: str | ModelConfig, snapshot: str = "latest", *, run_id: str, reason: str, force: bool = False
) -> dict[str, Any]:
    """Gate 0: one retrain per snapshot, whatever started the run (cron, new snapshot, drift, REST).

    The estimator, its params and the floor are checked first: a config mistake fails here, before any
    data is read or claimed, rather than after validation at the train gate.
    """
    from airflow_champion.data import claims, snapshots

    cfg = config(model)
    check_before_data(cfg)
    snapshot_id = snapshots.resolve_snapshot_id(cfg.snapshot_root(), snapshot)
    decision = claims.claim_retrain(cfg, snapshot_id, run_id=run_id, reason=reason, force=force)
    return {**decision.as_dict(), "model": cfg.name, "requested": snapshot}


def release_claim(model: str | ModelConfig, snapshot_id: str, run_id: str, why: str) -> bool:
    """The run ended without deciding: a later run may take the snapshot (no-op once it is decided)."""
    from airflow_champion.data import claims

    return claims.release_claim(config(model), snapshot_id, run_id, why)


def validate(model: str | ModelConfig, snapshot: str = "latest") -> dict[str, Any]:
    """Gate 1: the snapshot must be complete, readable and pass its expectation suite.

    A failing snapshot is quarantined with its report (never deleted) and ValidationFailedError is
    raised; an incomplete snapshot (no manifest, hash mismatch) is refused without quarantine because
    it may still be landing.
    """
    from airflow_champion.data import claim_heartbeat
    from airflow_champion.validation.gate import validate_snapshot

    cfg = config(model)
    if snapshot == "latest":  # not a claimed snapshot: nothing to keep alive
        return validate_snapshot(cfg, snapshot)
    with claim_heartbeat.keep_alive(cfg, snapshot, claim_heartbeat.claiming_run()):
        return validate_snapshot(cfg, snapshot)


def check_champion(
    model: str | ModelConfig, snapshot_id: str, *, context: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Before training on a new labelled snapshot: the champion's measured score on it, and, on the
    first snapshot after a promotion, the automatic rollback check against its predecessor."""
    from airflow_champion.data import claim_heartbeat, layout
    from airflow_champion.data.ids import validate_snapshot_id
    from airflow_champion.data.reading import load_snapshot
    from airflow_champion.data.storage import open_store
    from airflow_champion.evaluation.post_promotion import check_champion as check
    from airflow_champion.reports.jsonsafe import dumps

    cfg = config(model)
    snapshot_id = validate_snapshot_id(snapshot_id)
    with claim_heartbeat.keep_alive(cfg, snapshot_id, claim_heartbeat.claiming_run(None, context)):
        df, _manifest = load_snapshot(cfg, snapshot_id)
        result = check(cfg, df, snapshot_id=snapshot_id, context=context)
    rel = layout.report(snapshot_id, layout.CHAMPION_CHECK_JSON)
    open_store(cfg.snapshot_root()).write_bytes(rel, dumps(result).encode("utf-8"))
    return result


def train(
    model: str | ModelConfig,
    snapshot_id: str,
    *,
    expected_sha256: str | None = None,
    force: bool = False,
    lineage: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Gate 2: fit the challenger on the validated snapshot; idempotent per (model, snapshot, config)."""
    from airflow_champion.data import claim_heartbeat
    from airflow_champion.data.ids import validate_snapshot_id
    from airflow_champion.data.reading import load_snapshot
    from airflow_champion.modeling.training import train_challenger

    cfg = config(model)
    check_estimator_importable(cfg)
    snapshot_id = validate_snapshot_id(snapshot_id)
    df, manifest = load_snapshot(cfg, snapshot_id)
    if expected_sha256 and manifest.sha256 != expected_sha256:
        raise SnapshotError(
            f"snapshot {snapshot_id} changed since validation (sha256 {manifest.sha256[:12]} != "
            f"validated {expected_sha256[:12]}); refusing to train on unvalidated data"
        )
    keeper = claim_heartbeat.keep_alive(cfg, snapshot_id, claim_heartbeat.claiming_run(None, lineage))
    with keeper:  # a fit may outlast the TTL
        result = train_challenger(
            cfg, df, snapshot_id=snapshot_id, snapshot_sha256=manifest.sha256, force=force, lineage=lineage
        )
    return result.as_dict()


def evaluate(model: str | ModelConfig, snapshot_id: str, challenger_version: int) -> dict[str, Any]:
    """Gate 3: challenger vs the current champion on the same holdout -> verdict (the 'blessing')."""
    from airflow_champion.data import claim_heartbeat
    from airflow_champion.data.ids import validate_snapshot_id
    from airflow_champion.data.reading import load_snapshot
    from airflow_champion.evaluation.evaluate import evaluate_challenger
    from airflow_champion.registry import tracking

    cfg = config(model)
    snapshot_id = validate_snapshot_id(snapshot_id)
    df, manifest = load_snapshot(cfg, snapshot_id)
    with claim_heartbeat.keep_alive(cfg, snapshot_id, claim_heartbeat.claiming_run()):
        champion = tracking.alias_version(cfg, tracking.CHAMPION)
        return evaluate_challenger(
            cfg,
            df,
            snapshot_id=snapshot_id,
            challenger_version=int(challenger_version),
            champion_version=champion,
            snapshot_sha256=manifest.sha256,
        )


def promote(
    model: str | ModelConfig,
    verdict: dict[str, Any],
    *,
    actor: str,
    context: dict[str, Any] | None = None,
    run_id: str | None = None,
    shadow: bool = False,
) -> dict[str, Any]:
    """Gate 4: compare-and-set the champion alias if the verdict allows it; always write the ledger.

    With `run_id` (the run that claimed the snapshot), the claim is finished with the decision, so every
    later trigger for this snapshot is refused (once per snapshot). `shadow` (or `promotion.mode:
    shadow`) records the decision and moves nothing. Last, the evidence bundle (the ledger links it).
    """
    from airflow_champion.data import claim_heartbeat, claims
    from airflow_champion.pipeline import evidence_record as ev
    from airflow_champion.registry.promotion import promote as promote_version

    cfg = config(model)
    sid = verdict.get("snapshot_id")
    if run_id and sid:  # a run whose claim was taken over decides nothing (ClaimLostError)
        claim_heartbeat.heartbeat(cfg, str(sid), run_id)
    where = ev.locate(cfg, verdict)
    result = promote_version(cfg, verdict, actor=actor, context=context, shadow=shadow, evidence_bundle=where)
    if run_id and sid:
        result["claim_finished"] = claims.finish_claim(cfg, str(sid), run_id, claims.outcome(result))
        if not result["claim_finished"]:
            log.warning("Snapshot %s was not claimed by run %s (outside the claim gate?)", sid, run_id)
    result["evidence"] = ev.record(cfg, verdict, result, where, actor=actor, context=context)
    return result


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
    from airflow_champion.registry.rollback import rollback as rollback_champion

    return rollback_champion(
        config(model),
        to_version=to_version,
        reason=reason,
        actor=actor,
        context=context,
        expected_champion=expected_champion,
    )


def status(model: str | ModelConfig) -> dict[str, Any]:
    """Champion, challenger, versions with lineage, and the ledger."""
    from airflow_champion.registry.status import status as registry_status

    return registry_status(config(model))


# ------------------------------------------------------------------------------- snapshots and drift


def new_snapshots(model: str | ModelConfig) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Snapshots ready to be announced (as event payloads) and why the others are skipped."""
    from airflow_champion.data import claims

    cfg = config(model)
    ready, skipped = claims.find_new_snapshots(cfg)
    payloads = [
        {"model": cfg.name, "snapshot_id": m.snapshot_id, "sha256": m.sha256, "rows": m.rows} for m in ready
    ]
    return payloads, skipped


def announce(model: str | ModelConfig, snapshot_id: str, by: str) -> bool:
    """Mark a snapshot as announced; only the first caller (sensor or watcher) gets True."""
    from airflow_champion.data import claims

    return claims.announce(config(model), snapshot_id, by)


def drift(
    model: str | ModelConfig,
    snapshot: str = "latest",
    *,
    lineage: dict[str, Any] | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Drift verdict of a snapshot against the champion (NoChampionError when there is none)."""
    from airflow_champion.monitoring.monitor import monitor

    return monitor(config(model), snapshot, lineage=lineage, force=force)


def drift_decision(model: str | ModelConfig, snapshot_id: str | None = None) -> dict[str, Any] | None:
    """The drift policy's decision on the verdicts so far; None while the awaited verdict is missing."""
    from airflow_champion.monitoring.gate import evaluate_policy

    return evaluate_policy(config(model), snapshot_id)


def record_drift_retrain(model: str | ModelConfig, decision: dict[str, Any], by: str) -> bool:
    """The once-per-snapshot drift-retrain marker; False when another caller started it first."""
    from airflow_champion.monitoring.gate import record_drift_retrain as record

    return record(config(model), decision, by)


def replay(
    model: str | ModelConfig,
    *,
    from_id: str | None = None,
    to_id: str | None = None,
    overrides: dict[str, Any] | None = None,
    overrides_source: str = "<overrides>",
    replay_id: str | None = None,
    progress: Any = None,
) -> dict[str, Any]:
    """Gate backtest over the model's complete snapshots in order (see evaluation.backtest); writes
    its JSON and page beside the snapshots (under `replay_id`, default: time + overrides hash),
    registers nothing and moves no alias."""
    from airflow_champion.config.loading import with_overrides
    from airflow_champion.data import snapshots
    from airflow_champion.data.reading import load_snapshot
    from airflow_champion.evaluation import backtest, backtest_record

    cfg = with_overrides(config(model), overrides, overrides_source)
    ids = [m.snapshot_id for m in snapshots.complete_snapshots(cfg.snapshot_root())]
    ids = [i for i in ids if (from_id is None or i >= from_id) and (to_id is None or i <= to_id)]
    if len(ids) < 2:
        raise SnapshotError(f"{cfg.name}: a backtest needs two complete snapshots in range, found {ids}")
    result = backtest.replay(cfg, ids, lambda sid: load_snapshot(cfg, sid)[0], progress=progress)
    return backtest_record.record_replay(cfg, result, replay_id or backtest_record.replay_id(overrides))


__all__ = [
    "announce",
    "check_champion",
    "claim",
    "config",
    "drift",
    "drift_decision",
    "evaluate",
    "new_snapshots",
    "promote",
    "record_drift_retrain",
    "release_claim",
    "replay",
    "rollback",
    "status",
    "train",
    "validate",
]
