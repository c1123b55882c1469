"""Human approval before promotion: does a verdict need it, what the person is shown, what the answer
means for promotion. Pure functions of the config and the verdict (the evidence link is given: the
approval task logs the pending bundle first), so the Airflow task, promotion and the tests ask the same
questions.

A verdict that rejects, or a shadow run, never needs approval: nothing would move. When approval is
needed, only an `approved` answer lets promotion move the alias; a rejection, a timeout or no answer
at all (a CLI run, which has no approver) is recorded as a rejection that says so
(adr/0005-approval-before-promotion.md).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from airflow_champion.reports.numbers import fmt, pct, signed

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig

APPROVED, REJECTED, TIMED_OUT, NOT_REQUIRED = "approved", "rejected", "timed_out", "not_required"
STATUSES = (APPROVED, REJECTED, TIMED_OUT, NOT_REQUIRED)
_SHOWN_SLICES = 10
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~])")


def md(text: Any) -> str:
    """Data-derived text (slice labels, reasons) as literal Markdown: no link, image, HTML, code span
    or table cell can come from a value in a snapshot (snapshot ids are validated, data/ids.py)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def skipped_slices(verdict: dict[str, Any]) -> list[dict[str, Any]]:
    """The slices the slice gate did not test (too few rows, or beyond max_slices)."""
    return list(((verdict.get("slices") or {}).get("skipped")) or [])


def why_needed(cfg: ModelConfig, verdict: dict[str, Any], *, shadow: bool = False) -> list[str]:
    """Why this verdict needs a person's approval before the champion moves; empty: it does not."""
    spec = cfg.promotion.approval
    if spec.when == "never" or shadow or cfg.promotion.mode == "shadow":
        return []
    if verdict.get("decision") != "promote":
        return []
    if spec.when == "always":
        return ["promotion.approval is always"]
    when, out = spec.when, []
    first = verdict.get("champion_version") is None
    if when.first_model and first:
        out.append("first model of the name (no champion to compare with)")
    diff, rel = verdict.get("diff"), verdict.get("rel_gain")
    if when.gain_below is not None and not first and (diff is None or diff < when.gain_below):
        out.append(f"gain {signed(diff)} < gain_below {fmt(when.gain_below)}")
    if when.rel_gain_below is not None and not first and (rel is None or rel < when.rel_gain_below):
        shown = "-" if rel is None else pct(rel)
        out.append(f"relative gain {shown} < rel_gain_below {pct(when.rel_gain_below)}")
    skipped = skipped_slices(verdict)
    if when.slice_skipped and skipped:
        out.append(f"{len(skipped)} slice(s) not tested by the slice gate")
    return out


def refusal(cfg: ModelConfig, verdict: dict[str, Any], answer: dict[str, Any] | None) -> str | None:
    """Why promotion must not move the alias given this approval answer; None: it may.

    Only asked for a verdict that would promote; an answer is trusted only as `approved`."""
    needed = why_needed(cfg, verdict)
    if not needed:
        return None
    status = (answer or {}).get("status")
    if status == APPROVED:
        return None
    if status == REJECTED:
        return f"approval rejected by {answer_by(answer)} at {(answer or {}).get('at') or '?'}"
    if status == TIMED_OUT:
        return f"approval timed out after {(answer or {}).get('timeout') or cfg.promotion.approval.timeout}"
    return (
        f"approval required ({'; '.join(needed)}) but none was given: promote through the "
        f"{cfg.name}_retrain DAG, where a person approves"
    )


def answer_by(answer: dict[str, Any] | None) -> str:
    return str((answer or {}).get("by") or "nobody")


def ledger_record(answer: dict[str, Any] | None) -> dict[str, Any] | None:
    """The approval as a ledger entry keeps it: status, by whom, when, why it was asked."""
    if not answer:
        return None
    keep = ("status", "by", "by_id", "at", "asked_because", "timeout", "approvers")
    return {k: answer[k] for k in keep if answer.get(k) not in (None, [], "")}


def subject(cfg: ModelConfig, verdict: dict[str, Any]) -> str:
    metric, ch = verdict.get("metric"), verdict.get("challenger_version")
    champion = verdict.get("champion_version")
    if champion is None:
        return (
            f"Promote {cfg.name} v{ch}, the first champion? {metric} {fmt(verdict.get('challenger_score'))}"
        )
    return f"Promote {cfg.name} v{ch} over v{champion}? {metric} gain {signed(verdict.get('diff'))}"


def body(cfg: ModelConfig, verdict: dict[str, Any], needed: list[str], evidence: str | None) -> str:
    """What the approver reads (Markdown): the verdict's numbers, why they are asked, the evidence."""
    metric, ch, cp = verdict.get("metric"), verdict.get("challenger_version"), verdict.get("champion_version")
    rows = [
        "| | " + md(metric) + " |",
        "|---|---|",
        f"| challenger v{ch} | {fmt(verdict.get('challenger_score'))} |",
    ]
    if cp is not None:
        rel = verdict.get("rel_gain")
        conf = verdict.get("confidence")
        rows += [
            f"| champion v{cp} | {fmt(verdict.get('champion_score'))} |",
            f"| gain | {signed(verdict.get('diff'))}" + (f" ({pct(rel)})" if rel is not None else "") + " |",
            f"| {pct(conf) if conf else ''} CI of the gain | [{signed(verdict.get('ci_low'))}, "
            f"{signed(verdict.get('ci_high'))}] |",
        ]
    else:
        rows.append(f"| floor | {fmt(verdict.get('floor'))} |")
    lines = [
        f"**{md(cfg.name)}**: the gate would promote challenger v{ch}"
        + (f" over champion v{cp}" if cp is not None else " as the first champion")
        + f", judged on snapshot `{verdict.get('snapshot_id')}` ({fmt(verdict.get('holdout_rows'))} rows).",
        "",
        *rows,
        "",
        "**Approval asked because**: " + "; ".join(needed) + ".",  # our sentences: numbers, config keys
    ]
    skipped = skipped_slices(verdict)
    if skipped:
        shown = [
            f"{md(s.get('column'))}={md(s.get('slice'))} ({fmt(s.get('rows'))} rows, {md(s.get('reason'))})"
            for s in skipped[:_SHOWN_SLICES]
        ]
        more = f", and {len(skipped) - _SHOWN_SLICES} more" if len(skipped) > _SHOWN_SLICES else ""
        lines += ["", "**Slices not tested**: " + "; ".join(shown) + more + "."]
    reasons = [f"- {md(r)}" for r in verdict.get("reasons") or []]
    if reasons:
        lines += ["", "**The gate's reasons**:", *reasons]
    links = [
        f"[Evidence bundle]({evidence})"
        if evidence
        else f"Evidence bundle of v{ch}: not recorded (the approval task's log says why)"
    ]
    if verdict.get("eval_run_url"):
        links.append(f"[Evaluation run]({verdict['eval_run_url']})")
    spec = cfg.promotion.approval
    lines += [
        "",
        " · ".join(links),
        "",
        f"**Approve** moves alias `champion` to v{ch}. **Reject** moves nothing and records the rejection "
        f"in the ledger. No answer within {spec.timeout} rejects.",
    ]
    return "\n".join(lines)


__all__ = [
    "APPROVED",
    "NOT_REQUIRED",
    "REJECTED",
    "STATUSES",
    "TIMED_OUT",
    "body",
    "ledger_record",
    "md",
    "refusal",
    "skipped_slices",
    "subject",
    "why_needed",
]
