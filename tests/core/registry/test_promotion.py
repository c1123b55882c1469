"""Promotion compare-and-set, rejection, conflicts, rollback and the ledger, on a real MLflow store.

Versions are registered without model files: the registry logic never loads a model.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from airflow_champion import registry
from airflow_champion.errors import PromotionConflictError, PromotionRefusedError, RollbackError
from airflow_champion.registry import champion, ledger, tracking

pytestmark = [pytest.mark.unit, pytest.mark.mlflow]


def mlops_dir() -> Path:
    from airflow_champion import settings

    return settings.mlops_home()


def _version(cfg: Any, verdict: str | None = "promote") -> int:
    from mlflow.exceptions import MlflowException

    c = tracking.client()
    try:
        c.get_registered_model(cfg.name)
    except MlflowException:
        c.create_registered_model(cfg.name)
    mv = c.create_model_version(
        cfg.name, source=(mlops_dir() / "model").as_uri(), tags={"mlops.verdict": verdict or ""}
    )
    return int(mv.version)


def _verdict(cfg: Any, challenger: int, champion: int | None, decision: str = "promote") -> dict[str, Any]:
    return {
        "model": cfg.name,
        "snapshot_id": "s",
        "challenger_version": challenger,
        "champion_version": champion,
        "decision": decision,
        "reasons": [f"test {decision}"],
        "metric": "roc_auc",
        "challenger_score": 0.8,
        "champion_score": 0.7,
        "ci_low": 0.01,
        "eval_run_id": None,
    }


def test_promote_reject_and_ledger(mlops_home: Path, bc_cfg: Any) -> None:
    v1, v2, v3 = _version(bc_cfg), _version(bc_cfg), _version(bc_cfg, "reject")
    assert registry.promote(bc_cfg, _verdict(bc_cfg, v1, None), actor="t")["promoted"]
    assert registry.promote(bc_cfg, _verdict(bc_cfg, v2, v1), actor="t")["champion"] == v2
    out = registry.promote(bc_cfg, _verdict(bc_cfg, v3, v2, "reject"), actor="t")
    assert out["promoted"] is False
    assert tracking.alias_version(bc_cfg, tracking.CHAMPION) == v2
    assert tracking.alias_version(bc_cfg, tracking.PREVIOUS_CHAMPION) == v1
    ledger = registry.read_ledger(bc_cfg)
    assert [(e["seq"], e["action"], e["from_version"], e["to_version"]) for e in ledger] == [
        (1, "promote", None, v1),
        (2, "promote", v1, v2),
        (3, "reject", v2, v3),
    ]


def test_compare_and_set_refuses_a_stale_verdict(mlops_home: Path, bc_cfg: Any) -> None:
    v1, v2, v3 = _version(bc_cfg), _version(bc_cfg), _version(bc_cfg)
    registry.promote(bc_cfg, _verdict(bc_cfg, v1, None), actor="t")
    registry.promote(bc_cfg, _verdict(bc_cfg, v2, v1), actor="t")
    with pytest.raises(PromotionConflictError, match="re-evaluate"):
        registry.promote(bc_cfg, _verdict(bc_cfg, v3, v1), actor="late")
    assert tracking.alias_version(bc_cfg, tracking.CHAMPION) == v2
    assert registry.read_ledger(bc_cfg)[-1]["action"] == "conflict"


def test_a_version_without_a_promote_verdict_is_refused(mlops_home: Path, bc_cfg: Any) -> None:
    v1 = _version(bc_cfg, verdict="reject")
    with pytest.raises(PromotionRefusedError, match="no 'promote' verdict"):
        registry.promote(bc_cfg, _verdict(bc_cfg, v1, None), actor="forged")
    assert tracking.alias_version(bc_cfg, tracking.CHAMPION) is None
    with pytest.raises(PromotionRefusedError, match="not 'breast_cancer'"):
        registry.promote(bc_cfg, {**_verdict(bc_cfg, v1, None), "model": "churn"}, actor="t")


def test_racing_promotions_leave_exactly_one_winner(mlops_home: Path, bc_cfg: Any) -> None:
    v1, v2, v3 = _version(bc_cfg), _version(bc_cfg), _version(bc_cfg)
    registry.promote(bc_cfg, _verdict(bc_cfg, v1, None), actor="t")
    results: dict[int, str] = {}

    def go(v: int) -> None:
        try:
            registry.promote(bc_cfg, _verdict(bc_cfg, v, v1), actor=f"run{v}")
            results[v] = "won"
        except PromotionConflictError:
            results[v] = "lost"

    threads = [threading.Thread(target=go, args=(v,)) for v in (v2, v3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == ["lost", "won"]
    winner = next(v for v, r in results.items() if r == "won")
    assert tracking.alias_version(bc_cfg, tracking.CHAMPION) == winner
    assert [e["action"] for e in registry.read_ledger(bc_cfg)] == ["promote", "promote", "conflict"]


def test_rollback_to_previous_and_named(mlops_home: Path, bc_cfg: Any) -> None:
    v1, v2, v3, v4 = (_version(bc_cfg) for _ in range(4))
    with pytest.raises(RollbackError, match="no champion"):
        registry.rollback(bc_cfg, to_version=None, reason="x", actor="t")
    registry.promote(bc_cfg, _verdict(bc_cfg, v1, None), actor="t")
    with pytest.raises(RollbackError, match="first champion"):
        registry.rollback(bc_cfg, to_version=None, reason="incident", actor="t")
    registry.promote(bc_cfg, _verdict(bc_cfg, v2, v1), actor="t")
    registry.promote(bc_cfg, _verdict(bc_cfg, v3, v2), actor="t")
    out = registry.rollback(bc_cfg, to_version=None, reason="incident 42", actor="oncall")
    assert (out["from_version"], out["to_version"]) == (v3, v2)
    with pytest.raises(RollbackError, match="never champion"):
        registry.rollback(bc_cfg, to_version=v4, reason="x", actor="t")
    with pytest.raises(RollbackError, match="already the champion"):
        registry.rollback(bc_cfg, to_version=v2, reason="x", actor="t")
    with pytest.raises(RollbackError, match="needs a reason"):
        registry.rollback(bc_cfg, to_version=v1, reason="  ", actor="t")
    registry.rollback(bc_cfg, to_version=v1, reason="back to basics", actor="t")
    assert tracking.alias_version(bc_cfg, tracking.CHAMPION) == v1
    last = registry.read_ledger(bc_cfg)[-1]
    assert last["action"] == "rollback" and last["reason"] == "back to basics" and last["actor"] == "t"
    st = registry.status(bc_cfg)
    assert st["champion"] == v1 and len(st["versions"]) == 4 and len(st["ledger"]) == 5


def _three_champions(cfg: Any) -> tuple[int, int, int]:
    """v1 -> v2 -> v3 promoted in turn: champion v3, previous_champion v2, ledger #1..#3."""
    v1, v2, v3 = (_version(cfg) for _ in range(3))
    registry.promote(cfg, _verdict(cfg, v1, None), actor="t")
    registry.promote(cfg, _verdict(cfg, v2, v1), actor="t")
    registry.promote(cfg, _verdict(cfg, v3, v2), actor="late-run")
    return v1, v2, v3


def test_rollback_with_the_expected_champion_proceeds(mlops_home: Path, bc_cfg: Any) -> None:
    """The guard only refuses a changed champion: the one the human meant is undone as usual."""
    _v1, v2, v3 = _three_champions(bc_cfg)
    out = registry.rollback(
        bc_cfg, to_version=None, reason="incident 7", actor="oncall", expected_champion=v3
    )
    assert (out["from_version"], out["to_version"]) == (v3, v2)
    assert tracking.alias_version(bc_cfg, tracking.CHAMPION) == v2
    assert tracking.alias_version(bc_cfg, tracking.PREVIOUS_CHAMPION) == v3
    assert registry.read_ledger(bc_cfg)[-1]["action"] == "rollback"


@pytest.mark.parametrize("named", [False, True])
def test_rollback_refuses_when_a_promotion_landed_since_the_decision(
    mlops_home: Path, bc_cfg: Any, named: bool
) -> None:
    """Expecting v2 while v3 is champion: a ledger conflict and an error, never a moved alias."""
    v1, v2, v3 = _three_champions(bc_cfg)
    to_version = v1 if named else None
    with pytest.raises(PromotionConflictError) as err:
        registry.rollback(
            bc_cfg, to_version=to_version, reason="incident 7", actor="oncall", expected_champion=v2
        )
    assert f"expected champion v{v2} but it is v{v3}" in str(err.value)
    assert "ledger #4" in str(err.value)
    assert tracking.alias_version(bc_cfg, tracking.CHAMPION) == v3
    assert tracking.alias_version(bc_cfg, tracking.PREVIOUS_CHAMPION) == v2
    last = registry.read_ledger(bc_cfg)[-1]
    assert (last["seq"], last["action"], last["from_version"], last["to_version"]) == (
        4,
        "conflict",
        v3,
        to_version,
    )
    assert last["actor"] == "oncall"
    assert f"expected champion v{v2} but it is v{v3} (moved by ledger #3" in last["reason"]
    assert "late-run" in last["reason"] and "nothing changed" in last["reason"]


def test_a_rollback_that_cannot_be_recorded_leaves_both_aliases_alone(
    mlops_home: Path, bc_cfg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An alias move without its ledger entry would be an unexplained champion: it is undone."""
    _v1, v2, v3 = _three_champions(bc_cfg)

    def broken_append(*_a: Any, **_k: Any) -> dict[str, Any]:
        raise RuntimeError("registry write failed")

    monkeypatch.setattr(ledger, "append", broken_append)
    with pytest.raises(RuntimeError, match="registry write failed"):
        registry.rollback(bc_cfg, to_version=None, reason="incident", actor="t", expected_champion=v3)
    assert tracking.alias_version(bc_cfg, tracking.CHAMPION) == v3
    assert tracking.alias_version(bc_cfg, tracking.PREVIOUS_CHAMPION) == v2
    assert len(registry.read_ledger(bc_cfg)) == 3


def test_a_promotion_cut_off_between_alias_and_ledger_is_finished_by_its_retry(
    mlops_home: Path, bc_cfg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tracking server goes away after the alias moved: neither the ledger write nor the undo
    reaches it. The task's retry must finish the promotion, not call it a conflict."""
    v1, v2 = _version(bc_cfg), _version(bc_cfg)
    registry.promote(bc_cfg, _verdict(bc_cfg, v1, None), actor="t")
    real_append, real_restore = ledger.append, champion.restore_aliases

    def unreachable(*_a: Any, **_k: Any) -> Any:
        raise ConnectionError("tracking server unreachable")

    monkeypatch.setattr(ledger, "append", unreachable)
    monkeypatch.setattr(champion, "restore_aliases", unreachable)
    with pytest.raises(ConnectionError):
        registry.promote(bc_cfg, _verdict(bc_cfg, v2, v1), actor="attempt-1")
    assert tracking.alias_version(bc_cfg, tracking.CHAMPION) == v2  # moved, not recorded
    monkeypatch.setattr(ledger, "append", real_append)
    monkeypatch.setattr(champion, "restore_aliases", real_restore)

    result = registry.promote(bc_cfg, _verdict(bc_cfg, v2, v1), actor="attempt-2")
    assert result["promoted"] is True and result["champion"] == v2
    assert tracking.alias_version(bc_cfg, tracking.PREVIOUS_CHAMPION) == v1
    moves = [(e["action"], e["from_version"], e["to_version"]) for e in registry.read_ledger(bc_cfg)]
    assert moves == [("promote", None, v1), ("promote", v1, v2)]
    assert "completed on retry" in registry.read_ledger(bc_cfg)[-1]["reason"]

    # a third attempt (say the second's answer was lost) changes nothing
    again = registry.promote(bc_cfg, _verdict(bc_cfg, v2, v1), actor="attempt-3")
    assert again["ledger_seq"] == result["ledger_seq"] and len(registry.read_ledger(bc_cfg)) == 2


def test_a_failed_ledger_write_undoes_the_move_and_keeps_previous_champion(
    mlops_home: Path, bc_cfg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1, v2, v3 = _version(bc_cfg), _version(bc_cfg), _version(bc_cfg)
    registry.promote(bc_cfg, _verdict(bc_cfg, v1, None), actor="t")
    registry.promote(bc_cfg, _verdict(bc_cfg, v2, v1), actor="t")

    def broken(*_a: Any, **_k: Any) -> Any:
        raise ConnectionError("ledger write lost")

    monkeypatch.setattr(ledger, "append", broken)
    with pytest.raises(ConnectionError):
        registry.promote(bc_cfg, _verdict(bc_cfg, v3, v2), actor="t")
    assert tracking.alias_version(bc_cfg, tracking.CHAMPION) == v2
    assert tracking.alias_version(bc_cfg, tracking.PREVIOUS_CHAMPION) == v1


@pytest.mark.redis
def test_a_promotion_whose_lock_lease_ran_out_moves_nothing(
    mlops_home: Path, bc_cfg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The holder stalls past its Redis lease after reading the champion (simulated by deleting the
    key): another promoter may be in its critical section now, so this one must not move the alias
    or write the ledger; it raises LockLost and its task retry re-reads the registry."""
    import socket

    import redis
    from airflow_champion.registry import locks, promotion

    from tests.conftest import require_service

    with socket.socket() as s:
        s.settimeout(0.5)
        require_service(s.connect_ex(("127.0.0.1", 6379)) == 0, "Redis is not listening on 127.0.0.1:6379")
    url = "redis://127.0.0.1:6379/15"
    monkeypatch.setenv("MLOPS_LOCK_URL", url)
    v1, v2 = _version(bc_cfg), _version(bc_cfg)
    registry.promote(bc_cfg, _verdict(bc_cfg, v1, None), actor="t")
    r = redis.Redis.from_url(url)
    read = ledger.read_ledger

    def read_then_stall(*args: Any, **kwargs: Any) -> Any:
        r.delete(f"mlops:lock:{champion.lock_name(bc_cfg)}")  # the lease ran out during a stall
        return read(*args, **kwargs)

    monkeypatch.setattr(promotion.ledger, "read_ledger", read_then_stall)
    try:
        with pytest.raises(locks.LockLost, match=f"registry:{bc_cfg.name}"):
            registry.promote(bc_cfg, _verdict(bc_cfg, v2, v1), actor="stalled")
    finally:
        r.close()
    monkeypatch.setattr(promotion.ledger, "read_ledger", read)
    assert tracking.alias_version(bc_cfg, tracking.CHAMPION) == v1
    assert [e["actor"] for e in registry.read_ledger(bc_cfg)] == ["t"]
