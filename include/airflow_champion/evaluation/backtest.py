"""The gate backtest (`mlops replay`): would the gate, as configured, have made the right calls?

Over a model's past snapshots in order, the candidate of each snapshot is fit (or its registered
version reused), judged by the gate against the champion of that moment exactly as evaluation would
(same holdout policy, same exclusion of rows either model was trained on, same bootstrap and rules),
and both are then scored on the *next* snapshot's new rows (rows the current snapshot did not hold and
neither model was trained on): the oracle. Per step
and in total it reports:

* agreement: the gate's decision equals the oracle's (promote iff the candidate beats the champion
  on the next snapshot by more than `promotion.min_abs_gain`);
* regret: the metric lost on the next snapshot by the gate's wrong calls (the better model's score
  minus the served model's, oriented so that positive means lost);
* optimism: the candidate's gate-measured score minus its score on the next snapshot (oriented:
  positive = the registry overstated it), the bias of the holdout policy.

Nothing is registered, no alias moves and no ledger entry is written: the simulated champion lives in
memory. This is the tool to run before trusting a configuration, and how holdout policies compare.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from airflow_champion.evaluation import leakage
from airflow_champion.evaluation.bootstrap import gate_bootstrap
from airflow_champion.evaluation.decision import decide
from airflow_champion.evaluation.judged import judged_rows
from airflow_champion.modeling import fingerprints
from airflow_champion.modeling.fit import fit_challenger
from airflow_champion.modeling.pipeline import features_and_target
from airflow_champion.reports.jsonsafe import finite_or_none
from airflow_champion.tasks import get_task

if TYPE_CHECKING:
    import pandas as pd

    from airflow_champion.config import ModelConfig

log = logging.getLogger(__name__)


@dataclass
class Candidate:
    snapshot_id: str
    model: Any
    seen: np.ndarray  # sorted fingerprints of its training rows


def _candidate(cfg: ModelConfig, df: pd.DataFrame, snapshot_id: str) -> Candidate:
    fitted = fit_challenger(cfg, df, snapshot_id)
    return Candidate(snapshot_id, fitted.pipeline, fitted.train_fingerprints)


def _gate(
    cfg: ModelConfig, df: pd.DataFrame, cand: Candidate, champ: Candidate | None, numbers: tuple[int, int]
) -> dict[str, Any]:
    """The decision evaluation would have made for this candidate against this champion; `numbers`
    are the steps whose candidates they are (reasons name them as versions: "v5 vs champion v3")."""
    task, metric = get_task(cfg.task), cfg.metric_entry
    judged = judged_rows(cfg, df, champion_training=champ.seen if champ else None)
    if task.judgeable(judged.y):
        return {
            "decision": "reject",
            "reasons": [f"not judgeable: {task.judgeable(judged.y)}"],
            "judged": judged.info,
        }
    p_ch = task.predict(cand.model, judged.X, cfg.data)
    ch_score = float(metric.score(judged.y, p_ch))
    boot = cp_score = None
    if champ is not None:
        p_cp = task.predict(champ.model, judged.X, cfg.data)
        cp_score = float(metric.score(judged.y, p_cp))
        boot = gate_bootstrap(
            cfg,
            metric,
            judged.y,
            p_ch,
            p_cp,
            clusters=judged.clusters,
            challenger_score=ch_score,
            champion_score=cp_score,
        )
    blockers = leakage.holdout_blockers(cfg, judged.info)
    if cfg.promotion.leakage_checks:
        blockers += leakage.perfect_score(metric, ch_score, len(judged.y), "candidate")
    decision, reasons, _rel = decide(
        cfg,
        challenger_version=numbers[0],
        champion_version=None if champ is None else numbers[1],
        challenger_score=ch_score,
        champion_score=cp_score,
        boot=boot,
        blockers=blockers,
    )
    return {
        "decision": decision,
        "reasons": reasons,
        "candidate_score": ch_score,
        "champion_score": cp_score,
        "ci_low": boot["ci_low"] if boot else None,
        "ci_high": boot["ci_high"] if boot else None,
        "judged": judged.info,
    }


def _next_scores(
    cfg: ModelConfig, nxt: pd.DataFrame, current: pd.DataFrame, models: list[Candidate]
) -> tuple[list[float], int]:
    """Each model's score on the next snapshot's new rows: rows in no earlier snapshot the gate saw
    (an overlapping extract repeats most of them) and that none of the models was trained on."""
    task, metric = get_task(cfg.task), cfg.metric_entry
    fp = fingerprints.row_fingerprints(cfg, nxt)
    unseen = ~fingerprints.seen(fp, fingerprints.unique_sorted(fingerprints.row_fingerprints(cfg, current)))
    for m in models:
        unseen &= ~fingerprints.seen(fp, m.seen)
    X, y = features_and_target(cfg, nxt[unseen])
    return [float(metric.score(np.asarray(y), task.predict(m.model, X, cfg.data))) for m in models], int(
        unseen.sum()
    )


def replay(
    cfg: ModelConfig,
    snapshot_ids: list[str],
    load: Callable[[str], pd.DataFrame],
    *,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Backtest the gate over `snapshot_ids` (time order); `load(id)` returns a snapshot's frame."""
    metric = cfg.metric_entry
    say = progress or log.info
    t0 = time.monotonic()
    steps: list[dict[str, Any]] = []
    champion: Candidate | None = None
    champion_step = 0
    frames: dict[str, pd.DataFrame] = {}

    def frame(sid: str) -> pd.DataFrame:
        """Each snapshot is read once: at most this step's and the next one's are in memory."""
        if sid not in frames:
            while len(frames) >= 2:
                frames.pop(next(iter(frames)))
            frames[sid] = load(sid)
        return frames[sid]

    for i, sid in enumerate(snapshot_ids):
        df = frame(sid)
        cand = _candidate(cfg, df, sid)
        gate = _gate(cfg, df, cand, champion, (i + 1, champion_step))
        step: dict[str, Any] = {
            "step": i + 1,
            "snapshot_id": sid,
            "champion": champion.snapshot_id if champion else None,
            "gate": gate["decision"],
            "gate_reasons": gate["reasons"],
            "candidate_score": finite_or_none(gate.get("candidate_score")),
            "champion_score": finite_or_none(gate.get("champion_score")),
            "ci_low": finite_or_none(gate.get("ci_low")),
            "ci_high": finite_or_none(gate.get("ci_high")),
            "judged_rows": gate["judged"].get("judged_rows"),
            "next_snapshot": snapshot_ids[i + 1] if i + 1 < len(snapshot_ids) else None,
        }
        if step["next_snapshot"] is not None:
            nxt = frame(step["next_snapshot"])
            models = [cand] if champion is None else [cand, champion]
            scores, rows = _next_scores(cfg, nxt, df, models)
            cand_next = scores[0]
            step.update(candidate_next=cand_next, next_rows=rows)
            if gate.get("candidate_score") is not None:
                step["optimism"] = metric.oriented(gate["candidate_score"], cand_next)
            if champion is not None:
                champ_next = scores[1]
                gain = metric.oriented(cand_next, champ_next)
                oracle = "promote" if gain > cfg.promotion.min_abs_gain else "reject"
                served = cand_next if gate["decision"] == "promote" else champ_next
                best = cand_next if gain > 0 else champ_next
                step.update(
                    champion_next=champ_next,
                    next_gain=gain,
                    oracle=oracle,
                    agree=oracle == gate["decision"],
                    regret=max(0.0, metric.oriented(best, served)),
                )
        steps.append(step)
        say(
            f"replay {cfg.name} {i + 1}/{len(snapshot_ids)} {sid}: gate {gate['decision']}"
            + (f", oracle {step['oracle']}" if "oracle" in step else "")
        )
        if gate["decision"] == "promote":
            champion, champion_step = cand, i + 1
    return _summary(cfg, steps, time.monotonic() - t0)


def _summary(cfg: ModelConfig, steps: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    judged = [s for s in steps if "oracle" in s]
    optimism = [s["optimism"] for s in steps if s.get("optimism") is not None]
    regrets = [s["regret"] for s in judged]
    total = {
        "steps": len(steps),
        "judged_steps": len(judged),
        "gate_promotions": sum(s["gate"] == "promote" for s in judged),
        "oracle_promotions": sum(s["oracle"] == "promote" for s in judged),
        "agreement": (sum(s["agree"] for s in judged) / len(judged)) if judged else None,
        "wrong_promotions": sum(s["gate"] == "promote" and not s["agree"] for s in judged),
        "missed_promotions": sum(s["gate"] == "reject" and not s["agree"] for s in judged),
        "regret_total": float(sum(regrets)) if regrets else 0.0,
        "regret_mean": float(np.mean(regrets)) if regrets else None,
        "optimism_mean": float(np.mean(optimism)) if optimism else None,
        "optimism_max": float(np.max(optimism)) if optimism else None,
    }
    return {
        "model": cfg.name,
        "metric": cfg.metric.name,
        "direction": cfg.metric_entry.direction,
        "holdout": cfg.holdout.model_dump(),
        "promotion": cfg.promotion.model_dump(),
        "config_hash": cfg.config_hash,
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 2),
        "total": total,
        "steps": steps,
    }


__all__ = ["replay"]
