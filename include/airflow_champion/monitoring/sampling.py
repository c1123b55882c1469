"""Bounded, deterministic row samples: what keeps drift cost independent of snapshot size.

A uniform sample without replacement, fixed seed, sorted positions, so scores aligned with a frame
pick the same rows. The drift verdict records how many rows each side had and used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def sample_index(n: int, max_rows: int, seed: int = 0) -> np.ndarray | None:
    """Sorted row positions of a uniform sample without replacement, or None when n fits.

    Deterministic in (n, max_rows, seed), so scores aligned with a frame get the same rows.
    """
    import numpy as np

    if n <= max_rows:
        return None
    rng = np.random.default_rng(seed)
    idx = rng.choice(n, size=max_rows, replace=False)
    idx.sort()
    return idx


def sample_frame(df: pd.DataFrame, max_rows: int, seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """At most max_rows rows of df (uniform, seeded) and {rows, used, sampled}."""
    idx = sample_index(len(df), max_rows, seed)
    info = {"rows": len(df), "used": len(df) if idx is None else len(idx), "sampled": idx is not None}
    return (df if idx is None else df.iloc[idx]), info
