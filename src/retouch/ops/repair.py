"""Repair ops: inpaint (remove what the region covers and fill it from the rest of the picture)."""

from __future__ import annotations

import numpy as np

from retouch.ops.registry import PIXEL, op

# The engine feathers user masks; a thin stroke's feathered peak can stay below one half, so a pixel
# also counts when it holds at least half of the strongest mask value near it.
_THRESHOLD = 0.5
_FAINT = 0.05
_PEAK_WINDOW = 5


def hard_mask(mask: np.ndarray) -> np.ndarray:
    """Threshold a soft region mask for filling: above 0.5, or at least half its local peak.

    Parameters
    ----------
    mask : (H, W) float array in [0, 1]

    Returns
    -------
    (H, W) bool array

    Examples
    --------
    >>> soft = np.zeros((5, 5), np.float32)
    >>> soft[2] = 0.3  # a feathered one-pixel line
    >>> bool(hard_mask(soft)[2].all())
    True
    """
    import cv2

    peak = cv2.dilate(mask.astype(np.float32), np.ones((_PEAK_WINDOW, _PEAK_WINDOW), np.uint8))
    return (mask > _THRESHOLD) | ((mask >= 0.5 * peak) & (mask > _FAINT))


@op(
    "inpaint",
    kind=PIXEL,
    description="Remove what the region covers and fill it in from the surrounding picture.",
    native_dtypes=True,
    uses_mask=True,
    requires_region=True,
    examples=(
        "remove the person",
        "erase this",
        "fill the hole",
        "get rid of the marked object",
        "remove the text",
        "clean up the masked area",
        "remove the watermark",
        "take out the power lines",
        "delete the object I painted over",
        "make the stain disappear",
        "remove the tourist from the background",
        "fill in the missing part of the photo",
        "paint out the blemish",
    ),
)
def inpaint_region(image: np.ndarray, amount: float | None, mask: np.ndarray | None = None) -> np.ndarray:
    """Fill the region with :func:`retouch.inpainting.inpaint`.

    Parameters
    ----------
    image : (H, W, C) array
        uint8, uint16 or float32; C = 1 or 3.
    amount : None
        The op has no strength.
    mask : (H, W) float32 array in [0, 1]
        The region, from the engine; thresholded by :func:`hard_mask`.

    Returns
    -------
    (H, W, C) array
        Same dtype; pixels outside the thresholded mask are unchanged.
    """
    from retouch.inpainting import inpaint

    if mask is None:
        raise ValueError("needs a region: the area to fill (e.g. region 'mask')")
    return inpaint(image, hard_mask(mask))
