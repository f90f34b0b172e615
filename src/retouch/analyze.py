"""Measurements of an image, reported before and after every edit.

:func:`measure` gives the few numbers every report carries. :func:`assess`
gives the full set that :mod:`retouch.enhance` steers by, each with a target
range for ordinary photos in :data:`TARGETS`.

Global statistics are taken on a thumbnail (they do not depend on size);
noise and per-pixel sharpness are local, so they are taken on a
full-resolution central crop, where downscaling would hide both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from retouch.colorspace import LUMA_WEIGHTS, luma, saturation, srgb_to_linear

THUMBNAIL_SIDE = 1024
CROP_SIDE = 1024

# Immerkær's kernel: the difference of two Laplacians, which cancels image
# structure to first order and leaves mostly noise.
_NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)


# The largest code value of each integer pixel type.
MAX_VALUE = {np.dtype(np.uint8): 255, np.dtype(np.uint16): 65535}


def to_float(pixels: np.ndarray) -> np.ndarray:
    """uint8 / uint16 / float array → float32 in [0, 1] (a new array)."""
    if pixels.dtype == np.uint8:
        return pixels.astype(np.float32) * np.float32(1 / 255)
    if pixels.dtype == np.uint16:
        return pixels.astype(np.float32) * np.float32(1 / 65535)
    return pixels.astype(np.float32, copy=True)


def convert_dtype(array: np.ndarray, dtype: np.dtype | type) -> np.ndarray:
    """Convert between uint8, uint16 and float32 [0, 1], rounding to integers."""
    dtype = np.dtype(dtype)
    if array.dtype == dtype:
        return array
    if dtype == np.float32:
        return to_float(array)
    top = MAX_VALUE[dtype]
    if array.dtype in MAX_VALUE:
        # Exact integer rescale: 8 → 16 bits multiplies by 257.
        wide = array.astype(np.uint32) * top + MAX_VALUE[array.dtype] // 2
        return (wide // MAX_VALUE[array.dtype]).astype(dtype)
    return np.rint(np.clip(array, 0.0, 1.0) * top).astype(dtype)


def to_rgb_float(pixels: np.ndarray) -> np.ndarray:
    """Like :func:`to_float`, with one grey channel repeated to three."""
    rgb = to_float(pixels)
    return rgb if rgb.shape[2] == 3 else np.repeat(rgb, 3, axis=2)


def downscale(pixels: np.ndarray, side: int) -> np.ndarray:
    """Area-average ``pixels`` so the longer side is at most ``side`` (same dtype).

    The whole-number part of the reduction runs first, on OpenCV's fast
    integer-factor path, then a small fractional step finishes it: 2-3x
    faster than one fractional INTER_AREA resize on large images.
    """
    h, w = pixels.shape[:2]
    if max(h, w) <= side:
        return pixels
    factor = max(h, w) // side
    small = pixels
    if factor > 1:
        small = cv2.resize(
            pixels[: h - h % factor, : w - w % factor],
            (w // factor, h // factor),
            interpolation=cv2.INTER_AREA,
        )
    sh, sw = small.shape[:2]
    scale = side / max(sh, sw)
    if scale < 1:
        small = cv2.resize(
            small, (max(1, round(sw * scale)), max(1, round(sh * scale))), interpolation=cv2.INTER_AREA
        )
    return small.reshape(small.shape[0], small.shape[1], *pixels.shape[2:])


def thumbnail(pixels: np.ndarray, side: int = THUMBNAIL_SIDE) -> np.ndarray:
    """Area-downscaled copy whose longer side is at most ``side``, as float32."""
    return to_float(downscale(pixels, side))


def central_crop(pixels: np.ndarray, side: int = CROP_SIDE) -> np.ndarray:
    """The central ``side x side`` window (or the whole image if smaller)."""
    h, w = pixels.shape[:2]
    top, left = max(0, (h - side) // 2), max(0, (w - side) // 2)
    return pixels[top : top + side, left : left + side]


def estimate_noise_sigma(grey: np.ndarray) -> float:
    """Noise standard deviation of a float grey image, on the 0–255 scale.

    Immerkær's fast estimator made robust to image content: the filter
    response is read on the flattest 30 % of pixels (by gradient of a lightly
    smoothed copy, so the noise itself does not steer the choice), through
    its median absolute value, and away from black and white, where clipping
    would hide part of the noise.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> flat = np.full((256, 256), 0.5, np.float32) + rng.normal(0, 10 / 255, (256, 256)).astype(np.float32)
    >>> round(estimate_noise_sigma(flat))
    10
    """
    if min(grey.shape) < 8:
        return 0.0
    grey = np.ascontiguousarray(grey, dtype=np.float32)
    # The kernel's response to unit white noise has standard deviation 6.
    response = np.abs(cv2.filter2D(grey, cv2.CV_32F, _NOISE_KERNEL))[1:-1, 1:-1] / 6.0
    smooth = cv2.GaussianBlur(grey, (0, 0), 1.5)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)[1:-1, 1:-1]
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)[1:-1, 1:-1]
    gradient = np.abs(gx) + np.abs(gy)
    level = cv2.GaussianBlur(grey, (0, 0), 2.0)[1:-1, 1:-1]
    sigma = 0.0
    # Once more after a first estimate: the clipping margin depends on the noise being measured.
    for _ in range(2):
        usable = (level > 2 * sigma) & (level < 1 - 2 * sigma)
        if usable.mean() < 0.05:
            usable = np.ones_like(usable)
        flat = usable & (gradient <= np.percentile(gradient[usable], 30))
        # Median of |N(0, s)| is 0.6745 s.
        sigma = float(np.median(response[flat])) / 0.6745
    return 255.0 * sigma


def estimate_noise(image: Any) -> float:
    """Noise standard deviation of a photo, per colour channel, on the 0–255 scale.

    Measured on the full-resolution central crop (downscaling would average
    the noise away) with :func:`estimate_noise_sigma` on each channel; the
    channels are combined as a root mean square, so for noise of equal
    strength in R, G and B this is that strength.

    Parameters
    ----------
    image : ndarray, path or PIL.Image
        Any image :func:`retouch.load_image` reads.

    Returns
    -------
    float
        Sigma in 8-bit units (0–255), whatever the bit depth.

    Examples
    --------
    >>> from skimage import data
    >>> rng = np.random.default_rng(0)
    >>> noisy = np.clip(data.astronaut() + rng.normal(0, 10, (512, 512, 3)), 0, 255).astype(np.uint8)
    >>> 8.5 < estimate_noise(noisy) < 11.5
    True
    """
    crop = to_float(central_crop(_pixels(image)))
    sigmas = [estimate_noise_sigma(crop[..., c]) for c in range(crop.shape[2])]
    return float(np.sqrt(np.mean(np.square(sigmas))))


def sharpness(grey: np.ndarray) -> float:
    """Variance of the Laplacian of a float grey image, on the 0–255 scale."""
    return float(cv2.Laplacian(grey * 255.0, cv2.CV_32F, ksize=3).var())


def measure(pixels: np.ndarray) -> dict[str, float]:
    """Basic measurements of an ``H x W x C`` image (any supported dtype).

    Returns
    -------
    dict
        ``mean_luminance`` (0–1, mean luma), ``rms_contrast`` (standard
        deviation of luma), ``mean_saturation`` (0–1, HSV saturation),
        ``noise_sigma`` (0–255) and ``sharpness`` (Laplacian variance).
    """
    small = thumbnail(pixels)
    y = luma(small)
    colour = small.shape[2] == 3
    crop_grey = luma(to_float(central_crop(pixels)))
    return {
        "mean_luminance": round(float(y.mean()), 4),
        "rms_contrast": round(float(y.std()), 4),
        "mean_saturation": round(float(saturation(small).mean()), 4) if colour else 0.0,
        "noise_sigma": round(estimate_noise_sigma(crop_grey), 3),
        "sharpness": round(sharpness(crop_grey), 2),
    }


# --------------------------------------------------------------------------- assessment


@dataclass(frozen=True)
class Target:
    """Where a measurement of an ordinary, well-made photo lies.

    Parameters
    ----------
    low, high : float
        The range that needs no correction.
    aim : float
        Where a correction heads for a value found outside the range (well
        inside it, not on its edge), while a value already inside is left
        alone, so a good photo is not touched. How far a step goes towards
        the aim is the business of its stage in :mod:`retouch.enhance`.
    scale : float
        A typical size of a meaningful change, used to weigh measurements
        against each other.
    description : str
        What the measurement is.
    """

    low: float
    high: float
    aim: float
    scale: float
    description: str

    def excess(self, value: float) -> float:
        """How far ``value`` lies outside the range, in units of ``scale`` (0 inside)."""
        return max(self.low - value, value - self.high, 0.0) / self.scale


#: Target ranges, found on the packaged sample photos and kept wide enough
#: that none of them needs a correction (see ``bench/auto_enhance.py``).
TARGETS: dict[str, Target] = {
    "exposure_ev": Target(
        -2.5, 1.2, -1.5, 0.5, "log-average linear luminance, in stops relative to 18 % grey"
    ),
    "black_point": Target(0.0, 0.07, 0.0, 0.02, "0.1st percentile of the darkest channel (0-1)"),
    "white_point": Target(0.78, 1.0, 1.0, 0.05, "99.9th percentile of the brightest channel (0-1)"),
    "shadow_clipping": Target(0.0, 0.2, 0.0, 0.01, "fraction of pixels black in every channel"),
    "highlight_clipping": Target(0.0, 0.03, 0.0, 0.01, "fraction of pixels white in some channel"),
    "contrast_spread": Target(0.5, 1.0, 0.8, 0.05, "1st to 99th percentile of luma (0-1)"),
    "rms_contrast": Target(0.1, 0.35, 0.2, 0.02, "standard deviation of luma (0-1)"),
    "cast": Target(0.0, 28.0, 0.0, 4.0, "chroma of the illuminant estimate (CIE Lab, at L* = 100)"),
    "colourfulness": Target(15.0, 110.0, 30.0, 5.0, "Hasler-Suesstrunk colourfulness (0-255 scale)"),
    "noise": Target(0.0, 4.0, 0.0, 1.0, "noise sigma per channel at full resolution (0-255)"),
    "blur": Target(0.0, 0.5, 0.35, 0.05, "Crete blur metric at viewing size (0 sharp, 1 flat)"),
    "haze": Target(0.0, 0.36, 0.2, 0.04, "mean dark channel (0-1)"),
}

ASSESS_SIDE = 512  # global statistics need no more pixels than this
_HAZE_PATCH = 0.01  # dark-channel window radius, fraction of the diagonal
_CLIPPED = 0.98  # encoded level treated as clipped when estimating the illuminant
_MINKOWSKI = 6.0
# Linear sRGB -> XYZ (D65) and the D65 white.
_RGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
_D65 = _RGB_TO_XYZ.sum(axis=1)


def _pixels(image: Any) -> np.ndarray:
    """The colour channels of any image :func:`retouch.io.load_image` reads, ``H x W x C``.

    Arrays are taken as they are (a view, alpha dropped), so that measuring
    a crop of a large array does not first check and copy all of it.
    """
    if isinstance(image, np.ndarray) and image.ndim in (2, 3):
        pixels = image if image.ndim == 3 else image[..., None]
        return pixels[..., :3] if pixels.shape[2] >= 3 else pixels[..., :1]
    from retouch.io import load_image

    return load_image(image, copy=False, max_pixels=None).pixels


def grey_edge(linear: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Grey-edge illuminant of a smoothed linear-light RGB image, up to scale.

    The Minkowski norm (p = 6) of the gradient magnitudes per channel, over
    the ``usable`` pixels; shared by :func:`estimate_illuminant` and the
    ``white_balance`` op so that the cast measured is the cast corrected.

    Parameters
    ----------
    linear : (H, W, 3) float32 array
        Linear-light RGB, already smoothed.
    usable : (H, W) bool array
        Pixels to count (e.g. not clipped).

    Returns
    -------
    ndarray of shape (3,), every value at least 1e-6
    """
    gx = cv2.Sobel(linear, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(linear, cv2.CV_32F, 0, 1, ksize=3)
    edges = np.sqrt(gx * gx + gy * gy)[usable].astype(np.float64)
    # Normalise before the 6th power to stay well inside float range.
    edges /= max(float(edges.max()), 1e-12)
    return np.maximum(np.mean(edges**_MINKOWSKI, axis=0) ** (1.0 / _MINKOWSKI), 1e-6)


def estimate_illuminant(image: np.ndarray, ignore: np.ndarray | None = None) -> np.ndarray:
    """Linear RGB of the light a photo was taken in, scaled to luminance 1.

    The grey-edge hypothesis (van de Weijer et al. 2007): the average edge
    in a scene is achromatic, so the Minkowski norm (p = 6) of the gradient
    magnitudes, per channel, points at the illuminant. Measured on a
    512-px smoothed copy in linear light, ignoring clipped pixels and their
    neighbours; flat areas such as a blue sky or a lawn carry no weight.

    Parameters
    ----------
    image : (H, W, 3) array
        uint8, uint16 or float32 in [0, 1].
    ignore : (H, W) bool array, optional
        Pixels to leave out as well, e.g. those clipped in an earlier
        version of the image, whose colour is no longer trustworthy.

    Returns
    -------
    ndarray of shape (3,)
        Relative R, G, B of the illuminant; ``(1, 1, 1)`` is neutral.
    """
    small = thumbnail(image, ASSESS_SIDE)
    clipped = (small.max(axis=2) >= _CLIPPED).astype(np.uint8)
    if ignore is not None:
        size = (small.shape[1], small.shape[0])
        # Area averaging keeps every ignored pixel's cell nonzero.
        clipped |= cv2.resize(ignore.astype(np.uint8), size, interpolation=cv2.INTER_AREA) > 0
    usable = cv2.dilate(clipped, np.ones((5, 5), np.uint8)) == 0
    if usable.sum() < 16:
        usable = np.ones_like(usable, dtype=bool)
    linear = cv2.GaussianBlur(srgb_to_linear(small).astype(np.float32), (0, 0), 1.0)
    estimate = grey_edge(linear, usable)
    return estimate / float(LUMA_WEIGHTS.astype(np.float64) @ estimate)


def illuminant_lab(rgb: np.ndarray) -> tuple[float, float]:
    """CIE a*, b* (D65) of a linear RGB illuminant scaled to luminance 1 (L* = 100).

    Examples
    --------
    >>> [round(v, 6) + 0 for v in illuminant_lab(np.ones(3))]
    [0.0, 0.0]
    """
    xyz = _RGB_TO_XYZ @ (np.asarray(rgb, dtype=np.float64) / float(LUMA_WEIGHTS.astype(np.float64) @ rgb))
    t = xyz / _D65
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return float(500.0 * (f[0] - f[1])), float(200.0 * (f[1] - f[2]))


def colourfulness(image: np.ndarray) -> float:
    """Hasler and Süsstrunk's colourfulness of a float RGB image (0–255 scale).

    ``M = sqrt(sd(rg)^2 + sd(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2)`` with
    ``rg = R - G`` and ``yb = (R + G) / 2 - B``. About 15 reads as "slightly
    colourful", 33 "moderately", 59 "quite" and above 82 "highly"; grey is 0.

    Examples
    --------
    >>> colourfulness(np.full((8, 8, 3), 0.5, np.float32))
    0.0
    """
    if image.shape[2] < 3:
        return 0.0
    r, g, b = (image[..., c] * np.float32(255) for c in range(3))
    rg = (r - g).astype(np.float64)
    yb = (0.5 * (r + g) - b).astype(np.float64)
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def blur_metric(grey: np.ndarray) -> float:
    """Crété et al.'s no-reference blur metric of a float grey image, in [0, 1].

    The image is blurred again (9-pixel box, each direction) and the loss of
    neighbour-to-neighbour variation is compared with the variation itself:
    a sharp image loses much (0 = sharp), a blurred one little (1 = flat).
    The worse of the two directions is returned.
    """
    grey = np.ascontiguousarray(grey, dtype=np.float32)
    worst = 0.0
    for axis, size in ((0, (1, 9)), (1, (9, 1))):
        reblurred = cv2.blur(grey, size)
        variation = np.abs(np.diff(grey, axis=axis))
        kept = np.maximum(variation - np.abs(np.diff(reblurred, axis=axis)), 0.0)
        total = float(variation.sum())
        if total > 0:
            worst = max(worst, (total - float(kept.sum())) / total)
    return worst


def haze_level(image: np.ndarray) -> float:
    """Mean dark channel (He et al. 2009) of a float RGB image, in [0, 1].

    Most patches of a clear outdoor photo hold some pixel that is dark in
    some channel (shadows, colourful objects), so the dark channel (minimum
    over the channels and over a window of 1 % of the diagonal) is near 0;
    haze adds airlight everywhere and raises it.
    """
    small = thumbnail(image, ASSESS_SIDE) if max(image.shape[:2]) > ASSESS_SIDE else image
    dark = small.min(axis=2) if small.shape[2] > 1 else small[..., 0]
    radius = max(1, round(_HAZE_PATCH * float(np.hypot(*small.shape[:2]))))
    dark = cv2.erode(np.ascontiguousarray(dark), np.ones((2 * radius + 1, 2 * radius + 1), np.uint8))
    return float(dark.mean())


def assess(
    pixels: np.ndarray, *, noise: float | None = None, ignore: np.ndarray | None = None
) -> dict[str, float]:
    """All measurements that :data:`TARGETS` describes, for one image.

    Parameters
    ----------
    pixels : (H, W, C) array
        uint8, uint16 or float32 in [0, 1]; C = 1 or 3.
    noise : float, optional
        Noise sigma already measured (for instance at full resolution while
        ``pixels`` is a reduced copy); by default :func:`estimate_noise` of
        ``pixels``.
    ignore : (H, W) bool array, optional
        Pixels the colour-cast estimate leaves out (see
        :func:`estimate_illuminant`).

    Returns
    -------
    dict
        One value per key of :data:`TARGETS`, plus ``cast_a`` and ``cast_b``
        (the Lab direction of the cast), rounded for reports.

    Examples
    --------
    >>> from skimage import data
    >>> values = assess(data.astronaut())
    >>> all(TARGETS[k].excess(values[k]) == 0 for k in TARGETS)
    True
    """
    small = thumbnail(pixels, ASSESS_SIDE)
    rgb = small if small.shape[2] == 3 else np.repeat(small, 3, axis=2)
    y = luma(rgb)
    lowest, highest = rgb.min(axis=2), rgb.max(axis=2)
    linear_y = srgb_to_linear(rgb).reshape(-1, 3) @ LUMA_WEIGHTS
    p1, p99 = np.percentile(y, [1, 99])
    cast_a, cast_b = illuminant_lab(estimate_illuminant(rgb, ignore)) if pixels.shape[2] == 3 else (0.0, 0.0)
    values = {
        "exposure_ev": float(np.mean(np.log2(linear_y + 1 / 1024)) - np.log2(0.18)),
        "black_point": float(np.percentile(lowest, 0.1)),
        "white_point": float(np.percentile(highest, 99.9)),
        "shadow_clipping": float(np.mean(highest <= 0.01)),
        "highlight_clipping": float(np.mean(highest >= 0.99)),
        "contrast_spread": float(p99 - p1),
        "rms_contrast": float(y.std()),
        "cast": float(np.hypot(cast_a, cast_b)),
        "cast_a": cast_a,
        "cast_b": cast_b,
        "colourfulness": colourfulness(rgb),
        "noise": estimate_noise(pixels) if noise is None else float(noise),
        "blur": blur_metric(y),
        "haze": haze_level(rgb),
    }
    return {key: round(value, 4) for key, value in values.items()}


#: Below this colourfulness a picture is black and white (or toned), not dull.
MONOCHROME_COLOURFULNESS = 2.0


def excess(values: dict[str, float]) -> dict[str, float]:
    """The measurements that lie outside their :data:`TARGETS`, with how far (in ``scale`` units).

    Colourfulness is not judged for a black-and-white picture.
    """
    out = {key: round(target.excess(values[key]), 3) for key, target in TARGETS.items() if key in values}
    if values.get("colourfulness", MONOCHROME_COLOURFULNESS) < MONOCHROME_COLOURFULNESS:
        out.pop("colourfulness", None)
    return {key: value for key, value in out.items() if value > 0}
