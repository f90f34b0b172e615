"""``shadows`` and ``highlights``: soft masks from smoothed luminance."""

from __future__ import annotations

import numpy as np

from retouch.colorspace import luma
from retouch.filters import guided_filter, image_diagonal
from retouch.ramps import smoothstep
from retouch.regions import RegionContext, region


def _tone_base(image: np.ndarray) -> np.ndarray:
    # Smoothing the luminance edge-aware keeps the mask from speckling on
    # texture while still stopping at the edges between dark and bright areas.
    y = luma(image).astype(np.float32)
    radius = max(2, round(0.01 * image_diagonal(y.shape)))
    return guided_filter(y, y, radius, 0.01)


@region("shadows")
def shadows_mask(image: np.ndarray, arg: str | None, context: RegionContext) -> np.ndarray:
    """Dark areas: 1 below ~15 % luminance, fading to 0 by ~50 %."""
    return 1.0 - smoothstep(0.15, 0.5, _tone_base(image))


@region("highlights")
def highlights_mask(image: np.ndarray, arg: str | None, context: RegionContext) -> np.ndarray:
    """Bright areas: 0 below ~55 % luminance, 1 above ~85 %."""
    return smoothstep(0.55, 0.85, _tone_base(image))
