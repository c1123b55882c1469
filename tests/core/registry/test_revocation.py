"""Revoked versions and shadow promotions on a real MLflow store (versions without model files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from airflow_champion import registry
from airflow_champion.errors import RollbackError
from airflow_champion.registry import revocation, tags, tracking

from tests.core.registry.test_promotion import _verdict, _version

pytestmark = [pytest.mark.unit, pytest.mark.mlflow]


def _keyed(cfg: Any, key: str) -> int:
    """A version carrying an idempotency key (as training writes it)."""
    v = _version(cfg)
    tracking.client().set_model_version_tag(cfg.name, str(v), tags.key("idempotency_key"), key)
    return v


def _three(cfg: Any) -> tuple[int, int, int]:
    v1, v2, v3 = _keyed(cfg, "k1"), _keyed(cfg, "k2"), _keyed(cfg, "k3")
    registry.promote(cfg, _verdict(cfg, v1, None), actor="t")
    registry.promote(cfg, _verdict(cfg, v2, v1), actor="t")
    registry.promote(cfg, _verdict(cfg, v3, v2), actor="t")
    return v1, v2, v3


def test_a_rolled_back_version_is_revoked_and_tagged(mlops_home: Path, bc_cfg: Any) -> None:
    _v1, v2, v3 = _three(bc_cfg)
    out = registry.rollback(bc_cfg, to_version=None, reason="incident 9", actor="oncall")
    assert (out["from_version"], out["to_version"]) == (v3, v2)
    c = tracking.client()
    why = revocation.revoked_reason(c, bc_cfg, v3)
    assert why is not None and f"ledger #{out['ledger_seq']}" in why and "incident 9" in why
    assert "incident 9" in tags.read(c.get_model_version(bc_cfg.name, str(v3)), tags.REVOKED)
    assert revocation.revoked_reason(c, bc_cfg, v2) is None


def test_a_rollback_straight_after_a_rollback_goes_further_back(mlops_home: Path, bc_cfg: Any) -> None:
    """Before: the second rollback undid the first (re-installing v3). Now v3 is revoked: v1."""
    v1, v2, v3 = _three(bc_cfg)
    registry.rollback(bc_cfg, to_version=None, reason="v3 is bad", actor="oncall")
    second = registry.rollback(bc_cfg, to_version=None, reason="v2 is bad too", actor="oncall")
    assert (second["from_version"], second["to_version"]) == (v2, v1)
    assert tracking.alias_version(bc_cfg, tracking.CHAMPION) == v1
    with pytest.raises(RollbackError, match="revoked"):
        registry.rollback(bc_cfg, to_version=v3, reason="restore it", actor="oncall")
    with pytest.raises(RollbackError, match="every former champion"):
        registry.rollback(bc_cfg, to_version=None, reason="again", actor="oncall")
    assert tracking.alias_version(bc_cfg, tracking.CHAMPION) == v1


def test_a_revoked_version_is_never_promoted_again(mlops_home: Path, bc_cfg: Any) -> None:
    _v1, v2, v3 = _three(bc_cfg)
    registry.rollback(bc_cfg, to_version=None, reason="v3 regressed", actor="auto-rollback")
    out = registry.promote(bc_cfg, _verdict(bc_cfg, v3, v2), actor="t")
    assert out["promoted"] is False and out["decision"] == "reject"
    assert "revoked" in out["reasons"][0] and "never promoted again automatically" in out["reasons"][0]
    assert tracking.alias_version(bc_cfg, tracking.CHAMPION) == v2
    assert registry.read_ledger(bc_cfg)[-1]["action"] == "reject"


def test_a_refit_of_a_revoked_model_is_revoked_with_it(mlops_home: Path, bc_cfg: Any) -> None:
    """The same data and config under a new version number (reuse, or `force`) is the same model."""
    _v1, v2, _v3 = _three(bc_cfg)
    registry.rollback(bc_cfg, to_version=None, reason="v3 regressed", actor="t")
    twin = _keyed(bc_cfg, "k3")
    why = revocation.revoked_reason(tracking.client(), bc_cfg, twin)
    assert why is not None and "same data and config as revoked v3" in why
    assert registry.promote(bc_cfg, _verdict(bc_cfg, twin, v2), actor="t")["promoted"] is False
    other = _keyed(bc_cfg, "k4")
    assert registry.promote(bc_cfg, _verdict(bc_cfg, other, v2), actor="t")["promoted"] is True


def test_shadow_records_the_decision_and_moves_nothing(mlops_home: Path, bc_cfg: Any) -> None:
    v1, v2 = _keyed(bc_cfg, "k1"), _keyed(bc_cfg, "k2")
    registry.promote(bc_cfg, _verdict(bc_cfg, v1, None), actor="t")
    verdict = {**_verdict(bc_cfg, v2, v1), "eval_run_id": "run-7"}
    out = registry.promote(bc_cfg, verdict, actor="t", shadow=True)
    assert out["shadow"] is True and out["would_promote"] is True and out["promoted"] is False
    assert tracking.alias_version(bc_cfg, tracking.CHAMPION) == v1
    assert tracking.alias_version(bc_cfg, tracking.PREVIOUS_CHAMPION) is None
    entry = registry.read_ledger(bc_cfg)[-1]
    assert entry["action"] == "shadow" and entry["reason"].startswith("shadow: would promote")
    again = registry.promote(bc_cfg, verdict, actor="t", shadow=True)  # a retried task
    assert again["ledger_seq"] == out["ledger_seq"] and len(registry.read_ledger(bc_cfg)) == 2

    by_config = bc_cfg.model_copy(
        update={"promotion": bc_cfg.promotion.model_copy(update={"mode": "shadow"})}
    )
    rejected = registry.promote(
        by_config, {**_verdict(bc_cfg, v2, v1, "reject"), "eval_run_id": "run-8"}, actor="t"
    )
    assert rejected["shadow"] is True and rejected["would_promote"] is False
    assert tracking.alias_version(bc_cfg, tracking.CHAMPION) == v1
