"""Decision constants of the classification metrics, shared by point estimates and bootstrap statistics."""

from __future__ import annotations

THRESHOLD = 0.5
"""Probability at or above which a binary prediction counts as positive (label metrics, plots)."""
PROBA_CLIP = 1e-15
"""Binary probabilities are clipped to [PROBA_CLIP, 1 - PROBA_CLIP] for log-loss."""
