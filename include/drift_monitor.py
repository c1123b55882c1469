"""The drift monitor: is the champion still looking at the kind of data it was trained on?

Core of the `<model>_drift_monitor` DAG (its operator calls `monitor`; the drift sensor reads
`verdict_history` and applies `drift_policy.decide_retrain`). For one snapshot it compares the
champion's training reference sample (logged with the model, `training.REFERENCE_ARTIFACT`) with the
snapshot: every feature, plus the champion's positive-class scores (prediction drift), whose
baseline is the champion's scores on its holdout, never on the rows it was fit on (see _score_baseline).

Where the verdict goes: `<root>/<snapshot_id>/_reports/drift_verdict.json` (+ `drift_verdict.html`
and Evidently's `drift_evidently.html`), because storage is what every deployment shares and what
the sensor's trigger polls; and one MLflow run (`drift-<snapshot_id>`) with the same files, for
people. The JSON is written last, so its presence means the pages and the run exist.

Why once per (snapshot, champion, verdict settings): the verdict is a function of those alone, so a
retried task or a second schedule tick reuses it; a new champion brings a new reference and a new
verdict. Cost does not grow with the snapshot: at most `drift.max_rows` rows per side are scored and
tested, `drift.report_rows` go to Evidently, and an Evidently failure is recorded, never fatal.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from include import drift, locks, snapshots, tracking
from include.config import ModelConfig, load_config
from include.errors import IncompleteSnapshotError, MlopsError, SnapshotError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from mlflow.tracking import MlflowClient

log = logging.getLogger(__name__)

VERDICT_JSON = "drift_verdict.json"
VERDICT_HTML = "drift_verdict.html"
EVIDENTLY_HTML = "drift_evidently.html"
LAST_CHECK_TAG = f"{tracking.TAG_PREFIX}last_drift_check"
HOLDOUT_ARTIFACT = "reference/holdout.parquet"
"""Optional: holdout rows logged by training, the prediction-drift baseline (see _score_baseline)."""
LOCK_TIMEOUT_S = 1800.0
# compute_drift samples the reference with `seed` and the current side with `seed + 1` (seed=0), so
# sampling here with the same seeds picks the very rows it would have picked, only before scoring.
REFERENCE_SEED = 0
CURRENT_SEED = 1


class NoChampionError(MlopsError):
    """The model has no `champion` version: there is no production model whose inputs could drift."""


class DriftReferenceError(MlopsError):
    """The champion's training reference sample cannot be loaded (not logged, or unreadable)."""


# ------------------------------------------------------------------------------------------ helpers


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


def _cfg(model: str | ModelConfig) -> ModelConfig:
    return model if isinstance(model, ModelConfig) else load_config(model)


def _rel(snapshot_id: str, name: str) -> str:
    return f"{snapshot_id}/{snapshots.REPORTS_DIR}/{name}"


def _dumps(verdict: dict[str, Any]) -> str:
    return json.dumps(drift._json_safe(verdict), indent=2, sort_keys=True, allow_nan=False)


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
    return {k: getattr(spec, k) for k in keys}


def _lineage(lineage: dict[str, Any] | None) -> dict[str, str]:
    from include.training import LINEAGE_KEYS

    return {k: str(v) for k, v in (lineage or {}).items() if k in LINEAGE_KEYS}


# ----------------------------------------------------------------------------------- what to compare


def _latest_snapshot(root: str, s3_client: Any | None) -> str:
    """Newest complete, non-quarantined snapshot (as snapshots.resolve_snapshot_id, with a client)."""
    for sid in reversed(snapshots.list_snapshot_ids(root, s3_client)):
        if snapshots.is_quarantined(root, sid, s3_client):
            continue
        try:
            snapshots.check_complete(root, sid, s3_client)
        except IncompleteSnapshotError:
            continue
        return sid
    raise SnapshotError(f"no complete, non-quarantined snapshot under {root}")


def _resolve_snapshot(root: str, requested: str, s3_client: Any | None) -> str:
    """'latest' or an id; a quarantined snapshot is refused: drift measured on broken data misleads."""
    if requested == "latest":
        return _latest_snapshot(root, s3_client)
    sid = snapshots.validate_snapshot_id(requested)
    if snapshots.is_quarantined(root, sid, s3_client):
        raise SnapshotError(
            f"snapshot {sid!r} is quarantined (see {root}/{sid}/{snapshots.QUARANTINE_DIR}/); "
            "its data failed validation, so its drift is not measured"
        )
    return sid


def _champion(cfg: ModelConfig) -> int:
    version = tracking.alias_version(cfg, tracking.CHAMPION)
    if version is None:
        raise NoChampionError(
            f"{cfg.name} has no '{tracking.CHAMPION}' version yet: there is no model to monitor for "
            "drift; train and promote one first"
        )
    return version


def _load_reference(cfg: ModelConfig, champion: int) -> pd.DataFrame:
    from include import training

    try:
        return training.load_reference(cfg, champion)
    except Exception as exc:  # MLflow raises several types for a missing or unreadable artifact
        raise DriftReferenceError(
            f"{cfg.name} v{champion}: cannot load its drift reference ({training.REFERENCE_ARTIFACT} of "
            f"its training run): {type(exc).__name__}: {exc}"
        ) from exc


def _bounded(df: pd.DataFrame, max_rows: int, seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """At most max_rows uniformly sampled rows (fixed seed) and {rows, used, sampled}."""
    return drift._sample_frame(df, max_rows, seed)


# ------------------------------------------------------------------------------------------ scoring


def _holdout_artifact(run_id: str) -> pd.DataFrame | None:
    """`reference/holdout.parquet` of the training run, when training logged one."""
    import tempfile

    import mlflow
    import pandas as pd

    client = tracking.client()
    if HOLDOUT_ARTIFACT not in {a.path for a in client.list_artifacts(run_id, "reference")}:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        local = mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=HOLDOUT_ARTIFACT, dst_path=tmp
        )
        return pd.read_parquet(local)


def _snapshot_holdout(cfg: ModelConfig, mv: Any, s3_client: Any | None) -> pd.DataFrame:
    """The holdout rows of the champion's training snapshot, split exactly as training split them."""
    from include import model_io

    tags = mv.tags or {}
    sid = tags.get(f"{tracking.TAG_PREFIX}snapshot_id")
    if not sid:
        raise ValueError("the version has no mlops.snapshot_id tag")
    params = tracking.client().get_run(str(mv.run_id)).data.params
    logged = (params.get("holdout.fraction"), params.get("holdout.seed"))
    if logged != (str(cfg.holdout.fraction), str(cfg.holdout.seed)):
        raise ValueError(f"holdout settings changed since training (fraction, seed were {logged})")
    df, manifest = snapshots.load_snapshot(cfg, sid, s3_client=s3_client)
    if manifest.sha256 != tags.get(f"{tracking.TAG_PREFIX}snapshot_sha256"):
        raise ValueError(f"snapshot {sid} is not the data the champion was trained on (sha256 differs)")
    return model_io.split_holdout(cfg, df)[1]


def _score_baseline(
    cfg: ModelConfig, champion: int, reference: pd.DataFrame, s3_client: Any | None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Rows whose champion scores are the prediction-drift baseline: rows it was not fit on.

    Its scores on its own training rows are more extreme than on any fresh data, which alone reads as
    prediction drift (churn champion, clean data: normed Wasserstein 0.08-0.12 against training-row
    scores, 0.02 between two fresh samples). So the baseline is its holdout (a logged artifact, else
    the holdout of its training snapshot); the training rows only as a last resort, said so.
    """
    mv = tracking.client().get_model_version(cfg.registered_model_name, str(champion))
    trained_on = (mv.tags or {}).get(f"{tracking.TAG_PREFIX}snapshot_id")
    try:
        if not mv.run_id:
            raise ValueError("the version has no training run")
        holdout = _holdout_artifact(mv.run_id)
        source = "holdout artifact"
        if holdout is None:
            holdout, source = _snapshot_holdout(cfg, mv, s3_client), f"holdout of snapshot {trained_on}"
    except Exception as exc:  # storage, MLflow or a changed config: fall back, and say why
        note = f"holdout unavailable ({type(exc).__name__}: {exc}); training rows score more extreme"
        log.warning("%s v%s: prediction-drift baseline: %s", cfg.name, champion, note)
        return reference, {"source": "training rows (in-sample, biased towards drift)", "note": note[:2000]}
    baseline, info = _bounded(holdout, cfg.drift.max_rows, REFERENCE_SEED)
    return baseline, {"source": source, "rows": info["rows"], "note": None}


def _positive_scores(cfg: ModelConfig, model: Any, df: pd.DataFrame) -> np.ndarray:
    import numpy as np

    from include import model_io

    proba = np.asarray(model.predict_proba(model_io.features(cfg, df)))
    classes = [int(c) for c in getattr(model, "classes_", [0, 1])]
    if 1 not in classes:
        raise ValueError(f"model classes {classes} do not include the positive class 1")
    return proba[:, classes.index(1)].astype("float64")


def _score(
    cfg: ModelConfig, champion: int, baseline: pd.DataFrame, current: pd.DataFrame
) -> tuple[Any, Any, dict[str, Any]]:
    """The champion's P(positive) on the baseline and the current rows.

    Data the champion cannot score (a missing or non-numeric column: the monitor may see a snapshot
    before validation does) costs the prediction drift, recorded as an error, not the verdict.
    """
    model = tracking.load_model(cfg, champion)
    info: dict[str, Any] = {"reference_rows": len(baseline), "current_rows": len(current), "error": None}
    try:
        return _positive_scores(cfg, model, baseline), _positive_scores(cfg, model, current), info
    except (KeyError, ValueError, TypeError) as exc:
        info["error"] = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("%s v%s cannot score for prediction drift: %s", cfg.name, champion, info["error"])
        return None, None, info


def _evidently_failed_page(cfg: ModelConfig, error: str) -> str:
    """Stands in for Evidently's page: the link still opens, and no older page survives under the name."""
    import html

    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Evidently report: {html.escape(cfg.name)}"
        "</title></head><body><h1>Evidently report unavailable</h1><p>The drift verdict does not depend "
        f"on it; see {VERDICT_HTML}.</p><pre>{html.escape(error)}</pre></body></html>"
    )


def _evidently(
    cfg: ModelConfig, reference: pd.DataFrame, current: pd.DataFrame
) -> tuple[str, dict[str, Any]]:
    """Evidently's HTML on report_rows rows, or a page with its error: the verdict must not depend on it."""
    try:
        page, summary = drift.evidently_report(reference, current, max_rows=cfg.drift.report_rows, cfg=cfg)
    except Exception as exc:  # Evidently's internals raise many types
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("%s: Evidently report failed, the verdict stands without it: %s", cfg.name, error)
        return _evidently_failed_page(cfg, error), {"status": "error", "error": error}
    return page, {"status": "ok", **summary}


# ------------------------------------------------------------------------------------------ verdict


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


def _write_pages(
    cfg: ModelConfig, verdict: dict[str, Any], evidently_html: str, s3_client: Any | None
) -> dict[str, str]:
    """Write the HTML pages next to the snapshot, fill their URIs; returns {file name: page}."""
    root, sid = cfg.snapshot_root(), verdict["snapshot_id"]
    pages = {EVIDENTLY_HTML: evidently_html, VERDICT_HTML: drift.render_verdict_html(verdict)}
    verdict["report_uri"] = snapshots.write_report(root, sid, EVIDENTLY_HTML, evidently_html, s3_client)
    verdict["verdict_uri"] = snapshots.write_report(root, sid, VERDICT_HTML, pages[VERDICT_HTML], s3_client)
    verdict["verdict_json_uri"] = snapshots.store_for(root, s3_client).uri(_rel(sid, VERDICT_JSON))
    return pages


# ------------------------------------------------------------------------------------------- MLflow


def _run_tags(cfg: ModelConfig, verdict: dict[str, Any]) -> dict[str, str]:
    from include import settings

    p = tracking.TAG_PREFIX
    return {
        f"{p}kind": "drift",
        f"{p}model": cfg.name,
        f"{p}snapshot_id": verdict["snapshot_id"],
        f"{p}snapshot_sha256": verdict["snapshot_sha256"],
        f"{p}champion_version": str(verdict["champion_version"]),
        f"{p}drifted": str(bool(verdict["drifted"])).lower(),
        f"{p}config_hash": cfg.config_hash,
        f"{p}code_version": settings.code_version(),
        **{f"{p}{k}": v for k, v in verdict["lineage"].items()},
    }


def _run_metrics(verdict: dict[str, Any]) -> dict[str, float]:
    values: dict[str, Any] = {
        "share_drifted": verdict["share_drifted"],
        "n_drifted": verdict["n_drifted"],
        "n_features": verdict["n_features"],
        "drifted": float(bool(verdict["drifted"])),
        "max_effect_size": verdict["overall"].get("max_effect_size"),
        "rows_reference": verdict["rows"]["reference"],
        "rows_current": verdict["rows"]["current"],
        **{f"seconds_{k}": v for k, v in (verdict.get("timings") or {}).items()},
    }
    for key in ("prediction_drift", "target_drift"):
        d = verdict.get(key) or {}
        values[f"{key}_statistic"] = d.get("statistic")
        values[f"{key}_effect_size"] = d.get("effect_size")
        if d.get("status") == "ok":
            values[f"{key}_drifted"] = float(bool(d.get("drifted")))
    return {k: float(v) for k, v in values.items() if v is not None}


def _record_run(
    cfg: ModelConfig, client: MlflowClient, verdict: dict[str, Any], pages: dict[str, str]
) -> None:
    """One MLflow run per computed verdict (fills run_id/run_url in place), with the three files."""
    import tempfile
    from pathlib import Path

    from mlflow.entities import Metric, Param

    exp_id = tracking.ensure_experiment(cfg)
    run = client.create_run(exp_id, run_name=f"drift-{verdict['snapshot_id']}", tags=_run_tags(cfg, verdict))
    run_id = run.info.run_id
    verdict.update(run_id=run_id, experiment_id=exp_id, run_url=tracking.run_url(exp_id, run_id))
    try:
        now = int(datetime.now(UTC).timestamp() * 1000)
        params = {"engine": verdict["engine"], **verdict["settings"]}
        client.log_batch(
            run_id,
            metrics=[Metric(k, v, now, 0) for k, v in _run_metrics(verdict).items()],
            params=[Param(k, str(v)) for k, v in params.items()],
        )
        with tempfile.TemporaryDirectory() as tmp:
            for name, text in {**pages, VERDICT_JSON: _dumps(verdict)}.items():
                (Path(tmp) / name).write_text(text, encoding="utf-8")
            client.log_artifacts(run_id, tmp)
    except Exception:
        client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id, status="FINISHED")


def _tag_champion(cfg: ModelConfig, client: MlflowClient, verdict: dict[str, Any]) -> None:
    """`mlops.last_drift_check` on the champion version, for the registry UI; never moves back in time."""
    name, version, sid = cfg.registered_model_name, str(verdict["champion_version"]), verdict["snapshot_id"]
    previous = (client.get_model_version(name, version).tags or {}).get(LAST_CHECK_TAG)
    try:
        previous_sid = str(json.loads(previous)["snapshot_id"]) if previous else ""
    except (ValueError, TypeError, KeyError):
        previous_sid = ""
    if previous_sid > sid:
        return
    value = {
        "snapshot_id": sid,
        "drifted": bool(verdict["drifted"]),
        "share_drifted": verdict["share_drifted"],
        "run_id": verdict["run_id"],
        "at": verdict["computed_at"],
    }
    client.set_model_version_tag(name, version, LAST_CHECK_TAG, json.dumps(value, separators=(",", ":")))


# ---------------------------------------------------------------------------------------------- API


def _compute(
    cfg: ModelConfig,
    snapshot_id: str,
    champion: int,
    lineage: dict[str, str],
    s3_client: Any | None,
    timer: _Timer,
) -> dict[str, Any]:
    with timer.phase("load_reference"):
        reference, ref_info = _bounded(_load_reference(cfg, champion), cfg.drift.max_rows, REFERENCE_SEED)
    with timer.phase("load_baseline"):
        baseline, baseline_info = _score_baseline(cfg, champion, reference, s3_client)
    with timer.phase("load_snapshot"):
        df, manifest = snapshots.load_snapshot(cfg, snapshot_id, s3_client=s3_client)
        current, cur_info = _bounded(df, cfg.drift.max_rows, CURRENT_SEED)
        del df
    with timer.phase("score"):
        ref_scores, cur_scores, scoring = _score(cfg, champion, baseline, current)
        scoring["baseline"] = baseline_info
    with timer.phase("drift"):
        result = drift.compute_drift(
            cfg, reference, current, reference_scores=ref_scores, current_scores=cur_scores
        )
    with timer.phase("evidently"):
        evidently_html, evidently = _evidently(cfg, reference, current)
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
        pages = _write_pages(cfg, verdict, evidently_html, s3_client)
    with timer.phase("mlflow"):
        client = tracking.client()
        verdict["timings"] = timer.as_dict()
        _record_run(cfg, client, verdict, pages)
        _tag_champion(cfg, client, verdict)
    verdict["timings"] = timer.as_dict()
    # Last: the verdict's presence tells the sensor that the pages and the run exist.
    snapshots.write_report(cfg.snapshot_root(), snapshot_id, VERDICT_JSON, _dumps(verdict), s3_client)
    return drift._json_safe(verdict)  # type: ignore[no-any-return]


def monitor(
    model: str | ModelConfig,
    snapshot: str = "latest",
    *,
    lineage: dict[str, Any] | None = None,
    force: bool = False,
    s3_client: Any | None = None,
) -> dict[str, Any]:
    """Drift verdict of one snapshot against the champion's training reference (JSON-safe, for XCom).

    Computed once per (snapshot, champion version, verdict settings) under a lock, so a retry or a
    concurrent run returns the stored verdict with `reused: True`; `force` recomputes (new MLflow run).
    Raises NoChampionError without a champion and SnapshotError for a quarantined or missing snapshot.
    """
    cfg = _cfg(model)
    timer = _Timer()
    with timer.phase("resolve"):
        snapshot_id = _resolve_snapshot(cfg.snapshot_root(), snapshot, s3_client)
        champion = _champion(cfg)
    with locks.named_lock(f"drift:{cfg.name}:{snapshot_id}", timeout=LOCK_TIMEOUT_S):
        if not force:
            stored = read_verdict(cfg, snapshot_id, s3_client=s3_client)
            if (
                stored is not None
                and stored.get("champion_version") == champion
                and stored.get("settings") == drift._json_safe(_settings(cfg))
            ):
                log.info("%s: reusing the drift verdict of %s vs v%s", cfg.name, snapshot_id, champion)
                return {**stored, "reused": True}
        verdict = _compute(cfg, snapshot_id, champion, _lineage(lineage), s3_client, timer)
    log.info(
        "%s: snapshot %s vs champion v%s: %s (%s)",
        cfg.name,
        snapshot_id,
        champion,
        "DRIFT" if verdict["drifted"] else "no drift",
        verdict["reason"],
    )
    return {**verdict, "reused": False}


def read_verdict(
    cfg: ModelConfig, snapshot_id: str, *, s3_client: Any | None = None
) -> dict[str, Any] | None:
    """The stored drift verdict of a snapshot, or None when it was never checked (or is unreadable)."""
    sid = snapshots.validate_snapshot_id(snapshot_id)
    store = snapshots.store_for(cfg.snapshot_root(), s3_client)
    rel = _rel(sid, VERDICT_JSON)
    if not store.exists(rel):
        return None
    try:
        raw = json.loads(store.read_bytes(rel))
    except (ValueError, UnicodeDecodeError) as exc:
        log.warning("%s: ignoring unreadable drift verdict %s: %s", cfg.name, rel, exc)
        return None
    return raw if isinstance(raw, dict) else None


def verdict_history(
    cfg: ModelConfig, *, limit: int | None = None, s3_client: Any | None = None
) -> list[dict[str, Any]]:
    """Stored verdicts in snapshot-id (chronological) order, for drift_policy.decide_retrain.

    Snapshots without a verdict are skipped, and so are quarantined ones: drift measured on data that
    later failed validation must not count towards a retrain. `limit` keeps only the newest verdicts
    and reads no further back than it needs (storm control looks at `consecutive_windows`).
    """
    root = cfg.snapshot_root()
    newest_first: list[dict[str, Any]] = []
    for sid in reversed(snapshots.list_snapshot_ids(root, s3_client)):
        if limit is not None and len(newest_first) >= limit:
            break
        verdict = read_verdict(cfg, sid, s3_client=s3_client)
        if verdict is not None and not snapshots.is_quarantined(root, sid, s3_client):
            newest_first.append(verdict)
    return newest_first[::-1]


__all__ = [
    "EVIDENTLY_HTML",
    "LAST_CHECK_TAG",
    "VERDICT_HTML",
    "VERDICT_JSON",
    "DriftReferenceError",
    "NoChampionError",
    "monitor",
    "read_verdict",
    "verdict_history",
]
