"""A bare retrain script: what someone would write without Airflow or this project, as a baseline.

Same work as one `mlops run` on the same config and snapshot: read the Parquet, the config's checks
in plain pandas (columns, dtypes, nulls, ranges, allowed values, min rows), the same pipeline and
estimator, the same holdout policy, predict with the champion, the same number of paired bootstrap
resamples of the metric gain, log and register the model in MLflow and move the `champion` alias if
the gain clears the config's thresholds. Not done (the project does them, so they are its cost):
slices, calibration, leakage/duplicate removal, HTML reports, claims, the ledger, lineage tags.

    python bench/bare_retrain.py --config cfg.yaml --snapshot-dir DIR --tracking-uri sqlite:///x.db
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import yaml


def pandas_checks(cfg: dict[str, Any], df: Any) -> list[str]:
    """The config's data checks in pandas; the failures as sentences (empty: the data passes)."""
    import pandas as pd

    data = cfg["data"]
    fails: list[str] = []
    min_rows = cfg.get("validation", {}).get("min_rows", 0)
    if len(df) < min_rows:
        fails.append(f"{len(df)} rows < min_rows {min_rows}")
    for f in [*data["features"], {"name": data["target"], "type": "target", "nullable": False}]:
        name = f["name"]
        if name not in df.columns:
            fails.append(f"{name}: missing")
            continue
        col = df[name]
        if not f.get("nullable", True) and col.isna().any():
            fails.append(f"{name}: {int(col.isna().sum())} nulls")
        if f.get("type") == "numeric":
            if not pd.api.types.is_numeric_dtype(col):
                fails.append(f"{name}: not numeric")
                continue
            if "min" in f and (col < f["min"]).any():
                fails.append(f"{name}: below {f['min']}")
            if "max" in f and (col > f["max"]).any():
                fails.append(f"{name}: above {f['max']}")
        elif f.get("allowed_values"):
            bad = ~col.dropna().astype(str).isin([str(v) for v in f["allowed_values"]])
            if bad.any():
                fails.append(f"{name}: {int(bad.sum())} values outside the allowed set")
    return fails


def task_of(cfg: dict[str, Any]) -> str:
    return str(cfg.get("task", "binary"))


def split(cfg: dict[str, Any], df: Any) -> tuple[Any, Any]:
    """The config's holdout: a stable hash of the group key, or a seeded (stratified) random split."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    h = cfg["holdout"]
    frac, seed = float(h.get("fraction", 0.25)), int(h.get("seed", 0))
    if h.get("policy") == "group":
        keys = df[h["group_column"]].astype(str)
        buckets = keys.map(lambda k: int(hashlib.sha256(f"{seed}:{k}".encode()).hexdigest()[:8], 16) % 10_000)
        judged = np.asarray(buckets < frac * 10_000)
        return df[~judged], df[judged]
    strat = df[cfg["data"]["target"]] if h.get("stratify", task_of(cfg) != "regression") else None
    return train_test_split(df, test_size=frac, random_state=seed, stratify=strat)


def pipeline(cfg: dict[str, Any]) -> Any:
    import importlib

    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    feats = cfg["data"]["features"]
    num = [f["name"] for f in feats if f.get("type") == "numeric"]
    cat = [f["name"] for f in feats if f.get("type") != "numeric"]
    module, _, cls = cfg["estimator"]["class"].rpartition(".")
    est = getattr(importlib.import_module(module), cls)(**cfg["estimator"].get("params", {}))
    parts: list[tuple[str, Any, list[str]]] = []
    if num:
        parts.append(
            ("num", Pipeline([("i", SimpleImputer(strategy="median")), ("s", StandardScaler())]), num)
        )
    if cat:
        onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        parts.append(
            ("cat", Pipeline([("i", SimpleImputer(strategy="constant", fill_value="_")), ("o", onehot)]), cat)
        )
    return Pipeline([("pre", ColumnTransformer(parts)), ("model", est)])


def features(cfg: dict[str, Any], df: Any) -> Any:
    x = df[[f["name"] for f in cfg["data"]["features"]]].copy()
    for f in cfg["data"]["features"]:
        if f.get("type") != "numeric":
            x[f["name"]] = x[f["name"]].astype(object).where(x[f["name"]].notna(), None).astype(str)
    return x


def target(cfg: dict[str, Any], df: Any) -> Any:
    y = df[cfg["data"]["target"]]
    if task_of(cfg) == "binary":
        return (y == cfg["data"].get("positive_label", 1)).astype(int).to_numpy()
    return y.to_numpy()


def score(metric: str, y: Any, pred: Any) -> float:
    """Oriented so that higher is better (losses negated)."""
    from sklearn import metrics

    if metric == "roc_auc":
        return float(metrics.roc_auc_score(y, pred))
    if metric == "log_loss":
        return -float(metrics.log_loss(y, pred, labels=sorted(set(y.tolist()))))
    if metric == "rmse":
        return -float(metrics.root_mean_squared_error(y, pred))
    if metric == "mae":
        return -float(metrics.mean_absolute_error(y, pred))
    if metric == "r2":
        return float(metrics.r2_score(y, pred))
    if metric == "accuracy":
        return float(metrics.accuracy_score(y, pred))
    raise SystemExit(f"bare_retrain: metric {metric!r} not implemented")


def predict(model: Any, metric: str, x: Any) -> Any:
    if metric == "roc_auc":
        return model.predict_proba(x)[:, 1]
    if metric == "log_loss":
        return model.predict_proba(x)
    return model.predict(x)


def bootstrap(metric: str, y: Any, a: Any, b: Any, samples: int, seed: int) -> list[float]:
    """Paired bootstrap of score(a) - score(b): the same resampled rows for both models."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = len(y)
    diffs = []
    for _ in range(samples):
        idx = rng.integers(0, n, n)
        try:
            diffs.append(score(metric, y[idx], a[idx]) - score(metric, y[idx], b[idx]))
        except ValueError:  # a resample with one class
            continue
    return diffs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", type=Path, required=True)
    p.add_argument("--snapshot-dir", type=Path, required=True, help="folder with data.parquet")
    p.add_argument("--tracking-uri", required=True)
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    phases: dict[str, float] = {}
    mark = [t0]

    def lap(name: str) -> None:
        """Seconds since the previous lap: where the bare script's time goes, for the e2e table."""
        now = time.perf_counter()
        phases[name] = round(now - mark[0], 3)
        mark[0] = now

    import mlflow
    import mlflow.sklearn
    import numpy as np
    import pandas as pd
    import skops.io

    lap("imports")
    cfg = yaml.safe_load(args.config.read_text())
    df = pd.read_parquet(args.snapshot_dir / "data.parquet")
    lap("read")
    fails = pandas_checks(cfg, df)
    lap("validate")
    if fails:
        print(json.dumps({"valid": False, "failures": fails}))
        return 3
    train, test = split(cfg, df)
    model = pipeline(cfg).fit(features(cfg, train), target(cfg, train))
    lap("train")
    metric = cfg["metric"]["name"]
    x_test, y_test = features(cfg, test), target(cfg, test)
    pred = predict(model, metric, x_test)
    challenger = score(metric, y_test, pred)
    lap("score_challenger")

    mlflow.set_tracking_uri(args.tracking_uri)
    mlflow.set_experiment(f"bare-{cfg['name']}")
    name = f"bare-{cfg['name']}"
    client = mlflow.MlflowClient()
    try:
        champ_uri: str | None = f"models:/{name}@champion"
        client.get_model_version_by_alias(name, "champion")
    except mlflow.exceptions.MlflowException:
        champ_uri = None
    promo = cfg["promotion"]
    if champ_uri:
        champ_pred = predict(mlflow.sklearn.load_model(champ_uri), metric, x_test)
        champion: float | None = score(metric, y_test, champ_pred)
        lap("score_champion")
        diffs = bootstrap(
            metric, y_test, pred, champ_pred, int(promo["bootstrap_samples"]), cfg["holdout"]["seed"]
        )
        lower = float(np.quantile(diffs, float(promo.get("significance", 0.05))))
        gain = challenger - float(champion or 0.0)
        promote = gain >= float(promo.get("min_abs_gain", 0.0)) and lower > 0
        lap("bootstrap")
    else:
        champion, lower, gain = None, None, None
        promote = True  # first model: the bare script has no floor logic beyond this
    with mlflow.start_run():
        mlflow.log_metric(metric, challenger)
        # skops, as the project saves (MLflow refuses pickle-free saves of types nobody trusted): the
        # script trusts the types of the model it just fitted itself
        trusted = skops.io.get_untrusted_types(data=skops.io.dumps(model))
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=name,
            serialization_format="skops",
            skops_trusted_types=trusted,
        )
    version = int(info.registered_model_version)
    if promote:
        client.set_registered_model_alias(name, "champion", str(version))
    lap("log_register")
    out = {
        "rows": len(df),
        "metric": metric,
        "challenger": challenger,
        "champion": champion,
        "gain": gain,
        "ci_lower": lower,
        "version": version,
        "promoted": promote,
        "seconds": round(time.perf_counter() - t0, 3),
        "phases": phases,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
