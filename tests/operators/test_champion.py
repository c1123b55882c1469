"""ChampionMovedOperator: succeeds (and sets the event's extra) only when promote moved the alias."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import pytest

pytestmark = pytest.mark.airflow


def _op(promotion: Any) -> Any:
    from airflow.sdk import Asset
    from airflow_champion.operators.champion import ChampionMovedOperator

    return ChampionMovedOperator(
        task_id="champion_moved",
        model="churn",
        promotion=promotion,
        outlets=[Asset(name="churn_champion", uri="x-mlops://churn/champion")],
    )


def _context() -> dict[str, Any]:
    return {"outlet_events": defaultdict(lambda: SimpleNamespace(extra={}))}


def test_a_move_succeeds_and_names_it_in_the_event() -> None:
    op, ctx = _op({"promoted": True, "from_version": 1, "to_version": 2}), _context()
    moved = op.execute(ctx)
    assert moved == {"model": "churn", "from_version": 1, "to_version": 2}
    (event,) = ctx["outlet_events"].values()
    assert event.extra == moved
    assert op.execute(_context()) == moved  # re-executed: the same answer


@pytest.mark.parametrize(
    "promotion",
    [
        {"promoted": False, "to_version": 3, "from_version": 2},  # rejected, or a lost compare-and-set
        {"promoted": False, "shadow": True, "would_promote": True, "to_version": 3},
        {"promoted": True, "shadow": True, "to_version": 3},  # shadow never moves, whatever it says
    ],
    ids=["rejected", "shadow", "shadow-claiming-promoted"],
)
def test_no_move_skips_so_no_event_is_emitted(promotion: dict[str, Any]) -> None:
    from airflow.sdk.exceptions import AirflowSkipException

    ctx = _context()
    with pytest.raises(AirflowSkipException, match="did not move"):
        _op(promotion).execute(ctx)
    assert dict(ctx["outlet_events"]) == {}


def test_a_promotion_that_is_not_a_mapping_fails_by_name() -> None:
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match="promote task's result"):
        _op("promote").execute(_context())
