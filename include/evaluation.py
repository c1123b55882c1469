"""Champion vs challenger on the same holdout: paired bootstrap CI, verdict, HTML report.

The verdict (see docs/architecture.md) is the only thing promotion trusts, so every rule that decides
it is written into `reasons` as a sentence with the numbers, and the evaluation is recorded as an MLflow
run plus tags on the challenger version.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import math
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from include import tracking
from include.errors import EvaluationError
from include.metrics import THRESHOLD

if TYPE_CHECKING:
    import pandas as pd

    from include.config import ModelConfig

log = logging.getLogger(__name__)

# Cells (resamples x rows) materialised at once; bounds memory to a few tens of MB for any holdout size.
_CHUNK_CELLS = 2_000_000
_RANK_METRICS = {"roc_auc", "average_precision"}
_KNOWN_METRICS = {"roc_auc", "average_precision", "accuracy", "balanced_accuracy", "f1", "log_loss", "brier"}


# ------------------------------------------------------------------------------------- bootstrap


class _Prepared:
    """Per-prediction-vector data reused by every resample (sort order, tie groups, thresholded labels)."""

    def __init__(self, metric: str, y: np.ndarray, p: np.ndarray) -> None:
        self.metric = metric
        self.y = y
        self.p = p
        if metric in _RANK_METRICS:
            self.order = np.argsort(p, kind="mergesort")
            ps = p[self.order]
            self.starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])
            self.y_sorted = y[self.order]
        elif metric == "log_loss":
            pc = np.clip(p, 1e-15, 1 - 1e-15)  # as include.metrics, so the point estimates agree
            self.loss = -(y * np.log(pc) + (1 - y) * np.log1p(-pc))
        elif metric == "brier":
            self.loss = (p - y) ** 2
        else:
            pred = (p >= THRESHOLD).astype(np.float64)
            self.tp = y * pred
            self.tn = (1 - y) * (1 - pred)
            self.fp = (1 - y) * pred
            self.fn = y * (1 - pred)


def _weighted_metric(prep: _Prepared, w: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """Metric of each resample, a resample being row counts `w` (B x n) over the original rows.

    Counting multiplicities instead of gathering rows makes every metric a weighted sum, and the rank
    metrics need a single sort of the original scores, so B resamples cost O(B*n) with no per-row loop.
    """
    n = w.shape[1]
    m = prep.metric
    if m in _RANK_METRICS:
        ws = w[:, prep.order]
        wp = ws * prep.y_sorted
        gp = np.add.reduceat(wp, prep.starts, axis=1)  # positive weight per tied-score group (ascending)
        gn = np.add.reduceat(ws - wp, prep.starts, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            if m == "roc_auc":
                below = np.cumsum(gn, axis=1) - gn
                return (gp * (below + 0.5 * gn)).sum(axis=1) / (pos * neg)
            gp, gn = gp[:, ::-1], gn[:, ::-1]  # descending thresholds, as precision_recall_curve
            ctp = np.cumsum(gp, axis=1)
            denom = ctp + np.cumsum(gn, axis=1)
            precision = np.where(denom > 0, ctp / np.where(denom > 0, denom, 1.0), 0.0)
            return (gp * precision).sum(axis=1) / pos
    if m in {"log_loss", "brier"}:
        return w @ prep.loss / n
    tp, tn, fp, fn = (w @ prep.tp, w @ prep.tn, w @ prep.fp, w @ prep.fn)
    with np.errstate(divide="ignore", invalid="ignore"):
        if m == "accuracy":
            return (tp + tn) / n
        if m == "balanced_accuracy":
            return 0.5 * (tp / pos + tn / neg)
        denom = 2 * tp + fp + fn
        return np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1.0), 0.0)  # f1, 0 when undefined


def _as_arrays(y_true: Any, *probas: Any) -> tuple[np.ndarray, ...]:
    y = np.asarray(y_true, dtype=np.float64).ravel()
    out = [y]
    for p in probas:
        arr = np.asarray(p, dtype=np.float64).ravel()
        if arr.shape != y.shape:
            raise ValueError(f"predictions have {arr.size} rows, labels {y.size}")
        out.append(arr)
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y_true must hold 0/1 labels")
    return tuple(out)


def paired_bootstrap(
    y_true: Any,
    p_challenger: Any,
    p_champion: Any,
    metric: str,
    *,
    greater_is_better: bool,
    samples: int,
    alpha: float,
    seed: int = 0,
) -> dict[str, Any]:
    """Paired bootstrap of the metric difference; positive `diff` always means "challenger better".

    Both models are scored on the *same* resampled rows, so row difficulty cancels out and the CI is
    far tighter than comparing two independent CIs. `ci_low` is the one-sided lower bound at quantile
    `alpha` (promotion asks for it to be > 0), `ci_high` the bound at 1 - alpha. Resamples holding a
    single class are skipped (rank metrics are undefined there) and counted out of `samples_used`.
    """
    if metric not in _KNOWN_METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {sorted(_KNOWN_METRICS)}")
    if samples < 1 or not 0 < alpha < 1:
        raise ValueError(f"need samples >= 1 and 0 < alpha < 1, got samples={samples}, alpha={alpha}")
    y, p_ch, p_cp = _as_arrays(y_true, p_challenger, p_champion)
    n = y.size
    if n == 0 or y.min() == y.max():
        raise ValueError("the bootstrap needs both classes in y_true")
    sign = 1.0 if greater_is_better else -1.0
    prep_ch, prep_cp = _Prepared(metric, y, p_ch), _Prepared(metric, y, p_cp)

    def diffs(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos = w @ y
        neg = n - pos
        ok = (pos > 0) & (neg > 0)
        d = sign * (_weighted_metric(prep_ch, w, pos, neg) - _weighted_metric(prep_cp, w, pos, neg))
        return d[ok], ok

    full, _ = diffs(np.ones((1, n)))
    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK_CELLS // n)
    kept: list[np.ndarray] = []
    done = 0
    while done < samples:
        b = min(chunk, samples - done)
        idx = rng.integers(0, n, size=(b, n))
        idx += (np.arange(b) * n)[:, None]
        w = np.bincount(idx.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)
        d, _ = diffs(w)
        kept.append(d)
        done += b
    all_d = np.concatenate(kept) if kept else np.empty(0)
    used = int(all_d.size)
    if used == 0:
        ci_low = ci_high = float("nan")
    else:
        ci_low, ci_high = (float(q) for q in np.quantile(all_d, [alpha, 1 - alpha]))
    return {
        "metric": metric,
        "diff": float(full[0]),
        "ci_low": ci_low,
        "ci_high": ci_high,
        "alpha": float(alpha),
        "samples": int(samples),
        "samples_used": used,
        "prob_better": float((all_d > 0).mean()) if used else float("nan"),
    }


# ------------------------------------------------------------------------------------- decision


def _num(v: Any) -> float | None:
    """JSON-safe float: NaN/inf and None become None."""
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _pct(confidence: float) -> str:
    return f"{confidence * 100:g}%"


def decide(
    cfg: ModelConfig,
    *,
    challenger_version: int,
    champion_version: int | None,
    challenger_score: float,
    champion_score: float | None,
    boot: dict[str, Any] | None,
) -> tuple[str, list[str], float | None]:
    """Apply the promotion rules; returns (decision, reasons, rel_gain). Failing reasons come first."""
    metric = cfg.metric.name
    maximize = cfg.metric.greater_is_better
    pr = cfg.promotion
    if champion_version is not None and challenger_version == champion_version:
        return "reject", [f"v{challenger_version} is already the champion"], 0.0
    if champion_version is None or champion_score is None or boot is None:
        ok = challenger_score >= pr.floor if maximize else challenger_score <= pr.floor
        op = (">=" if ok else "<") if maximize else ("<=" if ok else ">")
        reason = f"first model: {metric} {challenger_score:.4f} {op} floor {pr.floor:.4f}" + (
            "" if ok else f" ({'higher' if maximize else 'lower'} is better): not good enough to serve"
        )
        return ("promote" if ok else "reject"), [reason], None

    diff = float(boot["diff"])
    ci_low = boot["ci_low"]
    conf = _pct(1 - pr.significance)
    passed: list[str] = []
    failed: list[str] = []

    (passed if diff >= pr.min_abs_gain else failed).append(
        f"gain {diff:+.4f} {'>=' if diff >= pr.min_abs_gain else '<'} min_abs_gain {pr.min_abs_gain:g} "
        f"({metric}: challenger v{challenger_version} {challenger_score:.4f} vs champion "
        f"v{champion_version} {champion_score:.4f})"
    )
    rel_gain: float | None
    if champion_score != 0:
        rel_gain = diff / abs(champion_score)
        ok = rel_gain >= pr.min_rel_gain
        (passed if ok else failed).append(
            f"relative gain {rel_gain:+.2%} {'>=' if ok else '<'} min_rel_gain {pr.min_rel_gain:.2%}"
        )
    else:
        rel_gain = None
        ok = diff > 0
        (passed if ok else failed).append(
            f"champion {metric} is 0 so the relative gain is undefined; gain {diff:+.4f} "
            f"{'>' if ok else '<='} 0"
        )
    if ci_low is None or not math.isfinite(ci_low):
        failed.append(f"{conf} CI could not be computed (no bootstrap resample held both classes)")
    elif ci_low > 0:
        passed.append(f"{conf} CI lower bound {ci_low:+.4f} > 0: the gain is unlikely to be luck")
    else:
        failed.append(f"{conf} CI lower bound {ci_low:+.4f} <= 0: the gain may be luck")
    return ("reject" if failed else "promote"), failed + passed, rel_gain


# ------------------------------------------------------------------------------------- evaluation


def _predict(cfg: ModelConfig, version: int, role: str, X: pd.DataFrame) -> np.ndarray:
    """P(positive) of one registered version; any failure names the model, version and cause."""
    try:
        model = tracking.load_model(cfg, version)
    except Exception as exc:
        raise EvaluationError(
            f"{cfg.name}: cannot load {role} v{version} from the registry: {type(exc).__name__}: {exc}"
        ) from exc
    try:
        proba = np.asarray(model.predict_proba(X))
        classes = [int(c) for c in getattr(model, "classes_", [0, 1])]
        if 1 not in classes:
            raise ValueError(f"model classes {classes} do not include the positive class 1")
        p = proba[:, classes.index(1)].astype(np.float64)
    except Exception as exc:
        raise EvaluationError(
            f"{cfg.name}: {role} v{version} cannot score the holdout: {type(exc).__name__}: {exc}"
        ) from exc
    if not np.isfinite(p).all():
        raise EvaluationError(f"{cfg.name}: {role} v{version} returned non-finite probabilities")
    return p


def evaluate_challenger(
    cfg: ModelConfig,
    df: pd.DataFrame,
    *,
    snapshot_id: str,
    challenger_version: int,
    champion_version: int | None,
) -> dict[str, Any]:
    """Score challenger and champion on the snapshot's holdout and return the Verdict (JSON-safe).

    The holdout is the deterministic split training left out, so both models see rows neither was fit
    on. Logs one MLflow evaluation run (verdict.json, report.html, plots) and tags the challenger.
    """
    from include import metrics, model_io

    _, holdout = model_io.split_holdout(cfg, df)
    X, y = model_io.features_and_target(cfg, holdout)
    y = np.asarray(y).astype(np.int64).ravel()
    if y.size == 0 or np.unique(y).size < 2:
        raise EvaluationError(
            f"{cfg.name}: holdout of snapshot {snapshot_id} has {y.size} rows and a single class "
            f"(challenger v{challenger_version}); AUC-type metrics and the bootstrap need both classes"
        )

    same = champion_version is not None and int(champion_version) == int(challenger_version)
    p_ch = _predict(cfg, challenger_version, "challenger", X)
    p_cp = None
    if champion_version is not None:
        p_cp = p_ch if same else _predict(cfg, int(champion_version), "champion", X)

    name = cfg.metric.name
    ch_scores = metrics.all_scores(y, p_ch)
    cp_scores = metrics.all_scores(y, p_cp) if p_cp is not None else None
    ch_score = float(metrics.score(name, y, p_ch))
    cp_score = float(metrics.score(name, y, p_cp)) if p_cp is not None else None

    boot: dict[str, Any] | None = None
    if p_cp is not None and not same:
        boot = paired_bootstrap(
            y,
            p_ch,
            p_cp,
            name,
            greater_is_better=cfg.metric.greater_is_better,
            samples=cfg.promotion.bootstrap_samples,
            alpha=cfg.promotion.significance,
            seed=cfg.holdout.seed,
        )
        # The point estimate reported and judged is the one from the metrics module.
        assert cp_score is not None
        boot["diff"] = (ch_score - cp_score) if cfg.metric.greater_is_better else (cp_score - ch_score)
    decision, reasons, rel_gain = decide(
        cfg,
        challenger_version=challenger_version,
        champion_version=champion_version,
        challenger_score=ch_score,
        champion_score=cp_score,
        boot=boot,
    )
    diff = boot["diff"] if boot else (0.0 if same else None)
    verdict: dict[str, Any] = {
        "model": cfg.name,
        "snapshot_id": snapshot_id,
        "challenger_version": int(challenger_version),
        "champion_version": None if champion_version is None else int(champion_version),
        "decision": decision,
        "reasons": reasons,
        "metric": name,
        "direction": cfg.metric.direction,
        "challenger_score": _num(ch_score),
        "champion_score": _num(cp_score),
        "diff": _num(diff),
        "rel_gain": _num(rel_gain),
        "ci_low": _num(boot["ci_low"]) if boot else None,
        "ci_high": _num(boot["ci_high"]) if boot else None,
        "confidence": float(1 - cfg.promotion.significance),
        "bootstrap_samples": int(boot["samples_used"]) if boot else 0,
        "holdout_rows": int(y.size),
        "floor": float(cfg.promotion.floor),
        "evaluated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "eval_run_id": None,
        "report_uri": None,
        "challenger_scores": {k: _num(v) for k, v in ch_scores.items()},
        "champion_scores": {k: _num(v) for k, v in cp_scores.items()} if cp_scores else None,
    }
    _record(cfg, verdict, y, p_ch, None if same else p_cp, tag_version=not same)
    log.info(
        "%s: challenger v%s vs champion %s -> %s (%s)",
        cfg.name,
        challenger_version,
        champion_version,
        decision,
        "; ".join(reasons),
    )
    return verdict


def _record(
    cfg: ModelConfig,
    verdict: dict[str, Any],
    y: np.ndarray,
    p_ch: np.ndarray,
    p_cp: np.ndarray | None,
    *,
    tag_version: bool,
) -> None:
    """One MLflow run per evaluation (fills eval_run_id/report_uri in place) + challenger version tags.

    When the challenger already is the champion its version is not tagged: a `reject` there would
    overwrite the verdict that made it champion.
    """
    c = tracking.client()
    exp_id = tracking.ensure_experiment(cfg)
    cv = verdict["champion_version"]
    run = c.create_run(
        exp_id,
        run_name=f"evaluate-v{verdict['challenger_version']}",
        tags={
            f"{tracking.TAG_PREFIX}kind": "evaluation",
            f"{tracking.TAG_PREFIX}model": cfg.name,
            f"{tracking.TAG_PREFIX}snapshot_id": verdict["snapshot_id"],
            f"{tracking.TAG_PREFIX}challenger_version": str(verdict["challenger_version"]),
            f"{tracking.TAG_PREFIX}champion_version": "none" if cv is None else str(cv),
            f"{tracking.TAG_PREFIX}decision": verdict["decision"],
        },
    )
    run_id = run.info.run_id
    verdict["eval_run_id"] = run_id
    verdict["report_uri"] = f"{run.info.artifact_uri.rstrip('/')}/report.html"
    try:
        from mlflow.entities import Metric, Param

        now = int(datetime.now(UTC).timestamp() * 1000)
        values: dict[str, float | None] = {
            "diff": verdict["diff"],
            "rel_gain": verdict["rel_gain"],
            "ci_low": verdict["ci_low"],
            "ci_high": verdict["ci_high"],
            "holdout_rows": float(verdict["holdout_rows"]),
        }
        for side in ("challenger", "champion"):
            for k, v in (verdict[f"{side}_scores"] or {}).items():
                values[f"{side}_{k}"] = v
        params = {
            "metric": verdict["metric"],
            "direction": verdict["direction"],
            "floor": cfg.promotion.floor,
            "min_abs_gain": cfg.promotion.min_abs_gain,
            "min_rel_gain": cfg.promotion.min_rel_gain,
            "significance": cfg.promotion.significance,
            "bootstrap_samples": cfg.promotion.bootstrap_samples,
        }
        c.log_batch(
            run_id,
            metrics=[Metric(k, float(v), now, 0) for k, v in values.items() if v is not None],
            params=[Param(k, str(v)) for k, v in params.items()],
        )
        plots = _plots(y, p_ch, p_cp, verdict)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            for fname, png in plots.items():
                (out / fname).write_bytes(png)
            (out / "verdict.json").write_text(json.dumps(verdict, indent=2, sort_keys=True))
            (out / "report.html").write_text(render_report_html(verdict, plots), encoding="utf-8")
            c.log_artifacts(run_id, tmp)
        if tag_version:
            mv_tags = {
                "verdict": verdict["decision"],
                "verdict_champion": "none" if cv is None else str(cv),
                "eval_run_id": run_id,
            }
            for k, v in mv_tags.items():
                c.set_model_version_tag(
                    cfg.registered_model_name,
                    str(verdict["challenger_version"]),
                    f"{tracking.TAG_PREFIX}{k}",
                    v,
                )
    except Exception:
        c.set_terminated(run_id, status="FAILED")
        raise
    c.set_terminated(run_id, status="FINISHED")


# ------------------------------------------------------------------------------------- report


def _png(fig: Any) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return buf.getvalue()


def _plots(
    y: np.ndarray, p_ch: np.ndarray, p_cp: np.ndarray | None, verdict: dict[str, Any]
) -> dict[str, bytes]:
    """ROC, PR and confusion-matrix PNGs; a bare Figure (no pyplot) keeps this thread-safe and headless."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from sklearn.metrics import auc, confusion_matrix, precision_recall_curve, roc_curve

    series = [(f"challenger v{verdict['challenger_version']}", p_ch, "tab:orange")]
    if p_cp is not None:
        series.insert(0, (f"champion v{verdict['champion_version']}", p_cp, "tab:blue"))
    out: dict[str, bytes] = {}

    fig = Figure(figsize=(5, 4.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for label, p, color in series:
        fpr, tpr, _ = roc_curve(y, p)
        ax.plot(fpr, tpr, color=color, label=f"{label} (AUC {auc(fpr, tpr):.4f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC curve (holdout)")
    ax.legend(loc="lower right")
    out["roc_curve.png"] = _png(fig)

    fig = Figure(figsize=(5, 4.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for label, p, color in series:
        prec, rec, _ = precision_recall_curve(y, p)
        ax.step(rec, prec, where="post", color=color, label=label)
    ax.axhline(float(y.mean()), color="grey", linestyle=":", linewidth=1, label="prevalence")
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall curve (holdout)", ylim=(0, 1.02))
    ax.legend(loc="lower left")
    out["pr_curve.png"] = _png(fig)

    fig = Figure(figsize=(4.2 * len(series), 4))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(series), squeeze=False)[0]
    for ax, (label, p, _) in zip(axes, series, strict=True):
        cm = confusion_matrix(y, (p >= THRESHOLD).astype(int), labels=[0, 1])
        ax.imshow(cm, cmap="Blues")
        mid = (cm.min() + cm.max()) / 2  # imshow normalises min..max, so dark cells are above the midpoint
        for (i, j), v in np.ndenumerate(cm):
            ax.text(j, i, str(v), ha="center", va="center", color="white" if v > mid else "black")
        ax.set(xticks=[0, 1], yticks=[0, 1], xlabel="predicted", ylabel="actual", title=f"{label} @ 0.5")
    fig.tight_layout()
    out["confusion_matrix.png"] = _png(fig)
    return out


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


def render_report_html(verdict: dict[str, Any], plots: dict[str, bytes] | None = None) -> str:
    """Self-contained page of a verdict (plots inlined as base64) that a reviewer can open offline."""
    e = html.escape
    decision = str(verdict.get("decision", ""))
    ok = decision == "promote"
    ch_scores = verdict.get("challenger_scores") or {}
    cp_scores = verdict.get("champion_scores") or {}
    cv = verdict.get("champion_version")
    rows = []
    for k in sorted(set(ch_scores) | set(cp_scores)):
        mark = " class='main'" if k == verdict.get("metric") else ""
        rows.append(
            f"<tr{mark}><td>{e(k)}</td><td>{e(_fmt(cp_scores.get(k)))}</td>"
            f"<td>{e(_fmt(ch_scores.get(k)))}</td></tr>"
        )
    conf = verdict.get("confidence")
    ci = (
        f"{_pct(conf) if isinstance(conf, float) else ''} one-sided bounds of the gain: "
        f"[{_fmt(verdict.get('ci_low'))}, {_fmt(verdict.get('ci_high'))}] "
        f"from {verdict.get('bootstrap_samples')} paired bootstrap resamples"
        if verdict.get("ci_low") is not None
        else "no bootstrap (no champion to compare with)"
    )
    imgs = "".join(
        f"<figure><img alt='{e(n)}' src='data:image/png;base64,{base64.b64encode(b).decode()}'>"
        f"<figcaption>{e(n)}</figcaption></figure>"
        for n, b in (plots or {}).items()
    )
    title = f"Evaluation of {verdict.get('model', '')} v{verdict.get('challenger_version')}"
    facts = [
        ("snapshot", verdict.get("snapshot_id")),
        ("champion", "none (first model)" if cv is None else f"v{cv}"),
        ("metric", f"{verdict.get('metric')} ({verdict.get('direction')})"),
        ("gain (positive = challenger better)", _fmt(verdict.get("diff"))),
        ("relative gain", _fmt(verdict.get("rel_gain"))),
        ("confidence interval", ci),
        ("floor", _fmt(verdict.get("floor"))),
        ("holdout rows", verdict.get("holdout_rows")),
        ("evaluated at", verdict.get("evaluated_at")),
        ("MLflow run", verdict.get("eval_run_id")),
    ]
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{e(title)}</title><style>body{{font-family:sans-serif;max-width:70em}}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px}"
        "tr.main{font-weight:bold}.promote{color:#060}.reject{color:#a00}figure{display:inline-block}"
        "</style></head><body>"
        f"<h1>{e(title)}</h1>"
        f"<h2 class='{'promote' if ok else 'reject'}'>Decision: {e(decision.upper())}</h2>"
        "<ul>" + "".join(f"<li>{e(str(r))}</li>" for r in verdict.get("reasons", [])) + "</ul>"
        "<table>" + "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in facts) + "</table>"
        "<h2>Holdout metrics</h2><table><tr><th>metric</th><th>champion</th><th>challenger</th></tr>"
        + "".join(rows)
        + "</table><h2>Plots</h2>"
        + imgs
        + "</body></html>"
    )
