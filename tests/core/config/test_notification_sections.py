"""The `notifications` section: absent by default, every event unless chosen, named errors for a bad
address, an unknown event or a bare `on:` key, and no effect on the config hash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from airflow_champion.config import load_config, parse_config
from airflow_champion.config.notification_sections import NOTIFY_EVENTS
from airflow_champion.errors import ConfigError

pytestmark = pytest.mark.unit

GOOD = {"smtp_conn_id": "smtp_default", "from_email": "mlops@example.com", "to": ["ml-team@example.com"]}


def _raw(cfg: Any, notifications: Any) -> dict[str, Any]:
    return {**cfg.model_dump(mode="json", by_alias=True), "notifications": notifications}


def test_absent_means_no_notifications_and_present_means_every_event(churn_cfg: Any) -> None:
    assert churn_cfg.notifications is None
    spec = parse_config(_raw(churn_cfg, GOOD)).notifications
    assert spec is not None and spec.events == list(NOTIFY_EVENTS) and spec.to == ["ml-team@example.com"]
    chosen = parse_config(_raw(churn_cfg, {**GOOD, "events": ["failure", "rollback"]})).notifications
    assert chosen is not None and chosen.wants("failure") and not chosen.wants("promote")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"to": ["ml-team"]}, r"notifications\.to: .*'ml-team' is not an e-mail address"),
        ({"to": ["a@example.com, b@example.com"]}, r"is not an e-mail address \(.*one address per item"),
        ({"to": ["a@example.com\nBcc: x@evil.example"]}, r"is not an e-mail address"),
        ({"to": []}, r"notifications\.to: .*at least 1 item"),
        ({"from_email": "mlops@"}, r"notifications\.from_email: .*'mlops@' is not an e-mail address"),
        ({"events": ["promote", "promoted"]}, r"notifications\.events\.1: .*'promote', 'reject'"),
        ({"smtp_conn_id": "smtp default"}, r"notifications\.smtp_conn_id: .*not an Airflow connection id"),
        ({"cc": ["x@example.com"]}, r"notifications\.cc: unknown key"),
    ],
)
def test_a_bad_section_is_refused_naming_the_field(
    churn_cfg: Any, edit: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(_raw(churn_cfg, {**GOOD, **edit}), "churn.yaml")


def test_a_bare_on_key_is_named_not_read_as_true(churn_cfg: Any, tmp_path: Path) -> None:
    """`on: [promote]` is what one writes by habit; YAML 1.1 reads the key as the boolean true."""
    raw = yaml.safe_dump(_raw(churn_cfg, GOOD), sort_keys=False)
    assert raw.rstrip().endswith("- ml-team@example.com")  # the section is last: the key lands in it
    (tmp_path / "churn.yaml").write_text(raw + "  on: [promote]\n")
    with pytest.raises(ConfigError, match=r"notifications: .*`on:` is read by YAML as `true`.*`events:`"):
        load_config(tmp_path / "churn.yaml")


def test_notifications_do_not_change_the_config_hash(churn_cfg: Any) -> None:
    """Who is mailed changes nothing that is trained: no retrain, the same recorded config."""
    with_mail = parse_config(_raw(churn_cfg, GOOD))
    assert with_mail.config_hash == churn_cfg.config_hash
    assert "notifications" not in with_mail.model_dump()
