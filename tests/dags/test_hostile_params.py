"""Values a user controls never become code or a path outside the model's own data and registry.

The REST API's schema check is proven on the real stack (tests/integration/test_stack_security.py);
these tests prove the layers behind it hold on their own: if a value got past the schema, templating
would not evaluate it, the snapshot-id check would refuse it, and no gate would load another model.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.airflow

HOSTILE_IDS = [
    "../../etc/passwd",
    "..",
    "a/../../b",
    "/etc/passwd",
    "s3://other-bucket/x",
    "file:///etc/passwd",
    "{{ 7 * 7 }}",
    "x" * 65,
    "",
    "churn\n2026",
]


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_snapshot_ids_that_could_escape_the_root_are_refused(value: str) -> None:
    from airflow_champion.data import ids
    from airflow_champion.errors import SnapshotError

    with pytest.raises(SnapshotError, match="invalid snapshot id"):
        ids.validate_snapshot_id(value)


def test_templated_fields_render_user_values_once_as_text(airflow_db: Any) -> None:
    """Jinja in a param value comes out literally: Airflow renders the template, not the value."""
    from airflow_champion.operators.dag_factory import build_dags

    dag = build_dags("churn")["churn_retrain"]
    claim = dag.get_task("claim")
    payload = "{{ conn.aws_default.password }}{{ 7 * 7 }}"
    context: dict[str, Any] = {"params": {"snapshot_id": payload, "force": False, "reason": payload}}
    rendered = claim.render_template(claim.snapshot_id, context, dag.get_template_env())
    assert rendered == payload  # not evaluated: no connection lookup, no 49


@pytest.mark.parametrize("value", ["models:/other_model/1", "runs:/abc/model", "1; rm -rf /", "0", "-1"])
def test_evaluate_takes_only_a_version_number_of_its_own_model(value: str) -> None:
    """A challenger is named by version number; the URI is always built from the model's own name."""
    from airflow_champion.config import load_config
    from airflow_champion.operators.base import GateFailed, as_optional_int
    from airflow_champion.registry import tracking

    with pytest.raises(GateFailed):
        as_optional_int(value, "challenger_version")
    cfg = load_config("churn")
    assert tracking.model_uri(cfg, 3) == "models:/churn/3"
    with pytest.raises((TypeError, ValueError)):
        tracking.model_uri(cfg, value)  # type: ignore[arg-type]


def test_a_verdict_for_another_model_cannot_promote() -> None:
    from airflow_champion.config import load_config
    from airflow_champion.errors import PromotionRefusedError
    from airflow_champion.registry import promotion

    verdict = {"model": "breast_cancer", "challenger_version": 1, "decision": "promote"}
    with pytest.raises(PromotionRefusedError, match="not 'churn'"):
        promotion._check_verdict(load_config("churn"), verdict)


@pytest.mark.parametrize("dag_id", ["churn_retrain", "churn_drift_monitor"])
@pytest.mark.parametrize("value", ["2026-11-02\n", "latest\n"])
def test_a_snapshot_param_with_a_trailing_newline_is_refused(
    airflow_db: Any, dag_id: str, value: str
) -> None:
    """A `$` anchor matches before a final newline; the run would claim "2026-11-02\\n" and release
    "2026-11-02". The param's schema refuses it before a run exists (REST checks the same schema)."""
    from airflow.sdk.definitions.param import ParamValidationError
    from airflow_champion.operators.dag_factory import build_dags

    dags = build_dags("churn")
    param = dags[dag_id].params.get_param("snapshot_id")
    with pytest.raises(ParamValidationError):
        param.resolve(value)
    assert param.resolve(value.strip()) == value.strip()
