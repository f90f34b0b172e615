"""Geometry: crop, resize, rotate and flip the pixel grid.

Geometry ops receive colour and alpha stacked (``H x W x C``, C in 1..4, an
alpha channel present when C is 2 or 4) in the image's own dtype (uint8,
uint16 or float32 in [0, 1]) and return the same dtype and channel count.
Lossless operations (crops, flips, quarter turns) copy pixels exactly;
resampling keeps integer dtypes in range and clips float results to [0, 1].
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence

import cv2
import numpy as np

from retouch.colorspace import LUMA_WEIGHTS, white_level
from retouch.filters import gaussian
from retouch.ops.registry import GEOMETRY, Amount, Param, op

# Largest side any geometry op may produce; beyond it the request is almost certainly a mistake.
MAX_SIDE = 100_000
# Long side of the grey copy on which the content-aware crop measures interest.
_SALIENCY_SIDE = 256
# Long side of the grey copy searched for faces: small faces survive, detection stays fast.
_FACE_SIDE = 512


# --------------------------------------------------------------------------- helpers


def _has_alpha(image: np.ndarray) -> bool:
    return image.shape[2] in (2, 4)


def _to_unit_float(image: np.ndarray) -> np.ndarray:
    """float32 copy of ``image`` scaled to [0, 1]."""
    x = image.astype(np.float32)
    if image.dtype != np.float32:
        x *= np.float32(1.0 / white_level(image.dtype))
    return x


def _from_unit_float(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Clip a float image to [0, 1] in place and convert it to ``dtype`` (rounding integers)."""
    np.clip(x, 0.0, 1.0, out=x)
    if dtype == np.float32:
        return x
    x *= np.float32(white_level(dtype))
    return np.rint(x, out=x).astype(dtype)


def _as_hwc(result: np.ndarray, channels: int) -> np.ndarray:
    """OpenCV drops the channel axis of single-channel images; put it back."""
    return result.reshape(result.shape[0], result.shape[1], channels)


def _premultiply(image: np.ndarray) -> np.ndarray:
    """Float copy with colour multiplied by alpha, so resampling never bleeds hidden colours."""
    x = _to_unit_float(image)
    x[..., :-1] *= x[..., -1:]
    return x


def _unpremultiply(x: np.ndarray, dtype: np.dtype, hidden_colour: np.ndarray | None = None) -> np.ndarray:
    """Inverse of :func:`_premultiply`, in place; fully transparent pixels get ``hidden_colour`` (or 0)."""
    alpha = np.clip(x[..., -1], 0.0, 1.0)
    visible = alpha > 1e-6
    inverse = np.zeros_like(alpha)
    np.divide(np.float32(1.0), alpha, out=inverse, where=visible)
    x[..., :-1] *= inverse[..., None]
    if hidden_colour is not None:
        x[~visible, :-1] = hidden_colour
    return _from_unit_float(x, dtype)


def _check_size(width: int, height: int, what: str) -> None:
    if width < 1 or height < 1:
        raise ValueError(f"{what} would be {width} x {height} px; each side must be at least 1 px")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ValueError(f"{what} would be {width} x {height} px; each side must be at most {MAX_SIDE} px")


# --------------------------------------------------------------------------- crop


def parse_aspect(aspect: str | float) -> float:
    """Width / height ratio of an aspect such as ``"16:9"``, ``"4x5"``, ``"1.5"`` or ``"square"``.

    Parameters
    ----------
    aspect : str or float
        ``"W:H"`` (also ``W x H``, ``W/H``), a positive number, or ``"square"``.

    Returns
    -------
    float
        The ratio width / height.

    Examples
    --------
    >>> parse_aspect("16:9") > 1, parse_aspect("4:5") < 1, parse_aspect("square")
    (True, True, 1.0)
    """
    if isinstance(aspect, int | float) and not isinstance(aspect, bool):
        ratio = float(aspect)
    else:
        text = str(aspect).strip().lower()
        if text == "square":
            return 1.0
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?::|x|/|by)?\s*(\d+(?:\.\d+)?)?", text)
        if match is None:
            raise ValueError(
                f"aspect {aspect!r} is not an aspect ratio; write it like '16:9', '1:1' or 'square'"
            )
        ratio = float(match[1]) / float(match[2]) if match[2] else float(match[1])
    if not (math.isfinite(ratio) and ratio > 0):
        raise ValueError(f"aspect {aspect!r} must be a positive ratio such as '3:2'")
    return ratio


def _box_pixels(box: Sequence[float], width: int, height: int) -> tuple[int, int, int, int]:
    """Turn a ``box`` param (pixels, or fractions when every value is at most 1) into pixel bounds."""
    if len(box) != 4:
        raise ValueError(f"box must have 4 numbers (x, y, width, height), got {len(box)}")
    x, y, w, h = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        raise ValueError(f"box {list(box)} must contain finite numbers")
    if max(x, y, w, h) <= 1.0:
        x, w = x * width, w * width
        y, h = y * height, h * height
    x0, y0 = round(x), round(y)
    x1, y1 = round(x + w), round(y + h)
    if x0 < 0 or y0 < 0 or x1 > width or y1 > height:
        raise ValueError(f"box {list(box)} reaches outside the {width} x {height} image")
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"box {list(box)} has zero size")
    return x0, y0, x1, y1


def _window_size(width: int, height: int, ratio: float) -> tuple[int, int]:
    """Largest ``w x h`` window of aspect ``ratio`` that fits in ``width x height``."""
    if width >= ratio * height:
        return max(1, round(height * ratio)), height
    return width, max(1, round(width / ratio))


@functools.cache
def _face_detector() -> cv2.CascadeClassifier:
    return cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_alt2.xml")


def _face_map(grey: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """1 over each frontal face found in ``grey`` (float, long side at most 512 px), 0 elsewhere, at ``size``.

    The box is widened to hold the whole head.
    """
    small = np.rint(np.clip(grey, 0.0, 1.0) * 255).astype(np.uint8)
    mask = np.zeros((size[1], size[0]), np.float32)
    detector = _face_detector()
    if detector.empty():  # an OpenCV build without its cascade files: fall back to saliency alone
        return mask
    faces = detector.detectMultiScale(small, scaleFactor=1.1, minNeighbors=5, minSize=(20, 20))
    k = size[0] / small.shape[1]
    for x, y, w, h in faces:
        # Haar boxes hold the eyes to the chin; hair, forehead and a margin belong to the subject too.
        x0, y0 = int((x - 0.3 * w) * k), int((y - 0.5 * h) * k)
        mask[max(y0, 0) : int((y + 1.3 * h) * k) + 1, max(x0, 0) : int((x + 1.3 * w) * k) + 1] = 1.0
    return mask


def interest_map(image: np.ndarray) -> np.ndarray:
    """Where a viewer's eye goes: faces, spectral-residual saliency and detail, with a mild centre prior.

    Frontal faces (OpenCV's Haar cascade) matter most. Hou and Zhang's
    spectral residual (the part of the log-amplitude spectrum that a smooth
    spectrum does not explain, transformed back) marks objects that stand out
    from their surroundings; gradient energy adds detail-rich areas, and a
    broad Gaussian centre prior breaks ties the way photographers frame.

    Parameters
    ----------
    image : (H, W, C) array
        Any dtype accepted by geometry ops; alpha, if present, is ignored.

    Returns
    -------
    (h, w) float32 array
        Interest in [0, 1] on a grey copy whose long side is at most 256 px.
    """
    colour_channels = image.shape[2] - 1 if _has_alpha(image) else image.shape[2]
    scale = min(1.0, _FACE_SIDE / max(image.shape[:2]))
    detect_size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    colour = _to_unit_float(
        _as_hwc(cv2.resize(image, detect_size, interpolation=cv2.INTER_AREA), image.shape[2])[
            ..., :colour_channels
        ]
    )
    fine_grey = colour[..., 0] if colour_channels == 1 else colour @ LUMA_WEIGHTS
    scale = min(1.0, _SALIENCY_SIDE / max(image.shape[:2]))
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    grey = cv2.resize(fine_grey, size, interpolation=cv2.INTER_AREA)

    # The residual is computed at a fixed 64 px scale, where it separates objects from texture best.
    spectrum = np.fft.fft2(cv2.resize(grey, (64, 64), interpolation=cv2.INTER_AREA))
    log_amp = np.log(np.abs(spectrum) + 1e-8).astype(np.float32)
    residual = log_amp - cv2.blur(log_amp, (3, 3), borderType=cv2.BORDER_REPLICATE)
    spectral = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    spectral = cv2.resize(gaussian(spectral.astype(np.float32), 2.5), size, interpolation=cv2.INTER_LINEAR)

    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    energy = gaussian(np.sqrt(gx * gx + gy * gy), 0.02 * max(size))

    def normalise(m: np.ndarray) -> np.ndarray:
        lo, hi = float(m.min()), float(m.max())
        return (m - lo) / (hi - lo) if hi > lo else np.zeros_like(m)

    ys = np.linspace(-1.0, 1.0, size[1], dtype=np.float32)[:, None]
    xs = np.linspace(-1.0, 1.0, size[0], dtype=np.float32)[None, :]
    centre = np.exp(-(xs * xs + ys * ys) / (2 * 0.6**2))
    interest = (normalise(spectral) + 0.5 * normalise(energy)) * (0.6 + 0.4 * centre)
    interest += 2.0 * _face_map(fine_grey, size)
    return normalise(interest).astype(np.float32)


def _content_offset(image: np.ndarray, window: int, axis: int) -> int:
    """Offset along ``axis`` (0 = rows, 1 = columns) of the ``window``-long slice with most interest.

    The largest window of a given aspect spans the whole image along one axis,
    so the search is one-dimensional: a cumulative sum of the interest profile
    gives every window's total at once.
    """
    full = image.shape[axis]
    interest = interest_map(image)
    profile = interest.sum(axis=1 - axis).astype(np.float64)
    # Resample the profile to full resolution so the offset is exact in pixels.
    profile = np.interp(np.arange(full) + 0.5, (np.arange(profile.size) + 0.5) * full / profile.size, profile)
    totals = np.concatenate(([0.0], np.cumsum(profile)))
    window_sums = totals[window:] - totals[:-window]
    best = np.flatnonzero(window_sums >= window_sums.max() - 1e-9 * abs(window_sums.max()))
    # Among equally good windows take the one nearest the centre.
    return int(best[np.argmin(np.abs(best - (full - window) / 2))])


@op(
    "crop",
    kind=GEOMETRY,
    description="Cut the image to a box or to an aspect ratio, centred or around the most interesting part.",
    params=(
        Param(
            "box",
            "numbers",
            length=4,
            description="x, y, width, height in pixels, or all as fractions (0..1) of the image size",
        ),
        Param(
            "aspect",
            "string",
            description="aspect ratio width:height such as '16:9', '1:1', '4:5' or 'square'",
        ),
        Param(
            "anchor",
            "choice",
            default="center",
            choices=("center", "content"),
            description="where an aspect crop sits: the centre, or the most interesting part of the picture",
        ),
    ),
    examples=(
        "crop to a square for instagram",
        "crop it 16:9",
        "make it 4:5 portrait crop",
        "cut off the edges",
        "crop to 3:2",
        "trim the left side off",
        "crop around the subject",
        "smart crop to square keeping the important part",
        "crop the photo to widescreen",
        "cut the picture to 1:1 ratio pls",
        "crop in tighter on the middle",
        "reframe it as a vertical for stories 9:16",
    ),
)
def crop(
    image: np.ndarray,
    amount: None = None,
    *,
    box: Sequence[float] | None = None,
    aspect: str | float | None = None,
    anchor: str = "center",
) -> np.ndarray:
    """Crop to a box, an aspect ratio, or an aspect ratio inside a box.

    Parameters
    ----------
    image : (H, W, C) array
        uint8, uint16 or float32; alpha travels with the colour.
    amount : None
        Crop has no strength.
    box : sequence of 4 numbers, optional
        ``x, y, width, height`` in pixels, or all as fractions of the image
        size when every value is at most 1.
    aspect : str or float, optional
        Width:height ratio (see :func:`parse_aspect`). Without ``box`` the
        largest window of this aspect is cut from the whole image; with it,
        from inside the box.
    anchor : {"center", "content"}
        Place the aspect window at the centre, or where :func:`interest_map`
        is highest.

    Returns
    -------
    (h, w, C) array
        A copy of the cropped pixels, same dtype.

    Examples
    --------
    >>> import numpy as np
    >>> crop(np.zeros((100, 200, 3), np.uint8), aspect="1:1").shape
    (100, 100, 3)
    """
    if box is None and aspect is None:
        raise ValueError("crop needs a box (x, y, width, height) or an aspect such as '16:9'")
    if anchor not in ("center", "content"):
        raise ValueError(f"anchor must be 'center' or 'content', got {anchor!r}")
    height, width = image.shape[:2]
    x0, y0, x1, y1 = _box_pixels(box, width, height) if box is not None else (0, 0, width, height)
    region = image[y0:y1, x0:x1]
    if aspect is not None:
        ratio = parse_aspect(aspect)
        win_w, win_h = _window_size(x1 - x0, y1 - y0, ratio)
        # The window spans the region along one axis and slides along the other.
        axis, window = (1, win_w) if win_h == region.shape[0] else (0, win_h)
        free = region.shape[axis] - window
        offset = _content_offset(region, window, axis) if anchor == "content" and free > 0 else free // 2
        region = region[:, offset : offset + window] if axis == 1 else region[offset : offset + window, :]
    return region.copy()


# --------------------------------------------------------------------------- resize


def _target_size(
    width: int,
    height: int,
    new_width: int | None,
    new_height: int | None,
    scale: float | None,
    max_side: int | None,
) -> tuple[int, int]:
    if new_width is None and new_height is None and scale is None and max_side is None:
        raise ValueError("resize needs width, height, scale or max_side")
    if scale is not None and (new_width is not None or new_height is not None):
        raise ValueError("give either scale or width/height to resize, not both")
    for name, value in (("width", new_width), ("height", new_height), ("max_side", max_side)):
        if value is not None and value < 1:
            raise ValueError(f"{name} must be at least 1 px, got {value}")
    if scale is not None and not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number, got {scale}")

    w, h = float(width), float(height)
    if new_width is not None and new_height is not None:
        w, h = float(new_width), float(new_height)
    elif new_width is not None:
        w, h = float(new_width), height * new_width / width
    elif new_height is not None:
        w, h = width * new_height / height, float(new_height)
    elif scale is not None:
        w, h = width * scale, height * scale
    if max_side is not None and max(w, h) > max_side:
        shrink = max_side / max(w, h)
        w, h = w * shrink, h * shrink
    out_w, out_h = round(w), round(h)
    _check_size(out_w, out_h, "the resized image")
    return out_w, out_h


def _resample(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize to ``size`` (w, h): area averaging to shrink, Lanczos to enlarge; alpha premultiplied."""
    height, width, channels = image.shape
    if size == (width, height):
        return image.copy()
    shrinking = size[0] * size[1] <= width * height
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LANCZOS4
    if _has_alpha(image):
        out = _as_hwc(cv2.resize(_premultiply(image), size, interpolation=interpolation), channels)
        return _unpremultiply(out, image.dtype)
    out = _as_hwc(cv2.resize(image, size, interpolation=interpolation), channels)
    # Integer results saturate inside OpenCV; Lanczos overshoot on floats needs clipping.
    return np.clip(out, 0.0, 1.0, out=out) if out.dtype == np.float32 else out


@op(
    "resize",
    kind=GEOMETRY,
    description="Change the pixel dimensions: to a width and/or height, by a factor, or to a longest side.",
    params=(
        Param("width", "integer", minimum=1, maximum=MAX_SIDE, description="new width in px"),
        Param("height", "integer", minimum=1, maximum=MAX_SIDE, description="new height in px"),
        Param(
            "scale", "number", minimum=0.0, description="factor to multiply both sides by (0.5 = half size)"
        ),
        Param(
            "max_side",
            "integer",
            minimum=1,
            maximum=MAX_SIDE,
            description="shrink so the longer side is at most this many px (never enlarges)",
        ),
    ),
    examples=(
        "resize to 1920 wide",
        "make it 800x600",
        "scale it down to half size",
        "make the image smaller",
        "shrink it to 1080 px on the long edge",
        "resize for web, max 2048 pixels",
        "double the size",
        "reduce the resolution",
        "make it 500 pixels tall",
        "downsize the photo so its under 1000px",
        "change image dimensions to 1200 by 800",
    ),
)
def resize(
    image: np.ndarray,
    amount: None = None,
    *,
    width: int | None = None,
    height: int | None = None,
    scale: float | None = None,
    max_side: int | None = None,
) -> np.ndarray:
    """Resample to new pixel dimensions.

    Parameters
    ----------
    image : (H, W, C) array
        uint8, uint16 or float32.
    amount : None
        Resize has no strength.
    width, height : int, optional
        One keeps the aspect ratio; both give the exact size.
    scale : float, optional
        Multiply both sides (not together with width/height).
    max_side : int, optional
        Cap the longer side of the result; never enlarges.

    Returns
    -------
    (h, w, C) array
        Same dtype. Shrinking uses area averaging (no aliasing); enlarging uses
        Lanczos-4, clipped to the valid range.

    Examples
    --------
    >>> import numpy as np
    >>> resize(np.zeros((100, 200, 3), np.uint8), width=50).shape
    (25, 50, 3)
    """
    size = _target_size(image.shape[1], image.shape[0], width, height, scale, max_side)
    return _resample(image, size)


# --------------------------------------------------------------------------- rotate


def inscribed_size(
    width: float, height: float, degrees: float, keep_aspect: bool = False
) -> tuple[float, float]:
    """Largest axis-aligned rectangle centred inside a ``width x height`` image rotated by ``degrees``.

    A centred ``w x h`` rectangle fits when its corners stay inside the
    rotated frame: ``w|cos| + h|sin| <= width`` and ``w|sin| + h|cos| <= height``.
    The area ``w * h`` under one such constraint peaks where both terms are
    equal; if that peak breaks the other constraint, both constraints bind and
    the rectangle is their intersection.

    Parameters
    ----------
    width, height : float
        Size of the unrotated image.
    degrees : float
        Rotation angle.
    keep_aspect : bool
        Constrain the rectangle to the image's own aspect ratio instead of
        maximising its area.

    Returns
    -------
    (w, h) : tuple of float

    Examples
    --------
    >>> [round(v, 3) for v in inscribed_size(100, 100, 45)]
    [70.711, 70.711]
    """
    c = abs(math.cos(math.radians(degrees)))
    s = abs(math.sin(math.radians(degrees)))
    if keep_aspect:
        k = min(width / (width * c + height * s), height / (width * s + height * c))
        return width * k, height * k

    def fits(w: float, h: float) -> bool:
        return w * c + h * s <= width * (1 + 1e-9) and w * s + h * c <= height * (1 + 1e-9)

    if s < 1e-12 or c < 1e-12:
        return (width, height) if s < 1e-12 else (height, width)
    for w, h in ((width / (2 * c), width / (2 * s)), (height / (2 * s), height / (2 * c))):
        if fits(w, h):
            return w, h
    det = c * c - s * s
    return (width * c - height * s) / det, (height * c - width * s) / det


def _quarter_turns(degrees: float) -> int | None:
    turns = degrees / 90.0
    return round(turns) % 4 if abs(turns - round(turns)) < 1e-9 else None


@op(
    "rotate",
    kind=GEOMETRY,
    description="Rotate the picture; quarter turns are lossless, small angles straighten a tilted horizon.",
    amount=Amount(-360.0, 360.0, neutral=0.0, default=90.0, unit="degrees, positive = counter-clockwise"),
    params=(
        Param(
            "fit",
            "choice",
            default="expand",
            choices=("expand", "crop", "same"),
            description="expand: canvas grows to hold the whole picture; crop: cut to the largest rectangle "
            "with no empty corners (straighten); same: keep the original size",
        ),
        Param(
            "fill",
            "numbers",
            default=(1.0, 1.0, 1.0),
            length=3,
            minimum=0.0,
            maximum=1.0,
            description="RGB colour (0..1) of uncovered corners; transparent instead if the image has alpha",
        ),
        Param(
            "keep_aspect",
            "boolean",
            default=False,
            description="with fit=crop, keep the original aspect ratio instead of the largest area",
        ),
    ),
    examples=(
        "rotate 90 degrees clockwise",
        "turn it to the left",
        "rotate counterclockwise 90",
        "turn the picture upside down 180",
        "straighten the horizon by 2 degrees",
        "the photo is tilted, rotate it 3 degrees and crop",
        "rotate by 45 degrees",
        "its sideways, rotate it right",
        "level the horizon, it leans 1.5 degrees to the right",
        "turn image a quarter turn",
        "tilt it 10 degrees anticlockwise",
        "fix the crooked horizon",
    ),
)
def rotate(
    image: np.ndarray,
    amount: float = 90.0,
    *,
    fit: str = "expand",
    fill: Sequence[float] = (1.0, 1.0, 1.0),
    keep_aspect: bool = False,
) -> np.ndarray:
    """Rotate by ``amount`` degrees counter-clockwise (negative = clockwise).

    Parameters
    ----------
    image : (H, W, C) array
        uint8, uint16 or float32; C = 2 or 4 means the last channel is alpha.
    amount : float
        Angle in degrees. Multiples of 90 are exact pixel permutations.
    fit : {"expand", "crop", "same"}
        Canvas for other angles: grow to hold the whole rotated picture, cut
        to the largest rectangle with no uncovered corners (edges are
        reflected, so no fill colour can creep in), or keep the input size.
    fill : sequence of 3 floats
        RGB colour in [0, 1] for uncovered corners (its luma on grey images);
        with alpha, the corners are transparent as well.
    keep_aspect : bool
        With ``fit="crop"``, keep the input's aspect ratio.

    Returns
    -------
    (h, w, C) array
        Same dtype; bicubic resampling, clipped to the valid range.

    Examples
    --------
    >>> import numpy as np
    >>> rotate(np.zeros((10, 20, 1), np.uint8), 90).shape
    (20, 10, 1)
    """
    if fit not in ("expand", "crop", "same"):
        raise ValueError(f"fit must be 'expand', 'crop' or 'same', got {fit!r}")
    if not -360.0 <= amount <= 360.0:
        raise ValueError(f"rotate amount must be between -360 and 360 degrees, got {amount}")
    turns = _quarter_turns(amount)
    if turns is not None:
        return np.ascontiguousarray(np.rot90(image, turns))
    if len(fill) != 3 or not all(0.0 <= float(v) <= 1.0 for v in fill):
        raise ValueError(f"fill must be 3 numbers in [0, 1] (an RGB colour), got {list(fill)}")

    height, width, channels = image.shape
    c, s = abs(math.cos(math.radians(amount))), abs(math.sin(math.radians(amount)))
    if fit == "expand":
        out_w = math.ceil(width * c + height * s - 0.01)
        out_h = math.ceil(width * s + height * c - 0.01)
    elif fit == "crop":
        w, h = inscribed_size(width, height, amount, keep_aspect)
        out_w, out_h = max(1, math.floor(w + 1e-6)), max(1, math.floor(h + 1e-6))
    else:
        out_w, out_h = width, height
    _check_size(out_w, out_h, "the rotated image")

    matrix = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), float(amount), 1.0)
    matrix[:, 2] += ((out_w - 1) / 2 - (width - 1) / 2, (out_h - 1) / 2 - (height - 1) / 2)

    fill_rgb = np.asarray(fill, dtype=np.float32)
    colour_channels = channels - 1 if _has_alpha(image) else channels
    fill_colour = fill_rgb if colour_channels == 3 else np.array([float(fill_rgb @ LUMA_WEIGHTS)], np.float32)
    border = cv2.BORDER_REFLECT_101 if fit == "crop" else cv2.BORDER_CONSTANT

    def warp(x: np.ndarray, border_value: tuple[float, ...]) -> np.ndarray:
        out = cv2.warpAffine(
            x, matrix, (out_w, out_h), flags=cv2.INTER_CUBIC, borderMode=border, borderValue=border_value
        )
        return _as_hwc(out, channels)

    if _has_alpha(image):
        # Premultiplied, so the transparent border does not tint the edge pixels.
        return _unpremultiply(warp(_premultiply(image), (0.0,) * 4), image.dtype, fill_colour)
    out = warp(
        image, tuple(float(v) * white_level(image.dtype) for v in fill_colour) + (0.0,) * (4 - channels)
    )
    return np.clip(out, 0.0, 1.0, out=out) if out.dtype == np.float32 else out


# --------------------------------------------------------------------------- flip

_FLIP_CODES = {"horizontal": 1, "vertical": 0, "both": -1}


@op(
    "flip",
    kind=GEOMETRY,
    description="Mirror the picture left-right, upside down, or both.",
    params=(
        Param(
            "direction",
            "choice",
            default="horizontal",
            choices=tuple(_FLIP_CODES),
            description="horizontal: mirror left-right; vertical: upside down; both: turn over both axes",
        ),
    ),
    examples=(
        "flip it horizontally",
        "mirror the image",
        "flip upside down",
        "flip vertically",
        "mirror it left to right",
        "make a mirror image of the selfie",
        "reverse the photo horizontally",
        "flip it so the person faces the other way",
        "flip top to bottom",
        "unmirror my selfie",
    ),
)
def flip(image: np.ndarray, amount: None = None, *, direction: str = "horizontal") -> np.ndarray:
    """Mirror the image.

    Parameters
    ----------
    image : (H, W, C) array
        Any dtype.
    amount : None
        Flip has no strength.
    direction : {"horizontal", "vertical", "both"}
        Left-right mirror, upside down, or both (same as a 180° turn).

    Returns
    -------
    (H, W, C) array
        An exact, contiguous copy with pixels mirrored.

    Examples
    --------
    >>> import numpy as np
    >>> flip(np.arange(3, dtype=np.uint8).reshape(1, 3, 1))[0, :, 0].tolist()
    [2, 1, 0]
    """
    if direction not in _FLIP_CODES:
        raise ValueError(f"direction must be one of {', '.join(_FLIP_CODES)}, got {direction!r}")
    return _as_hwc(cv2.flip(image, _FLIP_CODES[direction]), image.shape[2])
