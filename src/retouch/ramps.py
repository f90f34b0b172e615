"""Smooth ramps used to build soft masks and weights."""

from __future__ import annotations

import numpy as np


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    """Hermite ramp: 0 at ``edge0``, 1 at ``edge1``, smooth in between.

    ``edge1`` may be below ``edge0`` for a falling ramp. The result keeps
    the floating dtype of ``x``.

    Examples
    --------
    >>> smoothstep(0.0, 1.0, np.array([-1.0, 0.5, 2.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    span = edge1 - edge0
    if abs(span) < 1e-6:
        span = 1e-6 if span >= 0 else -1e-6
    t = np.clip((x - edge0) / span, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)
