"""Each step's decision as one log line with its numbers: what a person scanning a task log (or the
CLI's stderr) needs to know without opening XCom. One place, so the DAG and the CLI say the same.

Every function takes the step's JSON result (the XCom value) and tolerates missing keys: a line is
never the reason a task fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_champion.reports.numbers import fmt, pct, signed


def _v(version: Any) -> str:
    return "none" if version is None else f"v{version}"


def claimed(result: Mapping[str, Any]) -> str:
    return f"claim: snapshot {result.get('snapshot_id')} is this run's ({result.get('reason', '')})"


def validated(result: Mapping[str, Any]) -> str:
    stats = result.get("statistics") or {}
    return (
        f"validate: snapshot {result.get('snapshot_id')} passed, {result.get('rows')} rows, "
        f"{stats.get('successful', '?')}/{stats.get('evaluated', '?')} expectations met"
    )


def champion_checked(result: Mapping[str, Any]) -> str:
    perf = result.get("performance") or {}
    head = f"check_champion: {result.get('action')} ({result.get('reason')})"
    if result.get("champion") is None or not perf:
        return head
    return (
        f"{head}; champion {_v(result.get('champion'))} scores {perf.get('metric')} {fmt(perf.get('score'))} "
        f"on {result.get('snapshot_id')} vs {fmt(perf.get('promoted_score'))} when promoted "
        f"(drop {fmt(perf.get('drop'))})"
    )


def trained(result: Mapping[str, Any]) -> str:
    scores = (result.get("metrics") or {}).items()
    metrics = ", ".join(f"{k.removeprefix('holdout_')} {fmt(v)}" for k, v in scores)
    how = "reused (same snapshot and config)" if result.get("reused") else "new"
    return (
        f"train: challenger {_v(result.get('version'))} {how}, {result.get('train_rows')} train / "
        f"{result.get('holdout_rows')} holdout rows; holdout {metrics or 'no metrics'}"
    )


def judged(verdict: Mapping[str, Any]) -> str:
    metric = verdict.get("metric")
    line = (
        f"evaluate: {verdict.get('decision')} challenger {_v(verdict.get('challenger_version'))} "
        f"{metric} {fmt(verdict.get('challenger_score'))} vs champion {_v(verdict.get('champion_version'))} "
        f"{fmt(verdict.get('champion_score'))}"
    )
    if verdict.get("ci_low") is not None:
        line += (
            f", gain {signed(verdict.get('diff'))} ({pct(verdict.get('confidence') or 0)} CI low "
            f"{signed(verdict.get('ci_low'))})"
        )
    line += f" on {verdict.get('holdout_rows')} judged rows"
    reasons = verdict.get("reasons") or []
    return f"{line}; {reasons[0]}" if reasons else line


def promoted(result: Mapping[str, Any]) -> str:
    if result.get("shadow"):
        would = "promote" if result.get("would_promote") else "reject"
        return f"promote (shadow): would {would} {_v(result.get('to_version'))}; champion unchanged"
    if result.get("promoted"):
        return (
            f"promote: champion {_v(result.get('from_version'))} -> {_v(result.get('to_version'))} "
            f"(ledger #{result.get('ledger_seq', '?')})"
        )
    rejected = _v(result.get("to_version"))
    return f"promote: rejected {rejected}; champion unchanged ({result.get('reason', '')})"
