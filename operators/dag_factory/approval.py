"""The approval task of `<model>_retrain`, between evaluate and promote, only where the config's
`promotion.approval` is not `never` (a config without it keeps today's DAG, task for task)."""

from __future__ import annotations

from typing import Any

from airflow_champion.config import ModelConfig

APPROVAL_TASK_ID = "approve"


def approval_task(cfg: ModelConfig, evaluate: Any) -> Any | None:
    """The approval task fed by `evaluate`'s verdict, or None when the config never asks."""
    spec = cfg.promotion.approval
    if not spec.enabled:
        return None
    # imported only for a model that asks: the HITL operator is no parse cost of the others
    from airflow_champion.operators.approval import PromotionApprovalOperator

    return PromotionApprovalOperator(
        task_id=APPROVAL_TASK_ID,
        model=cfg.name,
        verdict=evaluate.output,
        shadow="{{ params.shadow }}",
        approvers=spec.approvers,
        timeout_text=spec.timeout,
        response_timeout=spec.response_timeout,
        doc_md=f"A person approves promoting {cfg.name}'s challenger (promotion.approval); "
        f"no answer within {spec.timeout} rejects.",
    )
