"""`mlops init`: a user's own table to a model config and its suite file, with every guess said.

From one CSV or parquet file and the name of its target: each column's type, categories and range
(`pipeline.infer`), the task, a default estimator and metric, a holdout policy from the columns
given, and a floor a constant model would not reach. A feature that alone reproduces the target (a
column known only after the outcome) is left out: the leakage guard would reject every model using
it. The files are written only after the config parses, then loaded back as the pipeline loads them.
"""

from __future__ import annotations

import difflib
import os
import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_champion.config import config_dir, load_config, parse_config
from airflow_champion.config.safe_yaml import load_yaml_text
from airflow_champion.config.schema import MODEL_NAME_RE, SnapshotSpec
from airflow_champion.data import importing
from airflow_champion.errors import ConfigError
from airflow_champion.pipeline import infer, init_checks
from airflow_champion.pipeline.init_render import Draft, render_config, render_suite
from airflow_champion.tasks import get_task

if TYPE_CHECKING:
    import pandas as pd


ESTIMATORS = {"classifier": "HistGradientBoostingClassifier", "regressor": "HistGradientBoostingRegressor"}
SUITES_DIR = "expectations"


@dataclass
class InitResult:
    model: str
    config_path: str
    suite_path: str
    suite_written: bool
    task: str
    features: int
    notes: list[str] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)
    next_commands: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _column(df: pd.DataFrame, name: str, flag: str) -> str:
    if name not in df.columns:
        hint = difflib.get_close_matches(name, [str(c) for c in df.columns], n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise ConfigError(
            f"{flag} {name!r} is not a column of the file{suggestion}; columns: {list(df.columns)}"
        )
    return name


def _raw(model: str, d: Draft) -> dict[str, Any]:
    """The config the draft describes, as parse_config takes it."""
    return {
        "name": model,
        "task": d.task,
        "snapshots": d.snapshots,
        "data": {"target": d.target, **d.target_keys, "features": d.features},
        "estimator": {"class": d.estimator_class, "params": d.estimator_params},
        "holdout": d.holdout,
        "metric": {"name": d.metric},
        "promotion": {"floor": d.floor},
        "validation": {"suite": d.suite, "min_rows": d.min_rows},
    }


def _holdout(time_column: str | None, group_column: str | None, task: str) -> tuple[dict[str, Any], str]:
    if time_column:
        extra = {"group_column": group_column} if group_column else {}
        return {"policy": "time", "time_column": time_column, **extra, "fraction": 0.25}, (
            f"judged on the latest quarter of each snapshot by {time_column}, fit on the rows before"
        )
    if group_column:
        return {"policy": "group", "group_column": group_column, "fraction": 0.25, "seed": 42}, (
            f"every {group_column} on one side only: a quarter of them judge"
        )
    stratify = {"stratify": True} if get_task(task).estimator_kind == "classifier" else {}
    return {"policy": "random", "fraction": 0.25, "seed": 42, **stratify}, (
        "rows are taken as independent: pass --time-column or --group-column if they are not"
    )


def _read(path: Path, model: str, target: str, snapshots: dict[str, Any]) -> pd.DataFrame:
    """The file as a snapshot of this model will be read (same reader, same CSV settings)."""
    probe = {
        "name": model,
        "snapshots": snapshots,
        "data": {"target": target, "features": [{"name": f"{target} (any)", "type": "numeric"}]},
        "estimator": {"class": "sklearn.dummy.DummyClassifier"},
        "metric": {"name": "roc_auc"},
        "promotion": {"floor": 0.5},
        "validation": {"suite": f"{model}.yaml"},
    }
    return importing.read_file(path, importing.file_format(path), parse_config(probe, "the file's reader"))


def _draft(model: str, path: Path, df: pd.DataFrame, opts: dict[str, Any]) -> tuple[Draft, list[str]]:
    """The config for `df` before leakage and floor (they need it parsed), and the notes so far."""
    target, time_column, group_column = opts["target"], opts["time_column"], opts["group_column"]
    for name, flag in (
        (target, "--target"),
        (time_column, "--time-column"),
        (group_column, "--group-column"),
    ):
        if name:
            _column(df, name, flag)
    if time_column:
        import warnings

        import pandas as pd

        try:
            with warnings.catch_warnings():
                warnings.simplefilter(
                    "ignore", UserWarning
                )  # "could not infer format": we only ask if it parses
                pd.to_datetime(df[time_column], utc=True, errors="raise")
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"--time-column {time_column!r} holds values that are not times: {exc}"
            ) from None
    guess = infer.guess_target(df[target], target, opts["task"])
    notes = [f"{guess.why}; {guess.detail}"]
    labelled = int(df[target].notna().sum())
    if labelled < len(df):
        notes.append(f"{len(df) - labelled} rows have no {target}: validation refuses a snapshot with them")
    found = infer.infer_features(df, skip=[c for c in (target, time_column, group_column) if c])
    notes += found.notes
    if not found.features:
        raise ConfigError(f"no column of {path.name} can be a feature: {found.left_out}")
    holdout, holdout_note = _holdout(time_column, group_column, guess.task)
    kind = get_task(guess.task).estimator_kind
    metric = opts["metric"] or get_task(guess.task).default_metric
    keys = {
        "positive_label": guess.positive_label,
        "labels": guess.labels,
        "target_min": guess.target_min,
        "target_max": guess.target_max,
    }
    draft = Draft(
        model=model,
        source=path.name,
        rows=len(df),
        columns=len(df.columns),
        task=guess.task,
        task_note=guess.why,
        target=target,
        target_keys={k: v for k, v in keys.items() if v is not None},
        target_note=guess.detail,
        features=found.features,
        left_out=found.left_out,
        snapshots=opts["snapshots"],
        estimator_class=f"sklearn.ensemble.{ESTIMATORS[kind]}",
        estimator_params={"random_state": 0},
        holdout=holdout,
        holdout_note=holdout_note,
        metric=metric,
        metric_note="given"
        if opts["metric"]
        else f"the {guess.task} default; others: README 'Choosing a task'",
        floor=0.0,
        floor_note="",
        min_rows=max(1, min(100, labelled // 2)),
        suite=f"{model}.yaml",
        margin=infer.MARGIN,
        tags={"source_file": path.name, "created_by": "mlops-init"},
    )
    return draft, notes


def init_model(
    model: str,
    source: str | Path,
    *,
    target: str,
    task: str | None = None,
    time_column: str | None = None,
    group_column: str | None = None,
    metric: str | None = None,
    force: bool = False,
    csv_delimiter: str = ",",
    csv_encoding: str = "utf-8",
    prog: str = "mlops",
) -> InitResult:
    """Write `<config dir>/<model>.yaml` and `<config dir>/expectations/<model>.yaml` from `source`.

    Refuses (ConfigError) an existing config unless `force`; an existing suite file is always kept.
    """
    if not MODEL_NAME_RE.fullmatch(model):
        raise ConfigError(f"model name {model!r} must match {MODEL_NAME_RE.pattern} (lowercase, digits, _)")
    folder = config_dir()
    config_path, suite_path = folder / f"{model}.yaml", folder / SUITES_DIR / f"{model}.yaml"
    if config_path.exists() and not force:
        raise ConfigError(f"{config_path} exists; pass --force to replace it (its suite file is kept)")
    if time_column and time_column == group_column:
        raise ConfigError(f"--time-column and --group-column are both {time_column!r}; they must differ")
    path = Path(source)
    if not path.is_file():
        raise ConfigError(f"no file at {path}")
    default_max = int(SnapshotSpec.model_fields["max_bytes"].default)
    snap: dict[str, Any] = {
        "root": f"snapshots/{model}",
        "max_bytes": max(default_max, 4 * path.stat().st_size),
    }
    if csv_delimiter != ",":
        snap["csv_delimiter"] = csv_delimiter
    if csv_encoding != "utf-8":
        snap["csv_encoding"] = csv_encoding
    df = _read(path, model, target, snap)
    opts = {"target": target, "task": task, "time_column": time_column, "group_column": group_column}
    d, notes = _draft(model, path, df, {**opts, "metric": metric, "snapshots": snap})
    labelled = df[df[target].notna()]
    cfg = parse_config(_raw(model, d), "the inferred config")
    if len(labelled) >= 20:
        for name in init_checks.leaking_features(cfg, labelled):
            d.features = [f for f in d.features if f["name"] != name]
            d.left_out[name] = (
                f"alone it reproduces {target} (a column known only after the outcome leaks it)"
            )
        if not d.features:
            raise ConfigError(f"every feature of {path.name} alone reproduces {target}: {d.left_out}")
        cfg = parse_config(_raw(model, d), "the inferred config")
    d.floor, d.floor_note = init_checks.floor(cfg, labelled)
    d.example = init_checks.example_expectation(d, labelled)
    text = render_config(d)
    parse_config(
        load_yaml_text(text, str(config_path)), str(config_path)
    )  # the text says what the draft says
    suite_written = not suite_path.exists()
    if suite_written:
        _write(suite_path, render_suite(d))
    _write(config_path, text)
    from airflow_champion.validation.suite import load_suite_file

    load_suite_file(load_config(model))  # both files, loaded back as the pipeline loads them
    return InitResult(
        model=model,
        config_path=str(config_path),
        suite_path=str(suite_path),
        suite_written=suite_written,
        task=d.task,
        features=len(d.features),
        notes=notes,
        left_out=d.left_out,
        next_commands=next_commands(model, str(source), prog),
    )


def _write(path: Path, text: str) -> None:
    """Whole or not at all: a temp file beside it, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def next_commands(model: str, source: str, prog: str = "mlops") -> list[str]:
    """Import the file, retrain, look: the newcomer's next three steps (with the config folder if set)."""
    folder = os.environ.get("MLOPS_CONFIG_DIR")
    env = f"MLOPS_CONFIG_DIR={shlex.quote(folder)} " if folder else ""
    return [
        f"{env}{prog} snapshot import {model} {shlex.quote(source)}",
        f"{env}{prog} run {model}    # or in Airflow: trigger the DAG {model}_retrain",
        f"{env}{prog} status {model}",
    ]


__all__ = ["InitResult", "init_model", "next_commands"]
