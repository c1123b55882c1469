"""Every flag and argument of every `mlops` subcommand, nested ones included, says what it does."""

from __future__ import annotations

import argparse
from typing import Any

import pytest
from airflow_champion.pipeline.cli import build_parser

pytestmark = pytest.mark.unit


def _walk(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.Action]]:
    out: list[tuple[str, Any]] = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if isinstance(action, argparse._SubParsersAction):
            helped = {a.dest for a in action._choices_actions if (a.help or "").strip()}
            out += [(f"{parser.prog} {name}", None) for name in action.choices if name not in helped]
            for sub in action.choices.values():
                out += _walk(sub)
        else:
            out.append((parser.prog, action))
    return out


def test_every_subcommand_flag_and_argument_has_help_text() -> None:
    walked = _walk(build_parser())
    missing = [
        f"{prog} {a.dest if a else '(subcommand)'}"
        for prog, a in walked
        if a is None or not (a.help or "").strip()
    ]
    assert missing == []


def test_the_walk_reaches_the_nested_snapshot_commands() -> None:
    progs = {prog for prog, _ in _walk(build_parser())}
    assert {f"mlops snapshot {c}" for c in ("import", "list", "show", "release")} <= progs
    assert "mlops init" in progs and "mlops check-config" in progs
