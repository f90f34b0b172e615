"""``mask`` and ``mask:<path>``: masks the user supplies."""

from __future__ import annotations

import cv2
import numpy as np

from retouch.filters import gaussian, image_diagonal
from retouch.regions import RegionContext, mask_path_arg, region


def mask_to_float(mask: object, shape: tuple[int, int], notes: list[str] | None = None) -> np.ndarray:
    """Turn a user mask (path, PIL image or array) into float32 ``H x W`` in [0, 1].

    Colour masks are reduced to their brightest channel; an alpha channel,
    when present, is the mask. A mask of another size is resized to ``shape``
    (nearest-neighbour would alias, so area/linear interpolation), and the
    resize is recorded in ``notes``.
    """
    from retouch.io import load_image

    picture = load_image(mask, max_pixels=None)
    if picture.alpha is not None and np.any(picture.alpha != picture.alpha.max()):
        values = picture.alpha
    else:
        values = picture.pixels.max(axis=2)
    scale = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}.get(values.dtype, 1.0)
    out = values.astype(np.float32) / scale
    if out.shape != shape:
        if notes is not None:
            notes.append(f"mask resized from {out.shape[1]}x{out.shape[0]} to {shape[1]}x{shape[0]}")
        out = cv2.resize(out, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.clip(out, 0.0, 1.0)


def feather(mask: np.ndarray) -> np.ndarray:
    """Soften a hard mask edge over ~0.2 % of the image diagonal."""
    return gaussian(mask, max(1.0, 0.002 * image_diagonal(mask.shape)))


@region("mask")
def user_mask(image: np.ndarray, arg: str | None, context: RegionContext) -> np.ndarray:
    """The mask given as ``mask:<path>`` or, for plain ``mask``, handed to the API."""
    source = mask_path_arg(arg, context) if arg else context.mask
    if source is None:
        raise ValueError("region 'mask' needs a mask: pass mask=... or use mask:<path>")
    return feather(mask_to_float(source, image.shape[:2], context.notes))
