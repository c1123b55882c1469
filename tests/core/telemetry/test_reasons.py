"""The `reason` tag of a decision, from the reasons evaluation.decision really writes: if a rule's
wording changes, the class it falls into is pinned here, not found out on a dashboard."""

from __future__ import annotations

from typing import Any

import pytest
from airflow_champion.evaluation.decision import decide
from airflow_champion.telemetry.gates import reason_class

pytestmark = pytest.mark.unit


def _cfg(churn_cfg: Any, **promotion: float) -> Any:
    return churn_cfg.model_copy(update={"promotion": churn_cfg.promotion.model_copy(update=promotion)})


def _boot(diff: float, ci_low: float | None, ci_high: float = 0.1) -> dict[str, Any]:
    return {"diff": diff, "ci_low": ci_low, "ci_high": ci_high}


CASES = {  # name -> (promotion overrides, decide() arguments, expected decision, reason class)
    "first model over the floor": (
        {},
        dict(champion_version=None, challenger_score=0.99, champion_score=None, boot=None),
        "promote",
        "first_model",
    ),
    "first model under the floor": (
        {},
        dict(champion_version=None, challenger_score=0.01, champion_score=None, boot=None),
        "reject",
        "floor",
    ),
    "beats the champion": (
        {},
        dict(champion_version=1, challenger_score=0.9, champion_score=0.8, boot=_boot(0.1, 0.05)),
        "promote",
        "beat_champion",
    ),
    "the champion itself": (
        {},
        dict(challenger_version=1, champion_version=1, challenger_score=0.8, champion_score=0.8, boot=None),
        "reject",
        "same_version",
    ),
    "gain under min_abs_gain": (
        {"min_abs_gain": 0.05},
        dict(champion_version=1, challenger_score=0.81, champion_score=0.8, boot=_boot(0.01, 0.005)),
        "reject",
        "min_abs_gain",
    ),
    "relative gain under min_rel_gain": (
        {"min_rel_gain": 0.5},
        dict(champion_version=1, challenger_score=0.9, champion_score=0.8, boot=_boot(0.1, 0.05)),
        "reject",
        "min_rel_gain",
    ),
    "interval reaches zero": (
        {},
        dict(champion_version=1, challenger_score=0.81, champion_score=0.8, boot=_boot(0.01, -0.02)),
        "reject",
        "ci",
    ),
    "no interval": (
        {},
        dict(champion_version=1, challenger_score=0.81, champion_score=0.8, boot=_boot(0.01, None)),
        "reject",
        "ci",
    ),
    "a blocker": (
        {},
        dict(
            champion_version=1,
            challenger_score=0.9,
            champion_score=0.8,
            boot=_boot(0.1, 0.05),
            blockers=["possible leakage: feature x alone scores 1.0"],
        ),
        "reject",
        "blocker",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_rule_has_its_reason_class(churn_cfg: Any, name: str) -> None:
    overrides, kwargs, decision, expected = CASES[name]
    kwargs = {"challenger_version": 2, **kwargs}
    got, reasons, _gain = decide(_cfg(churn_cfg, **overrides), **kwargs)
    assert got == decision, reasons
    verdict = {"decision": got, "reasons": reasons, "champion_version": kwargs["champion_version"]}
    assert reason_class(got, verdict, {"decision": got, "reasons": reasons}) == expected, reasons


def test_a_revoked_challenger_rejected_by_the_registry_is_revoked(churn_cfg: Any) -> None:
    verdict = {"decision": "promote", "reasons": ["gain +0.1"], "champion_version": 1}
    result = {"decision": "reject", "reasons": ["revoked by rollback #3; never promoted again automatically"]}
    assert reason_class("reject", verdict, result) == "revoked"
    shadow = {"decision": "promote", "shadow": True, "reasons": ["gain +0.1"]}
    assert reason_class("shadow", verdict, shadow) == "beat_champion"
