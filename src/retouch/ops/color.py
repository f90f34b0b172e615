"""Colour ops: saturation, vibrance, hue, grayscale, sepia and colour transfer.

The linear ones (saturation, hue) are a single 3 x 3 colour matrix run by
``cv2.transform``, which works on uint8, uint16 and float32 directly and
saturates integer results, so integer images never take a float detour.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

from retouch.colorspace import (
    LUMA_WEIGHTS,
    lab_to_rgb,
    linear_to_srgb,
    lookup,
    luma,
    rgb_to_hsv,
    rgb_to_lab,
    srgb_to_linear,
)
from retouch.errors import InputError
from retouch.filters import map_strips, shrink
from retouch.ops.registry import PIXEL, Amount, Param, op

_WEIGHTS64 = LUMA_WEIGHTS.astype(np.float64)

# Vibrance: how much of the boost a pixel that looks like skin gives up.
SKIN_PROTECTION = 0.8
# Vibrance: chroma gain of a fully muted colour at amount 1 (its inverse at -1).
VIBRANCE_MAX_GAIN = 3.0

# Sepia print tones from shadow to paper white, indexed by sRGB-encoded grey.
# Each stop's Rec. 709 luma is close to its grey level, so the toning keeps
# the brightness of the luminance-correct grey it starts from.
_SEPIA_LEVELS = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
_SEPIA_TONES = np.array(
    [
        [0.03, 0.01, 0.00],  # near-black brown
        [0.33, 0.22, 0.13],  # dark umber
        [0.63, 0.47, 0.32],  # mid sepia
        [0.86, 0.73, 0.57],  # light tan
        [1.00, 0.97, 0.88],  # cream
    ]
)
# The gradient sampled at 16-bit precision, for :func:`retouch.colorspace.lookup`.
_SEPIA_TABLE = np.stack(
    [np.interp(np.linspace(0.0, 1.0, 65536), _SEPIA_LEVELS, _SEPIA_TONES[:, c]) for c in range(3)],
    axis=1,
).astype(np.float32)

# Colour statistics are taken on at most this many pixels; means and spreads
# of a photo are stable long before full resolution.
_STATS_PIXELS = 250_000


def _apply_color_matrix(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``matrix @ rgb`` per pixel in the image's own dtype (integer results saturate)."""
    out = cv2.transform(np.ascontiguousarray(image), matrix)
    if out.dtype == np.float32:
        np.clip(out, 0.0, 1.0, out=out)
    return out


def _blend(image: np.ndarray, target: np.ndarray, amount: float) -> np.ndarray:
    """Mix ``target`` (H x W x 3, or H x W grey) into ``image`` by ``amount`` in [0, 1]."""
    if target.ndim == 2:
        target = target[..., None]
    if amount >= 1.0:
        return target if target.shape == image.shape else np.broadcast_to(target, image.shape).copy()
    if amount <= 0.0:
        return image.copy()
    out = target - image
    out *= np.float32(amount)
    out += image
    return out


def _linear_luminance(image: np.ndarray) -> np.ndarray:
    """Relative luminance Y (Rec. 709 weights on linear light) of an sRGB float image, H x W."""
    return luma(srgb_to_linear(image))


def saturation_matrix(amount: float) -> np.ndarray:
    """3 x 3 matrix scaling chroma by ``1 + amount`` about Rec. 709 luma.

    Each output channel is ``s * c + (1 - s) * Y'``; grey pixels and luma are
    left unchanged.
    """
    s = 1.0 + float(amount)
    return s * np.eye(3) + (1.0 - s) * np.outer(np.ones(3), _WEIGHTS64)


@op(
    "saturation",
    kind=PIXEL,
    description="Make all colours more vivid or more muted, keeping brightness.",
    amount=Amount(-1.0, 1.0, neutral=0.0, default=0.3, unit="relative chroma change (-1 = grey)"),
    examples=(
        "more saturated",
        "boost the colors",
        "make the colours pop",
        "colors look washed out",
        "increase saturation",
        "richer, punchier colours",
        "too saturated, tone it down",
        "desaturate a little",
        "mute the colours",
        "colors are too strong",
        "less color please",
        "more colorful",
    ),
    color=True,
    native_dtypes=True,
)
def saturation(image: np.ndarray, amount: float) -> np.ndarray:
    """Scale chroma about Rec. 709 luma by ``1 + amount``.

    Parameters
    ----------
    image : (H, W, 3) uint8, uint16 or float32 array
        RGB image; float values in [0, 1].
    amount : float
        -1 gives grey, 0 the identity, 1 doubles chroma.

    Returns
    -------
    (H, W, 3) array of the input's dtype (integers saturate, floats are clipped to [0, 1]).

    Examples
    --------
    >>> import numpy as np
    >>> px = np.array([[[200, 100, 50]]], dtype=np.uint8)
    >>> saturation(px, -1.0)[0, 0].tolist()
    [118, 118, 118]
    """
    return _apply_color_matrix(image, saturation_matrix(amount))


def skin_likelihood(hsv: np.ndarray) -> np.ndarray:
    """Soft [0, 1] score of how skin-like each pixel's colour is.

    Skin of every complexion has a red-orange hue (about 0-50 degrees) with
    moderate saturation and is rarely near black; the score is a product of
    soft ramps on those three ranges.

    Parameters
    ----------
    hsv : (H, W, 3) float32 array
        Output of :func:`retouch.colorspace.rgb_to_hsv` (H in degrees).

    Returns
    -------
    (H, W) float32 array
    """
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    hue_distance = np.abs((hue - 25.0 + 180.0) % 360.0 - 180.0)
    score = np.clip((35.0 - hue_distance) / 15.0, 0.0, 1.0)
    score *= np.clip((sat - 0.08) / 0.10, 0.0, 1.0)
    score *= np.clip((0.75 - sat) / 0.15, 0.0, 1.0)
    score *= np.clip((val - 0.10) / 0.15, 0.0, 1.0)
    return score


@op(
    "vibrance",
    kind=PIXEL,
    description="Boost muted colours more than vivid ones, sparing skin tones.",
    amount=Amount(-1.0, 1.0, neutral=0.0, default=0.4, unit="chroma gain for muted colours"),
    examples=(
        "add some vibrance",
        "more vibrance but keep skin natural",
        "make the dull colours livelier without orange faces",
        "subtle colour boost",
        "bring the muted colors to life",
        "colours a bit flat, give them some life",
        "vibrance up",
        "less vibrance",
        "calm the colours down a touch",
        "natural looking saturation boost",
        "make the sky and grass richer but not the skin",
    ),
    color=True,
)
def vibrance(image: np.ndarray, amount: float) -> np.ndarray:
    """Saturation gain that fades out for vivid colours and skin tones.

    The chroma of each pixel (its offset from Rec. 709 luma) is scaled by
    ``3 ** (amount * (1 - S) * (1 - 0.8 * skin))``, where ``S`` is its HSV
    saturation and ``skin`` is :func:`skin_likelihood`. A boost is capped
    where it would push a channel out of [0, 1], so hue and luma are kept and
    nothing clips.

    Parameters
    ----------
    image : (H, W, 3) float32 array
        RGB image in [0, 1].
    amount : float
        In [-1, 1]; positive boosts, negative mutes (muted colours first).

    Returns
    -------
    (H, W, 3) float32 array
    """
    if amount == 0:
        return image.copy()
    # Per-pixel work with a dozen temporaries: strips keep them small and in cache.
    return map_strips(image, lambda strip: _vibrance_strip(strip, float(amount)), margin=0)


def _vibrance_strip(image: np.ndarray, amount: float) -> np.ndarray:
    """:func:`vibrance` on one strip of rows."""
    grey = luma(image)[..., None]
    chroma = image - grey
    hsv = rgb_to_hsv(image)
    # Exponent form: +1 and -1 multiply and divide chroma by the same factor.
    weight = 1.0 - hsv[..., 1]
    weight *= 1.0 - SKIN_PROTECTION * skin_likelihood(hsv)
    gain = np.power(np.float32(VIBRANCE_MAX_GAIN), np.float32(amount) * weight)
    if amount > 0:
        # Cap the gain where a channel would leave [0, 1]: the largest channel
        # is V and the smallest V (1 - S), so no per-pixel max/min is needed.
        y, top = grey[..., 0], hsv[..., 2]
        above = top - y
        below = y - top * (1.0 - hsv[..., 1])
        room_up = np.divide(1.0 - y, above, out=np.full_like(y, np.inf), where=above > 1e-6)
        room_down = np.divide(y, below, out=np.full_like(y, np.inf), where=below > 1e-6)
        np.minimum(gain, np.maximum(np.minimum(room_up, room_down), 1.0), out=gain)
    chroma *= gain[..., None]
    chroma += grey
    return np.clip(chroma, 0.0, 1.0, out=chroma)


def hue_matrix(degrees: float) -> np.ndarray:
    """3 x 3 matrix rotating chroma by ``degrees`` in the Rec. 709 (Cb, Cr) plane.

    Luma is an invariant of the matrix; positive angles move red towards
    yellow and green, as the HSV hue does.
    """
    if degrees % 360 == 0:
        return np.eye(3)
    wr, _, wb = _WEIGHTS64
    to_ycc = np.stack(
        [
            _WEIGHTS64,
            (np.array([0.0, 0.0, 1.0]) - _WEIGHTS64) / (2 * (1 - wb)),
            (np.array([1.0, 0.0, 0.0]) - _WEIGHTS64) / (2 * (1 - wr)),
        ]
    )
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    rotation = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    return np.linalg.inv(to_ycc) @ rotation @ to_ycc


@op(
    "hue",
    kind=PIXEL,
    description="Shift all hues around the colour wheel, keeping brightness.",
    amount=Amount(-180.0, 180.0, neutral=0.0, default=30.0, unit="degrees of hue rotation"),
    examples=(
        "shift the hue",
        "rotate the colours",
        "hue shift by 90 degrees",
        "change the color tone, like a hue slider",
        "turn the colors around the color wheel",
        "make reds more orange and greens more cyan",
        "shift hues the other way",
        "psychedelic colour shift",
        "hue -30",
        "move all colours a bit towards magenta",
    ),
    color=True,
    native_dtypes=True,
)
def hue(image: np.ndarray, amount: float) -> np.ndarray:
    """Rotate hues by ``amount`` degrees about the grey axis.

    Parameters
    ----------
    image : (H, W, 3) uint8, uint16 or float32 array
        RGB image; float values in [0, 1].
    amount : float
        Rotation in degrees, [-180, 180].

    Returns
    -------
    (H, W, 3) array of the input's dtype. Luma is unchanged except where a
    rotated colour falls outside the RGB cube and saturates.
    """
    return _apply_color_matrix(image, hue_matrix(amount))


@op(
    "grayscale",
    kind=PIXEL,
    description="Convert to black and white with luminance-correct grey levels.",
    amount=Amount(0.0, 1.0, neutral=0.0, default=1.0, unit="fraction of the way to grey"),
    examples=(
        "black and white",
        "make it b&w",
        "convert to grayscale",
        "monochrome please",
        "remove all the colour",
        "greyscale version",
        "make it look like an old black-and-white photo without the sepia",
        "desaturate completely",
        "noir look, no colors",
        "almost black and white, keep a hint of colour",
    ),
    color=True,
)
def grayscale(image: np.ndarray, amount: float) -> np.ndarray:
    """Replace each pixel by the grey of equal relative luminance.

    Luminance is computed in linear light, ``Y = w . linearise(rgb)``, and
    re-encoded as sRGB, so a saturated blue turns as dark as it looks rather
    than as dark as its encoded values average to.

    Parameters
    ----------
    image : (H, W, 3) float32 array
        RGB image in [0, 1].
    amount : float
        0 keeps the colour image, 1 gives pure grey (R = G = B).

    Returns
    -------
    (H, W, 3) float32 array
    """
    if amount <= 0:
        return image.copy()
    grey = linear_to_srgb(_linear_luminance(image)).astype(np.float32, copy=False)
    return _blend(image, grey, amount)


@op(
    "sepia",
    kind=PIXEL,
    description="Warm brown-toned monochrome, like an old print.",
    amount=Amount(0.0, 1.0, neutral=0.0, default=1.0, unit="fraction of the way to full sepia"),
    examples=(
        "sepia",
        "sepia tone",
        "make it look like an old brown photo",
        "vintage brownish look",
        "antique photograph effect",
        "old western style photo",
        "give it a faded 1900s print look",
        "warm monochrome",
        "light sepia touch",
        "brown and white instead of black and white",
    ),
    color=True,
)
def sepia(image: np.ndarray, amount: float) -> np.ndarray:
    """Tone the luminance-correct grey through a dark-brown to cream gradient.

    Parameters
    ----------
    image : (H, W, 3) float32 array
        RGB image in [0, 1].
    amount : float
        0 keeps the image, 1 gives full sepia.

    Returns
    -------
    (H, W, 3) float32 array
    """
    if amount <= 0:
        return image.copy()
    toned = lookup(linear_to_srgb(_linear_luminance(image)), _SEPIA_TABLE)
    return _blend(image, toned, amount)


def _load_reference(reference: str | os.PathLike[str] | np.ndarray | None) -> np.ndarray:
    """The reference image as float32 RGB in [0, 1]; a clear error if there is none."""
    if reference is None or (isinstance(reference, str) and not reference.strip()):
        raise InputError("color_transfer needs a reference image: give params.reference the path of a photo")
    if isinstance(reference, np.ndarray):
        array = reference
    else:
        try:
            with Image.open(Path(reference)) as img:
                img = ImageOps.exif_transpose(img)
                # 16-bit greys would be clipped to 8 bits by convert("RGB"); keep their range.
                array = np.asarray(img) if img.mode.startswith("I") else np.asarray(img.convert("RGB"))
        except OSError as err:  # includes missing files and UnidentifiedImageError
            raise InputError(
                f"color_transfer cannot read the reference image {str(reference)!r}: {err}"
            ) from err
    if np.issubdtype(array.dtype, np.integer):
        peak = 255.0 if array.dtype == np.uint8 else 65535.0
        array = array.astype(np.float32) / peak
    array = np.asarray(array, dtype=np.float32)
    if array.ndim == 2:
        array = array[..., None]
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    return np.clip(array[..., :3], 0.0, 1.0)


def _lab_statistics(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of CIE Lab on a reduced copy."""
    factor = np.sqrt(image.shape[0] * image.shape[1] / _STATS_PIXELS)
    lab = rgb_to_lab(shrink(image, factor)).reshape(-1, 3).astype(np.float64)
    return lab.mean(axis=0), lab.std(axis=0)


@op(
    "color_transfer",
    kind=PIXEL,
    description="Match the colour mood of a reference photo (mean and spread of Lab colour).",
    amount=Amount(0.0, 1.0, neutral=0.0, default=1.0, unit="fraction of the way to the reference look"),
    params=(
        Param("reference", "path", description="Photo whose colours to copy."),
        Param(
            "preserve_luminance",
            "boolean",
            default=False,
            description="Keep this image's lightness and transfer only colour.",
        ),
    ),
    examples=(
        "match the colors of this reference photo",
        "make it look like the other picture",
        "copy the colour grading from ref.jpg",
        "apply the same mood as this image",
        "transfer the color palette from my reference",
        "same colours as the sunset shot",
        "match the look of photo B",
        "colour match to the reference but keep the brightness",
        "grade it like this film still",
        "use this picture's tones on mine",
    ),
    color=True,
)
def color_transfer(
    image: np.ndarray,
    amount: float,
    reference: str | os.PathLike[str] | np.ndarray | None = None,
    preserve_luminance: bool = False,
) -> np.ndarray:
    """Reinhard colour transfer: match Lab mean and spread to a reference.

    Each Lab channel is shifted and scaled so its mean and standard deviation
    equal the reference's: ``lab' = (lab - mu_src) * sd_ref / sd_src + mu_ref``
    (the scale is kept within [1/4, 4] so flat channels do not explode).

    Parameters
    ----------
    image : (H, W, 3) float32 array
        RGB image in [0, 1].
    amount : float
        0 keeps the image, 1 applies the full transfer.
    reference : path or array
        The reference photo (any format Pillow reads), or an RGB array.
    preserve_luminance : bool
        Keep this image's L* and transfer only a* and b*.

    Returns
    -------
    (H, W, 3) float32 array

    Raises
    ------
    retouch.errors.InputError
        (a ``ValueError``) when the reference is missing or unreadable.
    """
    ref = _load_reference(reference)
    if amount <= 0:
        return image.copy()
    mean_src, sd_src = _lab_statistics(image)
    mean_ref, sd_ref = _lab_statistics(ref)
    scale = np.clip(sd_ref / np.maximum(sd_src, 1e-6), 0.25, 4.0)
    if preserve_luminance:
        scale[0], mean_ref[0] = 1.0, mean_src[0]
    affine = np.concatenate([np.diag(scale), (mean_ref - mean_src * scale)[:, None]], axis=1)
    transferred = lab_to_rgb(cv2.transform(rgb_to_lab(image), affine))
    return _blend(image, transferred, amount)
