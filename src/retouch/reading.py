"""Reading text in images (OCR) with the PP-OCR models that ship inside ``rapidocr``.

The models (a text detector, an orientation classifier and a recogniser, about
31 MB of ONNX) come with the ``rapidocr`` wheel and run on ``onnxruntime``, so
nothing is downloaded. The engine is built on first use and kept.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import Any

import numpy as np

from retouch.errors import InputError

#: Longer side OCR reads at; larger images are reduced first.
OCR_SIDE = 2000
#: Longer side the text detector looks at. rapidocr's default instead
#: enlarges every image to a 736 px *shorter* side, which splits large
#: lettering into pieces (measured on rendered signs: 31 of 48 lines exact,
#: against 48 of 48 this way, 8x faster).
DETECT_SIDE = 1280

_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _engine() -> Any:
    # rapidocr logs every model load at INFO through its own handler; keep it quiet.
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    try:
        from rapidocr import RapidOCR
    except ImportError as exc:
        raise InputError(
            f"OCR needs the rapidocr and onnxruntime packages ({exc}); "
            "install them with: pip install 'rapidocr==3.10.*' onnxruntime"
        ) from None
    return RapidOCR(
        params={"Global.log_level": "error", "Det.limit_type": "max", "Det.limit_side_len": DETECT_SIDE}
    )


def _uint8_bgr(pixels: np.ndarray) -> np.ndarray:
    from retouch.analyze import to_rgb_float

    if pixels.dtype == np.uint8:
        rgb = pixels if pixels.shape[2] == 3 else np.repeat(pixels, 3, axis=2)
    else:
        rgb = np.round(to_rgb_float(pixels) * 255).astype(np.uint8)
    return np.ascontiguousarray(rgb[..., ::-1])


def read_text(image: Any, *, min_score: float = 0.5, max_side: int = OCR_SIDE) -> list[dict[str, Any]]:
    """Find and read the lines of text in an image.

    Parameters
    ----------
    image : path, bytes, PIL.Image, ndarray or Picture
        Any image :func:`retouch.load_image` reads.
    min_score : float
        Lines recognised with less confidence than this (0–1) are dropped.
    max_side : int
        The image is area-reduced so its longer side is at most this before
        reading; boxes are given in the original image's pixels.

    Returns
    -------
    list of dict
        One per line of text, top to bottom: ``text`` (str), ``box``
        (``[x, y, w, h]``, the axis-aligned bounds in pixels) and ``score``
        (recognition confidence, 0–1).

    Examples
    --------
    >>> from PIL import Image, ImageDraw, ImageFont
    >>> sign = Image.new("RGB", (420, 90), "white")
    >>> ImageDraw.Draw(sign).text((15, 15), "OPEN 24 HOURS", fill="black", font=ImageFont.load_default(48))
    >>> [line["text"] for line in read_text(sign)]
    ['OPEN 24 HOURS']
    """
    from retouch.analyze import downscale
    from retouch.io import load_image

    pixels = load_image(image).pixels
    small = downscale(pixels, max_side)
    scale = pixels.shape[1] / small.shape[1]
    with _LOCK:  # one onnxruntime session, shared: calls take turns
        # rapidocr keeps the use_* switches of the previous call: set them all every time.
        output = _engine()(_uint8_bgr(small), use_det=True, use_cls=True, use_rec=True)
    if output.boxes is None or output.txts is None:
        return []
    lines = []
    for quad, text, score in zip(output.boxes, output.txts, output.scores, strict=True):
        text = text.strip()
        if not text or score < min_score:
            continue
        quad = np.asarray(quad, dtype=np.float64) * scale
        x0, y0 = np.floor(quad.min(axis=0)).clip(0)
        x1, y1 = np.ceil(quad.max(axis=0))
        x1, y1 = min(x1, pixels.shape[1]), min(y1, pixels.shape[0])
        box = [int(x0), int(y0), int(x1 - x0), int(y1 - y0)]
        lines.append({"text": text, "box": box, "score": round(float(score), 4)})
    return _reading_order(lines)


def _reading_order(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows top to bottom (a line joins a row when its middle lies within it), each left to right."""
    rows: list[list[dict[str, Any]]] = []
    for line in sorted(lines, key=lambda line: line["box"][1]):
        _, y, _, h = line["box"]
        row = rows[-1] if rows else None
        if row is not None and y + h / 2 < max(r["box"][1] + r["box"][3] for r in row):
            row.append(line)
        else:
            rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda line: line["box"][0])]
