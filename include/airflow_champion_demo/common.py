"""Random streams and drawing helpers shared by the demo generators.

Independent random streams (features, labels, label noise, nulls, corruption) are spawned from the
seed, so `drift="concept"` keeps X byte-identical to `drift="none"` and a corruption changes nothing
but its defect.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_STREAMS = ("features", "labels", "label_noise", "nulls", "corruption")


def _streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent generator per concern, so changing one knob leaves the other draws alone."""
    children = np.random.SeedSequence(int(seed)).spawn(len(_STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(_STREAMS, children, strict=True)}


def _check_choice(kind: str, value: str | None, allowed: tuple[str, ...], generator: str) -> None:
    if value is None and kind == "corruption":
        return
    if value not in allowed:
        raise ValueError(f"unknown {kind} {value!r} for {generator}; allowed: {', '.join(allowed)}")


def _check_common(rows: int, label_noise: float) -> None:
    if int(rows) < 1:
        raise ValueError(f"rows must be >= 1, got {rows}")
    if not 0.0 <= float(label_noise) <= 1.0:
        raise ValueError(f"label_noise must be in [0, 1], got {label_noise}")


def _categorical_codes(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Vectorised draw of one category per row from a (rows, k) matrix of unnormalised weights."""
    cum = np.cumsum(probs, axis=1)
    cum = cum / cum[:, -1:]
    u = rng.random(int(probs.shape[0]))
    return (u[:, None] > cum[:, :-1]).sum(axis=1)


def _shared_codes(rng: np.random.Generator, probs: tuple[float, ...] | list[float], rows: int) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    cum = np.cumsum(p / p.sum())
    return np.searchsorted(cum[:-1], rng.random(rows), side="right")


def _labels(rng: np.random.Generator, logit: np.ndarray) -> np.ndarray:
    prob = 1.0 / (1.0 + np.exp(-logit))
    return (rng.random(logit.shape[0]) < prob).astype(np.int64)


def _apply_label_noise(rng: np.random.Generator, y: np.ndarray, p: float) -> np.ndarray:
    """Replace a share p of labels by draws at the base rate, independent of the features.

    Why not a plain flip: with ~25% positives, flipping 25% of labels caps any model's ROC AUC on the
    noisy labels near 0.70, so the documented noisy first snapshot could never pass the floor. Resampling
    keeps prevalence unchanged and only erodes learnable signal (an effective flip rate of about 0.42 p).
    """
    if p <= 0:
        return y
    n = y.shape[0]
    replace = rng.random(n) < p
    random_labels = np.asarray(rng.random(n) < float(y.mean()), dtype=np.int64)
    return np.where(replace, random_labels, y)


def _poisson_from_uniform(lam: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Poisson quantiles of fixed uniforms: a larger rate shifts the same customers up (paired drift)."""
    k = np.zeros(lam.shape[0])
    term = np.exp(-lam)
    cdf = term.copy()
    for i in range(1, 60):
        below = u > cdf
        if not below.any():
            break
        k += below
        term = term * lam / i
        cdf = cdf + term
    return k


def _codes_to_strings(codes: np.ndarray, values: tuple[str, ...]) -> np.ndarray:
    return np.asarray(values, dtype=object)[codes]


def bunch_arrays(bunch: Any, target_dtype: Any = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A scikit-learn dataset Bunch as (float features, target, feature names), for the generators
    that resample the bundled data."""
    return (
        np.asarray(bunch.data, dtype=float),
        np.asarray(bunch.target, dtype=target_dtype),
        [str(c) for c in bunch.feature_names],
    )
