"""Where state lives. Everything is derived from environment variables so that a task, the CLI and a
pod agree without sharing Python objects.

Two layouts, and the defaults differ only when no environment variable says otherwise:

* **a checkout** (the repository, or an editable install of it: this file is
  `<root>/include/airflow_champion/settings.py` next to `<root>/pyproject.toml`): the shipped configs
  and suites are `<root>/include/configs` and `<root>/include/expectations`, state is `<root>/.mlops`,
  the code version is the checkout's git commit. Exactly as it always was.
* **installed** (a wheel in an Airflow project's environment, e.g. Astro): this file is in
  site-packages, where `parents[2]` is `lib/python3.x` and means nothing. The configs are then the
  project's own `include/configs` (and `include/expectations`) under the folder Airflow runs from
  (Astro and the official image start every component in the project folder), unless
  `MLOPS_CONFIG_DIR` says where; state defaults to `~/.mlops`, which every process of one user agrees
  on whatever its working directory (a cwd-relative default could split the MLflow store and the
  promotion lock between components started from different folders); the code version is the
  installed distribution's version.
"""

from __future__ import annotations

import os
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve()


def _checkout() -> Path | None:
    root = _HERE.parents[2]
    if _HERE.parent.parent.name == "include" and (root / "pyproject.toml").is_file():
        return root
    return None


CHECKOUT: Path | None = _checkout()
"""The repository this package runs from (source tree or editable install); None when installed."""
PROJECT_ROOT: Path = CHECKOUT or Path.cwd()
"""The project: the checkout, or when installed the folder the process started in."""
CONFIG_DIR = PROJECT_ROOT / "include" / "configs"
"""Default config folder (MLOPS_CONFIG_DIR overrides): the shipped configs in a checkout."""
EXPECTATIONS_DIR = PROJECT_ROOT / "include" / "expectations"
"""Where shipped suite files are looked up last: the shipped suites in a checkout."""


def import_skops() -> Any:
    """skops.io, imported with exactly one warning silenced; call it before any skops save or load
    (ours or mlflow.sklearn's): only the first import in a process matters.

    On its first import skops scans every loaded module (its default trusted types: `whichmodule`
    getattr()s each scipy.special ufunc name on every module in sys.modules). In an Airflow task those
    include Airflow's deprecated-module shims (airflow.utils.timezone, ...), whose __getattr__ warns on
    any name: ~1,160 DeprecatedImportWarning (a FutureWarning) lines per task that saves or loads a
    model, about names nobody uses; skops silences only DeprecationWarning there. That warning
    (message, category, skops's module) is ignored for the import only. A process-wide filter would
    not hold: Airflow parses DAG files (which import this module) inside `catch_warnings()`, which
    drops filters added meanwhile.
    """
    import importlib
    import sys

    if "skops.io" not in sys.modules:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore",
                message=r"The `airflow\.[\w.]+` (attribute )?is deprecated",
                category=FutureWarning,
                module=r"skops\.io\._utils",
            )
            importlib.import_module("skops.io")
    return sys.modules["skops.io"]


def mlops_home() -> Path:
    """Root of the embedded default's state: MLflow store, artifacts, snapshots, locks."""
    env = os.environ.get("MLOPS_HOME")
    if env:
        return Path(env).resolve()
    if CHECKOUT is not None:
        return (CHECKOUT / ".mlops").resolve()
    return (Path.home() / ".mlops").resolve()


def tracking_uri() -> str:
    """MLflow tracking/registry URI; the embedded default is a SQLite file under MLOPS_HOME."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    return f"sqlite:///{mlops_home() / 'mlflow.db'}"


def artifact_root() -> str:
    """Default artifact location for experiments the project creates."""
    return os.environ.get("MLOPS_ARTIFACT_ROOT", (mlops_home() / "mlartifacts").as_uri())


def mlflow_ui_url() -> str:
    """Base URL of the MLflow UI, used for the Airflow extra links."""
    return os.environ.get("MLFLOW_UI_URL", "http://127.0.0.1:5000").rstrip("/")


def s3_endpoint_url() -> str | None:
    """Endpoint of an S3-compatible server (MinIO, moto); None means AWS itself."""
    return os.environ.get("MLOPS_S3_ENDPOINT_URL") or os.environ.get("MLFLOW_S3_ENDPOINT_URL") or None


def lock_url() -> str:
    """Where promotion's mutex lives: file:// (embedded), postgresql:// or redis://."""
    return os.environ.get("MLOPS_LOCK_URL", (mlops_home() / "locks").as_uri())


SINGLE_HOST_EXECUTORS = frozenset({"LocalExecutor", "SequentialExecutor", "DebugExecutor"})
"""Airflow executors that run every task on the scheduler's host: the only ones a file lock suits."""


def airflow_executor() -> str:
    """Airflow's executor setting as this process sees it (the core imports no Airflow): the
    AIRFLOW__CORE__EXECUTOR environment variable, which Airflow's images and charts set on every
    component; empty when unset (an executor set only in airflow.cfg is not seen)."""
    return os.environ.get("AIRFLOW__CORE__EXECUTOR", "").strip()


def multi_host_executors() -> list[str]:
    """The configured executors that may run tasks on other hosts than this one.

    Airflow accepts a comma-separated list, each entry a class name, a dotted path, or `alias:path`.
    Anything but a known single-host executor counts as multi-host (Celery, Kubernetes, Edge, ECS,
    Batch, a custom one): a wrong guess the other way would let two hosts into one critical section.
    """
    out = []
    for entry in airflow_executor().split(","):
        cls = entry.strip().rsplit(":", 1)[-1].rsplit(".", 1)[-1]
        if cls and cls not in SINGLE_HOST_EXECUTORS:
            out.append(cls)
    return out


def code_version() -> str:
    """Version of this code, recorded as lineage on every run: MLOPS_CODE_VERSION, else the
    checkout's commit, else the installed distribution's version (an Airflow project's own git
    repository says nothing about this package)."""
    env = os.environ.get("MLOPS_CODE_VERSION")
    if env:
        return env
    if CHECKOUT is None:
        try:
            return f"airflow-champion=={metadata.version('airflow-champion')}"
        except metadata.PackageNotFoundError:
            return "unknown"
    return _git_commit(CHECKOUT)


def _git_commit(root: Path) -> str:
    head = root / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            ref_file = root / ".git" / ref[5:]
            if ref_file.exists():
                return ref_file.read_text().strip()[:12]
            packed = root / ".git" / "packed-refs"
            if packed.exists():
                for line in packed.read_text().splitlines():
                    if line.endswith(ref[5:]):
                        return line.split()[0][:12]
            return "unknown"
        return ref[:12]
    except OSError:
        return "unknown"
