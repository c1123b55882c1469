"""Whether a pipeline's fit is reproducible by construction: every `random_state` it uses is set.

scikit-learn estimators draw from `random_state` only in some configurations; one that draws from an
unset seed gives another model on every fit, so a reproduction of it proves nothing either way:
`mlops reproduce` says "not reproducible: <param> is unset" instead of comparing as if it could.

Known sources, in scikit-learn 1.9 (each checked against the estimator's own docstring):

* forests, trees, gradient boosting: bootstrap samples, feature draws, and the order in which
  features are tried at a split (ties between equally good splits);
* HistGradientBoosting*: the early-stopping validation split (early_stopping=True, or "auto" with
  more than 10,000 rows), feature subsampling (max_features < 1) and the binning subsample (more
  than 200,000 rows); none of them otherwise;
* MLP*: initial weights, minibatch shuffling and the early-stopping split; SGD*: shuffling;
* LogisticRegression: only the sag, saga and liblinear solvers; Ridge*: only sag and saga; SVC and
  NuSVC: only probability=True; LinearSVC/LinearSVR: only the dual solver; Lasso/ElasticNet: only
  selection="random".

Beyond seeds (reported as notes, not refusals): BLAS may split a matrix product's sums across
threads (linear models, MLP), so another core count or BLAS build can move the last bits;
another scikit-learn or numpy version can change any result. HistGradientBoosting's OpenMP loops
run over features or samples without reducing across threads (checked in its histogram, splitting
and grower code), so its result does not depend on the thread count.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SEED = "random_state"
EARLY_STOPPING_AUTO_ROWS = 10_000  # HistGradientBoosting: early_stopping="auto" turns on above this
BINNING_SUBSAMPLE_ROWS = 200_000  # HistGradientBoosting: bin thresholds from a random subsample above

Rule = Callable[[dict[str, Any], int], str | None]
"""(the estimator's params, training rows) -> why it draws from random_state, or None if it does not."""


def _solver(*random: str) -> Rule:
    def rule(p: dict[str, Any], _rows: int) -> str | None:
        solver = p.get("solver")
        return f"solver={solver!r} shuffles the rows" if solver in random else None

    return rule


def _hist_gb(p: dict[str, Any], rows: int) -> str | None:
    early = p.get("early_stopping")
    if early == "auto":
        early = rows > EARLY_STOPPING_AUTO_ROWS
    if early and p.get("validation_fraction") is not None:
        return "early stopping holds out a random validation split"
    if float(p.get("max_features", 1.0)) < 1.0:
        return "max_features < 1 draws features at random"
    if rows > BINNING_SUBSAMPLE_ROWS:
        return f"bin thresholds come from a random subsample (more than {BINNING_SUBSAMPLE_ROWS:,} rows)"
    return None


_ALWAYS = {
    "MLPClassifier": "initial weights, minibatch shuffling and the early-stopping split",
    "MLPRegressor": "initial weights, minibatch shuffling and the early-stopping split",
    "SGDClassifier": "shuffles the rows every epoch",
    "SGDRegressor": "shuffles the rows every epoch",
    "RandomForestClassifier": "bootstrap samples and feature draws",
    "RandomForestRegressor": "bootstrap samples and feature draws",
    "ExtraTreesClassifier": "random thresholds and feature draws",
    "ExtraTreesRegressor": "random thresholds and feature draws",
    "DecisionTreeClassifier": "the order features are tried at a split (ties between equal splits)",
    "DecisionTreeRegressor": "the order features are tried at a split (ties between equal splits)",
    "GradientBoostingClassifier": "the order features are tried at a split; subsample < 1",
    "GradientBoostingRegressor": "the order features are tried at a split; subsample < 1",
}

RULES: dict[str, Rule] = {
    "LogisticRegression": _solver("sag", "saga", "liblinear"),
    "LogisticRegressionCV": _solver("sag", "saga", "liblinear"),
    "Ridge": _solver("sag", "saga"),  # "auto" picks cholesky on dense input (this pipeline's)
    "RidgeClassifier": _solver("sag", "saga"),
    "SVC": lambda p, _r: (
        "probability=True calibrates on random folds" if p.get("probability") is True else None
    ),
    "NuSVC": lambda p, _r: (
        "probability=True calibrates on random folds" if p.get("probability") is True else None
    ),
    "LinearSVC": lambda p, _r: None if p.get("dual") is False else "the dual solver shuffles the rows",
    "LinearSVR": lambda p, _r: None if p.get("dual") is False else "the dual solver shuffles the rows",
    "Lasso": lambda p, _r: "selection='random'" if p.get("selection") == "random" else None,
    "ElasticNet": lambda p, _r: "selection='random'" if p.get("selection") == "random" else None,
    "HistGradientBoostingClassifier": _hist_gb,
    "HistGradientBoostingRegressor": _hist_gb,
}

_BLAS = "BLAS may split sums across threads: another core count or BLAS build can move the last bits"
_NOTES = {"MLP": _BLAS, "Logistic": _BLAS, "Ridge": _BLAS, "Linear": _BLAS}


def _why_it_draws(estimator: Any, rows: int) -> str | None:
    name = type(estimator).__name__
    params = estimator.get_params(deep=False)
    if name in RULES:
        return RULES[name](params, rows)
    return _ALWAYS.get(name, "it takes random_state: assumed to draw from it")


def assess(pipeline: Any, train_rows: int) -> dict[str, Any]:
    """Which seeds of `pipeline` (a scikit-learn estimator, usually our Pipeline) are set, unset but
    drawn from (not reproducible), or unset and unused; plus notes on what seeds do not cover."""
    params = pipeline.get_params(deep=True)
    owners = {"": pipeline, **{k: v for k, v in params.items() if hasattr(v, "get_params")}}
    seeded: list[dict[str, str]] = []
    unset: list[dict[str, str]] = []
    unused: list[dict[str, str]] = []
    notes: list[str] = []
    for key in sorted(k for k in params if k == SEED or k.endswith(f"__{SEED}")):
        owner = owners.get(key[: -len(SEED)].removesuffix("__"))
        if owner is None:
            continue
        name = type(owner).__name__
        why = _why_it_draws(owner, train_rows)
        if params[key] is not None:
            seeded.append({"param": key, "estimator": name, "value": str(params[key])})
        elif why is None:
            unused.append({"param": key, "estimator": name, "why": "unset, and not drawn from in this setup"})
        else:
            unset.append({"param": key, "estimator": name, "why": why})
    for owner in owners.values():
        notes.extend(n for prefix, n in _NOTES.items() if type(owner).__name__.startswith(prefix))
    return {
        "deterministic": not unset,
        "seeded": seeded,
        "unset": unset,
        "unused": unused,
        "notes": sorted(set(notes)),
        "message": "; ".join(
            f"not reproducible: {u['param']} is unset ({u['estimator']}: {u['why']})" for u in unset
        ),
    }


__all__ = ["RULES", "assess"]
