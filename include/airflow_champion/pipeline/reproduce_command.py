"""`mlops reproduce <model> <version>`: retrain a version from its lineage and compare (see
modeling.reproduce). Prints the JSON result; exits 0 only when everything came out identical, and
EXIT_GATE with the reason when it differs, is not reproducible or is refused.
"""

from __future__ import annotations

import argparse
from typing import Any

from airflow_champion.pipeline.commands import Refused


def add_reproduce(sub: Any, model_help: str) -> None:
    """`mlops reproduce MODEL VERSION [--allow-code-change] [--use-config-file] [--no-record]`."""
    rp = sub.add_parser(
        "reproduce",
        help="retrain a version from its recorded snapshot, config and code; are the results identical?",
        description="Retrains the version from its lineage (snapshot sha256, config, code version) on the "
        "same split, registers nothing, and compares every holdout metric and the registered model's "
        "predictions. Exit 0 when identical; 3 with the reason when not, or when refused.",
    )
    rp.add_argument("model", help=model_help)
    rp.add_argument("version", type=int, help="the registered version to reproduce")
    rp.add_argument(
        "--allow-code-change",
        action="store_true",
        help="retrain with this code even if it is not the version's code_version (said in the result)",
    )
    rp.add_argument(
        "--use-config-file",
        action="store_true",
        help="retrain with the current config file instead of the config the training run recorded "
        "(refused when its hash is not the version's)",
    )
    rp.add_argument(
        "--no-record", action="store_true", help="log no MLflow run for the reproduction (read-only store)"
    )
    rp.set_defaults(func=cmd_reproduce)


def cmd_reproduce(args: argparse.Namespace) -> Any:
    from airflow_champion.modeling.reproduce import ReproductionRefused, reproduce

    try:
        result = reproduce(
            args.model,
            args.version,
            allow_code_change=args.allow_code_change,
            use_config_file=args.use_config_file,
            record=not args.no_record,
        )
    except ReproductionRefused as exc:
        return Refused(
            {
                "model": exc.model,
                "version": exc.version,
                "status": "refused",
                "reason": exc.reason,
                "reasons": exc.problems,
                **exc.details,
            }
        )
    return result if result["status"] == "identical" else Refused(result)


__all__ = ["add_reproduce", "cmd_reproduce"]
