"""The champion asset's events of a retrain run: emitted only when the champion alias really moved
(promote's move through `champion_moved`; check_champion's automatic rollback through an alias)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset, AssetAlias, BaseOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

if TYPE_CHECKING:
    from airflow.sdk import Context


ASSET_SCHEME = "x-mlops"
"""The scheme of the project's asset URIs: `x-mlops://<model>/champion`, `x-mlops://<model>/snapshots`.

Airflow leaves a URI whose scheme starts with `x-` as written; any other scheme is normalised through
the providers' asset-URI handlers, and the first lookup imports every provider's handler module (the
amazon provider's loads boto3): about half a second of each DAG-file parse, for a scheme no provider
handles (airflow/sdk/definitions/asset/__init__.py, `_sanitize_uri`)."""


def asset_uri(model: str, what: str) -> str:
    """The URI of one of a model's assets (`what`: champion, snapshots)."""
    return f"{ASSET_SCHEME}://{model}/{what}"


def champion_asset(model: str) -> Asset:
    """Updated whenever the champion alias of `model` moves: downstream serving can listen."""
    return Asset(name=f"{model}_champion", uri=asset_uri(model, "champion"))


def champion_moves(model: str) -> AssetAlias:
    """The outlet of a task that moves the champion only sometimes and succeeds either way (the
    champion check rolls back rarely): a plain Asset outlet gets an event on every success, an alias
    only the events the task adds (`emit_move`)."""
    return AssetAlias(name=f"{model}_champion_moves")


def emit_move(context: Context, outlets: list[Any], model: str, moved: dict[str, Any]) -> None:
    """One champion asset event, through the task's champion-moves alias outlet."""
    for outlet in outlets:
        if isinstance(outlet, AssetAlias) and outlet.name == champion_moves(model).name:
            context["outlet_events"][outlet].add(champion_asset(model), extra=dict(moved))


class ChampionMovedOperator(BaseOperator):
    """Carry the `<model>_champion` outlet for the promote task, whose success says nothing about
    the alias: a rejection, a shadow decision and a lost compare-and-set succeed too. This task
    succeeds (one asset event, extra = the move) only when promote moved the champion, and is skipped
    otherwise, so serving that listens to the asset sees no event for a rejected challenger.

    :param model: model config name, for the log and the event (templated)
    :param promotion: the promote task's result (templated; usually `promote.output`)
    """

    template_fields = ("model", "promotion")
    ui_color = "#fdf2d0"

    def __init__(self, *, model: str, promotion: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.promotion = promotion

    def execute(self, context: Context) -> dict[str, Any]:
        result = self.promotion
        if not isinstance(result, dict):
            raise AirflowFailException(
                f"promotion must be the promote task's result (a mapping), got {type(result).__name__}"
            )
        if result.get("shadow"):
            raise AirflowSkipException(f"{self.model}: shadow decision; the champion did not move")
        if not result.get("promoted"):
            raise AirflowSkipException(f"{self.model}: challenger not promoted; the champion did not move")
        moved = {
            "model": str(self.model),
            "from_version": result.get("from_version"),
            "to_version": result.get("to_version"),
        }
        for outlet in self.outlets or []:
            context["outlet_events"][outlet].extra = dict(moved)
        self.log.info(
            "Champion of %s moved from v%s to v%s", self.model, moved["from_version"], moved["to_version"]
        )
        return moved
