"""When does drift justify retraining? Storm control lives here, not in the sensors.

A verdict crosses the policy when the drift engine says `drifted` (share of drifted features and
effect size, per the model's DriftSpec). Retraining starts only when the last `consecutive_windows`
verdicts all cross, the model's cooldown since the last drift-triggered retrain has passed, and the
snapshot has not been trained on (or claimed) already: one retrain per snapshot whatever fired it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from itertools import takewhile
from typing import Any

from airflow_champion.config import DriftSpec


@dataclass(frozen=True)
class RetrainDecision:
    retrain: bool
    reason: str
    snapshot_id: str | None = None

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


def decide_retrain(
    spec: DriftSpec,
    verdicts: list[dict[str, Any]],
    *,
    last_retrain_at: datetime | None,
    claimed_snapshots: set[str],
    now: datetime | None = None,
) -> RetrainDecision:
    """Apply persistence, cooldown and once-per-snapshot to chronologically ordered verdicts."""
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
    same_champion = list(takewhile(lambda v: v.get("champion_version") == champion, reversed(verdicts)))
    window = same_champion[: spec.consecutive_windows][::-1]
    if len(window) < spec.consecutive_windows:
        return RetrainDecision(
            False,
            f"{len(window)} verdict(s) against champion v{champion} so far; policy needs "
            f"{spec.consecutive_windows} in a row",
            snapshot_id,
        )
    not_crossing = [v.get("snapshot_id") for v in window if not v.get("drifted")]
    if not_crossing:
        return RetrainDecision(
            False,
            f"drift not persistent: {len(not_crossing)} of the last {spec.consecutive_windows} window(s) "
            f"below policy (e.g. {not_crossing[-1]})",
            snapshot_id,
        )
    if snapshot_id in claimed_snapshots:
        return RetrainDecision(
            False, f"snapshot {snapshot_id} was already trained on (or is in progress)", snapshot_id
        )
    if last_retrain_at is not None and now - last_retrain_at < timedelta(hours=spec.cooldown_hours):
        left = timedelta(hours=spec.cooldown_hours) - (now - last_retrain_at)
        return RetrainDecision(
            False, f"cooldown: last drift retrain at {last_retrain_at.isoformat()}, {left} left", snapshot_id
        )
    share = latest.get("share_drifted")
    drifted = latest.get("drifted_features") or []
    return RetrainDecision(
        True,
        f"drift: {len(drifted)} feature(s) drifted (share {share}) on snapshot {snapshot_id} for "
        f"{spec.consecutive_windows} window(s): {', '.join(map(str, drifted[:5]))}",
        snapshot_id,
    )


__all__ = ["RetrainDecision", "decide_retrain", "parse_time"]
