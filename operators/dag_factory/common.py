"""What every DAG of a model shares: default args, the start date, the assets, the retrain schedule."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Asset, AssetOrTimeSchedule, AssetWatcher, CronTriggerTimetable
from airflow_champion.config import ModelConfig
from airflow_champion.operators import champion
from airflow_champion.operators.notifications import notifier
from airflow_champion.sensors.triggers import NewSnapshotTrigger

START_DATE = datetime(2026, 1, 1)


def default_args(cfg: ModelConfig) -> dict[str, Any]:
    """Transient faults (tracking server, S3) are retried with back-off; gate refusals never are.

    MLOPS_TASK_RETRIES overrides the count (the in-process test suite sets 0: `dag.test()` sleeps
    through retry delays) and MLOPS_TASK_RETRY_DELAY_SECONDS the first delay.
    """
    return {
        "owner": cfg.owner,
        "retries": int(os.environ.get("MLOPS_TASK_RETRIES", "2")),
        "retry_delay": timedelta(seconds=float(os.environ.get("MLOPS_TASK_RETRY_DELAY_SECONDS", "20"))),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
        "execution_timeout": timedelta(hours=2),
        "on_failure_callback": notifier(cfg, "failure"),  # None without `notifications`
    }


def snapshot_asset(cfg: ModelConfig) -> Asset:
    """New snapshots of a model; with `detection: watcher` an AssetWatcher polls the storage for them."""
    watchers = []
    if cfg.snapshots.detection == "watcher":
        watchers = [
            AssetWatcher(
                name=f"{cfg.name}_snapshot_watcher",
                trigger=NewSnapshotTrigger(
                    cfg.name,
                    mode="watch",
                    poll_seconds=cfg.snapshots.poll_seconds,
                    aws_conn_id=cfg.snapshots.aws_conn_id,
                ),
            )
        ]
    uri = champion.asset_uri(cfg.name, "snapshots")
    return Asset(name=f"{cfg.name}_snapshots", uri=uri, watchers=watchers)


def champion_asset(cfg: ModelConfig) -> Asset:
    """Updated whenever the champion alias moves (promotion or rollback): downstream serving can listen."""
    return champion.champion_asset(cfg.name)


def retrain_schedule(cfg: ModelConfig) -> Any:
    """The config's cron OR a new-snapshot asset event (unless arrival-triggered retraining is off)."""
    if cfg.snapshots.retrain_on_arrival and cfg.snapshots.detection != "off":
        return AssetOrTimeSchedule(
            timetable=CronTriggerTimetable(cfg.schedule, timezone="UTC"), assets=snapshot_asset(cfg)
        )
    return cfg.schedule
