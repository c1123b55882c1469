"""`mlops` command line: every pipeline step, status, and the demo.

The same commands run in an Airflow task, a shell or a KubernetesPodOperator pod; each step prints
its JSON result on stdout and exits non-zero with a one-line reason when a gate refuses.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date
from pathlib import Path
from typing import Any

from include.errors import MlopsError

EXIT_GATE = 3  # a gate refused (bad data, lost compare-and-set): retrying will not help


def _print(obj: Any) -> None:
    print(json.dumps(obj, indent=2, sort_keys=True, default=str))


def _read_json_arg(value: str) -> Any:
    text = sys.stdin.read() if value == "-" else Path(value).read_text(encoding="utf-8")
    return json.loads(text)


def cmd_generate(args: argparse.Namespace) -> Any:
    from include import datagen
    from include.config import load_config

    cfg = load_config(args.model)
    manifests = datagen.write_weekly_snapshots(
        cfg,
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
    from include import steps

    return steps.validate(args.model, args.snapshot)


def _bool(value: str) -> bool:
    """Flags a pod receives as rendered templates ("True"/"False"), as well as plain --force."""
    text = str(value).strip().lower()
    if text in {"true", "1", "yes"}:
        return True
    if text in {"false", "0", "no"}:
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


def _lineage(args: argparse.Namespace) -> dict[str, str]:
    """The Airflow run a pod works for (passed as arguments), else 'cli'."""
    return {
        "trigger_reason": args.reason,
        "dag_id": args.dag_id,
        "run_id": args.run_id,
        "run_type": args.run_type,
    }


def cmd_train(args: argparse.Namespace) -> Any:
    from include import steps

    lineage = _lineage(args)
    return steps.train(
        args.model, args.snapshot, expected_sha256=args.expected_sha256, force=args.force, lineage=lineage
    )


def cmd_evaluate(args: argparse.Namespace) -> Any:
    from include import steps

    return steps.evaluate(args.model, args.snapshot, args.challenger)


def cmd_drift(args: argparse.Namespace) -> Any:
    from include import drift_monitor

    return drift_monitor.monitor(args.model, args.snapshot, lineage=_lineage(args), force=args.force)


def cmd_promote(args: argparse.Namespace) -> Any:
    from include import steps

    return steps.promote(args.model, _read_json_arg(args.verdict), actor=args.actor)


def cmd_rollback(args: argparse.Namespace) -> Any:
    from include import steps

    return steps.rollback(
        args.model,
        to_version=args.to,
        reason=args.reason,
        actor=args.actor,
        expected_champion=args.expected_champion,
    )


def cmd_status(args: argparse.Namespace) -> Any:
    from include import steps

    return steps.status(args.model)


def cmd_check_config(args: argparse.Namespace) -> Any:
    from include.config import check_estimator_importable, list_config_names, load_config

    names = args.models or list_config_names()
    out = {}
    for name in names:
        cfg = load_config(name)
        check_estimator_importable(cfg)
        out[name] = {"ok": True, "config_hash": cfg.config_hash}
    return out


def cmd_run(args: argparse.Namespace) -> Any:
    """validate -> train -> evaluate -> promote without Airflow (a pod or a laptop)."""
    import uuid

    from include import claims, steps

    run_id = f"cli-{uuid.uuid4().hex[:12]}"
    claimed = steps.claim(args.model, args.snapshot, run_id=run_id, reason=args.reason, force=args.force)
    if not claimed["granted"]:
        return {"claim": claimed, "skipped": claimed["reason"]}
    try:
        result = _run_gates(args, claimed["snapshot_id"], run_id)
    except Exception as exc:
        steps.release_claim(args.model, claimed["snapshot_id"], run_id, f"{type(exc).__name__}: {exc}")
        raise
    steps.finish_claim(args.model, claimed["snapshot_id"], run_id, claims.outcome(result["promote"]))
    return {"claim": claimed, **result}


def _run_gates(args: argparse.Namespace, snapshot_id: str, run_id: str) -> dict[str, Any]:
    from include import steps

    validated = steps.validate(args.model, snapshot_id)
    lineage = {"trigger_reason": args.reason, "dag_id": "cli", "run_id": run_id}
    trained = steps.train(
        args.model,
        validated["snapshot_id"],
        expected_sha256=validated["sha256"],
        force=args.force,
        lineage=lineage,
    )
    verdict = steps.evaluate(args.model, validated["snapshot_id"], trained["version"])
    promoted = steps.promote(args.model, verdict, actor=args.actor)
    return {"validate": validated, "train": trained, "verdict": verdict, "promote": promoted}


def cmd_demo(args: argparse.Namespace) -> Any:
    from include import demo

    return demo.run_demo(reset=not args.keep, model=args.model)


def _add_force(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", nargs="?", const=True, default=False, type=_bool, help="redo (true/false)")


def _add_lineage(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reason", default="cli")
    p.add_argument("--dag-id", default="cli")
    p.add_argument("--run-id", default="cli")
    p.add_argument("--run-type", default="cli")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mlops", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument(
        "--xcom-out",
        default=None,
        help="also write the JSON result here (a KubernetesPodOperator pod: /airflow/xcom/return.json)",
    )
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="write seeded weekly snapshots for a model")
    g.add_argument("model")
    g.add_argument("--start", default="2026-11-02", help="ISO date of the first snapshot")
    g.add_argument("--weeks", type=int, default=1)
    g.add_argument("--rows", type=int, default=5000)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--label-noise", type=float, default=0.0)
    g.add_argument(
        "--drift", default="none", choices=["none", "covariate", "categorical", "concept", "mild", "strong"]
    )
    g.add_argument(
        "--corrupt",
        default=None,
        choices=["nulls", "out_of_range", "unknown_category", "drop_column", "wrong_dtype", "single_class"],
    )
    g.add_argument("--format", default="parquet", choices=["parquet", "csv"])
    g.set_defaults(func=cmd_generate)

    v = sub.add_parser("validate", help="gate 1: validate a snapshot (quarantines it on failure)")
    v.add_argument("model")
    v.add_argument("--snapshot", default="latest")
    v.set_defaults(func=cmd_validate)

    t = sub.add_parser("train", help="gate 2: train the challenger on a snapshot")
    t.add_argument("model")
    t.add_argument("--snapshot", required=True)
    t.add_argument("--expected-sha256", default=None)
    _add_force(t)
    _add_lineage(t)
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="gate 3: challenger vs champion -> verdict JSON")
    e.add_argument("model")
    e.add_argument("--snapshot", required=True)
    e.add_argument("--challenger", type=int, required=True)
    e.set_defaults(func=cmd_evaluate)

    dr = sub.add_parser("drift", help="drift verdict + Evidently report of a snapshot vs the champion")
    dr.add_argument("model")
    dr.add_argument("--snapshot", default="latest")
    _add_force(dr)
    _add_lineage(dr)
    dr.set_defaults(func=cmd_drift)

    pr = sub.add_parser("promote", help="gate 4: compare-and-set the champion from a verdict")
    pr.add_argument("model")
    pr.add_argument("--verdict", required=True, help="verdict JSON file, or - for stdin")
    pr.add_argument("--actor", default="cli")
    pr.set_defaults(func=cmd_promote)

    r = sub.add_parser("rollback", help="move the champion back, with a reason")
    r.add_argument("model")
    r.add_argument("--to", type=int, default=None, help="version (default: previous champion)")
    r.add_argument("--reason", required=True)
    r.add_argument(
        "--expected-champion",
        type=int,
        default=None,
        metavar="N",
        help="refuse (ledger 'conflict') unless vN is still the champion, e.g. if a promotion landed since",
    )
    r.add_argument("--actor", default="cli")
    r.set_defaults(func=cmd_rollback)

    s = sub.add_parser("status", help="champion, challenger and the promotion ledger")
    s.add_argument("model")
    s.set_defaults(func=cmd_status)

    c = sub.add_parser("check-config", help="load and deep-check model configs")
    c.add_argument("models", nargs="*")
    c.set_defaults(func=cmd_check_config)

    run = sub.add_parser("run", help="the whole chain without Airflow")
    run.add_argument("model")
    run.add_argument("--snapshot", default="latest")
    run.add_argument("--force", action="store_true")
    run.add_argument("--reason", default="cli")
    run.add_argument("--actor", default="cli")
    run.set_defaults(func=cmd_run)

    d = sub.add_parser("demo", help="the embedded-default demo through Airflow (make demo)")
    d.add_argument("--model", default="churn")
    d.add_argument("--keep", action="store_true", help="keep the previous demo state")
    d.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        result = args.func(args)
    except MlopsError as exc:
        print(f"mlops {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_GATE
    if result is not None and args.command != "demo":
        _print(result)
        if args.xcom_out:
            out = Path(args.xcom_out)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result, sort_keys=True, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
