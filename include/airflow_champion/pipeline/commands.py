"""What each `mlops` subcommand does: a thin call into pipeline.steps (or the demo package)."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from airflow_champion.errors import MlopsError
from airflow_champion.pipeline import chain, steps


class Text(str):
    """A result for a person: printed as it is, not as JSON."""


@dataclass(frozen=True)
class Refused:
    """A result printed like any other, after which the command exits with EXIT_GATE."""

    result: Any


def _read_json_arg(value: str) -> Any:
    text = sys.stdin.read() if value == "-" else Path(value).read_text(encoding="utf-8")
    return json.loads(text)


def _lineage(args: argparse.Namespace) -> dict[str, str]:
    """The Airflow run a pod works for (passed as arguments), else 'cli'."""
    return {
        "trigger_reason": args.reason,
        "dag_id": args.dag_id,
        "run_id": args.run_id,
        "run_type": args.run_type,
    }


def cmd_generate(args: argparse.Namespace) -> Any:
    from airflow_champion_demo import datagen

    if args.model in datagen.SCENARIOS:  # time-ordered scenarios land their own weekly extracts
        return [
            m.to_dict()
            for m in datagen.SCENARIOS[args.model](steps.config(args.model), weeks=args.weeks, seed=args.seed)
        ]
    manifests = datagen.write_weekly_snapshots(
        steps.config(args.model),
        start=date.fromisoformat(args.start),
        weeks=args.weeks,
        rows=args.rows,
        seed=args.seed,
        label_noise=args.label_noise,
        drift=args.drift,
        corruption=args.corrupt,
        fmt=args.format,
    )
    return [m.to_dict() for m in manifests]


def cmd_validate(args: argparse.Namespace) -> Any:
    return steps.validate(args.model, args.snapshot)


def cmd_check_champion(args: argparse.Namespace) -> Any:
    return steps.check_champion(args.model, args.snapshot, context=_lineage(args))


def cmd_train(args: argparse.Namespace) -> Any:
    return steps.train(
        args.model,
        args.snapshot,
        expected_sha256=args.expected_sha256,
        force=args.force,
        lineage=_lineage(args),
    )


def cmd_evaluate(args: argparse.Namespace) -> Any:
    return steps.evaluate(args.model, args.snapshot, args.challenger)


def cmd_drift(args: argparse.Namespace) -> Any:
    return steps.drift(args.model, args.snapshot, lineage=_lineage(args), force=args.force)


def cmd_promote(args: argparse.Namespace) -> Any:
    return steps.promote(args.model, _read_json_arg(args.verdict), actor=args.actor, shadow=args.shadow)


def cmd_rollback(args: argparse.Namespace) -> Any:
    return steps.rollback(
        args.model,
        to_version=args.to,
        reason=args.reason,
        actor=args.actor,
        expected_champion=args.expected_champion,
    )


def cmd_status(args: argparse.Namespace) -> Any:
    return steps.status(args.model)


def cmd_check_config(args: argparse.Namespace) -> Any:
    """Every config, every problem; exits EXIT_GATE when any config has one."""
    from airflow_champion.pipeline.check_config import check_configs

    report = check_configs(args.models or None)
    return report if all(r["ok"] for r in report.values()) else Refused(report)


def cmd_init(args: argparse.Namespace) -> Any:
    from airflow_champion.pipeline.init_model import init_model

    result = init_model(
        args.model,
        args.source,
        target=args.target,
        task=args.task,
        time_column=args.time_column,
        group_column=args.group_column,
        metric=args.metric,
        force=args.force,
        csv_delimiter=args.csv_delimiter,
        csv_encoding=args.csv_encoding,
        prog=getattr(args, "prog", "mlops"),
    )
    return result.as_dict() if args.json else Text(init_text(result.as_dict()))


def init_text(r: dict[str, Any]) -> str:
    """What `mlops init` did, for a person: the files, the guesses, what was left out, what next."""
    suite = "written" if r["suite_written"] else "kept as it was"
    lines = [
        f"Wrote {r['config_path']} ({r['task']}, {r['features']} features).",
        f"Suite file {r['suite_path']}: {suite}.",
        "",
        "Guessed (each has a comment in the config; edit it if it is wrong):",
        *(f"  - {note}" for note in r["notes"]),
    ]
    if r["left_out"]:
        lines += ["Left out:", *(f"  - {name}: {why}" for name, why in r["left_out"].items())]
    return "\n".join([*lines, "", "Next:", *(f"  {c}" for c in r["next_commands"])])


def cmd_snapshot_import(args: argparse.Namespace) -> Any:
    from airflow_champion.pipeline import snapshot_commands

    result = snapshot_commands.import_file(
        steps.config(args.model),
        args.file,
        snapshot_id=args.id,
        fmt=args.format,
        prog=getattr(args, "prog", "mlops"),
    )
    return result if args.json else Text(snapshot_commands.import_text(result))


def cmd_snapshot_list(args: argparse.Namespace) -> Any:
    from airflow_champion.pipeline import snapshot_commands

    rows = snapshot_commands.list_rows(steps.config(args.model))
    return rows if args.json else Text(snapshot_commands.table(rows))


def cmd_snapshot_show(args: argparse.Namespace) -> Any:
    from airflow_champion.pipeline import snapshot_commands

    return snapshot_commands.show(steps.config(args.model), args.snapshot_id)


def cmd_snapshot_release(args: argparse.Namespace) -> Any:
    from airflow_champion.pipeline import snapshot_commands

    return snapshot_commands.release(
        steps.config(args.model),
        args.snapshot_id,
        reason=args.reason,
        actor=args.actor,
        prog=getattr(args, "prog", "mlops"),
    )


def cmd_run(args: argparse.Namespace) -> Any:
    """claim -> validate -> train -> evaluate -> promote without Airflow (a pod or a laptop)."""
    return chain.run_retrain(
        args.model,
        args.snapshot,
        run_id=f"cli-{uuid.uuid4().hex[:12]}",
        reason=args.reason,
        force=args.force,
        actor=args.actor,
        shadow=args.shadow,
    )


def cmd_replay(args: argparse.Namespace) -> Any:
    from airflow_champion.config.loading import load_overrides

    overrides = load_overrides(args.policy) if args.policy else None
    result = steps.replay(
        args.model,
        from_id=args.from_id,
        to_id=args.to_id,
        overrides=overrides,
        overrides_source=str(args.policy or "<overrides>"),
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    return {k: result[k] for k in ("model", "replay_id", "total", "report_uri", "json_uri", "holdout")}


def cmd_airflow(args: argparse.Namespace) -> Any:
    from airflow_champion.pipeline import airflow_env

    if args.env:
        return Text(airflow_env.shell_exports(airflow_env.airflow_env()))
    if not args.airflow_args:
        raise MlopsError("say what airflow should run, e.g. `mlops airflow dags list`")
    airflow_env.exec_airflow(list(args.airflow_args))
    return None  # not reached: exec_airflow replaces this process


def cmd_demo(args: argparse.Namespace) -> Any:
    from airflow_champion_demo import driver

    return driver.run_demo(reset=not args.keep, model=args.model)
