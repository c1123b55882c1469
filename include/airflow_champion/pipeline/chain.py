"""The retrain chain in one process: the same steps, data flow and claim rules as `<model>_retrain`.

The DAG runs these steps as tasks (claim -> validate -> check_champion -> train -> evaluate ->
promote, with a teardown that releases the claim of a run that did not decide); `mlops run` and a
pod run them here. Both call
the same `pipeline.steps` functions with the same arguments, so a change to the chain is made once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_champion.pipeline import steps

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig

RETRAIN_STEPS = ("claim", "validate", "check_champion", "train", "evaluate", "promote")
"""The tasks of `<model>_retrain`, in order (the DAG factory builds them; tests check they agree)."""


def run_gates(
    model: str | ModelConfig,
    snapshot_id: str,
    *,
    run_id: str,
    force: bool,
    lineage: dict[str, str],
    actor: str,
    shadow: bool = False,
) -> dict[str, Any]:
    """validate -> check_champion -> train -> evaluate -> promote on a claimed snapshot; promote
    finishes the claim. One process, so the snapshot is read once: every step gets the frame the
    validate step read and checked (data.reading.shared_reads), and what several steps compute of it
    (its split, features, fingerprints, the champion's predictions) is computed once."""
    from airflow_champion.data.reading import shared_reads

    with shared_reads():
        validated = steps.validate(model, snapshot_id)
        checked = steps.check_champion(model, validated["snapshot_id"], context=lineage)
        trained = steps.train(
            model,
            validated["snapshot_id"],
            expected_sha256=validated["sha256"],
            force=force,
            lineage=lineage,
        )
        verdict = steps.evaluate(model, validated["snapshot_id"], trained["version"])
    promoted = steps.promote(model, verdict, actor=actor, context=lineage, run_id=run_id, shadow=shadow)
    return {
        "validate": validated,
        "check_champion": checked,
        "train": trained,
        "evaluate": verdict,
        "promote": promoted,
    }


def run_retrain(
    model: str | ModelConfig,
    snapshot: str = "latest",
    *,
    run_id: str,
    reason: str,
    force: bool = False,
    actor: str = "cli",
    dag_id: str = "cli",
    shadow: bool = False,
) -> dict[str, Any]:
    """Claim a snapshot and run the gates on it; a run that fails before deciding releases its claim."""
    claimed = steps.claim(model, snapshot, run_id=run_id, reason=reason, force=force)
    if not claimed["granted"]:
        return {"claim": claimed, "skipped": claimed["reason"]}
    sid = claimed["snapshot_id"]
    lineage = {"trigger_reason": reason, "dag_id": dag_id, "run_id": run_id, "run_type": "cli"}
    try:
        result = run_gates(
            model, sid, run_id=run_id, force=force, lineage=lineage, actor=actor, shadow=shadow
        )
    except Exception as exc:
        steps.release_claim(model, sid, run_id, f"{type(exc).__name__}: {exc}")
        raise
    return {"claim": claimed, **result}


__all__ = ["RETRAIN_STEPS", "run_gates", "run_retrain"]
