"""Recording a challenger's evidence bundle (reports.evidence) at promote, once the decision is known
(and, with the decision pending, when a person is asked to approve it: `record_pending`).

`locate` says where the bundle of a verdict's challenger goes (its training run, `evidence/`), so
the ledger entry of the decision can point at it; `record` gathers what the earlier steps recorded,
logs `evidence/evidence.json` and `evidence/evidence.html` to that run and tags the version. Neither
fails the gate for a permanent fault (the decision stands without its bundle, said in the result);
a transient one is a TransientError, so the promote task is retried (promotion is idempotent).
See adr/0001-one-evidence-bundle-per-candidate.md.
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_champion.errors import MlopsError, classified, is_transient
from airflow_champion.registry import tags, tracking
from airflow_champion.reports import evidence
from airflow_champion.reports.jsonsafe import dumps

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig

log = logging.getLogger(__name__)

DRIFT_FIELDS = ("drifted", "share_drifted", "drifted_features", "reason", "champion_version", "computed_at")


def _tolerated(cfg: ModelConfig, exc: Exception, doing: str) -> str:
    """A fault of the bundle: transient is raised (retry), permanent is logged and returned."""
    if is_transient(exc):
        raise classified(exc, MlopsError, f"{cfg.name}: {doing}") from exc
    why = f"{doing}: {type(exc).__name__}: {exc}"[:500]
    log.warning("%s: %s; the decision stands without its evidence bundle", cfg.name, why)
    return why


def locate(cfg: ModelConfig, verdict: dict[str, Any]) -> dict[str, Any] | None:
    """Where the bundle of the verdict's challenger is logged: {run_id, experiment_id, path, uri}.

    None when there is none to write: a version judged against itself (its bundle is the one of the
    decision that made it champion), or a version without a readable training run.
    """
    try:
        version = int(verdict["challenger_version"])
        same = verdict.get("champion_version") is not None and int(verdict["champion_version"]) == version
    except (KeyError, TypeError, ValueError):  # promote refuses such a verdict by name
        return None
    if same:
        return None
    try:
        client = tracking.client()
        mv = client.get_model_version(cfg.registered_model_name, str(version))
        if not mv.run_id:
            return None
        run = client.get_run(mv.run_id)
    except Exception as exc:  # the registry or the tracking store
        _tolerated(cfg, exc, f"cannot find the training run of v{version}")
        return None
    return {
        "run_id": run.info.run_id,
        "experiment_id": str(run.info.experiment_id),
        "path": evidence.HTML_PATH,
        "uri": f"{run.info.artifact_uri.rstrip('/')}/{evidence.HTML_PATH}",
    }


def url(where: dict[str, Any]) -> str:
    """The MLflow UI page of the bundle (the run's artifact view with the page selected)."""
    return tracking.artifact_url(str(where["experiment_id"]), str(where["run_id"]), str(where["path"]))


def _read_json(cfg: ModelConfig, rel: str) -> dict[str, Any] | None:
    from airflow_champion.data.storage import open_store

    store = open_store(cfg.snapshot_root())
    if not store.exists(rel):
        return None
    value = json.loads(store.read_bytes(rel))
    return value if isinstance(value, dict) else None


def _validation(cfg: ModelConfig, snapshot_id: str) -> dict[str, Any] | None:
    from airflow_champion.data import layout
    from airflow_champion.data.storage import open_store
    from airflow_champion.validation.gate import VALIDATION_JSON

    payload = _read_json(cfg, layout.report(snapshot_id, VALIDATION_JSON))
    page = layout.report(snapshot_id, "validation.html")
    return evidence.validation_summary(payload, open_store(cfg.snapshot_root()).uri(page))


def _drift(cfg: ModelConfig, snapshot_id: str, trigger_reason: str | None) -> dict[str, Any] | None:
    """The drift that started this retrain (its once-per-snapshot marker and the snapshot's verdict);
    None when the run was not drift-started."""
    from airflow_champion.data import layout
    from airflow_champion.monitoring.gate import DRIFT_RETRAIN
    from airflow_champion.monitoring.report import VERDICT_JSON

    marker = _read_json(cfg, layout.claim(snapshot_id, DRIFT_RETRAIN))
    if marker is None and "drift" not in (trigger_reason or "").lower():
        return None
    verdict = _read_json(cfg, layout.report(snapshot_id, VERDICT_JSON)) or {}
    out: dict[str, Any] = {"trigger_reason": trigger_reason}
    if marker:
        out.update(retrain_reason=marker.get("reason"), started_by=marker.get("by"))
        out["started_at"] = marker.get("at")
    out.update({f"verdict_{k}": verdict.get(k) for k in DRIFT_FIELDS if k in verdict})
    if verdict.get("verdict_uri"):
        out["verdict_report"] = verdict["verdict_uri"]
    return out


def collect(
    cfg: ModelConfig,
    verdict: dict[str, Any],
    promotion: dict[str, Any],
    where: dict[str, Any],
    *,
    actor: str | None = None,
    context: dict[str, Any] | None = None,
    approval: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The bundle of this decision, from the training run, the snapshot's reports and the verdict."""
    run = tracking.client().get_run(str(where["run_id"]))
    version = int(verdict["challenger_version"])
    name = cfg.registered_model_name
    lin = evidence.lineage(
        dict(run.data.tags), verdict, run_id=run.info.run_id, version=version, model_name=name
    )
    lin["datasets"] = [
        {"name": d.dataset.name, "digest": d.dataset.digest, "source": d.dataset.source}
        for d in (run.inputs.dataset_inputs if run.inputs else [])
    ]
    sid = str(lin["snapshot_id"])
    training = evidence.training_summary(
        run.info.run_id,
        str(run.info.experiment_id),
        dict(run.data.params),
        dict(run.data.metrics),
        tracking.run_url(str(run.info.experiment_id), run.info.run_id),
    )
    return evidence.build_bundle(
        verdict=verdict,
        promotion=promotion,
        training=training,
        lineage=lin,
        validation=_validation(cfg, sid),
        drift=_drift(cfg, sid, lin.get("trigger_reason")),
        actor=actor,
        context=context,
        approval=approval if approval is not None else (context or {}).get("approval"),
    )


def record(
    cfg: ModelConfig,
    verdict: dict[str, Any],
    promotion: dict[str, Any],
    where: dict[str, Any] | None,
    *,
    actor: str | None = None,
    context: dict[str, Any] | None = None,
    approval: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Log the bundle to the challenger's training run and tag the version with its URI; returns
    {run_id, experiment_id, path, uri, url, logged} (logged False + error when it could not be)."""
    from airflow_champion.evaluation.report import report_sections

    if where is None:
        return None
    try:
        bundle = collect(cfg, verdict, promotion, where, actor=actor, context=context, approval=approval)
        page = evidence.render_evidence_html(bundle, report_sections(bundle["evaluation"]))
        client = tracking.client()
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / evidence.JSON_NAME).write_text(dumps(bundle), encoding="utf-8")
            (Path(tmp) / evidence.HTML_NAME).write_text(page, encoding="utf-8")
            client.log_artifacts(str(where["run_id"]), tmp, artifact_path=evidence.DIR)
        tags.write(client, cfg, int(verdict["challenger_version"]), {tags.EVIDENCE: where["uri"]})
    except Exception as exc:
        why = _tolerated(cfg, exc, f"cannot record the evidence bundle of v{verdict['challenger_version']}")
        return {**where, "url": url(where), "logged": False, "error": why}
    log.info("%s: evidence bundle of v%s at %s", cfg.name, verdict.get("challenger_version"), where["uri"])
    return {**where, "url": url(where), "logged": True}


PENDING = "pending_approval"
"""The decision of a bundle logged while a person is asked (promote overwrites it with the answer's)."""


def record_pending(
    cfg: ModelConfig,
    verdict: dict[str, Any],
    request: dict[str, Any],
    *,
    actor: str | None = None,
    context: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The bundle as the approver reads it, logged when approval is asked: the verdict's evidence with
    the decision pending, so the request's link opens a page; promote's `record` replaces it with the
    final decision. `request`: {asked_because, approvers, timeout}. Same result and faults as `record`."""
    champion = verdict.get("champion_version")
    pending = {
        "decision": PENDING,
        "promoted": False,
        "reasons": list(request.get("asked_because") or []),
        "from_version": champion,
        "champion": champion,
    }
    approval = {**request, "status": "pending"}
    where = locate(cfg, verdict)
    return record(cfg, verdict, pending, where, actor=actor, context=context, approval=approval)


__all__ = ["PENDING", "collect", "locate", "record", "record_pending", "url"]
