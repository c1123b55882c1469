"""What the Airflow "Models" page shows, gathered without Airflow: every model config with its champion,
challenger, ledger, last verdicts and newest drift verdict, plus the MLflow links of each.

The page and its JSON are the same structure (`overview()`), so what a person reads and what a script
reads cannot disagree. A model whose config does not load, whose registry cannot be read or whose
drift verdict cannot be read keeps its row with the error in it: one broken model must not hide the
others, which is why each part is gathered under its own `except Exception` (and only there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_champion.config import list_config_names, load_config
from airflow_champion.registry import tags, tracking
from airflow_champion.reports import evidence

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig

LAST_VERDICTS = 5
"""Evaluated versions shown per model, newest first."""
MAX_ERROR = 500
"""Characters of an error kept in a row (a traceback-sized message would swamp the page)."""
DRIFT_FIELDS = ("snapshot_id", "drifted", "reason", "report_uri", "champion_version", "computed_at")


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR]


def overview(names: list[str] | None = None) -> list[dict[str, Any]]:
    """One row per model config (every config in the config folder unless `names` is given)."""
    return [model_overview(name) for name in (list_config_names() if names is None else names)]


def model_overview(name: str) -> dict[str, Any]:
    """One model's row: `error` names what could not be read; the parts that could be read stay."""
    row: dict[str, Any] = {
        "model": name,
        "error": None,
        "description": "",
        "task": None,
        "metric": None,
        "direction": None,
        "champion": None,
        "challenger": None,
        "previous_champion": None,
        "verdicts": [],
        "ledger": [],
        "drift": None,
        "drift_error": None,
    }
    try:
        cfg = load_config(name)
    except Exception as exc:  # a config that does not load is this row's error, not the page's
        return {**row, "error": f"config does not load: {_error(exc)}"}
    row.update(
        description=cfg.description, task=cfg.task, metric=cfg.metric.name, direction=cfg.metric.direction
    )
    try:
        row.update(_registry(cfg))
    except Exception as exc:  # an unreachable or broken registry entry of this model only
        row["error"] = f"registry not readable: {_error(exc)}"
    try:
        row["drift"] = _drift(cfg)
    except Exception as exc:  # e.g. the snapshot store is unreachable: the champion is still shown
        row["drift_error"] = _error(exc)
    return row


def _registry(cfg: ModelConfig) -> dict[str, Any]:
    """Champion, challenger, verdicts and the ledger (newest first), each version with its links."""
    from airflow_champion.pipeline.steps import status

    state = status(cfg)
    client = tracking.client()
    versions = _versions(cfg, client)
    experiment = client.get_experiment_by_name(tracking.experiment_name(cfg))
    experiment_id = str(experiment.experiment_id) if experiment is not None else None
    rows = {v: _version_row(cfg, mv, experiment_id) for v, mv in versions.items()}

    def pick(version: int | None) -> dict[str, Any] | None:
        if version is None:
            return None
        return rows.get(version) or {"version": version, "url": _version_url(cfg, version)}

    evaluated = [rows[v] for v in sorted(rows, reverse=True) if rows[v]["verdict"]]
    return {
        "champion": pick(state["champion"]),
        "challenger": pick(state["challenger"]),
        "previous_champion": pick(state["previous_champion"]),
        "verdicts": evaluated[:LAST_VERDICTS],
        "ledger": [_ledger_entry(cfg, e) for e in reversed(state["ledger"])],
    }


def _versions(cfg: ModelConfig, client: Any) -> dict[int, Any]:
    """The registered versions by number (their tags carry verdicts and evaluation runs)."""
    from mlflow.exceptions import MlflowException

    try:
        found = client.search_model_versions(f"name='{cfg.registered_model_name}'")
    except MlflowException:  # not registered yet: no versions, as `status` says too
        return {}
    return {int(mv.version): mv for mv in found}


def _version_url(cfg: ModelConfig, version: int) -> str:
    return tracking.model_version_url(cfg.registered_model_name, version)


def _version_row(cfg: ModelConfig, mv: Any, experiment_id: str | None) -> dict[str, Any]:
    version = int(mv.version)
    eval_run_id = tags.read(mv, tags.EVAL_RUN_ID) or None
    return {
        "version": version,
        "url": _version_url(cfg, version),
        "snapshot_id": tags.read(mv, "snapshot_id"),
        "score": _number(tags.read(mv, tags.holdout_metric(cfg.metric.name))),
        "trigger_reason": tags.read(mv, "trigger_reason"),
        "verdict": tags.read(mv, tags.VERDICT) or None,
        "verdict_champion": tags.read(mv, tags.VERDICT_CHAMPION) or None,
        "eval_run_id": eval_run_id,
        "eval_run_url": (
            tracking.run_url(experiment_id, eval_run_id) if eval_run_id and experiment_id else None
        ),
        "promoted_at": tags.read(mv, tags.PROMOTED_AT),
        "revoked": tags.read(mv, tags.REVOKED) or None,
        "run_id": mv.run_id,
        "run_url": tracking.run_url(experiment_id, mv.run_id) if mv.run_id and experiment_id else None,
        "evidence_uri": tags.read(mv, tags.EVIDENCE) or None,
        "evidence_url": (
            tracking.artifact_url(experiment_id, mv.run_id, evidence.HTML_PATH)
            if tags.read(mv, tags.EVIDENCE) and mv.run_id and experiment_id
            else None
        ),
    }


def _number(text: str | None) -> float | None:
    """A tag's number (tags are strings); None when absent or not a number."""
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def _ledger_entry(cfg: ModelConfig, entry: dict[str, Any]) -> dict[str, Any]:
    """A ledger entry as stored, plus the MLflow links of the versions it names."""
    out = dict(entry)
    for side in ("from_version", "to_version"):
        value = entry.get(side)
        out[f"{side}_url"] = _version_url(cfg, int(value)) if isinstance(value, int) and value > 0 else None
    metric = entry.get("metric")
    out["metric"] = metric if isinstance(metric, dict) else {}
    bundle = entry.get("evidence_bundle")
    out["evidence_url"] = (
        tracking.artifact_url(str(bundle["experiment_id"]), str(bundle["run_id"]), str(bundle["path"]))
        if isinstance(bundle, dict) and all(bundle.get(k) for k in ("experiment_id", "run_id", "path"))
        else None
    )
    return out


def _drift(cfg: ModelConfig) -> dict[str, Any] | None:
    """The newest stored drift verdict (None: never checked), reduced to what the page shows."""
    from airflow_champion.monitoring.monitor import verdict_history

    newest = verdict_history(cfg, limit=1)
    if not newest:
        return None
    return {key: newest[-1].get(key) for key in DRIFT_FIELDS}


__all__ = ["LAST_VERDICTS", "model_overview", "overview"]
