"""`promotion.approval`: never by default, `always` and `when:` conditions, a timeout and approvers;
every mistake refused naming the field; no effect on the config hash."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from airflow_champion.config import load_config, parse_config
from airflow_champion.errors import ConfigError

pytestmark = pytest.mark.unit


def _with(cfg: Any, approval: Any, **promotion: Any) -> dict[str, Any]:
    raw = cfg.model_dump(mode="json", by_alias=True)
    raw["promotion"] = {**raw["promotion"], **promotion, "approval": approval}
    return raw


def test_absent_is_never_and_the_dag_keeps_its_shape(churn_cfg: Any) -> None:
    spec = churn_cfg.promotion.approval
    assert spec.when == "never" and not spec.enabled and spec.approvers == []


def test_always_and_conditions_parse_with_timeout_and_approvers(churn_cfg: Any) -> None:
    always = parse_config(_with(churn_cfg, "always")).promotion.approval
    assert always.when == "always" and always.enabled and always.response_timeout == timedelta(hours=12)
    spec = parse_config(
        _with(
            churn_cfg,
            {
                "when": {"gain_below": 0.01, "first_model": True},
                "timeout": "90m",
                "approvers": ["alice", "bob"],
            },
        )
    ).promotion.approval
    assert not isinstance(spec.when, str)
    assert spec.when.chosen() == ["first_model", "gain_below"]
    assert spec.response_timeout == timedelta(minutes=90) and spec.approvers == ["alice", "bob"]


def test_approval_is_not_in_the_config_hash(churn_cfg: Any) -> None:
    """Who may move the alias changes nothing trained or judged: editing it retrains nothing and
    reuses recorded verdicts (their key holds the config hash)."""
    gated = parse_config(_with(churn_cfg, {"when": "always", "approvers": ["alice"]}))
    assert gated.config_hash == churn_cfg.config_hash
    assert "approval" not in gated.model_dump(mode="json")["promotion"]


@pytest.mark.parametrize(
    ("approval", "promotion", "message"),
    [
        ("sometimes", {}, r"promotion\.approval\.when\.never\|always: Input should be 'never' or 'always'"),
        ({"when": {}}, {}, r"promotion\.approval\.when\.conditions: .*names no condition"),
        (
            {"when": {"gain_above": 0.1}},
            {},
            r"promotion\.approval\.when\.conditions\.gain_above: unknown key",
        ),
        (
            {"when": {"gain_below": -0.01}},
            {},
            r"when\.conditions\.gain_below: Input should be greater than 0",
        ),
        ({"when": 3}, {}, r"promotion\.approval\.when: must be never, always or a mapping of conditions"),
        ({"when": "always", "timeout": "3 days"}, {}, r"approval\.timeout: .*'3 days' is not a duration"),
        ({"when": "always", "timeout": "0h"}, {}, r"approval\.timeout: .*must be more than 0"),
        (
            {"when": "always", "timeout": "72h"},
            {},
            r"timeout 72h is longer than snapshots\.claim_ttl_hours 12",
        ),
        (
            {"when": "always", "approver": ["a"]},
            {},
            r"promotion\.approval\.approver: unknown key .*'approvers'",
        ),
        (
            {"when": "always", "approvers": ["a b"]},
            {},
            r"approval\.approvers: .*'a b' is not an Airflow user id",
        ),
        ({"when": "always", "approvers": ["a", "a"]}, {}, r"approval\.approvers: .*approvers repeat"),
        ({"when": {"slice_skipped": True}}, {}, r"slice_skipped needs promotion\.slices\.by"),
    ],
)
def test_a_bad_approval_is_refused_naming_the_field(
    churn_cfg: Any, approval: Any, promotion: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(_with(churn_cfg, approval, **promotion), "churn.yaml")


def test_a_long_timeout_is_fine_with_a_longer_claim_ttl(churn_cfg: Any) -> None:
    raw = _with(churn_cfg, {"when": "always", "timeout": "72h"})
    raw["snapshots"] = {**raw["snapshots"], "claim_ttl_hours": 96}
    assert parse_config(raw).promotion.approval.response_timeout == timedelta(hours=72)


def test_slice_skipped_with_slices_and_a_yaml_file(churn_cfg: Any, tmp_path: Path) -> None:
    raw = _with(
        churn_cfg,
        {"when": {"slice_skipped": True, "rel_gain_below": 0.02}, "timeout": "2d"},
        slices={"by": [{"column": "region"}]},
    )
    raw["snapshots"] = {**raw["snapshots"], "claim_ttl_hours": 72}
    (tmp_path / "churn.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    spec = load_config(tmp_path / "churn.yaml").promotion.approval
    assert not isinstance(spec.when, str) and spec.when.chosen() == ["rel_gain_below", "slice_skipped"]
    assert spec.response_timeout == timedelta(days=2)
