"""The promotion rules: from scores and a bootstrap interval to promote or reject, with reasons.

Every rule that decides is written into `reasons` as a sentence with its numbers, failing reasons
first, because the verdict is the only thing promotion trusts and people read.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from airflow_champion.reports.numbers import fmt, pct, signed

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig


def decide(
    cfg: ModelConfig,
    *,
    challenger_version: int,
    champion_version: int | None,
    challenger_score: float,
    champion_score: float | None,
    boot: dict[str, Any] | None,
    blockers: list[str] | None = None,
) -> tuple[str, list[str], float | None]:
    """Apply the promotion rules; returns (decision, reasons, rel_gain). Failing reasons come first.

    `blockers` are failing reasons found before the comparison (possible leakage, too few judged rows,
    a holdout made of duplicates): any of them rejects, whatever the scores say.
    """
    decision, reasons, rel_gain = _rules(
        cfg,
        challenger_version=challenger_version,
        champion_version=champion_version,
        challenger_score=challenger_score,
        champion_score=champion_score,
        boot=boot,
    )
    if blockers:
        return "reject", [*blockers, *reasons], rel_gain
    return decision, reasons, rel_gain


def _rules(
    cfg: ModelConfig,
    *,
    challenger_version: int,
    champion_version: int | None,
    challenger_score: float,
    champion_score: float | None,
    boot: dict[str, Any] | None,
) -> tuple[str, list[str], float | None]:
    metric = cfg.metric.name
    maximize = cfg.metric_entry.greater_is_better
    pr = cfg.promotion
    if champion_version is not None and challenger_version == champion_version:
        return "reject", [f"v{challenger_version} is already the champion"], 0.0
    if champion_version is None or champion_score is None or boot is None:
        ok = challenger_score >= pr.floor if maximize else challenger_score <= pr.floor
        op = (">=" if ok else "<") if maximize else ("<=" if ok else ">")
        reason = f"first model: {metric} {fmt(challenger_score)} {op} floor {fmt(pr.floor)}" + (
            "" if ok else f" ({'higher' if maximize else 'lower'} is better): not good enough to serve"
        )
        return ("promote" if ok else "reject"), [reason], None

    diff = float(boot["diff"])
    ci_low = boot["ci_low"]
    conf = pct(1 - pr.significance)
    passed: list[str] = []
    failed: list[str] = []

    (passed if diff >= pr.min_abs_gain else failed).append(
        f"gain {signed(diff)} {'>=' if diff >= pr.min_abs_gain else '<'} min_abs_gain {fmt(pr.min_abs_gain)} "
        f"({metric}: challenger v{challenger_version} {fmt(challenger_score)} vs champion "
        f"v{champion_version} {fmt(champion_score)})"
    )
    rel_gain: float | None
    if champion_score != 0:
        rel_gain = diff / abs(champion_score)
        ok = rel_gain >= pr.min_rel_gain
        (passed if ok else failed).append(
            f"relative gain {'+' if rel_gain >= 0 else ''}{pct(rel_gain)} {'>=' if ok else '<'} "
            f"min_rel_gain {pct(pr.min_rel_gain)}"
        )
    else:
        rel_gain = None
        ok = diff > 0
        (passed if ok else failed).append(
            f"champion {metric} is 0 so the relative gain is undefined; "
            f"gain {signed(diff)} {'>' if ok else '<='} 0"
        )
    ci_high = boot.get("ci_high")
    interval = f"{pct(1 - 2 * pr.significance)} interval [{signed(ci_low)}, {signed(ci_high)}]"
    if ci_low is None or not math.isfinite(ci_low):
        failed.append(f"{conf} CI could not be computed (no bootstrap resample on which {metric} is defined)")
    elif ci_low > 0:
        passed.append(
            f"{conf} CI lower bound {signed(ci_low)} > 0 ({interval}): the gain is unlikely to be luck"
        )
    else:
        failed.append(f"{conf} CI lower bound {signed(ci_low)} <= 0 ({interval}): the gain may be luck")
    return ("reject" if failed else "promote"), failed + passed, rel_gain


__all__ = ["decide"]
