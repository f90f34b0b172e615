"""What both damage detectors look at: luma and chroma planes, the residual against the background.

A scanned print's damage is thin or small and contrasty: against a median
background (:func:`residual`) it stands out, while the picture's broad
shapes cancel. These helpers serve :mod:`retouch.scratches` (lines) and
:mod:`retouch.specks` (dust): the planes, the residual and how far a pixel
must differ to count, robust statistics of a response, per-component sums
and means, and the picture's own tonal range.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from retouch.analyze import _pixels, central_crop, estimate_noise_sigma, to_float
from retouch.colorspace import luma
from retouch.filters import map_strips

BACKGROUND_SIZE = 21  # median window: a wide diagonal scratch must cover less than half of it
VISIBLE_CHANGE = 0.03  # a pixel differs from its background by at least this (or twice the grain)
MIN_CONTRAST = 0.06  # seeds respond at least this much (0-1 grey), whatever the grain
CLUTTER_RADIUS = 12  # px, reach of the surroundings a component is judged against
EXTREME_PERCENT = 1.0  # the picture's tonal range: from this percentile of its background to 100 - it


def grey_image(image: Any) -> np.ndarray:
    """Luma of any image :func:`retouch.load_image` reads, float32 H x W in [0, 1]."""
    pixels = _pixels(image)
    return luma(to_float(pixels)) if pixels.shape[2] == 3 else to_float(pixels)[..., 0]


def damage_planes(image: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """What the detectors look at: luma, and opponent chroma (None for a grey image).

    The chroma is ``(R - G, (R + G) / 2 - B)``, float32 H x W x 2, computed
    a strip at a time so a 24 MP scan needs no float copy of its colour.

    Examples
    --------
    >>> from skimage import data
    >>> grey, chroma = damage_planes(data.coffee())
    >>> grey.shape, chroma.shape
    ((400, 600), (400, 600, 2))
    """
    pixels = _pixels(image)
    if pixels.shape[2] < 3:
        return to_float(pixels)[..., 0], None
    grey = np.empty(pixels.shape[:2], np.float32)
    chroma = np.empty((*pixels.shape[:2], 2), np.float32)
    for top in range(0, pixels.shape[0], 512):
        rgb = to_float(pixels[top : top + 512])
        grey[top : top + 512] = luma(rgb)
        chroma[top : top + 512, :, 0] = rgb[..., 0] - rgb[..., 1]
        chroma[top : top + 512, :, 1] = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    if not chroma.any():
        return grey, None
    return grey, chroma


def grey_levels(grey: np.ndarray) -> np.ndarray:
    """Grey values in [0, 1] rounded to the 256 levels of uint8."""
    return np.clip(grey * 255 + 0.5, 0, 255).astype(np.uint8)


def residual(grey: np.ndarray) -> np.ndarray:
    """Grey image minus its median background (float32); thin and small things stand out."""
    levels = grey_levels(grey)
    background = cv2.medianBlur(levels, BACKGROUND_SIZE).astype(np.float32) * np.float32(1 / 255)
    return grey - background


def noise_floor(values: np.ndarray) -> tuple[float, float]:
    """Median and robust spread (1.4826 MAD) of a response: what grain and texture give."""
    sample = values.ravel()[:: max(1, values.size // 1_000_000)]
    median = float(np.median(sample))
    return median, max(1.4826 * float(np.median(np.abs(sample - median))), 1e-4)


def box_sums(integral: np.ndarray, stats: np.ndarray, margin: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum of a map (from its integral image) over each component's box grown by ``margin``, and box areas."""
    h, w = integral.shape[0] - 1, integral.shape[1] - 1
    x0 = np.clip(stats[:, 0] - margin, 0, w)
    y0 = np.clip(stats[:, 1] - margin, 0, h)
    x1 = np.clip(stats[:, 0] + stats[:, 2] + margin, 0, w)
    y1 = np.clip(stats[:, 1] + stats[:, 3] + margin, 0, h)
    sums = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
    return sums.astype(np.float64), ((x1 - x0) * (y1 - y0)).astype(np.float64)


def rank_table(levels: np.ndarray) -> np.ndarray:
    """The fraction of a picture (its :func:`grey_levels`) darker than each level (its own counts half)."""
    histogram = cv2.calcHist([levels], [0], None, [256], [0, 256]).ravel()
    return ((np.cumsum(histogram) - histogram / 2) / max(float(histogram.sum()), 1.0)).astype(np.float32)


def tone_rank(grey: np.ndarray) -> np.ndarray:
    """Per pixel: the fraction of the picture darker than it (from a 256-level histogram), float32."""
    levels = grey_levels(grey)
    return cv2.LUT(levels, rank_table(levels))


def tonal_range(grey: np.ndarray, r: np.ndarray, differs: float) -> tuple[float, float]:
    """The picture's own tonal range: the :data:`EXTREME_PERCENT` percentiles of its background.

    The background (the grey minus its residual) sets grain and the damage
    itself aside; the range is widened by half of ``differs`` for the grain
    that moves a damaged pixel either way. Dirt is darker than anything
    printed and flaked emulsion shows the paper, so damage reaches beyond it.
    """
    background = (grey - r).ravel()[:: max(1, grey.size // 1_000_000)]
    low, high = np.percentile(background, [EXTREME_PERCENT, 100 - EXTREME_PERCENT])
    return float(low) + differs / 2, float(high) - differs / 2


def background_residual(grey: np.ndarray) -> tuple[np.ndarray, float]:
    """The residual against the median background, and how far a pixel must differ to count.

    A pixel differs when its residual exceeds twice the grain (measured on
    a central crop) or :data:`VISIBLE_CHANGE`, whichever is more.
    """
    r = map_strips(grey, residual, margin=BACKGROUND_SIZE)
    noise = max(estimate_noise_sigma(central_crop(grey)) / 255, 1 / 255)
    return r, max(2.0 * noise, VISIBLE_CHANGE)


def component_mean(values: np.ndarray, flat: np.ndarray, core: np.ndarray, count: int) -> np.ndarray:
    """Per component: the mean of ``values`` over its ``core`` pixels (``flat``: the raveled label map)."""
    area = np.bincount(flat[core], minlength=count)
    return np.bincount(flat[core], weights=values.ravel()[core], minlength=count) / np.maximum(area, 1)


def pieces_and_means(
    pieces: np.ndarray, values: np.ndarray
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """The 8-connected pieces of a bool mask: their count, label map, OpenCV stats and mean of ``values``."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(pieces.astype(np.uint8), connectivity=8)
    flat = labels.ravel()
    return count, labels, stats, component_mean(values, flat, flat > 0, count)
