"""What each `mlops` subcommand does: a thin call into pipeline.steps (or the demo package)."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from airflow_champion.pipeline import chain, steps


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
    from airflow_champion.config import list_config_names
    from airflow_champion.config.checks import check_estimator_importable

    out = {}
    for name in args.models or list_config_names():
        cfg = steps.config(name)
        check_estimator_importable(cfg)
        out[name] = {"ok": True, "config_hash": cfg.config_hash}
    return out


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


def cmd_demo(args: argparse.Namespace) -> Any:
    from airflow_champion_demo import driver

    return driver.run_demo(reset=not args.keep, model=args.model)
