"""After a promotion: the next labelled snapshot judges the new champion against its predecessor.

The gate that promoted it saw one holdout; the first newer snapshot is fresh evidence. Both versions
are scored on its rows neither was trained on, with the same paired bootstrap as promotion; when the
champion is worse than its predecessor by more than `auto_rollback.margin` with confidence
1 - `significance` (the upper bound of the difference is below -margin), it is rolled back to the
predecessor and revoked, with the numbers in the ledger. Checked once per champion: the verdict is
kept on the champion (`mlops.post_promotion_check`), so a retry or a later snapshot does not judge
it again.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from airflow_champion.errors import EvaluationError, MlopsError, TransientError
from airflow_champion.evaluation.bootstrap import paired_bootstrap
from airflow_champion.evaluation.performance import champion_performance, unseen_rows
from airflow_champion.registry import ledger, revocation, tags, tracking
from airflow_champion.reports.jsonsafe import dumps, finite_or_none
from airflow_champion.reports.numbers import fmt, pct, signed

if TYPE_CHECKING:
    import pandas as pd

    from airflow_champion.config import ModelConfig

log = logging.getLogger(__name__)

AUTO_ROLLBACK_ACTOR = "auto-rollback"


def _recorded_check(mv: Any) -> dict[str, Any] | None:
    raw = tags.read(mv, tags.POST_PROMOTION_CHECK)
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _predecessor(cfg: ModelConfig, entries: list[dict[str, Any]], champion: int, snapshot_id: str) -> Any:
    """(predecessor, promoted_on) or a reason string why there is nothing to compare."""
    made = ledger.moved_by(entries, champion)
    if made is None or made.get("action") != "promote":
        return "the champion was not made by a promotion (restored by a rollback, or moved by hand)"
    predecessor = made.get("from_version")
    if predecessor is None:
        return "the first champion has no predecessor"
    promoted_on = str(made.get("snapshot_id") or "")
    if promoted_on and snapshot_id <= promoted_on:
        return f"snapshot {snapshot_id} is not newer than {promoted_on}, the one v{champion} was promoted on"
    if int(predecessor) in revocation.revoking_entries(entries):
        return f"predecessor v{predecessor} is revoked"
    return int(predecessor), promoted_on


def _compare(cfg: ModelConfig, df: pd.DataFrame, champion: int, predecessor: int) -> dict[str, Any]:
    """Champion vs predecessor on the rows neither was trained on: the paired bootstrap's numbers."""
    from airflow_champion.evaluation.predictions import predict_rows
    from airflow_champion.tasks import get_task

    spec, metric, task = cfg.promotion.auto_rollback, cfg.metric_entry, get_task(cfg.task)
    unseen = unseen_rows(cfg, df, [champion, predecessor])
    out: dict[str, Any] = {"predecessor": predecessor, **unseen.info, "metric": metric.name}
    why = task.judgeable(unseen.y)
    if len(unseen.y) < spec.min_rows or why:
        out["outcome"] = "undecided"
        out["why"] = why or f"{len(unseen.y)} unseen labelled rows < auto_rollback.min_rows {spec.min_rows}"
        return out
    p_ch = predict_rows(cfg, task, champion, "champion", df, unseen.X, unseen.positions)
    p_pre = predict_rows(cfg, task, predecessor, "predecessor", df, unseen.X, unseen.positions)
    try:
        boot = paired_bootstrap(
            metric,
            unseen.y,
            p_ch,
            p_pre,
            samples=cfg.promotion.bootstrap_samples,
            alpha=spec.significance,
            seed=cfg.holdout.seed,
            clusters=unseen.clusters,
        )
    except ValueError as exc:
        raise EvaluationError(
            f"{cfg.name}: the post-promotion bootstrap of {metric.name} failed: {exc}"
        ) from exc
    ch, pre = float(metric.score(unseen.y, p_ch)), float(metric.score(unseen.y, p_pre))
    high = boot["ci_high"]
    worse = high == high and high < -spec.margin  # NaN never rolls back
    out.update(
        champion_score=finite_or_none(ch),
        predecessor_score=finite_or_none(pre),
        diff=finite_or_none(metric.oriented(ch, pre)),
        ci_low=finite_or_none(boot["ci_low"]),
        ci_high=finite_or_none(high),
        confidence=1 - spec.significance,
        margin=spec.margin,
        judged_rows=len(unseen.y),
        outcome="roll back" if worse else "keep",
    )
    return out


def _evidence_text(cfg: ModelConfig, champion: int, snapshot_id: str, c: dict[str, Any]) -> str:
    interval = pct(1 - 2 * (1 - c["confidence"]))
    return (
        f"auto-rollback: on snapshot {snapshot_id} ({c['judged_rows']} rows neither was trained on) "
        f"champion v{champion} {c['metric']} {fmt(c['champion_score'])} vs predecessor v{c['predecessor']} "
        f"{fmt(c['predecessor_score'])}: diff {signed(c['diff'])}, {interval} CI [{signed(c['ci_low'])}, "
        f"{signed(c['ci_high'])}]; upper bound < -margin {fmt(c['margin'])}"
    )


def check_champion(
    cfg: ModelConfig,
    df: pd.DataFrame,
    *,
    snapshot_id: str,
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Score the champion on a new labelled snapshot; on the first one newer than its promotion,
    judge it against its predecessor and roll it back (and revoke it) when it is clearly worse.
    Both ask for the champion's predictions and training rows: one shared_reads() scope makes them
    once (within the chain's, the evaluate step reuses them too)."""
    from airflow_champion.data.reading import shared_reads

    with shared_reads():
        return _check_champion(cfg, df, snapshot_id=snapshot_id, context=context)


def _check_champion(
    cfg: ModelConfig, df: pd.DataFrame, *, snapshot_id: str, context: dict[str, Any] | None
) -> dict[str, Any]:
    from airflow_champion.registry.rollback import rollback

    client = tracking.client()
    champion = tracking.alias_version(cfg, tracking.CHAMPION, client)
    out: dict[str, Any] = {"model": cfg.name, "snapshot_id": snapshot_id, "champion": champion}
    if champion is None:
        return {**out, "action": "none", "reason": "no champion yet", "performance": None, "check": None}
    entries = ledger.read_ledger(cfg, client)
    out["performance"] = champion_performance(cfg, df, champion, entries=entries)
    spec = cfg.promotion.auto_rollback
    mv = client.get_model_version(cfg.registered_model_name, str(champion))
    recorded = _recorded_check(mv)
    if not spec.enabled:
        return {**out, "action": "none", "reason": "promotion.auto_rollback is disabled", "check": None}
    if recorded is not None:
        return {
            **out,
            "action": "none",
            "reason": f"v{champion} was checked on {recorded.get('snapshot_id')}",
            "check": recorded,
        }
    found = _predecessor(cfg, entries, champion, snapshot_id)
    if isinstance(found, str):
        return {**out, "action": "none", "reason": found, "check": None}
    predecessor, _promoted_on = found
    check = {"snapshot_id": snapshot_id, **_compare(cfg, df, champion, predecessor)}
    if check["outcome"] == "undecided":
        return {**out, "action": "none", "reason": check["why"], "check": check}
    if check["outcome"] == "keep":
        tags.write(client, cfg, champion, {tags.POST_PROMOTION_CHECK: dumps(check, compact=True)[:4900]})
        return {
            **out,
            "action": "keep",
            "reason": f"v{champion} is not worse than v{predecessor}",
            "check": check,
        }
    reason = _evidence_text(cfg, champion, snapshot_id, check)
    try:
        rolled = rollback(
            cfg,
            to_version=predecessor,
            reason=reason,
            actor=AUTO_ROLLBACK_ACTOR,
            context=context,
            expected_champion=champion,
            evidence={
                "snapshot_id": snapshot_id,
                "metric": {
                    "name": check["metric"],
                    "champion": check["champion_score"],
                    "predecessor": check["predecessor_score"],
                    "ci_low": check["ci_low"],
                    "ci_high": check["ci_high"],
                },
            },
        )
    except TransientError:  # LockTimeout and LockLost included
        raise  # the registry or its lock blinked: retry the check, do not record "refused"
    except MlopsError as exc:  # a promotion landed in between: the new champion is judged on its own
        return {**out, "action": "none", "reason": f"rollback refused: {exc}", "check": check}
    tags.write(client, cfg, champion, {tags.POST_PROMOTION_CHECK: dumps(check, compact=True)[:4900]})
    log.warning("%s: %s", cfg.name, reason)
    return {**out, "action": "rollback", "reason": reason, "check": check, "rollback": rolled}


__all__ = ["AUTO_ROLLBACK_ACTOR", "check_champion"]
