"""`<plugin app>/api/models/<model>/history?at=TIME`: the same answer as `mlops history --json`, behind
Airflow's own authentication (a real JWT of the configured auth manager) and its DAG authorization.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from airflow_champion.registry import ledger, tracking

pytestmark = [pytest.mark.airflow, pytest.mark.mlflow]

T1, T2, T3 = "2026-11-02T09:00:00+00:00", "2026-11-09T09:00:00+00:00", "2026-11-10T15:30:00+00:00"
URL = "/api/models/breast_cancer/history"


def _verdict(challenger: int, champion: int | None) -> dict[str, Any]:
    return {
        "model": "breast_cancer",
        "snapshot_id": "s",
        "challenger_version": challenger,
        "champion_version": champion,
        "decision": "promote",
        "reasons": [f"v{challenger} is better"],
        "metric": "roc_auc",
        "challenger_score": 0.9,
        "champion_score": 0.8,
        "ci_low": 0.01,
        "eval_run_id": None,
    }


@pytest.fixture
def history_store(mlops_home: Path, bc_cfg: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """v1 promoted at T1, v2 at T2, rolled back to v1 at T3 (versions without model files)."""
    from airflow_champion import registry

    times = iter([T1, T2, T3])
    monkeypatch.setattr(ledger, "_now", lambda: next(times))
    c = tracking.client()
    c.create_registered_model(bc_cfg.registered_model_name)
    v1, v2 = (
        int(
            c.create_model_version(
                bc_cfg.registered_model_name,
                source=(mlops_home / "m").as_uri(),
                tags={"mlops.verdict": "promote"},
            ).version
        )
        for _ in range(2)
    )
    registry.promote(bc_cfg, _verdict(v1, None), actor="t")
    registry.promote(bc_cfg, _verdict(v2, v1), actor="t")
    registry.rollback(bc_cfg, to_version=None, reason="incident", actor="oncall")
    return v1, v2


@pytest.fixture
def api(airflow_db: Path) -> Iterator[Any]:
    """The plugin's app, and a bearer header for a user of a given role (None: may read no DAG)."""
    from airflow.api_fastapi.app import create_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from airflow_champion.operators.ui.app import create_app
    from fastapi.testclient import TestClient

    manager = create_auth_manager()

    def bearer(role: str | None) -> dict[str, str]:
        token = manager.generate_jwt(SimpleAuthManagerUser(username=f"u-{role}", role=role))
        return {"Authorization": f"Bearer {token}"}

    with TestClient(create_app()) as client:
        yield client, bearer


def test_the_history_is_the_clis_answer_for_its_readers_only(
    api: Any, history_store: tuple[int, int]
) -> None:
    client, bearer = api
    v1, v2 = history_store
    response = client.get(URL, headers=bearer("viewer"))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert [(p["version"], p["from"], p["until"]) for p in body["periods"]] == [
        (v1, T1, T2),
        (v2, T2, T3),
        (v1, T3, None),
    ]
    assert body["champion"] == v1 and body["findings"] == [] and body["at"] is None

    at = client.get(URL, params={"at": "2026-11-09T10:00:00Z"}, headers=bearer("viewer")).json()["at"]
    assert at["champion"] == v2 and at["period"]["entry"]["reason"] == f"v{v2} is better"

    # a stranger, a user who may read none of the model's DAGs, and an unknown model learn nothing
    assert client.get(URL).status_code == 401
    refused = client.get(URL, headers=bearer(None))
    unknown = client.get("/api/models/no_such_model/history", headers=bearer("viewer"))
    assert refused.status_code == unknown.status_code == 404
    assert "incident" not in refused.text and "periods" not in refused.text


def test_a_bad_time_is_422_with_the_message(api: Any, mlops_home: Path) -> None:
    client, bearer = api
    response = client.get(URL, params={"at": "next week"}, headers=bearer("viewer"))
    assert response.status_code == 422
    assert "not a time: 'next week'" in response.json()["detail"]
