"""The drift verdict of a snapshot against a reference: per feature, the dataset rule, and the
prediction and target signals.

Dataset verdict: drifted when the share of drifted features >= `drift.share_drifted_features`
(Evidently's "share of drifted columns >= drift_share") AND at least one drifted feature has
effect_size >= `drift.min_effect_size`. Features that cannot be tested (missing column, no finite
value on one side) are reported with `status` and left out of the share: their problem is data
quality, which validation owns. At most `drift.max_rows` rows per side are used (monitoring.sampling).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from airflow_champion.monitoring.sampling import sample_frame, sample_index
from airflow_champion.monitoring.statistics import (
    P_VALUE_THRESHOLD,
    categorical_drift,
    numeric_drift,
    untestable,
)
from airflow_champion.reports.jsonsafe import to_jsonable
from airflow_champion.tasks import get_task

if TYPE_CHECKING:
    import pandas as pd

    from airflow_champion.config import ModelConfig

ENGINE = "mlops-drift/1"


def _prediction_drift(cfg: ModelConfig, reference: Any, current: Any, seed: int) -> dict[str, Any]:
    """Drift of the champion's predictions, per prediction column of its task (binary: P(positive);
    multiclass: each class's probability; regression: the value), summarised as the column that
    moved most. Sampled as the features are, so the same rows are compared."""
    import numpy as np
    import pandas as pd

    task, spec = get_task(cfg.task), cfg.drift
    ref_cols = task.prediction_columns(np.asarray(reference), cfg.data)
    cur_cols = task.prediction_columns(np.asarray(current), cfg.data)
    columns: dict[str, dict[str, Any]] = {}
    for name, ref in ref_cols.items():
        rs, cs = pd.Series(ref, name=name), pd.Series(cur_cols[name], name=name)
        ri, ci = sample_index(len(rs), spec.max_rows, seed), sample_index(len(cs), spec.max_rows, seed + 1)
        rs = rs if ri is None else rs.iloc[ri]
        cs = cs if ci is None else cs.iloc[ci]
        columns[name] = numeric_drift(rs, cs, spec.numeric_threshold)
    if len(columns) == 1:
        return next(iter(columns.values()))
    tested = {k: v for k, v in columns.items() if v["status"] == "ok"}
    worst = max(tested, key=lambda k: tested[k]["effect_size"] or 0.0, default=None)
    summary = dict(tested[worst]) if worst else dict(next(iter(columns.values())))
    summary.update(
        drifted=any(v["drifted"] for v in tested.values()),
        column=worst,
        drifted_columns=sorted(k for k, v in tested.items() if v["drifted"]),
        columns=columns,
    )
    return summary


def _target_drift(cfg: ModelConfig, ref: pd.Series, cur: pd.Series) -> dict[str, Any]:
    """Drift of the labels (concept drift shows here first), at the target signal's own threshold;
    a binary target also reports its positive rate on both sides, the number people read."""
    task, threshold = get_task(cfg.task), cfg.drift.signals.target.threshold
    if task.target_type == "numeric":
        return numeric_drift(ref, cur, threshold)
    out = categorical_drift(ref, cur, threshold)
    if task.name == "binary":
        rates = {}
        for side, values in (("reference", ref), ("current", cur)):
            coded = task.encode_target(values.dropna(), cfg.data)
            rates[side] = float(coded.mean()) if coded.size else None
        out["positive_rate"] = rates
    return out


def compute_drift(
    cfg: ModelConfig,
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    reference_scores: Any = None,
    current_scores: Any = None,
    seed: int = 0,
) -> dict[str, Any]:
    """JSON-safe drift verdict of `current` against `reference` for the features of `cfg`.

    The champion's predictions for the rows of each frame (as its task defines them) add
    `prediction_drift`; a target column present in both frames adds `target_drift` (concept drift shows
    there, not in the features). Neither changes `overall`, which is about the inputs.
    """
    spec = cfg.drift
    ref_s, ref_info = sample_frame(reference, spec.max_rows, seed)
    cur_s, cur_info = sample_frame(current, spec.max_rows, seed + 1)

    features: dict[str, dict[str, Any]] = {}
    for f in cfg.data.features:
        thr = spec.numeric_threshold if f.type == "numeric" else spec.categorical_threshold
        missing = [
            side for side, df in (("reference", ref_s), ("current", cur_s)) if f.name not in df.columns
        ]
        if missing:
            features[f.name] = untestable(f.type, "missing", f"column missing in {' and '.join(missing)}")
        elif f.type == "numeric":
            features[f.name] = numeric_drift(ref_s[f.name], cur_s[f.name], thr)
        else:
            features[f.name] = categorical_drift(ref_s[f.name], cur_s[f.name], thr)

    tested = {k: v for k, v in features.items() if v["status"] == "ok"}
    drifted = sorted(k for k, v in tested.items() if v["drifted"])
    share = len(drifted) / len(tested) if tested else 0.0
    max_effect = max((tested[k]["effect_size"] for k in drifted), default=0.0)
    share_ok = bool(tested) and share >= spec.share_drifted_features
    effect_ok = bool(drifted) and max_effect >= spec.min_effect_size
    overall_drifted = share_ok and effect_ok
    if overall_drifted:
        reason = (
            f"{len(drifted)}/{len(tested)} features drifted (share {share:.2f} >= "
            f"{spec.share_drifted_features:.2f}), largest effect {max_effect:.3f}"
        )
    elif share_ok:
        reason = f"share {share:.2f} reached but largest effect {max_effect:.3f} < {spec.min_effect_size:.3f}"
    else:
        reason = (
            f"{len(drifted)}/{len(tested)} features drifted "
            f"(share {share:.2f} < {spec.share_drifted_features:.2f})"
        )

    verdict: dict[str, Any] = {
        "engine": ENGINE,
        "model": cfg.name,
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": {"reference": ref_info["rows"], "current": cur_info["rows"]},
        "sampled": {
            "max_rows": spec.max_rows,
            "seed": seed,
            "method": "uniform without replacement",
            "reference": ref_info,
            "current": cur_info,
        },
        "thresholds": {
            "numeric": spec.numeric_threshold,
            "categorical": spec.categorical_threshold,
            "p_value": P_VALUE_THRESHOLD,
            "share_drifted_features": spec.share_drifted_features,
            "min_effect_size": spec.min_effect_size,
        },
        "features": features,
        "overall": {
            "drifted": overall_drifted,
            "share_drifted": share,
            "n_drifted": len(drifted),
            "n_features": len(tested),
            "drifted_features": drifted,
            "untestable_features": sorted(k for k, v in features.items() if v["status"] != "ok"),
            "max_effect_size": max_effect,
            "reason": reason,
        },
        "prediction_drift": None,
        "target_drift": None,
    }

    if reference_scores is not None and current_scores is not None:
        verdict["prediction_drift"] = _prediction_drift(cfg, reference_scores, current_scores, seed)

    target = cfg.data.target
    if target in ref_s.columns and target in cur_s.columns:
        verdict["target_drift"] = _target_drift(cfg, ref_s[target], cur_s[target])

    return to_jsonable(verdict)  # type: ignore[no-any-return]
