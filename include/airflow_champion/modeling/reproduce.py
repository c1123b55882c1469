"""`mlops reproduce <model> <version>`: retrain a registered version from its lineage (the snapshot's
very bytes, the config it was trained with, the code that trained it), score it on the same judged
rows, and say whether it came out the same: every recorded holdout metric, the training split, and
the registered model's own predictions on the holdout.

Nothing is registered and no alias or ledger entry moves. The reproduction is logged as one MLflow
run in the model's experiment (tags `mlops.kind=reproduction`, `mlops.reproduces=<version>`, no
model artifact): "v3 was retrained on <date> by code X and came out identical" is evidence worth
keeping next to the version, and nothing that searches training or evaluation runs matches it.
`record=False` (`--no-record`) logs nothing, e.g. with read-only tracking credentials.

"identical" means bitwise: equal floats, not "close". A fit whose estimator draws from an unset
random_state is "not_reproducible" whatever it scored (modeling.determinism).
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING, Any

from airflow_champion.config.sections import MODEL_NAME_RE
from airflow_champion.errors import ConfigError, TrainingError, classified
from airflow_champion.modeling import determinism, references
from airflow_champion.modeling.fit import fit_challenger
from airflow_champion.modeling.reproduce_lineage import (
    Lineage,
    ReproductionRefused,
    check_code,
    check_manifest,
    choose_config,
    load_data,
    read_lineage,
)
from airflow_champion.registry import tags, tracking
from airflow_champion.tasks import get_task

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig
    from airflow_champion.modeling.fit import Fitted

log = logging.getLogger(__name__)

NOT_COMPARED = ("fit_seconds",)
"""Metrics a training run logs that are timings, not results."""


def _metrics(lin: Lineage, fitted: Fitted) -> dict[str, dict[str, Any]]:
    recorded = {k: float(v) for k, v in lin.run.data.metrics.items() if k not in NOT_COMPARED}
    reproduced = {f"holdout_{k}": float(v) for k, v in fitted.holdout_scores.items()}
    out: dict[str, dict[str, Any]] = {}
    for name in sorted(set(recorded) | set(reproduced)):
        a, b = recorded.get(name), reproduced.get(name)
        entry: dict[str, Any] = {"recorded": a, "reproduced": b, "abs_diff": None}
        if a is None:
            entry.update(identical=None, note="the training run did not record it (newer code)")
        elif b is None:
            entry.update(identical=False, note="this code does not compute it any more")
        else:
            both_nan = math.isnan(a) and math.isnan(b)
            entry.update(identical=a == b or both_nan, abs_diff=None if both_nan else abs(a - b))
        out[name] = entry
    return out


def _predictions(cfg: ModelConfig, lin: Lineage, fitted: Fitted) -> dict[str, Any]:
    """The registered model's predictions on the judged rows against the reproduced model's."""
    import numpy as np

    try:
        registered = tracking.load_model(cfg, lin.version)
    except Exception as exc:
        raise classified(exc, TrainingError, f"{cfg.name}: cannot load v{lin.version}") from exc
    task = get_task(cfg.task)
    theirs = np.asarray(task.predict(registered, fitted.X_holdout, cfg.data), dtype=np.float64)
    ours = np.asarray(fitted.holdout_pred, dtype=np.float64)
    if theirs.shape != ours.shape:
        return {
            "rows": len(ours),
            "identical": False,
            "max_abs_diff": None,
            "shape": [theirs.shape, ours.shape],
        }
    diff = np.abs(theirs - ours)
    return {
        "rows": len(ours),
        "identical": bool(np.array_equal(theirs, ours)),
        "max_abs_diff": float(diff.max()) if diff.size else 0.0,
        "rows_differing": int((diff > 0).sum()),
    }


def _split(cfg: ModelConfig, lin: Lineage, fitted: Fitted) -> dict[str, Any]:
    """Rows on each side, and whether the training rows are the very ones (their fingerprints)."""
    import numpy as np

    params = lin.run.data.params
    recorded = references.load_train_fingerprints(cfg, lin.version)
    out: dict[str, Any] = {
        side: {"recorded": int(params[side]) if side in params else None, "reproduced": n}
        for side, n in (("train_rows", len(fitted.train_df)), ("holdout_rows", len(fitted.holdout_df)))
    }
    same_fp = None if recorded is None else bool(np.array_equal(recorded, fitted.train_fingerprints))
    out["train_fingerprints_identical"] = same_fp
    out["identical"] = same_fp is not False and all(
        v["recorded"] in (None, v["reproduced"]) for k, v in out.items() if k.endswith("_rows")
    )
    return out


def _environment(cfg: ModelConfig, lin: Lineage) -> dict[str, Any]:
    """scikit-learn and Python versions: the registered model's (its MLmodel file) and this process's."""
    import platform

    import mlflow.models
    import sklearn

    try:
        flavors = mlflow.models.get_model_info(tracking.model_uri(cfg, lin.version)).flavors
    except Exception as exc:  # informative only: the comparison itself does not need it
        log.warning("%s: cannot read v%s's MLmodel: %s", cfg.name, lin.version, exc)
        flavors = {}
    recorded_sk = (flavors.get("sklearn") or {}).get("sklearn_version")
    recorded_py = (flavors.get("python_function") or {}).get("python_version")
    return {
        "sklearn": {"recorded": recorded_sk, "running": sklearn.__version__},
        "python": {"recorded": recorded_py, "running": platform.python_version()},
    }


def _verdict(result: dict[str, Any]) -> tuple[str, list[dict[str, str]], list[str]]:
    """(status, reasons, likely causes) of a finished comparison."""
    reasons, causes = [], []
    det = result["determinism"]
    if not det["deterministic"]:
        reasons.append({"reason": "random_state_unset", "message": det["message"]})
    split = result["split"]
    if not split["identical"]:
        sides = [f"{k} {v['recorded']} -> {v['reproduced']}" for k, v in split.items() if k.endswith("_rows")]
        fp = "" if split["train_fingerprints_identical"] is not False else "; other training rows"
        reasons.append({"reason": "split_differs", "message": ", ".join(sides) + fp})
    bad = {k: v for k, v in result["metrics"].items() if v["identical"] is False}
    if bad:
        text = ", ".join(f"{k}: {v['recorded']!r} -> {v['reproduced']!r}" for k, v in bad.items())
        reasons.append({"reason": "metrics_differ", "message": text})
    pred = result["predictions"]
    if not pred["identical"]:
        msg = (
            f"max |diff| {pred['max_abs_diff']!r} on {pred.get('rows_differing', '?')} of {pred['rows']} rows"
        )
        reasons.append({"reason": "predictions_differ", "message": msg})
    if reasons and not result["code"]["same"]:
        causes.append(f"the code changed: {result['code']['recorded']} -> {result['code']['running']}")
    for lib, v in result["environment"].items():
        if reasons and v["recorded"] and v["recorded"] != v["running"]:
            causes.append(f"{lib} changed: {v['recorded']} -> {v['running']}")
    if bad and pred["identical"]:
        causes.append("the predictions are identical: the scoring changed, not the model")
    if reasons and not causes and det["deterministic"]:
        causes.extend(det["notes"] or ["none known: same code, data, config and libraries"])
    if not det["deterministic"]:
        if len(reasons) == 1:
            causes.append("everything else came out identical this time: by chance, not by construction")
        return "not_reproducible", reasons, causes
    return ("differs" if reasons else "identical"), reasons, causes


def _record(cfg: ModelConfig, lin: Lineage, result: dict[str, Any]) -> tuple[str, str]:
    """One MLflow run for the reproduction (no model): its id and URL."""
    import mlflow

    from airflow_champion.reports.jsonsafe import dumps

    exp_id = tracking.ensure_experiment(cfg)
    run_tags = tags.prefixed(
        {
            "kind": "reproduction",
            "reproduces": lin.version,
            "reproduction_status": result["status"],
            "snapshot_id": lin.snapshot_id,
            "code_version": result["code"]["running"],
        }
    )
    with mlflow.start_run(experiment_id=exp_id, run_name=f"reproduce-v{lin.version}", tags=run_tags) as run:
        mlflow.log_params({"version": lin.version, "config_source": result["config"]["source"]})
        mlflow.log_metrics(
            {
                **{k: v["reproduced"] for k, v in result["metrics"].items() if v["reproduced"] is not None},
                **(
                    {"predictions_max_abs_diff": result["predictions"]["max_abs_diff"]}
                    if result["predictions"]["max_abs_diff"] is not None
                    else {}
                ),
            }
        )
        mlflow.log_text(dumps(result), "reproduction.json")
        return run.info.run_id, tracking.run_url(exp_id, run.info.run_id)


def reproduce(
    model: str,
    version: int,
    *,
    allow_code_change: bool = False,
    use_config_file: bool = False,
    record: bool = True,
) -> dict[str, Any]:
    """Retrain `model` v`version` from its lineage and compare; ReproductionRefused when the version,
    its snapshot, its config or its code cannot be had as they were."""
    t0 = time.monotonic()
    if not MODEL_NAME_RE.fullmatch(model):
        raise ConfigError(f"{model!r} is not a model name")
    client = tracking.client()
    lin = read_lineage(client, model, int(version))
    cfg, config_info, problems = choose_config(client, lin, use_file=use_config_file)
    code_info, code_problems = check_code(lin, allow_change=allow_code_change)
    problems += code_problems
    if cfg is not None:
        problems += check_manifest(cfg, lin)
    lineage = {
        "run_id": lin.run_id,
        "snapshot_id": lin.snapshot_id,
        "snapshot_sha256": lin.snapshot_sha256,
        "config_hash": lin.config_hash,
        "code_version": lin.code_version,
    }
    details = {"lineage": lineage, "config": config_info, "code": code_info}
    if problems or cfg is None:
        raise ReproductionRefused(lin.model, lin.version, problems, details)
    try:
        df = load_data(cfg, lin)
    except ReproductionRefused as exc:
        raise ReproductionRefused(lin.model, lin.version, exc.problems, details) from None
    log.info("%s: reproducing v%s from snapshot %s", cfg.name, lin.version, lin.snapshot_id)
    fitted = fit_challenger(cfg, df, lin.snapshot_id)
    result: dict[str, Any] = {
        "model": cfg.name,
        "version": lin.version,
        **details,
        "environment": _environment(cfg, lin),
        "determinism": determinism.assess(fitted.pipeline, len(fitted.train_df)),
        "split": _split(cfg, lin, fitted),
        "metrics": _metrics(lin, fitted),
        "predictions": _predictions(cfg, lin, fitted),
        "fit_seconds": round(fitted.fit_seconds, 3),
    }
    status, reasons, causes = _verdict(result)
    result = {
        "status": status,
        "reason": reasons[0]["reason"] if reasons else None,
        "reasons": reasons,
        "likely_causes": causes,
        **result,
    }
    result["reproduction_run_id"] = result["run_url"] = None
    if record:
        try:
            result["reproduction_run_id"], result["run_url"] = _record(cfg, lin, result)
        except Exception as exc:  # the comparison is the answer; a lost record is said, not fatal
            log.warning("%s: could not record the reproduction of v%s: %s", cfg.name, lin.version, exc)
            result["record_error"] = f"{type(exc).__name__}: {exc}"
    result["duration_s"] = round(time.monotonic() - t0, 3)
    log.info("%s: v%s reproduction: %s", cfg.name, lin.version, status)
    return result


__all__ = ["NOT_COMPARED", "ReproductionRefused", "reproduce"]
