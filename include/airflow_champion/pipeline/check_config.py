"""`mlops check-config`: every config, every problem, in one run.

For each config: the file reads and parses (each schema error on its own line), the estimator class
exists, takes its params with values scikit-learn accepts and fits the task, the floor is a score
the metric can take, and the suite file exists and names expectations Great Expectations knows and
columns the model has. A config that does not parse is still checked as far as its raw values allow,
so one run shows what to fix, not the first thing.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any, cast

from airflow_champion.config import config_path, list_config_names, load_config
from airflow_champion.config.checks import config_problems, estimator_problems, floor_problems
from airflow_champion.config.safe_yaml import load_yaml
from airflow_champion.config.sections import ESTIMATOR_RE
from airflow_champion.errors import ConfigError
from airflow_champion.tasks import ALIASES, TASKS


def _schema_problems(exc: ConfigError) -> list[str]:
    """A loader error, one problem per line (pydantic reports every field at once)."""
    lines = str(exc).splitlines()
    details = [line.strip() for line in lines[1:] if line.strip()]
    return details or [lines[0] if lines else type(exc).__name__]


def _raw_problems(raw: dict[str, Any]) -> list[str]:
    """What can still be checked on a config that did not parse: estimator and floor, from raw values."""
    task = ALIASES.get(str(raw.get("task", "binary")), str(raw.get("task", "binary")))
    if task not in TASKS:
        return []
    problems = []
    est = raw.get("estimator")
    if isinstance(est, dict) and isinstance(est.get("class"), str) and ESTIMATOR_RE.match(est["class"]):
        params = est.get("params") or {}
        if isinstance(params, dict):
            problems += estimator_problems(est["class"], params, task)
    metric, promotion = raw.get("metric"), raw.get("promotion")
    name = metric.get("name") if isinstance(metric, dict) else None
    floor = promotion.get("floor") if isinstance(promotion, dict) else None
    data = raw.get("data")
    labels = data.get("labels") if isinstance(data, dict) else None
    classes = len(labels) if isinstance(labels, list) and labels else None
    if name in TASKS[task].metrics and isinstance(floor, int | float) and not isinstance(floor, bool):
        problems += floor_problems(task, str(name), float(floor), classes)
    return problems


def _entries(path: Any) -> list[Any]:
    try:
        raw = load_yaml(path, "expectation suite")
    except (OSError, ConfigError):
        return []
    entries = raw.get("expectations") if isinstance(raw, dict) else None
    return entries if isinstance(entries, list) else []


def suite_problems(cfg: Any, columns: set[str] | None) -> list[str]:
    """The suite loader's error, plus every other entry naming an unknown expectation or column.

    `cfg` needs only `name`, `validation.suite` and (with `columns`) the data; None columns: the
    config did not parse, so only expectation names are checked.
    """
    from airflow_champion.validation.suite_file import entry_columns, expectation_class, suite_path

    try:
        path = suite_path(cfg)
    except ConfigError as exc:  # outside the suite folder: nothing there is read
        return [str(exc)]
    if path is None:
        return []
    problems: list[str] = []
    reported = None
    if columns is not None:
        try:
            from airflow_champion.validation.suite_file import load_suite_file

            load_suite_file(cfg)
            return []
        except ConfigError as exc:
            problems.append(str(exc))
            found = re.search(r", entry (\d+)\b", str(exc))
            reported = int(found.group(1)) if found else -1
    elif not path.is_file():
        return [f"{cfg.name}: expectation suite not found: {path}"]
    for i, entry in enumerate(_entries(path)):
        if i == reported or not isinstance(entry, dict):
            continue
        name = entry.get("expectation")
        where = f"expectation suite {path}, entry {i} ({name!r})"
        if expectation_class(str(name)) is None:
            problems.append(f"{where}: unknown expectation")
        kwargs = entry.get("kwargs")
        bad = [
            c for c in entry_columns(kwargs if isinstance(kwargs, dict) else {}) if c not in (columns or ())
        ]
        if columns is not None and bad:
            problems.append(f"{where}: column(s) {bad} are neither a feature nor the target of {cfg.name!r}")
    return problems


def check_one(name: str) -> dict[str, Any]:
    """{"ok", "path", "problems", "config_hash" (when it parsed)} for one config."""
    try:
        path = config_path(name)
    except ConfigError as exc:
        return {"ok": False, "path": None, "problems": [str(exc)]}
    report: dict[str, Any] = {"ok": False, "path": str(path), "problems": []}
    problems: list[str] = report["problems"]
    try:
        cfg = load_config(name)
    except ConfigError as exc:
        problems += _schema_problems(exc)
        try:
            raw = load_yaml(path, "model config")
        except (OSError, ConfigError):
            return report  # the loader's error is already the problem
        if isinstance(raw, dict):
            problems += _raw_problems(raw)
            validation = raw.get("validation")
            suite = validation.get("suite") if isinstance(validation, dict) else None
            if isinstance(suite, str) and suite:
                shim = SimpleNamespace(name=raw.get("name", name), validation=SimpleNamespace(suite=suite))
                problems += suite_problems(cast(Any, shim), None)
        return report
    problems += config_problems(cfg)
    problems += suite_problems(cfg, {*cfg.data.feature_names, cfg.data.target})
    report.update(ok=not problems, config_hash=cfg.config_hash)
    return report


def check_configs(names: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """A report per config (default: every config in the config folder)."""
    return {name: check_one(name) for name in (names or list_config_names())}


__all__ = ["check_configs", "check_one", "suite_problems"]
