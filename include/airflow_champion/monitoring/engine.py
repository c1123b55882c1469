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

if TYPE_CHECKING:
    import pandas as pd

    from airflow_champion.config import ModelConfig

ENGINE = "mlops-drift/1"


def _as_series(scores: Any, name: str) -> pd.Series:
    import numpy as np
    import pandas as pd

    if isinstance(scores, pd.Series):
        return scores.reset_index(drop=True)
    return pd.Series(np.asarray(scores).ravel(), name=name)


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

    Scores (the champion's positive-class probabilities for the rows of each frame) add
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
        rs = _as_series(reference_scores, "prediction")
        cs = _as_series(current_scores, "prediction")
        ri, ci = sample_index(len(rs), spec.max_rows, seed), sample_index(len(cs), spec.max_rows, seed + 1)
        rs = rs if ri is None else rs.iloc[ri]
        cs = cs if ci is None else cs.iloc[ci]
        verdict["prediction_drift"] = numeric_drift(rs, cs, spec.numeric_threshold)

    target = cfg.data.target
    if target in ref_s.columns and target in cur_s.columns:
        verdict["target_drift"] = categorical_drift(ref_s[target], cur_s[target], spec.categorical_threshold)

    return to_jsonable(verdict)  # type: ignore[no-any-return]
