"""The registry stage: MLflow access, the lock, version tags, the ledger, promotion and rollback.

Only `promotion` and `rollback` move the `champion` alias, always by compare-and-set under the
model's registry lock, and every decision is appended to the ledger (registry/adr/).
"""

from __future__ import annotations

from airflow_champion.registry.ledger import read_ledger
from airflow_champion.registry.promotion import promote
from airflow_champion.registry.rollback import rollback
from airflow_champion.registry.status import status

__all__ = ["promote", "read_ledger", "rollback", "status"]
