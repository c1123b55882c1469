"""Stand-ins for the task instance and DAG of an operator's context, for tests that call execute()
without a DAG run (the conformance and extra-link tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeTI:
    xcom: dict[str, Any] = field(default_factory=dict)

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value


@dataclass
class FakeDag:
    dag_id: str = "churn_retrain"
