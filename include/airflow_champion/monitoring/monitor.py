"""The drift monitor: is the champion still looking at the kind of data it was trained on?

Core of the `<model>_drift_monitor` DAG. For one snapshot it compares the champion's training
reference sample with the snapshot, feature by feature (monitoring.engine), plus the champion's
predictions against its holdout baseline (prediction drift), the labels (target drift) and the
champion's measured metric on the labelled rows it was not trained on (evaluation.performance).

Why once per (snapshot, champion, verdict settings): the verdict is a function of those alone, so a
retried task or a second schedule tick reuses it; a new champion brings a new reference and a new
verdict. Cost does not grow with the snapshot: at most `drift.max_rows` rows per side are scored and
tested, Evidently sees the same rows (unless `drift.report_rows` says fewer) and its per-column
verdicts are compared with ours in the verdict, and an Evidently failure is recorded, never fatal.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from airflow_champion.data import layout, snapshots
from airflow_champion.data.ids import validate_snapshot_id
from airflow_champion.data.reading import load_snapshot
from airflow_champion.data.storage import open_store
from airflow_champion.errors import EvaluationError, MlopsError
from airflow_champion.monitoring import baseline, record
from airflow_champion.monitoring.engine import compute_drift
from airflow_champion.monitoring.metrics import records_drift
from airflow_champion.monitoring.report import VERDICT_JSON
from airflow_champion.monitoring.sampling import sample_frame
from airflow_champion.registry import locks, tags, tracking
from airflow_champion.reports.jsonsafe import to_jsonable

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig

log = logging.getLogger(__name__)

LOCK_TIMEOUT_S = 1800.0


class NoChampionError(MlopsError):
    """The model has no `champion` version: there is no production model whose inputs could drift."""


class _Timer:
    """Seconds per phase, so a slow monitor says where its time went."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.phases: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        t = time.monotonic()
        try:
            yield
        finally:
            self.phases[name] = round(time.monotonic() - t, 3)

    def as_dict(self) -> dict[str, float]:
        return {**self.phases, "total": round(time.monotonic() - self.t0, 3)}


def _settings(cfg: ModelConfig) -> dict[str, Any]:
    """What in the config changes a verdict; a stored verdict made under other settings is stale."""
    spec = cfg.drift
    keys = (
        "max_rows",
        "report_rows",
        "numeric_threshold",
        "categorical_threshold",
        "share_drifted_features",
        "min_effect_size",
    )
    return {**{k: getattr(spec, k) for k in keys}, "signals": spec.signals.model_dump(mode="json")}


def _lineage(lineage: dict[str, Any] | None) -> dict[str, str]:
    return {k: str(v) for k, v in (lineage or {}).items() if k in tags.RUN_LINEAGE}


def _champion(cfg: ModelConfig) -> int:
    version = tracking.alias_version(cfg, tracking.CHAMPION)
    if version is None:
        raise NoChampionError(
            f"{cfg.name} has no '{tracking.CHAMPION}' version yet: there is no model to monitor for "
            "drift; train and promote one first"
        )
    return version


def _assemble(
    cfg: ModelConfig,
    result: dict[str, Any],
    *,
    snapshot_id: str,
    sha256: str,
    champion: int,
    sampling: dict[str, dict[str, Any]],
    scoring: dict[str, Any],
    evidently: dict[str, Any],
    lineage: dict[str, str],
) -> dict[str, Any]:
    """compute_drift's result + what the DAG, the sensor and people need at the top level."""
    ov = result["overall"]
    return {
        **result,
        "rows": {side: info["rows"] for side, info in sampling.items()},
        "sampled": {**result["sampled"], **sampling},  # the rows before monitor-side sampling
        "snapshot_id": snapshot_id,
        "snapshot_sha256": sha256,
        "champion_version": champion,
        "drifted": ov["drifted"],
        "share_drifted": ov["share_drifted"],
        "n_drifted": ov["n_drifted"],
        "n_features": ov["n_features"],
        "drifted_features": ov["drifted_features"],
        "reason": ov["reason"],
        "settings": _settings(cfg),
        "scoring": scoring,
        "evidently": evidently,
        "lineage": lineage,
        "report_uri": None,
        "verdict_uri": None,
        "verdict_json_uri": None,
        "run_id": None,
        "run_url": None,
        "experiment_id": None,
    }


def _performance(cfg: ModelConfig, current: Any, champion: int) -> dict[str, Any] | None:
    """The champion's measured metric on the snapshot's labels (None when it has no target column)."""
    from airflow_champion.evaluation.performance import champion_performance

    if cfg.data.target not in current.columns:
        return None
    try:
        return champion_performance(cfg, current, champion)
    except (EvaluationError, KeyError, ValueError, TypeError) as exc:
        # data the champion cannot score costs this signal, recorded, not the verdict (as in baseline)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("%s v%s: performance not measured: %s", cfg.name, champion, error)
        return {"version": champion, "metric": cfg.metric.name, "score": None, "drop": None, "status": error}


def _compute(
    cfg: ModelConfig, snapshot_id: str, champion: int, lineage: dict[str, str], timer: _Timer
) -> dict[str, Any]:
    with timer.phase("load_reference"):
        reference, ref_info = sample_frame(
            baseline.load_reference(cfg, champion), cfg.drift.max_rows, baseline.REFERENCE_SEED
        )
    with timer.phase("load_baseline"):
        base, baseline_info = baseline.score_baseline(cfg, champion, reference)
    with timer.phase("load_snapshot"):
        df, manifest = load_snapshot(cfg, snapshot_id)
        current, cur_info = sample_frame(df, cfg.drift.max_rows, baseline.CURRENT_SEED)
        del df
    with timer.phase("score"):
        ref_scores, cur_scores, scoring = baseline.score_champion(cfg, champion, base, current)
        scoring["baseline"] = baseline_info
    with timer.phase("drift"):
        result = compute_drift(
            cfg, reference, current, reference_scores=ref_scores, current_scores=cur_scores
        )
    with timer.phase("performance"):
        result["performance"] = _performance(cfg, current, champion)
    with timer.phase("evidently"):
        evidently_html, evidently = record.run_evidently(cfg, reference, current, result)
    verdict = _assemble(
        cfg,
        result,
        snapshot_id=snapshot_id,
        sha256=manifest.sha256,
        champion=champion,
        sampling={"reference": ref_info, "current": cur_info},
        scoring=scoring,
        evidently=evidently,
        lineage=lineage,
    )
    with timer.phase("write_reports"):
        pages = record.write_pages(cfg, verdict, evidently_html)
    with timer.phase("mlflow"):
        client = tracking.client()
        verdict["timings"] = timer.as_dict()
        record.record_run(cfg, client, verdict, pages)
        record.tag_champion(cfg, client, verdict)
    verdict["timings"] = timer.as_dict()
    record.write_verdict_json(cfg, verdict)
    return to_jsonable(verdict)  # type: ignore[no-any-return]


@records_drift
def monitor(
    cfg: ModelConfig,
    snapshot: str = "latest",
    *,
    lineage: dict[str, Any] | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Drift verdict of one snapshot against the champion's training reference (JSON-safe, for XCom).

    Computed once per (snapshot, champion version, verdict settings) under a lock, so a retry or a
    concurrent run returns the stored verdict with `reused: True`; `force` recomputes (new MLflow run).
    Raises NoChampionError without a champion and SnapshotError for a quarantined or missing snapshot.
    """
    timer = _Timer()
    with timer.phase("resolve"):
        root = cfg.snapshot_root()
        snapshot_id = snapshots.resolve_snapshot_id(root, snapshot)
        snapshots.refuse_quarantined(
            root, snapshot_id, "its data failed validation, so its drift is not measured"
        )
        champion = _champion(cfg)
    with locks.named_lock(f"drift:{cfg.name}:{snapshot_id}", timeout=LOCK_TIMEOUT_S):
        if not force:
            stored = read_verdict(cfg, snapshot_id)
            if (
                stored is not None
                and stored.get("champion_version") == champion
                and stored.get("settings") == to_jsonable(_settings(cfg))
            ):
                log.info("%s: reusing the drift verdict of %s vs v%s", cfg.name, snapshot_id, champion)
                return {**stored, "reused": True}
        verdict = _compute(cfg, snapshot_id, champion, _lineage(lineage), timer)
    log.info(
        "%s: snapshot %s vs champion v%s: %s (%s)",
        cfg.name,
        snapshot_id,
        champion,
        "DRIFT" if verdict["drifted"] else "no drift",
        verdict["reason"],
    )
    return {**verdict, "reused": False}


def read_verdict(cfg: ModelConfig, snapshot_id: str) -> dict[str, Any] | None:
    """The stored drift verdict of a snapshot, or None when it was never checked (or is unreadable)."""
    store = open_store(cfg.snapshot_root())
    rel = layout.report(validate_snapshot_id(snapshot_id), VERDICT_JSON)
    if not store.exists(rel):
        return None
    try:
        raw = json.loads(store.read_bytes(rel))
    except (ValueError, UnicodeDecodeError) as exc:
        log.warning("%s: ignoring unreadable drift verdict %s: %s", cfg.name, rel, exc)
        return None
    return raw if isinstance(raw, dict) else None


def verdict_history(cfg: ModelConfig, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Stored verdicts in snapshot-id (chronological) order, for drift_policy.decide_retrain.

    Snapshots without a verdict are skipped, and so are quarantined ones: drift measured on data that
    later failed validation must not count towards a retrain. `limit` keeps only the newest verdicts
    and reads no further back than it needs (storm control looks at `consecutive_windows`).
    """
    root = cfg.snapshot_root()
    newest_first: list[dict[str, Any]] = []
    for sid in reversed(snapshots.list_snapshot_ids(root)):
        if limit is not None and len(newest_first) >= limit:
            break
        verdict = read_verdict(cfg, sid)
        if verdict is not None and not snapshots.is_quarantined(root, sid):
            newest_first.append(verdict)
    return newest_first[::-1]
