"""Edge-aware and smoothing filters shared by several ops."""

from __future__ import annotations

import cv2
import numpy as np


def box_mean(x: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a ``(2r+1) x (2r+1)`` window, edges reflected."""
    k = 2 * int(radius) + 1
    return cv2.boxFilter(x, -1, (k, k), borderType=cv2.BORDER_REFLECT)


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Edge-preserving smoothing of ``src`` steered by a grey ``guide``.

    He, Sun and Tang's guided filter (linear model per window), O(1) in the
    radius thanks to box filters.

    Parameters
    ----------
    guide : (H, W) float32 array
        Grey guide image in [0, 1].
    src : (H, W) or (H, W, C) float32 array
        Image to filter.
    radius : int
        Window radius in pixels.
    eps : float
        Regularisation: larger smooths across weaker edges.

    Returns
    -------
    (H, W) or (H, W, C) float32 array

    Examples
    --------
    >>> import numpy as np
    >>> g = np.random.default_rng(0).random((32, 32), dtype=np.float32)
    >>> guided_filter(g, g, 4, 1e-2).shape
    (32, 32)
    """
    guide = guide.astype(np.float32, copy=False)
    src = src.astype(np.float32, copy=False)
    g = guide if src.ndim == 2 else guide[..., None]
    mean_g = box_mean(guide, radius)
    var_g = box_mean(guide * guide, radius) - mean_g * mean_g
    mean_s = box_mean(src, radius)
    cov = box_mean(src * g, radius) - (mean_g if src.ndim == 2 else mean_g[..., None]) * mean_s
    denom = var_g + eps
    a = cov / (denom if src.ndim == 2 else denom[..., None])
    b = mean_s - a * (mean_g if src.ndim == 2 else mean_g[..., None])
    return box_mean(a, radius) * g + box_mean(b, radius)


def gaussian(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur with standard deviation ``sigma`` pixels (reflected edges)."""
    if sigma <= 0:
        return x.copy()
    return cv2.GaussianBlur(x, (0, 0), sigmaX=float(sigma), borderType=cv2.BORDER_REFLECT)


def image_diagonal(shape: tuple[int, ...]) -> float:
    """Length of the image diagonal in pixels, used to scale radii with size."""
    return float(np.hypot(shape[0], shape[1]))
