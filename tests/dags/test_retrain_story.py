"""End to end through Airflow (`dag.test()`), on the embedded default: one model's life.

The module-scoped `story` runs the DAGs once, in order, and records what the registry looked like
after each run; each test asserts one promise about it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.dags import scenarios
from tests.smtp_support import Mailbox, mailbox, notifications  # noqa: F401 (mailbox: a fixture)
from tests.statsd_support import StatsdListener

pytestmark = [pytest.mark.airflow, pytest.mark.mlflow, pytest.mark.slow]

WEEKS = {  # snapshot id -> generator arguments (same calibration as the demo)
    "2026-11-02": {"rows": 800, "seed": 1, "label_noise": 0.25},
    "2026-11-09": {"rows": 6000, "seed": 2, "label_noise": 0.0},
    "2026-11-16": {"rows": 6000, "seed": 3, "label_noise": 0.35},
    "2026-11-23": {"rows": 6000, "seed": 4, "label_noise": 0.0, "corruption": "out_of_range"},
}


@dataclass
class Step:
    name: str
    dag_state: str
    task_states: dict[str, str]
    champion: int | None
    challenger: int | None
    versions: int
    ledger: list[dict[str, Any]] = field(default_factory=list)
    xcom: dict[str, Any] = field(default_factory=dict)


def _observe(name: str, dag_run: Any, cfg: Any) -> Step:
    from airflow_champion import registry
    from airflow_champion.registry import tracking

    client = tracking.client()
    versions = client.search_model_versions(f"name='{cfg.registered_model_name}'")
    tis = dag_run.get_task_instances()
    xcom = {ti.task_id: ti.xcom_pull(task_ids=ti.task_id) for ti in tis if ti.state == "success"}
    return Step(
        name=name,
        dag_state=str(dag_run.state),
        task_states={ti.task_id: str(ti.state) for ti in tis},
        champion=tracking.alias_version(cfg, tracking.CHAMPION),
        challenger=tracking.alias_version(cfg, tracking.CHALLENGER),
        versions=len(versions),
        ledger=registry.read_ledger(cfg),
        xcom=xcom,
    )


@pytest.fixture(scope="module")
def story(
    airflow_db: Path,
    tmp_path_factory: pytest.TempPathFactory,
    metrics_listener: StatsdListener,
    mailbox: Mailbox,  # noqa: F811
) -> Iterator[dict[str, Step]]:
    from airflow_champion.config import load_config
    from airflow_champion.operators.dag_factory import build_dags
    from airflow_champion_demo import datagen

    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("story")
    mp.setenv("MLOPS_HOME", str(home))
    for var in ("MLFLOW_TRACKING_URI", "MLOPS_ARTIFACT_ROOT", "MLOPS_LOCK_URL"):
        mp.delenv(var, raising=False)
    configs = scenarios.churn_config(home / "configs", notifications=notifications())  # every event
    mp.setenv("MLOPS_CONFIG_DIR", str(configs))
    cfg = load_config("churn")
    for snapshot_id, kw in WEEKS.items():
        datagen.write_weekly_snapshots(cfg, start=date.fromisoformat(snapshot_id), weeks=1, **kw)
    dags = build_dags("churn")
    retrain, rollback = dags["churn_retrain"], dags["churn_rollback"]
    steps: dict[str, Step] = {}
    day = iter(range(1, 28))

    def run(name: str, dag: Any, conf: dict[str, Any]) -> None:
        logical = datetime(2026, 12, next(day), tzinfo=UTC)
        dr = dag.test(logical_date=logical, run_conf=conf)
        steps[name] = _observe(name, dr, cfg)

    run("first", retrain, {"snapshot_id": "2026-11-02", "reason": "test: first"})
    run("better", retrain, {"snapshot_id": "2026-11-09", "reason": "test: better"})
    run("worse", retrain, {"snapshot_id": "2026-11-16", "reason": "test: worse"})
    run("corrupted", retrain, {"snapshot_id": "2026-11-23", "reason": "test: corrupted"})
    run("rerun", retrain, {"snapshot_id": "2026-11-09", "reason": "test: rerun"})
    run("forced", retrain, {"snapshot_id": "2026-11-16", "reason": "test: forced", "force": True})
    run("rollback", rollback, {"reason": "test: rollback after incident"})
    steps["_cfg"] = cfg  # type: ignore[assignment]
    yield steps
    mp.undo()


def test_first_snapshot_becomes_champion_v1(story: dict[str, Step]) -> None:
    s = story["first"]
    assert s.dag_state == "success", s.task_states
    assert s.champion == 1 and s.versions == 1
    assert s.xcom["evaluate"]["decision"] == "promote"
    assert s.xcom["evaluate"]["champion_version"] is None
    assert s.xcom["evaluate"]["challenger_score"] >= 0.70  # the floor
    assert s.ledger[-1]["action"] == "promote" and s.ledger[-1]["to_version"] == 1


def test_better_data_promotes_the_challenger(story: dict[str, Step]) -> None:
    s = story["better"]
    assert s.dag_state == "success", s.task_states
    verdict = s.xcom["evaluate"]
    assert verdict["decision"] == "promote", verdict["reasons"]
    assert verdict["ci_low"] > 0
    assert s.champion == 2 and s.versions == 2
    assert s.ledger[-1]["action"] == "promote" and s.ledger[-1]["from_version"] == 1


def test_worse_challenger_is_rejected_and_champion_unchanged(story: dict[str, Step]) -> None:
    s = story["worse"]
    assert s.dag_state == "success", s.task_states
    assert s.xcom["evaluate"]["decision"] == "reject"
    assert s.xcom["promote"]["promoted"] is False
    assert s.champion == 2 and s.challenger == 3
    assert s.ledger[-1]["action"] == "reject"


def test_corrupted_snapshot_fails_validation_and_is_quarantined(story: dict[str, Step]) -> None:
    s = story["corrupted"]
    assert s.dag_state == "failed"
    assert s.task_states["validate"] == "failed"
    assert s.task_states["train"] in {"upstream_failed", "None"}
    assert s.champion == 2 and s.versions == 3
    cfg = story["_cfg"]
    folder = Path(cfg.snapshot_root()) / "2026-11-23"  # type: ignore[attr-defined]
    assert (folder / "_quarantine" / "report.html").exists()
    assert (folder / "manifest.json").exists() and any(folder.glob("data.*")), "snapshot must be kept"


def test_rerun_on_same_snapshot_is_skipped_at_the_claim_and_creates_no_new_version(
    story: dict[str, Step],
) -> None:
    from airflow_champion.data import claims

    s = story["rerun"]
    assert s.dag_state == "success", s.task_states
    assert s.task_states["claim"] == "skipped"
    assert {s.task_states[t] for t in ("validate", "train", "evaluate", "promote")} == {"skipped"}
    assert s.versions == 3 and s.champion == 2
    generation, record = claims.current_claim(story["_cfg"], "2026-11-09")  # type: ignore[arg-type]
    assert generation == 1 and record is not None
    assert record["state"] == "done" and record["outcome"]["promoted"] is True
    assert record["reason"] == "rest: test: better"  # a run that named its reason (a REST call)


def test_failed_run_releases_its_claim(story: dict[str, Step]) -> None:
    from airflow_champion.data import claims

    s = story["corrupted"]
    assert s.task_states["release_claim"] == "success"
    _gen, record = claims.current_claim(story["_cfg"], "2026-11-23")  # type: ignore[arg-type]
    assert record is not None and record["state"] == "released"


def test_force_retrains_a_snapshot_that_was_already_decided(story: dict[str, Step]) -> None:
    """force takes a done claim again (new generation) and trains a new version on purpose."""
    s = story["forced"]
    assert s.task_states["claim"] == "success"
    assert s.xcom["claim"]["generation"] == 2
    assert s.versions == 4, "force trains a new version on purpose"
    assert s.xcom["train"]["reused"] is False
    assert s.champion == 2 and s.ledger[-1]["action"] == "reject"


def test_rollback_restores_previous_champion(story: dict[str, Step]) -> None:
    s = story["rollback"]
    assert s.dag_state == "success", s.task_states
    assert s.champion == 1
    assert s.ledger[-1]["action"] == "rollback"
    assert s.ledger[-1]["from_version"] == 2 and s.ledger[-1]["to_version"] == 1
    assert "incident" in s.ledger[-1]["reason"]


def test_each_decision_of_the_story_was_sent_to_statsd(
    story: dict[str, Step], metrics_listener: StatsdListener
) -> None:
    """Through Airflow's own task runs: the package's hooks sent one decision per promote task, with
    the right model and decision, plus validation's and the rollback's outcome (docs/metrics.md)."""
    from airflow_champion.telemetry import names

    statsd = metrics_listener
    statsd.wait_for(lambda got: bool(statsd.named(names.ROLLBACK)))  # the story's last decision
    sent = statsd.named(names.GATE_DECISION, model="churn")
    decisions = [(x.tags["decision"], x.tags["reason"]) for x in sent]
    assert decisions[:2] == [("promote", "first_model"), ("promote", "beat_champion")]
    assert decisions[2][0] == "reject" and decisions[2][1] not in {"first_model", "beat_champion"}
    assert decisions[3][0] == "reject" and len(decisions) == 4  # + forced; corrupted and rerun decide nothing
    better = story["better"].xcom["evaluate"]
    on = {"model": "churn", "metric": better["metric"]}
    assert any(x.value == pytest.approx(better["ci_low"]) for x in statsd.named(names.GATE_CI_LOW, **on))
    landed = statsd.named(names.LANDING_TO_DECISION, model="churn", decision="promote")
    assert len(landed) == 2 and all(x.value >= 0 for x in landed)
    assert [x.tags["kind"] for x in statsd.named(names.VALIDATION_FAILED, model="churn")] == ["expectations"]
    assert len(statsd.named(names.VALIDATION_PASSED, model="churn")) == 4  # first, better, worse, forced
    rollback = {"model": "churn", "outcome": "rolled_back", "trigger": "manual"}
    assert statsd.named(names.ROLLBACK)[-1].tags == rollback
    assert statsd.gauge(names.CHAMPION_VERSION, model="churn") == story["rollback"].champion == 1


def test_each_decision_of_the_story_was_mailed_with_its_numbers(
    story: dict[str, Step],
    mailbox: Mailbox,  # noqa: F811
) -> None:
    """Through Airflow's own callbacks (promote, validate's failure, rollback) to an SMTP server on
    loopback: one mail per event, in order, naming the model, versions, decision and numbers."""
    from airflow_champion.reports.numbers import fmt, signed

    mails = mailbox.wait_for(lambda got: len(got) >= 6)
    subjects = [m.subject for m in mails]
    assert [s.split(": ", 1)[1].split(",")[0] for s in subjects] == [
        "promoted v1 (champion was none)",  # first
        "promoted v2 (champion was v1)",  # better
        "rejected v3",  # worse
        "churn_retrain.validate failed (SnapshotValidationFailed)",  # corrupted; the rerun mails nothing
        "rejected v4",  # forced
        "rolled back champion v2 -> v1",
    ], subjects
    assert all(m.rcpt_tos == ["ml-team@example.com"] and m.mail_from == "mlops@example.com" for m in mails)
    better, verdict = mails[1], story["better"].xcom["evaluate"]
    numbers = (fmt(verdict["challenger_score"]), fmt(verdict["champion_score"]), signed(verdict["ci_low"]))
    assert f"{verdict['metric']} {numbers[0]} vs {numbers[1]}" in better.subject
    assert f"CI low {numbers[2]}" in better.subject and subjects[1].startswith("[mlops] churn: ")
    assert f"[{numbers[2]}, {signed(verdict['ci_high'])}]" in better.html and "<b>promote</b>" in better.html
    assert "/#/models/churn/versions/2'>MLflow: challenger v2</a>" in better.html
    assert "/dags/churn_retrain/runs/" in better.html and "/tasks/promote" in better.html
    bundle = story["better"].xcom["promote"]["evidence"]["url"]
    assert bundle.endswith("/artifactPath/evidence/evidence.html") and f"href='{bundle}'" in better.html
    assert "champion stays v2" in subjects[2] and "<b>reject</b>" in mails[2].html
    assert "2026-11-23" in mails[3].html and "/tasks/validate" in mails[3].html
    assert "incident" in mails[5].html and "the rollback DAG" in mails[5].html
