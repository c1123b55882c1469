"""The slice gate: a challenger better overall may not be significantly worse on any slice.

An overall gain can hide a regression on one plan, region or tenure band (the gain elsewhere pays
for it), and that slice's customers get the worse model. So each slice of the judged rows with enough
rows is tested for non-inferiority: H0 "challenger - champion >= -margin" by the paired bootstrap's
one-sided p-value, on that slice's rows only. Many slices mean many tests, so the p-values of every
tested slice of every column form one family, Holm-corrected: the chance of rejecting a challenger
that is in truth nowhere worse stays at `significance`, however many slices are configured.

The p-value of a bootstrap is at least 1 / (samples + 1), so Holm over m slices can only flag a slice
when samples + 1 >= m / significance: the resamples per slice are raised to 2 m / significance when
the configured `bootstrap_samples` is fewer (slice_samples).
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_champion.errors import EvaluationError
from airflow_champion.evaluation.bootstrap import paired_bootstrap
from airflow_champion.reports.jsonsafe import finite_or_none
from airflow_champion.reports.numbers import fmt, pct, signed

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from airflow_champion.config import ModelConfig
    from airflow_champion.config.gate_sections import SliceBy
    from airflow_champion.tasks.metric import Metric

MISSING = "(missing)"
"""The label of the rows whose slice column is null: they are a slice too (often a telling one)."""

_SHOWN_COLUMNS = 20
"""Columns named in the error for a slice column that is not there."""


@dataclass(frozen=True)
class Slice:
    """One slice to test: the column, its label ("basic", "[6, 24)", "(missing)") and its rows."""

    column: str
    label: str
    mask: np.ndarray

    @property
    def rows(self) -> int:
        return int(self.mask.sum())


def holm(p_values: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1), in the input order.

    NaN (an untested slice) stays NaN and is not counted in the family size m; statsmodels' reviewed
    implementation is used, which does not skip NaN itself, hence the filtering.
    """
    from statsmodels.stats.multitest import multipletests

    finite = [i for i, p in enumerate(p_values) if not math.isnan(p)]
    out = [float("nan")] * len(p_values)
    if not finite:
        return out
    adjusted = multipletests([p_values[i] for i in finite], method="holm")[1]
    for i, a in zip(finite, adjusted, strict=True):
        out[i] = min(1.0, float(a))
    return out


def slice_masks(
    spec_by: list[SliceBy], rows: pd.DataFrame, max_slices: int
) -> tuple[list[Slice], list[dict[str, Any]]]:
    """The slices of `rows` by each column: (slices to test, slices skipped beyond `max_slices`).

    A categorical column gives one slice per value (nulls: "(missing)"), a column with `bins` one per
    interval (-inf, e1), [e1, e2), ..., [ek, inf) and "(missing)". Only the `max_slices` largest of
    a column are tested (the tail would be too small to judge, and each test costs power), the rest
    are listed as skipped so that the report says what was not looked at.
    """
    missing = [s.column for s in spec_by if s.column not in rows.columns]
    if missing:
        present = [str(c) for c in rows.columns]
        more = f", ... (+{len(present) - _SHOWN_COLUMNS} more)" if len(present) > _SHOWN_COLUMNS else ""
        shown = ", ".join(present[:_SHOWN_COLUMNS])
        raise EvaluationError(
            f"slice column(s) {missing} not in the judged rows (columns: {shown}{more}); "
            "fix promotion.slices.by"
        )
    tested: list[Slice] = []
    skipped: list[dict[str, Any]] = []
    for spec in spec_by:
        found = _binned(spec.column, rows[spec.column], spec.bins) if spec.bins else _by_value(spec, rows)
        keep = sorted(range(len(found)), key=lambda i: -found[i].rows)[:max_slices]
        for i, s in enumerate(found):
            if i in keep:
                tested.append(s)
            else:
                skipped.append(
                    {"column": s.column, "slice": s.label, "rows": s.rows, "reason": "beyond max_slices"}
                )
    return tested, skipped


def _by_value(spec: SliceBy, rows: pd.DataFrame) -> list[Slice]:
    """One slice per value of the column, largest first (ties: in order of appearance)."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(rows[spec.column], use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    found = [(int(counts[i]), str(uniques[i]), codes == i) for i in range(len(uniques)) if counts[i]]
    if (codes < 0).any():
        found.append((int((codes < 0).sum()), MISSING, codes < 0))
    found.sort(key=lambda t: -t[0])
    return [Slice(spec.column, label, mask) for _, label, mask in found]


def _binned(column: str, values: pd.Series, edges: list[float]) -> list[Slice]:
    """One slice per interval between the edges, in their order, then "(missing)" if any null."""
    import numpy as np
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise EvaluationError(f"slice column {column!r} has bins but is not numeric ({values.dtype})")
    x = values.to_numpy(dtype=np.float64, na_value=np.nan)
    null = np.isnan(x)
    where = np.searchsorted(np.asarray(edges, dtype=np.float64), x, side="right")
    labels = [
        f"< {fmt(edges[0])}",
        *(f"[{fmt(a)}, {fmt(b)})" for a, b in itertools.pairwise(edges)),
        f">= {fmt(edges[-1])}",
    ]
    found = [Slice(column, label, (where == i) & ~null) for i, label in enumerate(labels)]
    if null.any():
        found.append(Slice(column, MISSING, null))
    return found


def _score(metric: Metric, y: np.ndarray, pred: np.ndarray) -> float | None:
    """The point estimate on a slice, None where undefined (one class: scikit-learn warns or raises)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return finite_or_none(metric.score(y, pred))
        except ValueError:
            return None


def slice_samples(configured: int, tested: int, significance: float) -> int:
    """Resamples per slice, raised so Holm can still flag one: a bootstrap p-value is at least
    1 / (samples + 1) and Holm's first bar is significance / m (twice that leaves room)."""
    return max(int(configured), math.ceil(2 * max(tested, 1) / significance))


def slice_gate(
    cfg: ModelConfig,
    metric: Metric,
    rows: pd.DataFrame,
    y: Any,
    p_ch: Any,
    p_cp: Any,
    clusters: np.ndarray | None,
    *,
    seed: int,
) -> dict[str, Any]:
    """Test every slice of cfg.promotion.slices for non-inferiority (JSON-safe result).

    `rows` are the judged rows (positionally aligned with `y` and the predictions) and `clusters` the
    bootstrap's cluster code of each (None: rows are resampled). `blockers` holds one sentence per
    slice found worse, for the verdict's failing reasons.
    """
    import numpy as np

    spec = cfg.promotion.slices
    out: dict[str, Any] = {
        "enabled": bool(spec.by),
        "margin": float(spec.margin),
        "significance": float(spec.significance),
        "min_rows": int(spec.min_rows),
        "correction": "holm",
        "tested": 0,
        "worse": [],
        "skipped": [],
        "slices": [],
        "blockers": [],
    }
    if not spec.by:
        return out
    y, p_ch, p_cp = np.asarray(y), np.asarray(p_ch), np.asarray(p_cp)
    if not len(rows) == y.shape[0] == p_ch.shape[0] == p_cp.shape[0]:
        raise EvaluationError(
            f"slice gate: {len(rows)} rows, {y.shape[0]} labels, {p_ch.shape[0]} and {p_cp.shape[0]} "
            "predictions; they must be the same judged rows"
        )
    found, skipped = slice_masks(spec.by, rows, spec.max_slices)
    testable = [s for s in found if s.rows >= spec.min_rows]
    samples = slice_samples(cfg.promotion.bootstrap_samples, len(testable), spec.significance)
    out["bootstrap_samples"] = samples
    entries: list[dict[str, Any]] = []
    p_values: list[float] = []
    for s in found:
        n = s.rows
        if n < spec.min_rows:
            skipped.append({"column": s.column, "slice": s.label, "rows": n, "reason": "n < min_rows"})
            continue
        entry, p = _test(cfg, metric, s, y, p_ch, p_cp, clusters, seed=seed, samples=samples)
        entries.append(entry)
        p_values.append(p)
    adjusted = holm(p_values)
    conf = pct(1 - 2 * spec.significance)  # the (alpha, 1 - alpha) quantiles: a (1 - 2 alpha) interval
    for entry, p_holm in zip(entries, adjusted, strict=True):
        if math.isnan(p_holm):
            continue
        entry["p_holm"] = p_holm
        entry["status"] = "worse" if p_holm <= spec.significance else "ok"
        out["tested"] += 1
        if entry["status"] == "worse":
            out["worse"].append(f"{entry['column']}={entry['slice']}")
            out["blockers"].append(_sentence(metric, spec.margin, spec.significance, conf, entry))
    out["skipped"] = skipped
    out["slices"] = entries
    return out


def _test(
    cfg: ModelConfig,
    metric: Metric,
    s: Slice,
    y: np.ndarray,
    p_ch: np.ndarray,
    p_cp: np.ndarray,
    clusters: np.ndarray | None,
    *,
    seed: int,
    samples: int,
) -> tuple[dict[str, Any], float]:
    """One slice's entry (status "undefined" until Holm says otherwise) and its p-value (NaN: untested)."""
    import numpy as np

    spec = cfg.promotion.slices
    ys, a, b = y[s.mask], p_ch[s.mask], p_cp[s.mask]
    ch, cp = _score(metric, ys, a), _score(metric, ys, b)
    entry: dict[str, Any] = {
        "column": s.column,
        "slice": s.label,
        "rows": s.rows,
        "challenger": ch,
        "champion": cp,
        "diff": None if ch is None or cp is None else finite_or_none(metric.oriented(ch, cp)),
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
        "p_holm": None,
        "status": "undefined",
    }
    if entry["diff"] is None:
        return entry, float("nan")
    # the slice's own clusters, coded 0..k-1: the bootstrap draws k = max code + 1 clusters
    codes = None if clusters is None else np.unique(clusters[s.mask], return_inverse=True)[1].ravel()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            boot = paired_bootstrap(
                metric,
                ys,
                a,
                b,
                samples=samples,
                alpha=spec.significance,
                seed=seed,
                clusters=None if codes is None else codes.astype(np.int64),
                null=-spec.margin,
            )
    except ValueError:
        return entry, float("nan")
    p = float(boot["p_value"])
    if math.isnan(p):
        return entry, p
    entry.update(ci_low=finite_or_none(boot["ci_low"]), ci_high=finite_or_none(boot["ci_high"]), p_value=p)
    return entry, p


def _sentence(metric: Metric, margin: float, significance: float, conf: str, e: dict[str, Any]) -> str:
    """The failing reason of one worse slice, with every number a reader needs to check it."""
    return (
        f"slice {e['column']}={e['slice']} ({e['rows']} rows): {metric.name} challenger "
        f"{fmt(e['challenger'])} vs champion {fmt(e['champion'])}, diff {signed(e['diff'])}, {conf} interval "
        f"[{signed(e['ci_low'])}, {signed(e['ci_high'])}]; worse than the margin "
        f"{signed(-margin) if margin else '0'} (Holm p {fmt(e['p_holm'], 2)} <= {fmt(significance)})"
    )


__all__ = ["MISSING", "Slice", "holm", "slice_gate", "slice_masks", "slice_samples"]
