"""`mlops history <model> [--at TIME] [--json]`: who was champion when, from the model's ledger.

Thin: the answer is `registry.history.model_history` (the same the "Models" plugin serves at
`api/models/<model>/history`); this module lays it out for a person, one period a line.
"""

from __future__ import annotations

import argparse
from typing import Any

from airflow_champion.pipeline import steps
from airflow_champion.pipeline.commands import Text
from airflow_champion.registry import history
from airflow_champion.reports.numbers import fmt

MAX_REASON = 60
"""Characters of a reason in the table (the whole one: --json)."""


def _time(value: str) -> str:
    """argparse type of --at: a bad time is a usage error that names the value."""
    try:
        history.parse_when(value)
    except history.BadTimeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def add_history(sub: Any, model_help: str) -> None:
    """`mlops history`: every champion period, or the champion at one instant (--at)."""
    h = sub.add_parser(
        "history",
        help="who was champion when: every champion period from the ledger, or the one at --at",
        description="MLflow keeps no alias history, so this reads the model's ledger: every promotion "
        "and rollback, with who, why and on which numbers. A champion alias moved outside the ledger is "
        "reported, with the window it moved in.",
    )
    h.add_argument("model", help=model_help)
    h.add_argument(
        "--at",
        default=None,
        type=_time,
        metavar="TIME",
        help=f"the champion at this instant: {history.TIME_HELP}",
    )
    h.add_argument("--json", action="store_true", help="print the answer as JSON instead of a table")
    h.set_defaults(func=cmd_history)


def cmd_history(args: argparse.Namespace) -> Any:
    result = history.model_history(steps.config(args.model), args.at)
    return result if args.json else Text(history_text(result))


def _metric(metric: Any) -> str:
    if isinstance(metric, dict) and metric.get("name"):
        text = f"{metric['name']} {fmt(metric.get('challenger'))}"
        return f"{text} vs {fmt(metric['champion'])}" if metric.get("champion") is not None else text
    return "-" if not metric else str(metric)


def _made_by(entry: dict[str, Any] | None) -> str:
    """The entry that made a version champion, in one sentence."""
    if entry is None:
        return "moved outside the ledger (no entry says who or why)"
    who = f"{entry['action']} by {entry.get('actor') or '?'}"
    if entry.get("approver"):
        who += f", approved by {entry['approver']}"
    parts = [f"ledger #{entry['seq']}: {who}", f"because: {entry.get('reason') or '-'}"]
    if entry.get("metric"):
        parts.append(_metric(entry["metric"]))
    if entry.get("dag_run_id"):
        parts.append(f"Airflow {entry.get('dag_id')} run {entry['dag_run_id']}")
    return "; ".join(parts)


def _row(p: dict[str, Any], mark: str) -> tuple[str, ...]:
    e = p["entry"] or {}
    reason = str(e.get("reason") or ("moved outside the ledger" if p["entry"] is None else "-"))
    if len(reason) > MAX_REASON:
        reason = reason[: MAX_REASON - 3] + "..."
    run = f"{e['dag_id']}/{e['dag_run_id']}" if e.get("dag_run_id") else "-"
    return (
        mark,
        f"v{p['version']}",
        f"<={p['from']}" if p["moved_outside_ledger"] else p["from"],
        (f"<={p['until']}" if p["until_after"] else p["until"]) if p["until"] else "(now)",
        str(e.get("action") or "outside"),
        f"#{e['seq']}" if e else "-",
        str(e.get("actor") or "-"),
        _metric(e.get("metric")),
        run,
        reason,
    )


def _table(periods: list[dict[str, Any]], marked: dict[str, Any] | None) -> list[str]:
    header = ("", "version", "from", "until", "by", "ledger", "actor", "metric", "airflow run", "reason")
    body = [_row(p, ">" if p is marked else "") for p in periods]
    widths = [max(len(x) for x in col) for col in zip(header, *body, strict=True)]
    return [
        "  ".join(x.ljust(w) for x, w in zip(line, widths, strict=True)).rstrip() for line in [header, *body]
    ]


def history_text(r: dict[str, Any]) -> str:
    """The answer for a person: the instant asked about (--at), the periods, and what is uncertain."""
    lines = [f"Champion history of {r['model']} (registered model {r['registered_model']}); times are UTC."]
    if r["at"] is not None:
        at = r["at"]
        read_as = f" ({at['read_as']})" if at["read_as"] else ""
        p = at["period"]
        if p is None:
            first = r["periods"][0]["from"] if r["periods"] else None
            why = f"the first champion came at {first}" if first else "the ledger has no champion yet"
            lines.append(f"At {at['when']}{read_as}: no champion ({why}).")
        else:
            since = f"at the latest {p['from']}" if p["moved_outside_ledger"] else p["from"]
            until = f"until {p['until']}" if p["until"] else "still champion"
            if p["until_after"]:
                until = f"until at the latest {p['until']}"
            lines.append(f"At {at['when']}{read_as}: v{p['version']}, champion from {since}, {until}.")
            lines.append(f"  Made champion by {_made_by(p['entry'])}.")
        lines += [f"  Uncertain: {c}." for c in at["caveats"]]
    lines.append("")
    lines += (
        _table(r["periods"], r["at"]["period"] if r["at"] else None)
        if r["periods"]
        else ["No champion yet: the ledger records no promotion."]
    )
    now = f"Now: {'v' + str(r['champion']) if r['champion'] is not None else 'no champion alias'}"
    lines += ["", now + (" (as the ledger says)." if r["champion"] == r["ledger_champion"] else ".")]
    lines += [f"WARNING: {f['message']}." for f in r["findings"]]
    if any(p["moved_outside_ledger"] or p["until_after"] for p in r["periods"]):
        lines.append("(<=T: changed outside the ledger at an unknown time, at the latest T)")
    return "\n".join(lines)


__all__ = ["add_history", "cmd_history", "history_text"]
