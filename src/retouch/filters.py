"""Smoothing filters and large-image helpers shared by several ops.

The filters here cost the same at any radius: box means and the guided
filter use running sums, and wide Gaussians run on a shrunken copy.
:func:`map_strips` runs a local filter over horizontal strips so that its
temporaries stay small on 24 MP images.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np

# Bytes of one strip of input that :func:`map_strips` aims for: big enough that
# the overlap is a small fraction of the work, small enough that the few
# temporaries of a filter stay far below the size of a 24 MP image.
STRIP_BYTES = 4 * 2**20

# Gaussians wider than this (px) run on a copy shrunk until sigma is _SHRUNK_SIGMA px.
_EXACT_SIGMA = 6.0
_SHRUNK_SIGMA = 4.0
# Window radius, in samples of the subsampled copy, that the fast guided filter keeps.
_GUIDED_SAMPLES = 8


def image_diagonal(shape: tuple[int, ...]) -> float:
    """Length of the image diagonal in pixels, used to scale radii with size."""
    return float(np.hypot(shape[0], shape[1]))


def box_mean(x: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a ``(2r+1) x (2r+1)`` window, edges reflected; same shape as ``x``."""
    k = 2 * int(radius) + 1
    return cv2.boxFilter(x, -1, (k, k), borderType=cv2.BORDER_REFLECT).reshape(x.shape)


def resized(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize with area averaging down and bilinear interpolation up, keeping the channel axis.

    Parameters
    ----------
    image : (H, W) or (H, W, C) array
        Any dtype OpenCV resizes (uint8, uint16, float32, ...).
    width, height : int
        Output size in pixels.

    Returns
    -------
    (height, width) or (height, width, C) array of the input's dtype.

    Examples
    --------
    >>> resized(np.ones((8, 6, 1), np.float32), 3, 4).shape
    (4, 3, 1)
    """
    shrinking = width * height < image.shape[0] * image.shape[1]
    out = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    return out.reshape(height, width, *image.shape[2:])


def shrink(image: np.ndarray, factor: float) -> np.ndarray:
    """Area-averaged copy with both sides divided by ``factor`` (at least 1 px each).

    Parameters
    ----------
    image : (H, W) or (H, W, C) array
        Image to reduce; never modified.
    factor : float
        Reduction factor; at most 1 returns ``image`` itself, not a copy.

    Returns
    -------
    array
        ``(round(H / factor), round(W / factor)[, C])``, the input's dtype.

    Examples
    --------
    >>> shrink(np.zeros((400, 600, 3), np.float32), 4.0).shape
    (100, 150, 3)
    """
    if factor <= 1:
        return image
    height, width = image.shape[:2]
    return resized(image, max(1, round(width / factor)), max(1, round(height / factor)))


def via_downscale(image: np.ndarray, factor: float, func: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Run a smoothing ``func`` on a copy shrunk by ``factor`` and scale the result back up.

    A wide smoothing leaves no detail at full resolution, so this loses
    nothing visible and divides the work by ``factor**2``; ``factor <= 1``
    runs ``func`` on the image itself.

    Parameters
    ----------
    image : (H, W) or (H, W, C) array
        Input; never modified.
    factor : float
        Reduction factor for the working copy.
    func : callable
        Filter mapping an ``(h, w[, C])`` array to one of the same size.

    Returns
    -------
    array of ``func``'s output type, ``H x W`` in size.

    Examples
    --------
    >>> x = np.ones((64, 48), np.float32)
    >>> via_downscale(x, 4.0, lambda s: s * 2).shape
    (64, 48)
    """
    if factor <= 1:
        return func(image)
    height, width = image.shape[:2]
    return resized(func(shrink(image, factor)), width, height)


def gaussian(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur with standard deviation ``sigma`` pixels, at a cost that does not grow with ``sigma``.

    Up to 6 px this is OpenCV's exact separable Gaussian. Wider blurs run on
    an area-averaged copy shrunk until sigma is 4 px there, and are
    interpolated back; the mean absolute difference from the exact blur is
    well below 1 % of the value range.

    Parameters
    ----------
    x : (H, W) or (H, W, C) array
        uint8, uint16 or float32 image; never modified.
    sigma : float
        Standard deviation in pixels; 0 or less returns a copy.

    Returns
    -------
    array of the input's shape and dtype, edges reflected.

    Examples
    --------
    >>> x = np.zeros((101, 101), np.float32); x[50, 50] = 1
    >>> round(float(gaussian(x, 20.0).sum()), 3)
    1.0
    """
    if sigma <= 0:
        return x.copy()
    if sigma <= _EXACT_SIGMA:
        blurred = cv2.GaussianBlur(x, (0, 0), sigmaX=float(sigma), borderType=cv2.BORDER_REFLECT)
        return blurred.reshape(x.shape)
    factor = sigma / _SHRUNK_SIGMA
    # Area shrinking and bilinear enlarging spread by about half a shrunken pixel on their
    # own (variances 1/12 and 1/6), so the blur on the copy is that much narrower.
    small_sigma = math.sqrt(_SHRUNK_SIGMA**2 - 0.5**2)
    blurred = via_downscale(
        x,
        factor,
        lambda small: cv2.GaussianBlur(small, (0, 0), sigmaX=small_sigma, borderType=cv2.BORDER_REFLECT),
    )
    return blurred.reshape(x.shape)


def guided_filter(
    guide: np.ndarray, src: np.ndarray, radius: float, eps: float, subsample: int | None = None
) -> np.ndarray:
    """Edge-preserving smoothing of ``src`` steered by a grey ``guide``.

    He, Sun and Tang's guided filter fits ``src ~ a * guide + b`` in every
    window. It is computed as He and Sun's fast guided filter: ``a`` and
    ``b`` come from copies area-averaged by ``subsample`` and are
    interpolated back onto the full-resolution guide, so edges stay as sharp
    as in the guide while the cost does not grow with the radius.

    Parameters
    ----------
    guide : (H, W) float32 array
        Grey guide image in [0, 1].
    src : (H, W) or (H, W, C) float32 array
        Image to filter; passing the guide itself (the same array) filters
        the guide by itself, with less work.
    radius : float
        Window radius in pixels (rounded; at least 1).
    eps : float
        Regularisation: larger smooths across weaker edges.
    subsample : int, optional
        Reduction of the copies on which the coefficients are fitted. By
        default ``radius // 8``, which keeps 8 samples per window radius;
        1 gives the exact filter.

    Returns
    -------
    (H, W) or (H, W, C) float32 array

    Examples
    --------
    >>> g = np.random.default_rng(0).random((32, 32), dtype=np.float32)
    >>> guided_filter(g, g, 4, 1e-2).shape
    (32, 32)
    """
    self_guided = src is guide
    guide = guide.astype(np.float32, copy=False)
    src = guide if self_guided else src.astype(np.float32, copy=False)
    step = max(1, int(radius // _GUIDED_SAMPLES) if subsample is None else int(subsample))
    height, width = guide.shape
    if step > 1:
        small_size = (max(1, width // step), max(1, height // step))
        small_guide = resized(guide, *small_size)
        small_src = small_guide if self_guided else resized(src, *small_size)
        r = max(1, round(radius / step))
    else:
        small_guide, small_src, r = guide, src, max(1, round(radius))
    a, b = _guided_coefficients(small_guide, small_src, r, eps, self_guided)
    mean_a, mean_b = box_mean(a, r), box_mean(b, r)
    if step > 1:
        mean_a, mean_b = resized(mean_a, width, height), resized(mean_b, width, height)
    mean_a *= guide if src.ndim == 2 else guide[..., None]
    mean_a += mean_b
    return mean_a


def _guided_coefficients(
    guide: np.ndarray, src: np.ndarray, radius: int, eps: float, self_guided: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Per-window linear fit ``src ~ a * guide + b`` (``a``, ``b`` shaped like ``src``)."""
    mean_g = box_mean(guide, radius)
    # Rounding can leave the variance of a flat window slightly negative.
    var_g = np.maximum(box_mean(guide * guide, radius) - mean_g * mean_g, 0.0)
    if self_guided:
        a = var_g / (var_g + eps)
        return a, mean_g - a * mean_g
    if src.ndim == 3:
        mean_g, var_g, guide = mean_g[..., None], var_g[..., None], guide[..., None]
    mean_s = box_mean(src, radius)
    a = (box_mean(src * guide, radius) - mean_g * mean_s) / (var_g + eps)
    return a, mean_s - a * mean_g


def strip_rows(image: np.ndarray, margin: int) -> int:
    """Rows per strip so that a strip holds about :data:`STRIP_BYTES`, and at least ``4 * margin``."""
    row_bytes = max(image.nbytes // max(image.shape[0], 1), 1)
    return max(64, 4 * margin, STRIP_BYTES // row_bytes)


def map_strips(
    image: np.ndarray,
    func: Callable[[np.ndarray], np.ndarray],
    margin: int,
    rows: int | None = None,
) -> np.ndarray:
    """Apply a local filter to horizontal strips and stitch the results.

    Each strip is handed to ``func`` with ``margin`` extra rows of real
    context above and below (fewer at the image edges, where ``func`` sees
    the true border), and only its own rows are kept. When ``margin`` covers
    the filter's reach, the result equals ``func(image)`` while temporaries
    stay strip-sized.

    Parameters
    ----------
    image : (H, W, ...) array
        Input; never modified.
    func : callable
        Local filter mapping an ``(h, W, ...)`` array to an ``(h, W, ...)``
        array (any dtype, same for every strip).
    margin : int
        Rows of context the filter needs on each side of a pixel.
    rows : int, optional
        Rows per strip; by default about :data:`STRIP_BYTES` of input.

    Returns
    -------
    (H, W, ...) array

    Examples
    --------
    >>> x = np.random.default_rng(0).random((100, 40), dtype=np.float32)
    >>> box = lambda s: cv2.blur(s, (5, 5))
    >>> bool(np.array_equal(map_strips(x, box, margin=2, rows=16), box(x)))
    True
    """
    height = image.shape[0]
    rows = rows or strip_rows(image, margin)
    if height <= rows:
        return func(image)
    out: np.ndarray | None = None
    for top in range(0, height, rows):
        bottom = min(top + rows, height)
        start, stop = max(0, top - margin), min(height, bottom + margin)
        result = func(image[start:stop])
        if out is None:
            out = np.empty((height, *result.shape[1:]), dtype=result.dtype)
        out[top:bottom] = result[top - start : bottom - start]
    return out
