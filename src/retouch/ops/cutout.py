"""Cut-outs: make everything but the subject transparent."""

from __future__ import annotations

import numpy as np

from retouch.analyze import to_rgb_float
from retouch.ops.registry import GEOMETRY, op
from retouch.regions import RegionContext, resolve_region


@op(
    "remove_background",
    kind=GEOMETRY,
    description="Make the background transparent, keeping the person or main subject (soft alpha edge).",
    examples=(
        "remove the background",
        "make the background transparent",
        "cut out the person",
        "cut me out of this photo",
        "transparent background please, I need a png of the product",
        "delete the background and keep only the subject",
        "isolate the subject on a transparent background",
        "background removal",
        "knock out the background for a sticker",
        "extract the person from the background",
    ),
)
def remove_background(image: np.ndarray, amount: float | None) -> np.ndarray:
    """Add (or tighten) an alpha plane from the ``foreground`` region.

    The foreground is the people in the photo, or else its salient subject
    (see :mod:`retouch.regions.people`); its soft mask becomes the alpha, so
    hair and edges fade out rather than being cut with a hard line. An
    existing alpha plane is multiplied, never widened.

    Parameters
    ----------
    image : ndarray
        ``H x W x C`` (C = 1..4: colour channels, then alpha if any) in the
        image's own dtype.
    amount : None
        Unused; the op has no strength.

    Returns
    -------
    ndarray
        ``H x W x (colours + 1)``: the colour channels unchanged and the new alpha.

    Examples
    --------
    >>> from skimage import data
    >>> out = remove_background(data.astronaut(), None)
    >>> out.shape, bool(out[..., 3].min() < 10 < 245 < out[..., 3].max())
    ((512, 512, 4), True)
    """
    colours = 3 if image.shape[2] >= 3 else 1
    colour = image[..., :colours]
    mask = resolve_region(to_rgb_float(colour), "foreground", RegionContext())
    if image.shape[2] > colours:
        scale = 1.0 if image.dtype == np.float32 else float(np.iinfo(image.dtype).max)
        mask = mask * (image[..., colours].astype(np.float32) / scale)
    if image.dtype == np.float32:
        alpha = mask.astype(np.float32)
    else:
        alpha = np.round(mask * np.iinfo(image.dtype).max).astype(image.dtype)
    return np.concatenate([colour, alpha[..., None]], axis=2)
