"""The gates beside the metric comparison: slices, calibration, serving budgets and revocation.

Each returns its numbers for the verdict and blocker sentences; any blocker rejects the challenger
whatever the overall comparison says (evaluation.decision puts them first). Slices need a champion
to compare with; calibration compares with the champion when there is one and applies its absolute
limit always; budgets are the challenger's own. None of them runs when the challenger already is
the champion (there is nothing to decide).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_champion.evaluation.budgets import budget_gate
from airflow_champion.evaluation.calibration import calibration_gate
from airflow_champion.evaluation.slices import slice_gate
from airflow_champion.registry import revocation, tracking

if TYPE_CHECKING:
    import numpy as np

    from airflow_champion.config import ModelConfig
    from airflow_champion.evaluation.judged import Judged
    from airflow_champion.tasks import Task


def run_checks(
    cfg: ModelConfig,
    task: Task,
    judged: Judged,
    *,
    challenger_model: Any,
    challenger_version: int,
    p_ch: np.ndarray,
    p_cp: np.ndarray | None,
    calibration_draws: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """({slices, calibration, budgets, revoked} for the verdict, blocker sentences);
    `calibration_draws`: the calibration gate's bootstrap, done in the promotion gate's pass."""
    seed = cfg.holdout.seed
    sections: dict[str, Any] = {
        "slices": None,
        "calibration": calibration_gate(
            cfg,
            task.name,
            judged.y,
            p_ch,
            p_cp,
            clusters=judged.clusters,
            seed=seed,
            draws=calibration_draws,
        ),
        "budgets": budget_gate(cfg, task, challenger_model, challenger_version, judged.X),
        "revoked": revocation.revoked_reason(tracking.client(), cfg, challenger_version),
    }
    if p_cp is not None:
        sections["slices"] = slice_gate(
            cfg, cfg.metric_entry, judged.rows, judged.y, p_ch, p_cp, judged.clusters, seed=seed
        )
    blockers: list[str] = []
    if sections["revoked"]:
        blockers.append(f"{sections['revoked']}; never promoted again automatically")
    for name in ("slices", "calibration", "budgets"):
        blockers += list((sections[name] or {}).get("blockers") or [])
    return sections, blockers


__all__ = ["run_checks"]
