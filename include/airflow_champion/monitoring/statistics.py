"""Drift statistics per column, chosen as Evidently 0.7 chooses them, so the verdicts agree.

Why our own: Evidently 0.7's default drift report on 1M rows x 21 columns took 77 s and 2.4 GB; the
drift check needs the *verdict*, so these compute the same statistics vectorised over sorted arrays
and value counts (Evidently renders the human-facing page, on a bounded sample).

=================  ===============================  =========================================  =========
column type        reference rows > 1000            reference rows <= 1000                     drift if
=================  ===============================  =========================================  =========
numeric            Wasserstein distance normed by    two-sample Kolmogorov-Smirnov p-value       dist >= t
(> 5 values)       std(reference) ("wasserstein")    ("ks")                                      p <= 0.05
numeric            Jensen-Shannon distance on the    chi-square p-value (3-5 values) or          dist >= t
(<= 5 values)      values ("jensenshannon")          two-proportion z-test p-value (<= 2)        p < 0.05
categorical        Jensen-Shannon distance on the    chi-square p-value (> 2 categories) or      dist >= t
                   category shares                   two-proportion z-test p-value (<= 2)        p < 0.05
=================  ===============================  =========================================  =========

Row counts and the number of distinct values are those after dropping nulls and +-inf, as Evidently
does; categories are compared by value as Evidently's `==` does, not by a side's dtype (3 and 3.0 are
one category, `category_labels`). No share is smoothed (Evidently's Jensen-Shannon uses
get_binned_data(feel_zeroes=False)); a category absent from the reference gives chi-square p = 0 in both.
Normed Wasserstein reads as "how many reference standard deviations the mass moved" and Jensen-Shannon
is bounded in [0, sqrt(ln 2)], so one threshold fits every column of a type. `effect_size` is reported
for every feature whatever the test (normed Wasserstein for numeric, Jensen-Shannon for categorical),
so `drift.min_effect_size` can veto detectable but tiny shifts. A Jensen-Shannon result carries
`noise_floor` (monitoring.sampling): what two samples of its sizes from one distribution show (~0.08
for 120 categories at 5,000 rows a side); a statistic near it is sampling noise. Costs: O(n log n), O(n).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from airflow_champion.monitoring.sampling import js_noise_floor

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

P_VALUE_THRESHOLD = 0.05
"""Evidently's default significance for the KS, chi-square and z tests."""

LARGE_SAMPLE_ROWS = 1000
"""Evidently switches from tests to distances when the reference has more rows than this."""

LOW_CARDINALITY = 5
"""A numeric column with at most this many distinct values is compared as values, as Evidently does."""

MIN_STD = 0.001
"""Evidently's floor for std(reference) when norming the Wasserstein distance."""

P_VALUE_METHODS = frozenset({"ks", "chisquare", "z"})

DISPLAY_NAMES: dict[str, str] = {
    "wasserstein": "Wasserstein distance (normed)",
    "jensenshannon": "Jensen-Shannon distance",
    "ks": "K-S p_value",
    "chisquare": "chi-square p_value",
    "z": "Z-test p_value",
}


def _numeric_values(s: pd.Series) -> tuple[np.ndarray, float, float]:
    """Finite float values, share of nulls (incl. non-numbers), share of +-inf."""
    import numpy as np
    import pandas as pd

    n = len(s)
    x = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    nan, inf = np.isnan(x), np.isinf(x)
    return x[~(nan | inf)], (float(nan.sum()) / n if n else 0.0), (float(inf.sum()) / n if n else 0.0)


def _label(v: Any, bools_as_numbers: bool) -> str | None:
    """One label per value as `==` groups values (1 == 1.0 == True); None for +-inf (dropped)."""
    import numpy as np

    if isinstance(v, str):
        return v
    if isinstance(v, bool | np.bool_):
        return str(int(v)) if bools_as_numbers else str(bool(v))
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        f = float(v)
        return None if math.isinf(f) else str(int(f)) if f.is_integer() else repr(f)
    return str(v)


def category_labels(ref: pd.Series, cur: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Both columns as string labels, nulls and +-inf as None; equal values get equal labels.

    A label depends on the value, not on its side's dtype: ints against the same ints read as floats
    (a null) are no drift. Bools stay "True"/"False" unless numbers are present (then True is 1, as
    `==` has it); "1" and 1 are the one pair merged that `==` keeps apart. O(n) plus O(distinct).
    """
    import numpy as np
    import pandas as pd

    kinds = {pd.api.types.infer_dtype(s, skipna=True) for s in (ref, cur)} - {"empty"}
    if kinds <= {"string"}:
        return ref, cur
    bools_as_numbers = not kinds <= {"boolean"}
    out = []
    for s in (ref, cur):
        codes, uniques = pd.factorize(s)  # nulls: code -1, the appended None
        labels = np.array([*(_label(v, bools_as_numbers) for v in uniques), None], dtype=object)
        out.append(pd.Series(labels[codes], index=s.index, dtype=object))
    return out[0], out[1]


def _categorical_counts(labels: pd.Series) -> tuple[pd.Series, float]:
    """Counts per label (category_labels) and the share of nulls and +-inf (Evidently drops both)."""
    n, counts = len(labels), labels.value_counts(sort=False)
    return counts, (float(n - counts.sum()) / n if n else 0.0)


def _sorted_cdfs(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Empirical CDFs of sorted u and v at every merged support point, and the gaps between points."""
    import numpy as np

    allv = np.concatenate([u, v])
    allv.sort(kind="mergesort")  # two sorted runs: a merge, O(n)
    at = allv[:-1]
    cdf_u = np.searchsorted(u, at, side="right") / u.size
    return cdf_u, np.searchsorted(v, at, side="right") / v.size, np.diff(allv)


def wasserstein_normed(ref_sorted: np.ndarray, cur_sorted: np.ndarray) -> float:
    """First Wasserstein distance / max(std(ref), 0.001), exact, from sorted arrays.

    W1 = integral |F_ref(x) - F_cur(x)| dx, evaluated piecewise between merged support points (the same
    quantity as scipy.stats.wasserstein_distance, without its argsort of the concatenation).
    """
    import numpy as np

    cdf_u, cdf_v, deltas = _sorted_cdfs(ref_sorted, cur_sorted)
    w1 = float(np.dot(np.abs(cdf_u - cdf_v), deltas))
    norm = max(float(np.std(ref_sorted)), MIN_STD)
    return w1 / norm


def _aligned_counts(ref: pd.Series, cur: pd.Series) -> tuple[list[Any], np.ndarray, np.ndarray]:
    keys = ref.index.union(cur.index)
    r = ref.reindex(keys, fill_value=0).to_numpy(dtype="float64")
    return list(keys), r, cur.reindex(keys, fill_value=0).to_numpy(dtype="float64")


def jensenshannon_distance(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Jensen-Shannon distance (natural log, as scipy/Evidently) between two aligned count vectors."""
    import numpy as np

    p = ref_counts / ref_counts.sum()
    q = cur_counts / cur_counts.sum()
    m = (p + q) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log(p / m), 0.0).sum()
        kl_q = np.where(q > 0, q * np.log(q / m), 0.0).sum()
    return float(math.sqrt(max((kl_p + kl_q) / 2.0, 0.0)))


def _chisquare_p(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    import numpy as np
    from scipy.stats import chisquare

    f_exp = ref_counts * (cur_counts.sum() / ref_counts.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(chisquare(cur_counts, f_exp)[1])


def _z_test_p(keys: list[Any], ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Two-proportion z-test on "is the first (sorted) value", as Evidently's z test."""
    from scipy.stats import norm

    if len(keys) <= 1:
        return 1.0
    first = sorted(range(len(keys)), key=lambda i: keys[i])[0]
    n1, n2 = float(ref_counts.sum()), float(cur_counts.sum())
    p1 = 1.0 - ref_counts[first] / n1
    p2 = 1.0 - cur_counts[first] / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    denom = math.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    if denom == 0.0:
        return 1.0
    z = (p1 - p2) / denom
    return float(2 * (1 - norm.cdf(abs(z))))


def _n_unique_sorted(a: np.ndarray) -> int:
    import numpy as np

    return 0 if a.size == 0 else int(np.count_nonzero(a[1:] != a[:-1])) + 1


def untestable(ftype: str, status: str, reason: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": ftype,
        "status": status,
        "reason": reason,
        "method": None,
        "statistic": None,
        "threshold": None,
        "drifted": False,
        "effect_size": None,
        **extra,
    }


def _result(
    ftype: str, method: str, statistic: float, threshold: float, effect: float, **extra: Any
) -> dict[str, Any]:
    if method in P_VALUE_METHODS:
        drifted = statistic <= threshold if method == "ks" else statistic < threshold
    else:
        drifted = statistic >= threshold
    return {
        "type": ftype,
        "status": "ok",
        "method": method,
        "statistic": statistic,
        "threshold": threshold,
        "drifted": bool(drifted),
        "effect_size": effect,
        **extra,
    }


def numeric_drift(ref: pd.Series, cur: pd.Series, threshold: float = 0.1) -> dict[str, Any]:
    """Drift of one numeric column (or a score vector), method picked as Evidently would."""
    import numpy as np

    rv, r_null, r_inf = _numeric_values(ref)
    cv, c_null, c_inf = _numeric_values(cur)
    extra = {
        "n_ref": int(rv.size),
        "n_cur": int(cv.size),
        "null_share_ref": r_null,
        "null_share_cur": c_null,
        "inf_share_ref": r_inf,
        "inf_share_cur": c_inf,
    }
    if rv.size == 0 or cv.size == 0:
        side = "reference" if rv.size == 0 else "current"
        return untestable("numeric", "empty", f"no finite value in {side}", **extra)
    rv.sort()
    cv.sort()
    effect = wasserstein_normed(rv, cv)
    nu_r, nu_c = _n_unique_sorted(rv), _n_unique_sorted(cv)
    low_card = nu_r <= LOW_CARDINALITY and nu_c <= LOW_CARDINALITY
    if low_card:
        keys_arr, inv = np.unique(np.concatenate([rv, cv]), return_inverse=True)
        low_card = keys_arr.size <= LOW_CARDINALITY
        rc = np.bincount(inv[: rv.size], minlength=keys_arr.size).astype("float64")
        cc = np.bincount(inv[rv.size :], minlength=keys_arr.size).astype("float64")
    if rv.size > LARGE_SAMPLE_ROWS:
        if low_card:
            js = jensenshannon_distance(rc, cc)
            return _result("numeric", "jensenshannon", js, threshold, effect, **extra)
        return _result("numeric", "wasserstein", effect, threshold, effect, **extra)
    if low_card:
        if keys_arr.size > 2:
            return _result("numeric", "chisquare", _chisquare_p(rc, cc), P_VALUE_THRESHOLD, effect, **extra)
        p = _z_test_p(keys_arr.tolist(), rc, cc)
        return _result("numeric", "z", p, P_VALUE_THRESHOLD, effect, **extra)
    from scipy.stats import ks_2samp

    p = float(ks_2samp(rv, cv)[1])
    return _result("numeric", "ks", p, P_VALUE_THRESHOLD, effect, **extra)


def categorical_drift(ref: pd.Series, cur: pd.Series, threshold: float = 0.1) -> dict[str, Any]:
    """Drift of one categorical column from aligned value counts, method picked as Evidently would."""
    ref_labels, cur_labels = category_labels(ref, cur)
    rcounts, r_null = _categorical_counts(ref_labels)
    ccounts, c_null = _categorical_counts(cur_labels)
    n_ref, n_cur = int(rcounts.sum()), int(ccounts.sum())
    extra: dict[str, Any] = {
        "n_ref": n_ref,
        "n_cur": n_cur,
        "null_share_ref": r_null,
        "null_share_cur": c_null,
    }
    if n_ref == 0 or n_cur == 0:
        side = "reference" if n_ref == 0 else "current"
        return untestable("categorical", "empty", f"no value in {side}", **extra)
    keys, rc, cc = _aligned_counts(rcounts, ccounts)
    new = [str(k) for k, r in zip(keys, rc, strict=True) if r == 0]
    extra["n_categories"] = len(keys)
    if new:
        extra["new_categories"] = new[:20]
    effect = jensenshannon_distance(rc, cc)
    if n_ref > LARGE_SAMPLE_ROWS:
        extra["noise_floor"] = js_noise_floor(len(keys), n_ref, n_cur)
        return _result("categorical", "jensenshannon", effect, threshold, effect, **extra)
    if len(keys) > 2:
        return _result("categorical", "chisquare", _chisquare_p(rc, cc), P_VALUE_THRESHOLD, effect, **extra)
    return _result("categorical", "z", _z_test_p(keys, rc, cc), P_VALUE_THRESHOLD, effect, **extra)
