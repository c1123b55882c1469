"""`mlops` command line: every pipeline step, status, and the demo.

The same commands run in an Airflow task, a shell or a KubernetesPodOperator pod; each step prints
its JSON result on stdout and exits with EXIT_GATE and a one-line reason when a gate refuses.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from airflow_champion.errors import MlopsError, TransientError
from airflow_champion.pipeline import cli_data, commands
from airflow_champion.pipeline.history_command import add_history
from airflow_champion.pipeline.reproduce_command import add_reproduce
from airflow_champion.reports.jsonsafe import dumps

EXIT_GATE = 3
"""A gate refused (bad data, lost compare-and-set): retrying will not help."""


def _bool(value: str) -> bool:
    """Flags a pod receives as rendered templates ("True"/"False"), as well as plain --force."""
    text = str(value).strip().lower()
    if text in {"true", "1", "yes"}:
        return True
    if text in {"false", "0", "no"}:
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


MODEL_HELP = "model name: a config <name>.yaml in the config folder (MLOPS_CONFIG_DIR)"
SNAPSHOT_HELP = 'snapshot id (a folder under the model\'s snapshots root), or "latest"'


def _add_force(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--force",
        nargs="?",
        const=True,
        default=False,
        type=_bool,
        metavar="BOOL",
        help=f"{what} (true/false; a bare --force means true)",
    )


def _add_lineage(p: argparse.ArgumentParser) -> None:
    """The Airflow run a pod works for; recorded as lineage on the MLflow run and model version."""
    p.add_argument("--reason", default="cli", help="why this runs (recorded as mlops.trigger_reason)")
    p.add_argument("--dag-id", default="cli", help="the Airflow DAG this runs for (lineage)")
    p.add_argument("--run-id", default="cli", help="the Airflow run this runs for (lineage)")
    p.add_argument("--run-type", default="cli", help="the Airflow run type (lineage)")


def _prog() -> str:
    """How the user ran this command, for the commands we print: e.g. .venv/bin/mlops, else mlops."""
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path("mlops")
    if argv0.name != "mlops" or not argv0.is_file():
        return "mlops"
    rel = os.path.relpath(argv0)
    return argv0.as_posix() if rel.startswith("..") else rel


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mlops", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("-v", "--verbose", action="store_true", help="log at INFO level on stderr")
    p.add_argument(
        "--xcom-out",
        default=None,
        metavar="PATH",
        help="also write the JSON result here (a KubernetesPodOperator pod: /airflow/xcom/return.json)",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    g = sub.add_parser("generate", help="write seeded weekly demo snapshots for a model")
    g.add_argument("model", help=MODEL_HELP)
    g.add_argument("--start", default="2026-11-02", help="ISO date of the first snapshot (its id)")
    g.add_argument("--weeks", type=int, default=1, help="how many weekly snapshots")
    g.add_argument("--rows", type=int, default=5000, help="rows per snapshot")
    g.add_argument("--seed", type=int, default=0, help="seed of the first snapshot (+1 per week)")
    g.add_argument("--label-noise", type=float, default=0.0, help="share of labels resampled at random (0-1)")
    g.add_argument(
        "--drift",
        default="none",
        choices=["none", "covariate", "categorical", "concept", "mild", "strong"],
        help="drift injected into the data",
    )
    g.add_argument(
        "--corrupt",
        default=None,
        choices=["nulls", "out_of_range", "unknown_category", "drop_column", "wrong_dtype", "single_class"],
        help="a defect injected into the data (validation should refuse it)",
    )
    g.add_argument("--format", default="parquet", choices=["parquet", "csv"], help="file format of the data")
    g.set_defaults(func=commands.cmd_generate)

    v = sub.add_parser("validate", help="gate 1: validate a snapshot (quarantines it on failure)")
    v.add_argument("model", help=MODEL_HELP)
    v.add_argument("--snapshot", default="latest", help=SNAPSHOT_HELP)
    v.set_defaults(func=commands.cmd_validate)

    ck = sub.add_parser(
        "check-champion", help="score the champion on a new snapshot; auto-rollback after a promotion"
    )
    ck.add_argument("model", help=MODEL_HELP)
    ck.add_argument("--snapshot", required=True, help="the validated snapshot id")
    _add_lineage(ck)
    ck.set_defaults(func=commands.cmd_check_champion)

    t = sub.add_parser("train", help="gate 2: train the challenger on a snapshot")
    t.add_argument("model", help=MODEL_HELP)
    t.add_argument("--snapshot", required=True, help="the validated snapshot id")
    t.add_argument("--expected-sha256", default=None, help="refuse if the data changed since validation")
    _add_force(t, "train a new version even if this snapshot and config were trained before")
    _add_lineage(t)
    t.set_defaults(func=commands.cmd_train)

    e = sub.add_parser("evaluate", help="gate 3: challenger vs champion -> verdict JSON")
    e.add_argument("model", help=MODEL_HELP)
    e.add_argument("--snapshot", required=True, help="the snapshot whose holdout judges both models")
    e.add_argument("--challenger", type=int, required=True, help="the registered version to judge")
    e.set_defaults(func=commands.cmd_evaluate)

    dr = sub.add_parser("drift", help="drift verdict + Evidently report of a snapshot vs the champion")
    dr.add_argument("model", help=MODEL_HELP)
    dr.add_argument("--snapshot", default="latest", help=SNAPSHOT_HELP)
    _add_force(dr, "recompute a verdict that exists for this snapshot and champion")
    _add_lineage(dr)
    dr.set_defaults(func=commands.cmd_drift)

    pr = sub.add_parser("promote", help="gate 4: compare-and-set the champion from a verdict")
    pr.add_argument("model", help=MODEL_HELP)
    pr.add_argument("--verdict", required=True, help="verdict JSON file (from evaluate), or - for stdin")
    pr.add_argument("--actor", default="cli", help="who decided (recorded in the ledger)")
    pr.add_argument(
        "--shadow", action="store_true", help="record the decision (ledger 'shadow'), move nothing"
    )
    pr.set_defaults(func=commands.cmd_promote)

    r = sub.add_parser("rollback", help="move the champion back, with a reason")
    r.add_argument("model", help=MODEL_HELP)
    r.add_argument(
        "--to", type=int, default=None, metavar="N", help="version to restore (default: previous champion)"
    )
    r.add_argument("--reason", required=True, help="why (recorded in the ledger)")
    r.add_argument(
        "--expected-champion",
        type=int,
        default=None,
        metavar="N",
        help="refuse (ledger 'conflict') unless vN is still the champion, e.g. if a promotion landed since",
    )
    r.add_argument("--actor", default="cli", help="who decided (recorded in the ledger)")
    r.set_defaults(func=commands.cmd_rollback)

    s = sub.add_parser("status", help="champion, challenger, versions and the promotion ledger")
    s.add_argument("model", help=MODEL_HELP)
    s.set_defaults(func=commands.cmd_status)
    add_history(sub, MODEL_HELP)

    cc = sub.add_parser(
        "check-config", help="check model configs and their suites; every problem, exit 3 if any"
    )
    cc.add_argument("models", nargs="*", help="model names (default: every config in the config folder)")
    cc.set_defaults(func=commands.cmd_check_config)

    cli_data.add_init(sub)
    cli_data.add_snapshot(sub, MODEL_HELP)
    add_reproduce(sub, MODEL_HELP)

    run = sub.add_parser("run", help="the whole retrain chain without Airflow (claim ... promote)")
    run.add_argument("model", help=MODEL_HELP)
    run.add_argument("--snapshot", default="latest", help=SNAPSHOT_HELP)
    run.add_argument("--force", action="store_true", help="retrain a snapshot that was decided before")
    run.add_argument("--reason", default="cli", help="why this runs (recorded as mlops.trigger_reason)")
    run.add_argument("--actor", default="cli", help="who runs it (recorded in the ledger)")
    run.add_argument("--shadow", action="store_true", help="run every gate, record, move no alias")
    run.set_defaults(func=commands.cmd_run)

    rp = sub.add_parser(
        "replay", help="gate backtest over past snapshots: the gate vs the next-snapshot truth"
    )
    rp.add_argument("model", help=MODEL_HELP)
    rp.add_argument(
        "--from", dest="from_id", default=None, metavar="ID", help="first snapshot id (default: oldest)"
    )
    rp.add_argument(
        "--to", dest="to_id", default=None, metavar="ID", help="last snapshot id (default: newest)"
    )
    rp.add_argument(
        "--policy",
        default=None,
        metavar="YAML",
        help="config sections to try instead (holdout, promotion, metric, estimator, validation)",
    )
    rp.set_defaults(func=commands.cmd_replay)

    af = sub.add_parser(
        "airflow",
        help="run airflow on MLOPS_HOME's own state (DB, DAGs of MLOPS_CONFIG_DIR, plugins)",
        description="Runs this environment's `airflow` with AIRFLOW_HOME=$MLOPS_HOME/airflow (SQLite, "
        "created on first use), this checkout's dags/ and plugins/, and PATH set for `airflow standalone`. "
        "Everything after `airflow` goes to Airflow, e.g. `mlops airflow dags list`.",
    )
    af.add_argument(
        "--env", action="store_true", help="print the settings as export lines instead of running airflow"
    )
    af.add_argument("airflow_args", nargs=argparse.REMAINDER, metavar="ARGS", help="airflow's own arguments")
    af.set_defaults(func=commands.cmd_airflow)

    d = sub.add_parser("demo", help="the embedded-default demo through Airflow (make demo)")
    d.add_argument("--model", default="churn", help="the model whose story is told (churn)")
    d.add_argument("--keep", action="store_true", help="keep the previous demo state")
    d.set_defaults(func=commands.cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    args.prog = _prog()
    try:
        result = args.func(args)
    except MlopsError as exc:
        command = " ".join(c for c in (args.command, getattr(args, "snapshot_command", None)) if c)
        print(f"mlops {command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, TransientError) else EXIT_GATE  # a pod's transient fault is retried
    if isinstance(result, commands.Refused):
        print(dumps(result.result))
        return EXIT_GATE
    if isinstance(result, commands.Text):
        print(result)
        return 0
    if result is not None and args.command != "demo":
        print(dumps(result))
        if args.xcom_out:
            out = Path(args.xcom_out)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(dumps(result, compact=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
