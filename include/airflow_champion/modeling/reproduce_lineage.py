"""What `mlops reproduce` needs before it fits anything: the version, its lineage, the config it was
trained with, the code that trained it, and the very bytes of its snapshot; or the named reason it
cannot have them (ReproductionRefused, one reason code per problem).

Every cheap problem is collected, so one refusal lists them all; the snapshot is read last.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_champion import settings
from airflow_champion.errors import ConfigError, IncompleteSnapshotError, MlopsError, classified
from airflow_champion.modeling import recorded_config
from airflow_champion.registry import tags, tracking

if TYPE_CHECKING:
    import pandas as pd
    from mlflow.tracking import MlflowClient

    from airflow_champion.config import ModelConfig

REQUIRED = ("snapshot_id", "snapshot_sha256", "config_hash", "code_version")
"""The lineage tags (tags.LINEAGE) a version must carry to be retrained as it was."""


class ReproductionRefused(MlopsError):
    """The version cannot be retrained as it was: each problem is a reason code and a message
    (version_not_found, lineage_missing, run_missing, config_missing, config_changed,
    recorded_config_mismatch, recorded_config_unreadable, code_changed, snapshot_missing,
    snapshot_changed)."""

    def __init__(
        self, model: str, version: int, problems: list[dict[str, str]], details: dict[str, Any] | None = None
    ) -> None:
        self.model, self.version, self.problems = model, version, problems
        self.reason = problems[0]["reason"]
        self.details = details or {}
        super().__init__("; ".join(f"{p['reason']}: {p['message']}" for p in problems))


def problem(reason: str, message: str) -> dict[str, str]:
    return {"reason": reason, "message": message}


@dataclass
class Lineage:
    """A version and what it was made from."""

    model: str
    version: int
    run_id: str
    snapshot_id: str
    snapshot_sha256: str
    config_hash: str
    code_version: str
    run: Any = None


def read_lineage(client: MlflowClient, model: str, version: int) -> Lineage:
    """The version's lineage tags and training run, or ReproductionRefused naming what is absent."""
    from mlflow.exceptions import MlflowException

    def refuse(reason: str, message: str) -> ReproductionRefused:
        return ReproductionRefused(model, version, [problem(reason, message)])

    try:
        mv = client.get_model_version(model, str(version))
    except MlflowException as exc:
        if not tracking.is_absent(exc):
            raise classified(exc, MlopsError, f"{model}: cannot read v{version} from the registry") from exc
        try:
            known = sorted(int(v.version) for v in client.search_model_versions(f"name='{model}'"))
        except MlflowException:
            known = []
        raise refuse(
            "version_not_found", f"{model} has no registered version {version} (versions: {known})"
        ) from None
    values = {name: tags.read(mv, name) for name in tags.LINEAGE}
    missing = [tags.key(n) for n in REQUIRED if not values.get(n)] + ([] if mv.run_id else ["run_id"])
    if missing:
        raise refuse("lineage_missing", f"{model} v{version} lacks the lineage {missing}")
    try:
        run = client.get_run(str(mv.run_id))
    except MlflowException as exc:
        if not tracking.is_absent(exc):
            raise classified(exc, MlopsError, f"{model}: cannot read the run of v{version}") from exc
        raise refuse("run_missing", f"{model} v{version}: its training run {mv.run_id} is gone") from None
    return Lineage(
        model=model,
        version=int(version),
        run_id=str(mv.run_id),
        snapshot_id=str(values["snapshot_id"]),
        snapshot_sha256=str(values["snapshot_sha256"]),
        config_hash=str(values["config_hash"]),
        code_version=str(values["code_version"]),
        run=run,
    )


def _logged_params(cfg: ModelConfig) -> dict[str, str]:
    """The config's part of a training run's params, as registration logs them."""
    return {
        "estimator": cfg.estimator.class_path,
        **{f"estimator.{k}": str(v) for k, v in cfg.estimator.params.items()},
        "task": cfg.task,
        **{f"holdout.{k}": str(v) for k, v in cfg.holdout.model_dump().items()},
        "metric": cfg.metric.name,
    }


def param_changes(cfg: ModelConfig, run: Any) -> list[str]:
    """What differs between the config file and the params the version's run logged."""
    now, then = _logged_params(cfg), dict(run.data.params)
    prefixes = ("estimator", "task", "holdout.", "metric")
    keys = sorted(set(now) | {k for k in then if k.startswith(prefixes)})
    return [
        f"{k}: {then.get(k, '(unset)')} -> {now.get(k, '(unset)')}" for k in keys if now.get(k) != then.get(k)
    ]


def choose_config(
    client: MlflowClient, lin: Lineage, *, use_file: bool
) -> tuple[ModelConfig | None, dict[str, Any], list[dict[str, str]]]:
    """The config to retrain with: the text the training run recorded (default), else the config file
    when its hash is the version's; and what was compared."""
    import json

    from airflow_champion.config import load_config
    from airflow_champion.config.loading import parse_config

    try:
        file_cfg: ModelConfig | None = load_config(lin.model)
        file_error = ""
    except ConfigError as exc:
        file_cfg, file_error = None, str(exc)
    file_hash = file_cfg.config_hash if file_cfg else None
    text = recorded_config.load_text(client, lin.run_id)
    info = {
        "recorded_hash": lin.config_hash,
        "file_hash": file_hash,
        "file_differs": file_hash != lin.config_hash,
        "recorded_text": text is not None,
        "source": "file" if use_file or text is None else "recorded",
    }
    if info["source"] == "recorded":
        assert text is not None
        if recorded_config.text_hash(text) != lin.config_hash:
            msg = f"the recorded {recorded_config.ARTIFACT} hashes to {recorded_config.text_hash(text)}"
            return (
                None,
                info,
                [problem("recorded_config_mismatch", f"{msg}, the version says {lin.config_hash}")],
            )
        try:
            return parse_config(json.loads(text), f"{recorded_config.ARTIFACT} of v{lin.version}"), info, []
        except ConfigError as exc:  # a schema this code no longer accepts
            return None, info, [problem("recorded_config_unreadable", str(exc))]
    if file_cfg is None:
        return (
            None,
            info,
            [problem("config_missing", f"{file_error}; {_restore_hint(lin, text is not None)}")],
        )
    if file_hash == lin.config_hash:
        return file_cfg, info, []
    changes = param_changes(file_cfg, lin.run)
    where = ", ".join(changes) if changes else "not in the logged estimator/holdout/task/metric params"
    fix = _restore_hint(lin, text is not None)
    return (
        None,
        info,
        [
            problem(
                "config_changed",
                f"config file hash {file_hash} != v{lin.version}'s config_hash {lin.config_hash} "
                f"(changed: {where}); {fix}",
            )
        ],
    )


def _restore_hint(lin: Lineage, recorded: bool) -> str:
    """How to get the version's config back when the file is not it."""
    from airflow_champion.config.loading import config_path

    if recorded:
        return "drop --use-config-file to retrain with the config the run recorded"
    path = config_path(lin.model).resolve()
    root = settings.CHECKOUT
    where = (
        f"git show {lin.code_version}:{path.relative_to(root)}"
        if root is not None and path.is_relative_to(root)
        else f"{path} as it was when v{lin.version} was trained"
    )
    return f"its run did not record the config text, so it cannot be recovered from MLflow: restore {where}"


def _commit_known(commit: str) -> bool | None:
    """Whether this checkout's git knows `commit` (None: not a checkout, or no git)."""
    if settings.CHECKOUT is None:
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(settings.CHECKOUT), "cat-file", "-e", f"{commit}^{{commit}}"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.returncode == 0


def check_code(lin: Lineage, *, allow_change: bool) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The running code against the version's code_version; a change refuses unless allowed."""
    running = settings.code_version()
    info = {"recorded": lin.code_version, "running": running, "same": running == lin.code_version}
    if info["same"] or allow_change:
        return {**info, "change_allowed": allow_change and not info["same"]}, []
    known = _commit_known(lin.code_version)
    if known:
        c = lin.code_version
        how = f"check it out (`git worktree add ../v-{c} {c}`) and reproduce there"
    elif known is False:
        how = f"{lin.code_version} is gone from this repository"
    else:
        how = f"install that version ({lin.code_version})"
    msg = f"v{lin.version} was trained by code {lin.code_version}, this is {running}: {how}, or pass "
    return info, [problem("code_changed", msg + "--allow-code-change to retrain with this code")]


def check_manifest(cfg: ModelConfig, lin: Lineage) -> list[dict[str, str]]:
    """The snapshot's manifest exists and names the recorded sha256 (cheap: the data is not read)."""
    from airflow_champion.data.manifest import read_manifest

    try:
        manifest = read_manifest(cfg.snapshot_root(), lin.snapshot_id)
    except IncompleteSnapshotError as exc:
        return [problem("snapshot_missing", f"snapshot {lin.snapshot_id} of v{lin.version} is gone: {exc}")]
    if manifest.sha256 != lin.snapshot_sha256:
        return [_changed(lin, f"its manifest now says sha256 {manifest.sha256[:12]}... (replaced)")]
    return []


def _changed(lin: Lineage, detail: str) -> dict[str, str]:
    return problem(
        "snapshot_changed",
        f"snapshot {lin.snapshot_id}: v{lin.version} was trained on sha256 {lin.snapshot_sha256[:12]}..., "
        f"{detail}; changed data is not a reproduction",
    )


def load_data(cfg: ModelConfig, lin: Lineage) -> pd.DataFrame:
    """The snapshot's table, hashed once as it is read: ReproductionRefused unless it is the very data
    the version was trained on."""
    from airflow_champion.data import layout
    from airflow_champion.data.manifest import read_manifest
    from airflow_champion.data.reading import load_snapshot
    from airflow_champion.data.storage import open_store

    try:
        df, manifest = load_snapshot(cfg, lin.snapshot_id)
    except IncompleteSnapshotError as exc:
        root = cfg.snapshot_root()
        try:
            rel = layout.data(lin.snapshot_id, read_manifest(root, lin.snapshot_id).data_file)
            present = open_store(root).exists(rel)
        except IncompleteSnapshotError:
            present = False
        found = (
            _changed(lin, f"its data no longer matches ({exc})")
            if present
            else problem("snapshot_missing", f"snapshot {lin.snapshot_id} of v{lin.version} is gone: {exc}")
        )
        raise ReproductionRefused(lin.model, lin.version, [found]) from None
    if manifest.sha256 != lin.snapshot_sha256:  # replaced between the manifest check and the read
        raise ReproductionRefused(
            lin.model, lin.version, [_changed(lin, f"it is now {manifest.sha256[:12]}...")]
        )
    return df


__all__ = ["Lineage", "ReproductionRefused", "check_code", "check_manifest", "choose_config", "load_data"]
