"""The gates of a retraining run, the champion check and the rollback: thin calls into pipeline.steps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_champion.operators.base import (
    GateFailed,
    MlopsOperator,
    actor,
    as_bool,
    as_optional_int,
    run_lineage,
)
from airflow_champion.operators.champion import emit_move
from airflow_champion.operators.links import (
    EvidenceLink,
    MlflowRunLink,
    ModelVersionLink,
    ReportLink,
    report_url,
)

if TYPE_CHECKING:
    from airflow.sdk import Context


class ValidateSnapshotOperator(MlopsOperator):
    """Validate a snapshot with the model's Great Expectations suite; quarantine it if it fails.

    :param model: model config name (templated)
    :param snapshot_id: snapshot id (templated; usually the claim task's output) or "latest"
    """

    template_fields = ("model", "snapshot_id")
    operator_extra_links = (ReportLink(),)

    def __init__(self, *, model: str, snapshot_id: str = "latest", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.snapshot_id = snapshot_id

    def run(self, context: Context) -> dict[str, Any]:
        from airflow_champion.pipeline import decision_log, steps

        result = steps.validate(self.cfg, str(self.snapshot_id or "latest"))
        ReportLink.persist(context, report_url(result.get("report_uri")))
        self.log.info("%s", decision_log.validated(result))
        return result


class CheckChampionOperator(MlopsOperator):
    """Score the champion on the new labelled snapshot before training on it; on the first snapshot
    after a promotion, roll the champion back (and revoke it) if it is clearly worse than its
    predecessor (promotion.auto_rollback). Nothing to check (no champion) is not a failure.
    A rollback is a champion move: with `outlets=[champion.champion_moves(model)]` it adds the champion
    asset event (and only then: the task succeeds without a move too).

    :param snapshot_id: the validated snapshot (templated; usually the validate task's output)
    """

    template_fields = ("model", "snapshot_id")
    operator_extra_links = (ModelVersionLink(),)

    def __init__(self, *, model: str, snapshot_id: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.snapshot_id = snapshot_id

    def run(self, context: Context) -> dict[str, Any]:
        from airflow_champion.pipeline import decision_log, steps
        from airflow_champion.registry import tracking

        result = steps.check_champion(self.cfg, str(self.snapshot_id), context=run_lineage(context))
        rolled = result.get("rollback") or {}
        if result.get("action") == "rollback" and rolled.get("rolled_back"):
            moved = {"from_version": rolled.get("from_version"), "to_version": rolled.get("to_version")}
            emit_move(context, list(self.outlets or []), self.model, {"model": self.model, **moved})
        if result.get("champion") is not None:
            ModelVersionLink.persist(context, tracking.model_version_url(self.model, result["champion"]))
        self.log.info("%s", decision_log.champion_checked(result))
        return result


class TrainModelOperator(MlopsOperator):
    """Train the challenger on a validated snapshot, log it to MLflow and alias it `challenger`.

    :param snapshot_id: the validated snapshot (templated; usually the validate task's output)
    :param expected_sha256: hash the snapshot had when validated (templated); a change is refused
    :param force: train a new version even if this snapshot and config were trained before (templated)
    """

    template_fields = ("model", "snapshot_id", "expected_sha256", "force")
    operator_extra_links = (MlflowRunLink(), ModelVersionLink())

    def __init__(
        self,
        *,
        model: str,
        snapshot_id: Any,
        expected_sha256: Any = None,
        force: Any = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.snapshot_id = snapshot_id
        self.expected_sha256 = expected_sha256
        self.force = force

    def run(self, context: Context) -> dict[str, Any]:
        from airflow_champion.pipeline import decision_log, steps

        result = steps.train(
            self.cfg,
            str(self.snapshot_id),
            expected_sha256=str(self.expected_sha256) if self.expected_sha256 else None,
            force=as_bool(self.force, "force"),
            lineage=run_lineage(context),
        )
        MlflowRunLink.persist(context, result.get("run_url"))
        ModelVersionLink.persist(context, result.get("version_url"))
        self.log.info("%s", decision_log.trained(result))
        return result


class EvaluateChallengerOperator(MlopsOperator):
    """Compare challenger and champion on the same holdout; return the verdict.

    :param snapshot_id: snapshot whose holdout is used (templated)
    :param challenger_version: registered version to judge (templated)
    """

    template_fields = ("model", "snapshot_id", "challenger_version")
    operator_extra_links = (MlflowRunLink(), ModelVersionLink(), ReportLink())

    def __init__(self, *, model: str, snapshot_id: Any, challenger_version: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.snapshot_id = snapshot_id
        self.challenger_version = challenger_version

    def run(self, context: Context) -> dict[str, Any]:
        from airflow_champion.pipeline import decision_log, steps
        from airflow_champion.registry import tracking

        version = as_optional_int(self.challenger_version, "challenger_version")
        if version is None:
            raise GateFailed("challenger_version is required")
        verdict = steps.evaluate(self.cfg, str(self.snapshot_id), version)
        MlflowRunLink.persist(context, verdict.get("eval_run_url"))
        ModelVersionLink.persist(context, tracking.model_version_url(self.model, version))
        ReportLink.persist(context, report_url(verdict.get("report_uri")))
        self.log.info("%s", decision_log.judged(verdict))
        for reason in verdict.get("reasons", [])[1:]:
            self.log.info("  also: %s", reason)
        return verdict


class PromoteModelOperator(MlopsOperator):
    """Move alias `champion` to the challenger if the verdict says so (compare-and-set).

    A rejected challenger is not a failure: the decision is written to the ledger, the task returns
    ``{"promoted": false, ...}`` and the champion is untouched.

    :param verdict: the evaluation verdict (templated; usually the evaluate task's output)
    :param shadow: record the decision as a ledger `shadow` entry and move nothing (templated; the
        config's `promotion.mode: shadow` does the same for every run)
    :param approval: the approval task's answer (templated; operators/approval.py), recorded in the
        ledger entry; where the config asks for approval only `approved` moves the alias
    """

    template_fields = ("model", "verdict", "shadow", "approval")
    operator_extra_links = (ModelVersionLink(), EvidenceLink())

    def __init__(
        self, *, model: str, verdict: Any, shadow: Any = False, approval: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.verdict = verdict
        self.shadow = shadow
        self.approval = approval

    def run(self, context: Context) -> dict[str, Any]:
        from airflow_champion.pipeline import decision_log, steps
        from airflow_champion.registry import tracking

        if not isinstance(self.verdict, dict):
            raise GateFailed(f"verdict must be a mapping, got {type(self.verdict).__name__}")
        if self.approval is not None and not isinstance(self.approval, dict):
            raise GateFailed(f"approval must be a mapping, got {type(self.approval).__name__}")
        answer = {"approval": self.approval} if self.approval is not None else {}
        result = steps.promote(
            self.cfg,
            self.verdict,
            actor=actor(context),
            context={**run_lineage(context), **answer},
            run_id=str(context["run_id"]),
            shadow=as_bool(self.shadow, "shadow"),
        )
        if result.get("promoted"):
            ModelVersionLink.persist(context, tracking.model_version_url(self.model, result["to_version"]))
        bundle = result.get("evidence") or {}
        EvidenceLink.persist(context, bundle.get("url") if bundle.get("logged") else None)
        self.log.info("%s", decision_log.promoted(result))
        return result


class RollbackModelOperator(MlopsOperator):
    """Move alias `champion` back to the previous champion (or a named version), with a reason.

    :param to_version: version to restore; empty means the previous champion per the ledger (templated)
    :param reason: why, recorded in the ledger (templated)
    :param expected_champion: the champion the rollback was decided against; if another version is
        champion by the time the task runs (a promotion landed in between), the rollback is refused
        and recorded as a ledger conflict instead of undoing the wrong version. Empty: no guard
        (templated)
    """

    template_fields = ("model", "to_version", "reason", "expected_champion")
    operator_extra_links = (ModelVersionLink(),)

    def __init__(
        self,
        *,
        model: str,
        reason: str,
        to_version: Any = None,
        expected_champion: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.to_version = to_version
        self.reason = reason
        self.expected_champion = expected_champion

    def run(self, context: Context) -> dict[str, Any]:
        from airflow_champion.pipeline import steps
        from airflow_champion.registry import tracking

        result = steps.rollback(
            self.cfg,
            to_version=as_optional_int(self.to_version, "to_version"),
            reason=str(self.reason),
            actor=actor(context),
            context=run_lineage(context),
            expected_champion=as_optional_int(self.expected_champion, "expected_champion"),
        )
        ModelVersionLink.persist(context, tracking.model_version_url(self.model, result["to_version"]))
        self.log.info("Rolled %s back to v%s", self.model, result["to_version"])
        return result
