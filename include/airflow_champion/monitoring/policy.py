"""When does drift justify retraining? Storm control lives here, not in the sensors.

Four signals, each with its own threshold and persistence (config `drift` / `drift.signals`):
feature drift (the share of drifted features, `share_drifted_features`, for `consecutive_windows`),
target drift (the label distribution), prediction drift (the champion's outputs) and performance
(the champion's measured metric on the snapshot's labels against the score it was promoted on).
A signal fires when it crossed in its last N verdicts against the current champion; retraining
starts when one fires, the model's cooldown since the last drift retrain has passed, and the
snapshot has not been trained on (or claimed) already. Reasons use words, not symbols: they travel
into a DAG param whose character set is pipeline.reasons.REASON_CHARS.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import takewhile
from typing import Any

from airflow_champion.config import DriftSpec
from airflow_champion.reports.numbers import fmt

SIGNALS = ("features", "target", "prediction", "performance")


@dataclass(frozen=True)
class RetrainDecision:
    retrain: bool
    reason: str
    snapshot_id: str | None = None
    fired: list[str] = field(default_factory=list)
    signals: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        t = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _persistence(spec: DriftSpec, name: str) -> int:
    return spec.consecutive_windows if name == "features" else getattr(spec.signals, name).consecutive_windows


def _enabled(spec: DriftSpec, name: str) -> bool:
    return name == "features" or bool(getattr(spec.signals, name).enabled)


def reading(spec: DriftSpec, name: str, verdict: dict[str, Any]) -> dict[str, Any]:
    """One signal on one verdict: {crossed: True/False/None (not measured), value, text}."""
    if name == "features":
        share = verdict.get("share_drifted")
        drifted = verdict.get("drifted_features") or []
        limit = spec.share_drifted_features
        text = f"{len(drifted)} feature(s) drifted (share {fmt(share, 2)}, threshold {limit})"
        if drifted:
            text += f": {', '.join(map(str, drifted[:5]))}"
        return {"crossed": bool(verdict.get("drifted")), "value": share, "text": text}
    threshold = getattr(spec.signals, name).threshold
    if name == "performance":
        perf = verdict.get("performance") or {}
        drop = perf.get("drop")
        if drop is None:
            return {
                "crossed": None,
                "value": None,
                "text": f"performance not measured ({perf.get('status', 'no labels')})",
            }
        text = (
            f"champion {perf.get('metric')} {fmt(perf.get('score'))} on the snapshot vs "
            f"{fmt(perf.get('promoted_score'))} it was promoted on: drop {fmt(drop)} (threshold {threshold})"
        )
        return {"crossed": drop >= threshold, "value": drop, "text": text}
    part = verdict.get(f"{name}_drift") or {}
    value = part.get("effect_size")
    if part.get("status") != "ok" or value is None:
        return {"crossed": None, "value": None, "text": f"{name} drift not measured"}
    text = f"{name} drift {part.get('method')} {fmt(value)} (threshold {threshold})"
    if name == "target" and part.get("positive_rate"):
        rates = part["positive_rate"]
        text += f", positive rate {fmt(rates.get('reference'))} to {fmt(rates.get('current'))}"
    return {"crossed": value >= threshold, "value": value, "text": text}


def _signals(spec: DriftSpec, window: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per enabled signal: its reading on the newest verdict, and whether it fired (persisted)."""
    out: dict[str, dict[str, Any]] = {}
    for name in SIGNALS:
        if not _enabled(spec, name):
            continue
        need = _persistence(spec, name)
        recent = window[-need:]
        crossed = [reading(spec, name, v)["crossed"] is True for v in recent]
        out[name] = {
            **reading(spec, name, window[-1]),
            "windows": need,
            "crossed_in": sum(crossed),
            "available": len(recent),
            "fired": len(recent) >= need and all(crossed),
        }
    return out


def _not_fired(signals: dict[str, dict[str, Any]], champion: Any) -> str:
    crossing = {k: s for k, s in signals.items() if s["crossed"]}
    if not crossing:
        return "no drift: " + "; ".join(s["text"] for s in signals.values())
    name, s = next(iter(crossing.items()))
    if s["available"] < s["windows"]:
        return (
            f"{s['available']} verdict(s) against champion v{champion} so far; {name} needs "
            f"{s['windows']} in a row ({s['text']})"
        )
    return (
        f"drift not persistent: {name} crossed in {s['crossed_in']} of the last {s['windows']} "
        f"window(s) ({s['text']})"
    )


def decide_retrain(
    spec: DriftSpec,
    verdicts: list[dict[str, Any]],
    *,
    last_retrain_at: datetime | None,
    claimed_snapshots: set[str],
    now: datetime | None = None,
) -> RetrainDecision:
    """Apply the signals' persistence, the cooldown and once-per-snapshot to ordered verdicts."""
    now = now or datetime.now(UTC)
    if not spec.enabled:
        return RetrainDecision(False, "drift monitoring is disabled for this model")
    if not verdicts:
        return RetrainDecision(False, "no drift verdict yet")
    latest = verdicts[-1]
    snapshot_id = latest.get("snapshot_id")
    # only verdicts against the current champion count: drift measured against a model that has
    # since been replaced says nothing about the new one (a new champion restarts persistence)
    champion = latest.get("champion_version")
    window = list(takewhile(lambda v: v.get("champion_version") == champion, reversed(verdicts)))[::-1]
    signals = _signals(spec, window)
    fired = [k for k, s in signals.items() if s["fired"]]
    if not fired:
        return RetrainDecision(False, _not_fired(signals, champion), snapshot_id, [], signals)
    if snapshot_id in claimed_snapshots:
        return RetrainDecision(
            False,
            f"snapshot {snapshot_id} was already trained on (or is in progress)",
            snapshot_id,
            fired,
            signals,
        )
    if last_retrain_at is not None and now - last_retrain_at < timedelta(hours=spec.cooldown_hours):
        left = timedelta(hours=spec.cooldown_hours) - (now - last_retrain_at)
        return RetrainDecision(
            False,
            f"cooldown: last drift retrain at {last_retrain_at.isoformat()}, {left} left",
            snapshot_id,
            fired,
            signals,
        )
    what = "; ".join(
        f"{signals[k]['text']}"
        + (f" for {signals[k]['windows']} windows" if signals[k]["windows"] > 1 else "")
        for k in fired
    )
    return RetrainDecision(True, f"drift: {what} on snapshot {snapshot_id}", snapshot_id, fired, signals)


__all__ = ["SIGNALS", "RetrainDecision", "decide_retrain", "parse_time", "reading"]
