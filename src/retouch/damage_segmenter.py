"""A learned, per-pixel view of damage: a small convolutional net that marks scratch and dust pixels.

The hand-set tests and the component classifiers of :mod:`retouch.scratches`
and :mod:`retouch.specks` judge whole candidates; a piece of a scratch left
between crossings, over mid tones, is often too short, too wide or too
faint alone to pass them although a person sees at once that it continues
the scratch beside it. The net sees every pixel with 67 px of context
around it, so it can follow a scratch through such pieces.

Its input planes (:func:`segmenter_inputs`) are what the detectors already
compute: the residual against the median background (absolute and in
units of the grain), the grey tone and its rank in the picture, and the
opponent chroma. Its output is the probability, per pixel, that it is a
scratch and that it is a speck of dust. It is a stack of 3 x 3 convolutions
with growing dilation (1, 1, 2, 4, 8, 16, 1), 16 channels wide, about 15k
multiply-adds per pixel; trained by ``tools/train_damage_segmenter.py`` on
synthetic damage (:mod:`retouch.aging`) drawn on packaged photos that are
not the benchmark's, and shipped as ONNX for onnxruntime.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from retouch.damage_evidence import grey_levels, rank_table

SEGMENTER_PATH = Path(__file__).parent / "models" / "damage" / "segmenter.onnx"
#: Dilations of the net's 3 x 3 convolutions, in order; the last layer is a 1 x 1 convolution.
DILATIONS = (1, 1, 2, 4, 8, 16, 1)
WIDTH = 16  # channels of every hidden layer
#: px of context the net sees on each side of a pixel.
REACH = sum(DILATIONS)
INPUT_PLANES = ("residual", "residual_in_grain", "tone", "tone_rank", "red_green", "yellow_blue")
OUTPUTS = ("scratch", "dust")
RESIDUAL_SCALE = 8.0  # residuals and chroma of damage are about 0.05-0.3: scaled to about 0.4-2.4
GRAIN_UNITS = 4.0  # the residual in units of ``differs`` (twice the grain), divided by this
GRAIN_LIMIT = 3.0  # and clipped here: beyond, the absolute residual says it
STRIP_ROWS = 256  # rows the net runs on at a time (a 6000 px wide strip needs about 100 MB)


def segmenter_inputs(
    grey: np.ndarray,
    chroma: np.ndarray | None,
    r: np.ndarray,
    differs: float,
    ranks: np.ndarray | None = None,
) -> np.ndarray:
    """The net's input planes (:data:`INPUT_PLANES`), float32 H x W x 6.

    Parameters
    ----------
    grey : (H, W) float32 array
        Luma in [0, 1] (:func:`retouch.damage_evidence.damage_planes`).
    chroma : (H, W, 2) float32 array or None
        Opponent chroma; None for a grey image (the chroma planes are zero).
    r : (H, W) float32 array
        Residual against the median background
        (:func:`retouch.damage_evidence.background_residual`).
    differs : float
        How far a pixel's residual must be to differ (twice the grain).
    ranks : (256,) float32 array, optional
        The picture's :func:`retouch.damage_evidence.rank_table`, when
        ``grey`` is a strip of it; by default, ``grey``'s own.
    """
    levels = grey_levels(grey)
    planes = np.empty((*grey.shape, len(INPUT_PLANES)), np.float32)
    planes[..., 0] = r * RESIDUAL_SCALE
    planes[..., 1] = np.clip(r / (differs * GRAIN_UNITS), -GRAIN_LIMIT, GRAIN_LIMIT)
    planes[..., 2] = grey - 0.5
    planes[..., 3] = cv2.LUT(levels, rank_table(levels) if ranks is None else ranks) - 0.5
    if chroma is None:
        planes[..., 4:] = 0.0
    else:
        planes[..., 4:] = chroma * RESIDUAL_SCALE
    return planes


@lru_cache(maxsize=1)
def _session() -> Any:  # an onnxruntime.InferenceSession; onnxruntime is imported on first use
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(SEGMENTER_PATH), options, providers=["CPUExecutionProvider"])


def _run(planes: np.ndarray) -> np.ndarray:
    """The net on input planes (h x W x 6): probabilities h x W x 2."""
    session = _session()
    batch = np.ascontiguousarray(planes.transpose(2, 0, 1)[None])
    (logits,) = session.run(None, {session.get_inputs()[0].name: batch})
    return (0.5 + 0.5 * np.tanh(0.5 * logits[0])).transpose(1, 2, 0).astype(np.float32)


def damage_probabilities(
    grey: np.ndarray, chroma: np.ndarray | None, r: np.ndarray, differs: float
) -> np.ndarray:
    """Per pixel, the net's probability of each kind of damage (:data:`OUTPUTS`), (H, W, 2) float32.

    The net runs :data:`STRIP_ROWS` rows at a time with :data:`REACH` rows of
    context, so a large scan needs strip-sized temporaries only; the result
    equals the net run on the whole image. Arguments as for
    :func:`segmenter_inputs`.
    """
    ranks = rank_table(grey_levels(grey))
    out = np.empty((*grey.shape, len(OUTPUTS)), np.float32)
    for top in range(0, grey.shape[0], STRIP_ROWS):
        low, high = max(0, top - REACH), min(grey.shape[0], top + STRIP_ROWS + REACH)
        rows = np.s_[low:high]
        colour = None if chroma is None else chroma[rows]
        planes = segmenter_inputs(grey[rows], colour, r[rows], differs, ranks)
        out[top : top + STRIP_ROWS] = _run(planes)[top - low : top - low + STRIP_ROWS]
    return out


def damage_probability(
    grey: np.ndarray, chroma: np.ndarray | None, r: np.ndarray, differs: float, kind: str
) -> np.ndarray:
    """Per pixel, the net's probability that it is damage of ``kind`` (one of :data:`OUTPUTS`).

    Parameters
    ----------
    grey, chroma, r, differs
        As for :func:`segmenter_inputs`.
    kind : {"scratch", "dust"}

    Returns
    -------
    (H, W) float32 array
        One plane of :func:`damage_probabilities`.

    Examples
    --------
    >>> from skimage import data
    >>> from retouch.aging import age_photo
    >>> from retouch.damage_evidence import background_residual, damage_planes
    >>> aged = age_photo(data.camera(), seed=1)
    >>> grey, chroma = damage_planes(aged.image)
    >>> p = damage_probability(grey, chroma, *background_residual(grey), "scratch")
    >>> p.shape, bool(p[aged.scratches].mean() > 0.5 > p[~aged.scratches].mean())
    ((512, 512), True)
    """
    return damage_probabilities(grey, chroma, r, differs)[..., OUTPUTS.index(kind)]
