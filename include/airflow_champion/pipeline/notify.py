"""The e-mail of a model event (promote, reject, rollback, failure, drift retrain): subject and HTML
body from the step's own JSON result, so the message carries the numbers the decision was made on.

No Airflow here: the Airflow side (operators.notifications) reads the XComs and the task's URLs from
the context and hands them in; this module adds the MLflow links and renders the two templates
(reports/templates/notification*.j2). Every function tolerates missing keys: a message is never
the reason a notification is not sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_champion.registry import tracking
from airflow_champion.reports.render import render

MAX_SUBJECT = 200
MAX_ERROR = 4000
"""Characters of an exception's text kept in a failure e-mail (the task log has all of it)."""
_SCHEMES = ("http://", "https://", "file://", "s3://")

Links = Sequence[tuple[str, str | None]]
"""(name, URL) pairs; a pair without a URL is left out."""


@dataclass(frozen=True)
class Message:
    event: str
    subject: str
    html: str


def promotion_event(result: Mapping[str, Any]) -> str | None:
    """promote or reject (a shadow decision counts as the one it would have made), None otherwise."""
    decision = result.get("decision")
    return str(decision) if decision in ("promote", "reject") else None


def _browsable(uri: Any) -> str | None:
    if not uri:
        return None
    text = str(uri)
    return text if "://" in text else f"file://{text}"


def _version_link(model: str, label: str, version: Any) -> tuple[str, str | None]:
    if version is None:
        return (label, None)
    try:
        return (f"{label} v{int(version)}", tracking.model_version_url(model, int(version)))
    except (TypeError, ValueError):
        return (label, None)


def _message(event: str, model: str, links: Links, **values: Any) -> Message:
    kept = [(name, url) for name, url in links if url and str(url).startswith(_SCHEMES)]
    context = {"event": event, "model": model, **values}
    subject = " ".join(render("notification_subject.txt.j2", **context).split())
    if len(subject) > MAX_SUBJECT:
        subject = subject[: MAX_SUBJECT - 3] + "..."
    html = render("notification.html.j2", title=subject, headline=subject, links=kept, **context)
    return Message(event=event, subject=subject, html=html)


def promotion_message(
    model: str, result: Mapping[str, Any], verdict: Mapping[str, Any] | None, links: Links = ()
) -> Message | None:
    """The promote task's decision (its XCom) with the evaluation verdict's numbers."""
    event = promotion_event(result)
    if event is None:
        return None
    verdict = verdict or {}
    to_version = result.get("to_version", verdict.get("challenger_version"))
    from_version = result.get("from_version", verdict.get("champion_version"))
    bundle = result.get("evidence") or {}
    mlflow_links = [
        ("Evidence bundle", bundle.get("url") if bundle.get("logged") else None),
        _version_link(model, "MLflow: challenger", to_version),
        _version_link(model, "MLflow: champion before", from_version),
        ("MLflow: evaluation run", verdict.get("eval_run_url")),
        ("Evaluation report", _browsable(verdict.get("report_uri"))),
    ]
    return _message(
        event,
        model,
        [*links, *mlflow_links],
        shadow=bool(result.get("shadow")),
        to_version=to_version,
        from_version=from_version,
        champion=result.get("champion"),
        snapshot_id=verdict.get("snapshot_id"),
        metric=verdict.get("metric"),
        challenger_score=verdict.get("challenger_score"),
        champion_score=verdict.get("champion_score"),
        diff=verdict.get("diff"),
        ci_low=verdict.get("ci_low"),
        ci_high=verdict.get("ci_high"),
        confidence=verdict.get("confidence"),
        holdout_rows=verdict.get("holdout_rows"),
        ledger_seq=result.get("ledger_seq"),
        reasons=[str(r) for r in result.get("reasons") or verdict.get("reasons") or []],
    )


def rollback_message(
    model: str, result: Mapping[str, Any], links: Links = (), *, reason: str | None = None
) -> Message | None:
    """A champion moved back: the rollback DAG's result, or check_champion's automatic one (its
    result carries the move under `rollback`). None when nothing moved."""
    automatic = result.get("action") == "rollback"
    moved = result.get("rollback") if automatic else result
    if not isinstance(moved, Mapping) or not moved.get("rolled_back"):
        return None
    why = reason if reason is not None else result.get("reason")
    return _message(
        "rollback",
        model,
        [
            *links,
            _version_link(model, "MLflow: champion now", moved.get("to_version")),
            _version_link(model, "MLflow: rolled back from", moved.get("from_version")),
        ],
        automatic=automatic,
        from_version=moved.get("from_version"),
        to_version=moved.get("to_version"),
        ledger_seq=moved.get("ledger_seq"),
        reasons=[str(why)] if why else [],
    )


def failure_message(
    model: str,
    *,
    dag_id: str,
    task_id: str,
    run_id: str,
    error: BaseException | str | None,
    try_number: int | None = None,
    snapshot_id: str | None = None,
    links: Links = (),
) -> Message:
    """A task that failed for good (after its retries): which one, of which run, and why."""
    error_type = type(error).__name__ if isinstance(error, BaseException) else "error"
    text = str(error) if error is not None else "no exception was recorded (see the task log)"
    if len(text) > MAX_ERROR:
        text = text[:MAX_ERROR] + f"... ({len(text) - MAX_ERROR} more characters in the task log)"
    return _message(
        "failure",
        model,
        links,
        dag_id=dag_id,
        task_id=task_id,
        run_id=run_id,
        try_number=try_number,
        snapshot_id=snapshot_id,
        error_type=error_type,
        error=text,
        reasons=[],
    )


def drift_retrain_message(
    model: str,
    decision: Mapping[str, Any],
    *,
    retrain_run_id: str | None,
    links: Links = (),
) -> Message:
    """The drift DAG started a retrain: on which snapshot, against which champion, and why."""
    conf = decision.get("conf") if isinstance(decision.get("conf"), Mapping) else {}
    reason = decision.get("reason") or (conf or {}).get("reason")
    return _message(
        "drift_retrain",
        model,
        [
            *links,
            _version_link(model, "MLflow: champion", decision.get("champion_version")),
            ("Drift report", _browsable(decision.get("report_uri"))),
        ],
        snapshot_id=decision.get("snapshot_id") or (conf or {}).get("snapshot_id"),
        champion_version=decision.get("champion_version"),
        share_drifted=decision.get("share_drifted"),
        drifted_features=[str(f) for f in decision.get("drifted_features") or []],
        retrain_run_id=retrain_run_id,
        reasons=[str(reason)] if reason else [],
    )


__all__ = [
    "Message",
    "drift_retrain_message",
    "failure_message",
    "promotion_event",
    "promotion_message",
    "rollback_message",
]
