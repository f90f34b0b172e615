"""``text``: the lines of text OCR finds, as slightly grown, feathered boxes."""

from __future__ import annotations

import numpy as np

from retouch.filters import gaussian
from retouch.regions import RegionContext, region

#: Boxes grow by this fraction of their height on every side, so that
#: descenders, accents and anti-aliased edges are inside the mask.
GROW = 0.25


def text_boxes_mask(shape: tuple[int, int], boxes: list[list[int]]) -> np.ndarray:
    """Feathered mask of ``[x, y, w, h]`` boxes on an ``H x W`` grid (float32 in [0, 1]).

    Examples
    --------
    >>> m = text_boxes_mask((40, 100), [[20, 10, 60, 20]])
    >>> float(m[20, 50]), float(m[0, 0])
    (1.0, 0.0)
    """
    h, w = shape
    hard = np.zeros((h, w), np.float32)
    feather = 0.0
    for x, y, bw, bh in boxes:
        pad = GROW * bh
        x0, y0 = max(0, round(x - pad)), max(0, round(y - pad))
        x1, y1 = min(w, round(x + bw + pad)), min(h, round(y + bh + pad))
        hard[y0:y1, x0:x1] = 1.0
        feather = max(feather, 0.15 * bh)
    if feather == 0:
        return hard
    # Feather outwards only: the grown box stays fully selected.
    return np.maximum(hard, gaussian(hard, feather) * 2.0).clip(0.0, 1.0)


@region("text")
def text_mask(image: np.ndarray, arg: str | None, context: RegionContext) -> np.ndarray:
    """Where OCR reads text (empty when there is none)."""
    from retouch.reading import read_text

    lines = read_text(image)
    if not lines:
        context.notes.append("text: no text found; the mask is empty")
    return text_boxes_mask(image.shape[:2], [line["box"] for line in lines])
