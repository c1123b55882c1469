"""Every metric this package sends: name, StatsD type, tag keys, meaning and when, in one list.

docs/metrics.md documents the same list (a test checks that each name is there and in its
statsd_exporter mapping). Each metric always carries exactly its tag keys, never more or fewer:
Prometheus (and so statsd_exporter) refuses series of one metric whose label names differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["counter", "gauge", "timer"]


@dataclass(frozen=True)
class Metric:
    name: str
    kind: Kind
    tags: tuple[str, ...]
    help: str
    when: str


GATE_DECISION = "mlops.gate.decision"
GATE_GAIN = "mlops.gate.gain"
GATE_CI_LOW = "mlops.gate.ci_low"
GATE_CI_HIGH = "mlops.gate.ci_high"
LANDING_TO_DECISION = "mlops.snapshot.landing_to_decision_seconds"
CHAMPION_AGE = "mlops.champion.age_seconds"
CHAMPION_SINCE = "mlops.champion.since_timestamp_seconds"
CHAMPION_VERSION = "mlops.champion.version"
ROLLBACK = "mlops.rollback"
VALIDATION_PASSED = "mlops.validation.passed"
VALIDATION_FAILED = "mlops.validation.failed"
DRIFT_SCORE = "mlops.drift.score"
DRIFT_DETECTED = "mlops.drift.detected"
DRIFT_FEATURE_SCORE = "mlops.drift.feature_score"
DRIFT_FEATURE_DETECTED = "mlops.drift.feature_detected"

_DECIDED = "after each promotion decision (the ledger entry is written)"
_CHAMPION = "after each promotion decision, rollback and drift check"
_DRIFT = "after each drift check (a reused verdict is sent again)"

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            GATE_DECISION,
            "counter",
            ("model", "decision", "verdict", "reason"),
            "promotion decisions; decision = the ledger action (promote, reject, shadow, conflict) or "
            "refused (an unusable verdict), verdict = what evaluation said (promote, reject), reason = "
            "the class of the deciding reason",
            _DECIDED + "; a conflict or refusal when it is raised",
        ),
        Metric(
            GATE_GAIN,
            "gauge",
            ("model", "metric"),
            "challenger minus champion on the gate metric, oriented so that > 0 is better",
            _DECIDED + ", when there was a champion to compare with",
        ),
        Metric(
            GATE_CI_LOW,
            "gauge",
            ("model", "metric"),
            "lower bound of the bootstrap interval of the gain (promotion needs it > 0)",
            _DECIDED + ", when the bootstrap ran",
        ),
        Metric(
            GATE_CI_HIGH,
            "gauge",
            ("model", "metric"),
            "upper bound of the bootstrap interval of the gain",
            _DECIDED + ", when the bootstrap ran",
        ),
        Metric(
            LANDING_TO_DECISION,
            "timer",
            ("model", "decision"),
            "seconds from the snapshot's manifest created_at (it landed complete) to the decision",
            _DECIDED + ", when the manifest records created_at",
        ),
        Metric(
            CHAMPION_AGE,
            "gauge",
            ("model",),
            "seconds since the current champion took the alias (its promote or rollback ledger entry)",
            _CHAMPION,
        ),
        Metric(
            CHAMPION_SINCE,
            "gauge",
            ("model",),
            "Unix time at which the current champion took the alias: `time() - this` is its age now, "
            "between the checks that refresh age_seconds",
            _CHAMPION,
        ),
        Metric(CHAMPION_VERSION, "gauge", ("model",), "version number of the current champion", _CHAMPION),
        Metric(
            ROLLBACK,
            "counter",
            ("model", "outcome", "trigger"),
            "rollbacks; outcome rolled_back, conflict (the champion moved since it was decided) or "
            "refused (nothing to roll back to); trigger automatic (post-promotion check) or manual",
            "after each rollback attempt",
        ),
        Metric(VALIDATION_PASSED, "counter", ("model",), "snapshots that passed validation", "after gate 1"),
        Metric(
            VALIDATION_FAILED,
            "counter",
            ("model", "kind"),
            "snapshots quarantined by validation; kind expectations (the suite failed) or unreadable",
            "after gate 1",
        ),
        Metric(
            DRIFT_SCORE,
            "gauge",
            ("model", "signal"),
            "the value each retrain signal is judged on: features = share of drifted features (the "
            "dataset rule), target and prediction = effect size, performance = metric drop",
            _DRIFT + ", for each measured signal",
        ),
        Metric(
            DRIFT_DETECTED,
            "gauge",
            ("model", "signal"),
            "1 when the signal crossed its threshold on this snapshot, else 0 (persistence and "
            "cooldown are the retrain policy's: see the drift decision)",
            _DRIFT + ", for each measured signal",
        ),
        Metric(
            DRIFT_FEATURE_SCORE,
            "gauge",
            ("model", "feature"),
            "effect size of one feature's drift (normed Wasserstein or Jensen-Shannon distance)",
            _DRIFT + ", for each testable feature",
        ),
        Metric(
            DRIFT_FEATURE_DETECTED,
            "gauge",
            ("model", "feature"),
            "1 when the feature's drift test fired, else 0",
            _DRIFT + ", for each testable feature",
        ),
    )
}
