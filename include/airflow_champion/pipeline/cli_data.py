"""The `mlops` subcommands for a user's own data: `init` (a config from a file) and `snapshot` (import,
list, show, release). Every flag says what it does (tests/core/pipeline/test_cli_help.py).
"""

from __future__ import annotations

from typing import Any

from airflow_champion.pipeline import commands


def add_init(sub: Any) -> None:
    """`mlops init`: a config and suite file from the user's own file."""
    i = sub.add_parser(
        "init",
        help="write a model config and its suite file from your own CSV or parquet file",
        description="Reads the file, infers each column's type, categories and range, guesses the task, "
        "and writes <config dir>/<model>.yaml and <config dir>/expectations/<model>.yaml. Every guess "
        "is said on the screen and in a comment of the config.",
    )
    i.add_argument("model", help="name of the new model (lowercase letters, digits, _): the config's name")
    i.add_argument(
        "--from", dest="source", required=True, metavar="FILE", help="a .csv or .parquet file of your data"
    )
    i.add_argument("--target", required=True, metavar="COL", help="the column the model predicts")
    i.add_argument(
        "--task",
        choices=["binary", "multiclass", "regression"],
        default=None,
        help="the kind of target (default: guessed from the target column, and said)",
    )
    i.add_argument(
        "--time-column",
        default=None,
        metavar="COL",
        help="rows are ordered in time by COL: judge challengers on the latest rows (holdout policy time)",
    )
    i.add_argument(
        "--group-column",
        default=None,
        metavar="COL",
        help="rows of one COL (a customer, a patient) are alike: keep each on one side (policy group)",
    )
    i.add_argument(
        "--metric", default=None, metavar="NAME", help="the promotion metric (default: the task's default)"
    )
    i.add_argument("--force", action="store_true", help="replace an existing config (its suite file is kept)")
    i.add_argument(
        "--csv-delimiter", default=",", metavar="CHAR", help="the CSV's delimiter (written to the config)"
    )
    i.add_argument(
        "--csv-encoding",
        default="utf-8",
        metavar="NAME",
        help="the CSV's text encoding (written to the config)",
    )
    i.add_argument("--json", action="store_true", help="print the result as JSON instead of text")
    i.set_defaults(func=commands.cmd_init)


def add_snapshot(sub: Any, model_help: str) -> None:
    """`mlops snapshot import | list | show | release`."""
    sn = sub.add_parser("snapshot", help="import, list, show or release a model's snapshots")
    ssub = sn.add_subparsers(dest="snapshot_command", required=True, metavar="ACTION")

    im = ssub.add_parser(
        "import", help="land a CSV or parquet file as a snapshot (data first, manifest last)"
    )
    im.add_argument("model", help=model_help)
    im.add_argument(
        "file", help="the .csv or .parquet file; its bytes are kept as they are when formats match"
    )
    im.add_argument(
        "--id", default=None, metavar="ID", help="snapshot id (default: today's UTC date, e.g. 2026-11-02)"
    )
    im.add_argument(
        "--format",
        default=None,
        choices=["parquet", "csv"],
        help="format of the snapshot (default: the file's; another one converts it)",
    )
    im.add_argument("--json", action="store_true", help="print the manifest and paths as JSON")
    im.set_defaults(func=commands.cmd_snapshot_import)

    ls = ssub.add_parser("list", help="every snapshot: rows, bytes, created, complete, quarantined, claim")
    ls.add_argument("model", help=model_help)
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ls.set_defaults(func=commands.cmd_snapshot_list)

    sh = ssub.add_parser("show", help="one snapshot: manifest, quarantine reason, claims and reports")
    sh.add_argument("model", help=model_help)
    sh.add_argument("snapshot_id", metavar="ID", help="the snapshot id")
    sh.set_defaults(func=commands.cmd_snapshot_show)

    rl = ssub.add_parser(
        "release", help="lift a quarantine on purpose so a retrain may take the snapshot again"
    )
    rl.add_argument("model", help=model_help)
    rl.add_argument("snapshot_id", metavar="ID", help="the quarantined snapshot id")
    rl.add_argument("--reason", required=True, help="why it may be used now (kept next to the quarantine)")
    rl.add_argument("--actor", default=_user(), help="who releases it (default: your login name)")
    rl.set_defaults(func=commands.cmd_snapshot_release)


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


__all__ = ["add_init", "add_snapshot"]
