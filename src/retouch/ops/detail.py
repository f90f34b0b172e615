"""Detail ops: sharpen, blur and pixelate.

All three work in the image's own dtype (uint8, uint16 or float32), so an
8-bit photo is never widened to float. Sharpening runs in horizontal strips
(:func:`retouch.filters.map_strips`): its temporaries are a few strip-sized
arrays, not full-resolution copies.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from retouch.analyze import convert_dtype, to_float
from retouch.colorspace import linear_to_srgb, srgb_to_linear, white_level
from retouch.filters import gaussian, image_diagonal, map_strips, via_downscale
from retouch.ops.registry import PIXEL, Amount, Param, op

_SQUARE_3X3 = np.ones((3, 3), np.uint8)


def _planar(image: np.ndarray) -> np.ndarray:
    """``H x W x 1`` as an ``H x W`` view (OpenCV drops the unit axis on output anyway)."""
    return image[..., 0] if image.ndim == 3 and image.shape[2] == 1 else image


_STACK_BLUR_SIGMA = 2.0


def default_sharpen_radius(shape: tuple[int, ...]) -> float:
    """Unsharp-mask radius (Gaussian sigma, px) that looks alike at any image size.

    0.8 px per square root of megapixels, never below 0.8 px: detail that is
    one pixel wide on a small image spans a few pixels on a large one.
    """
    return max(0.8, 0.8 * math.sqrt(shape[0] * shape[1] / 1e6))


def _unsharp_blur(strip: np.ndarray, sigma: float) -> np.ndarray:
    """The blur an unsharp mask subtracts: exact Gaussian when narrow, stack blur when wide.

    Stack blur's tent-shaped kernel costs the same at any radius; with
    ``radius + 1 = sigma * sqrt(6)`` its variance matches the Gaussian's, and
    the difference in the sharpened result is a fraction of a grey level.
    Wide radii are the default on large photos, where a Gaussian is 2-3x slower.
    Float images keep the Gaussian: stack blur's running sums would make
    the result depend (in the last bits) on where a strip starts.
    """
    if sigma < _STACK_BLUR_SIGMA or strip.dtype == np.float32:
        return cv2.GaussianBlur(strip, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REFLECT)
    size = 2 * max(1, round(sigma * math.sqrt(6.0) - 1.0)) + 1
    return cv2.stackBlur(strip, (size, size))


def _unsharp_mask(
    strip: np.ndarray, amount: float, sigma: float, threshold: float, halo: float
) -> np.ndarray:
    """Unsharp mask with threshold and halo control, in the strip's own dtype."""
    blurred = _unsharp_blur(strip, sigma)
    sharp = cv2.addWeighted(strip, 1.0 + amount, blurred, -amount, 0.0)
    if threshold > 0:
        flat = cv2.absdiff(strip, blurred) <= threshold * white_level(strip.dtype)
        np.copyto(sharp, strip, where=flat)
    if halo > 0:
        # Overshoot past the 3 x 3 neighbourhood's extremes is what reads as a halo.
        low, high = cv2.erode(strip, _SQUARE_3X3), cv2.dilate(strip, _SQUARE_3X3)
        clamped = cv2.min(cv2.max(sharp, low), high)
        sharp = clamped if halo >= 1 else cv2.addWeighted(sharp, 1.0 - halo, clamped, halo, 0.0)
    if sharp.dtype == np.float32:
        np.clip(sharp, 0.0, 1.0, out=sharp)
    return sharp


@op(
    "sharpen",
    kind=PIXEL,
    description="Crisper edges and fine detail (unsharp mask with halo control).",
    amount=Amount(0.0, 3.0, neutral=0.0, default=0.6, unit="unsharp-mask strength"),
    params=(
        Param(
            "radius",
            "number",
            description="Blur radius (Gaussian sigma) in pixels; default scales with image size.",
            minimum=0.3,
            maximum=50.0,
        ),
        Param(
            "threshold",
            "number",
            default=0.0,
            description="Leave differences smaller than this fraction of the range alone (spares noise).",
            minimum=0.0,
            maximum=0.2,
        ),
        Param(
            "halo",
            "number",
            default=0.7,
            description="Halo control: 1 allows no overshoot past neighbouring pixels, 0 allows all.",
            minimum=0.0,
            maximum=1.0,
        ),
    ),
    examples=(
        "sharpen it",
        "make it sharper",
        "a bit crisper please",
        "the photo looks soft",
        "add some clarity to the details",
        "enhance the fine details",
        "more definition in the texture",
        "sharpen strongly",
        "unsharp mask",
        "image is slightly blurry, fix the focus",
        "crisp up the edges",
        "sharpen the eyes",
        "make the text more legible and crisp",
    ),
    native_dtypes=True,
)
def sharpen(
    image: np.ndarray,
    amount: float,
    radius: float | None = None,
    threshold: float = 0.0,
    halo: float = 0.7,
    *,
    rows: int | None = None,
) -> np.ndarray:
    """Unsharp mask: add back ``amount`` times the detail removed by a Gaussian blur.

    ``sharp = x + amount * (x - gaussian(x, radius))``; differences within
    ``threshold`` are left alone, and the result is pulled towards the 3 x 3
    min/max range of the input by ``halo`` (1 = no overshoot at all). Runs
    in strips (see :func:`map_strips`) in the image's own dtype.

    Parameters
    ----------
    image : (H, W, C) uint8, uint16 or float32 array
        Image; float values in [0, 1].
    amount : float
        Strength, 0 (identity) to 3.
    radius : float, optional
        Gaussian sigma in pixels; default :func:`default_sharpen_radius`.
    threshold : float
        Fraction of the value range below which detail is not amplified.
    halo : float
        Halo control in [0, 1].
    rows : int, optional
        Rows per strip (a memory knob; the result does not depend on it).

    Returns
    -------
    (H, W, C) array of the input's dtype.

    Examples
    --------
    >>> import numpy as np
    >>> step = np.zeros((8, 8, 1), np.uint8); step[:, 4:] = 200
    >>> int(sharpen(step, 1.0, radius=1.0, halo=1.0).max())
    200
    """
    if amount <= 0:
        return image.copy()
    sigma = float(radius) if radius else default_sharpen_radius(image.shape)
    # OpenCV's Gaussian reaches 3 sigma (8-bit) or 4 sigma (other types); the 3 x 3 clamp needs one more row.
    margin = math.ceil(4 * sigma) + 2
    plane = _planar(image)
    result = map_strips(
        plane,
        lambda strip: _unsharp_mask(strip, float(amount), sigma, float(threshold), float(halo)),
        margin,
        rows,
    )
    return result.reshape(image.shape)


def disk_kernel(radius: float) -> np.ndarray:
    """Normalised anti-aliased disk (a lens aperture) of ``radius`` pixels."""
    half = math.ceil(radius + 0.5)
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1]
    kernel = np.clip(radius + 0.5 - np.hypot(xx, yy), 0.0, 1.0).astype(np.float32)
    return kernel / kernel.sum()


def line_kernel(length: float, angle: float) -> np.ndarray:
    """Normalised anti-aliased line of ``length`` pixels at ``angle`` degrees (counter-clockwise)."""
    half = math.ceil(length / 2 + 1)
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float32)
    # Image rows grow downwards, so counter-clockwise on screen is a negative y component.
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    along = xx * cos - yy * sin
    across = xx * sin + yy * cos
    kernel = np.clip(1.0 - np.abs(across), 0.0, 1.0) * np.clip(length / 2 + 0.5 - np.abs(along), 0.0, 1.0)
    return kernel / kernel.sum()


def _to_linear_float(image: np.ndarray) -> np.ndarray:
    """Linear-light float32 copy of an sRGB image of any supported dtype."""
    if image.dtype == np.uint8:
        table = srgb_to_linear(np.arange(256, dtype=np.float32) / 255.0).astype(np.float32)
        return table[image]
    if image.dtype == np.float32:
        return srgb_to_linear(image)
    return srgb_to_linear(image.astype(np.float32) / np.float32(white_level(image.dtype)))


def _from_linear_float(linear: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Inverse of :func:`_to_linear_float`, rounded into ``dtype``."""
    encoded = linear_to_srgb(linear).astype(np.float32, copy=False)
    if np.issubdtype(dtype, np.integer):
        return (encoded * np.float32(white_level(dtype)) + np.float32(0.5)).astype(dtype)
    return encoded


def _lens_blur(image: np.ndarray, radius: float) -> np.ndarray:
    """Disk (bokeh) blur in linear light, so bright points spread into bright discs."""
    factor = radius / 16.0 if radius > 16.0 else 1.0
    kernel = disk_kernel(radius / factor)

    def convolve(linear: np.ndarray) -> np.ndarray:
        blurred = cv2.filter2D(linear, -1, kernel, borderType=cv2.BORDER_REFLECT)
        return _from_linear_float(blurred, image.dtype).reshape(linear.shape)

    return via_downscale(_to_linear_float(image), factor, convolve)


def _motion_blur(image: np.ndarray, length: float, angle: float) -> np.ndarray:
    """Blur along a straight line, as from camera shake or a moving subject."""
    factor = length / 64.0 if length > 64.0 else 1.0
    kernel = line_kernel(length / factor, angle)
    return via_downscale(
        image,
        factor,
        lambda x: cv2.filter2D(x, -1, kernel, borderType=cv2.BORDER_REFLECT).reshape(x.shape),
    )


@op(
    "blur",
    kind=PIXEL,
    description="Soften the image: Gaussian, lens (bokeh) or motion blur.",
    amount=Amount(0.0, 1.0, neutral=0.0, default=0.3, unit="blur size (1 = sigma of 2% of the diagonal)"),
    params=(
        Param(
            "sigma",
            "number",
            description="Blur size in pixels (Gaussian sigma); overrides amount.",
            minimum=0.0,
        ),
        Param(
            "kind",
            "choice",
            default="gaussian",
            description="gaussian: smooth; lens: disk-shaped bokeh; motion: streaks along angle.",
            choices=("gaussian", "lens", "motion"),
        ),
        Param("angle", "number", default=0.0, description="Motion direction in degrees, counter-clockwise."),
    ),
    examples=(
        "blur it",
        "blur the background",
        "make the background out of focus",
        "soft focus effect",
        "add bokeh like a portrait lens",
        "fake shallow depth of field",
        "gaussian blur 5 px",
        "add motion blur",
        "make it look like it's moving fast, speed streaks",
        "slightly soften the picture",
        "heavy blur so nothing is recognisable",
        "smooth it out, less detail",
    ),
    native_dtypes=True,
    uses_mask=True,
)
def blur(
    image: np.ndarray,
    amount: float,
    sigma: float | None = None,
    kind: str = "gaussian",
    angle: float = 0.0,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """Blur by a Gaussian, a lens aperture (disk) or a straight motion path.

    The blur size is ``sigma = amount * 2 %`` of the image diagonal unless
    ``sigma`` is given. The lens disk has radius ``2 * sigma`` and the motion
    line length ``sigma * sqrt(12)``, the sizes whose spread equals a
    Gaussian of ``sigma``. Wide blurs run on a shrunken copy. Borders are
    mirrored.

    Parameters
    ----------
    image : (H, W, C) uint8, uint16 or float32 array
        Image; float values in [0, 1].
    amount : float
        Strength in [0, 1]; 0 is the identity.
    sigma : float, optional
        Blur size in pixels, overriding ``amount``.
    kind : {"gaussian", "lens", "motion"}
        Kernel shape.
    angle : float
        Direction of motion blur in degrees, counter-clockwise from horizontal.
    mask : (H, W) float array in [0, 1], optional
        Blur only here. Only masked pixels feed the blur (normalised
        convolution), so a sharp subject does not bleed a halo into a
        blurred background around it.

    Returns
    -------
    (H, W, C) array of the input's dtype.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((32, 32, 3), np.float32); x[16, 16] = 1
    >>> float(blur(x, 1.0, sigma=2.0)[16, 16, 0]) < 0.1
    True
    """
    if kind not in ("gaussian", "lens", "motion"):
        raise ValueError(f"blur kind must be gaussian, lens or motion, not {kind!r}")
    size = float(sigma) if sigma is not None else amount * 0.02 * image_diagonal(image.shape)
    if amount <= 0 or size < 0.3:
        return image.copy()

    def spread(x: np.ndarray) -> np.ndarray:
        if kind == "gaussian":
            return gaussian(x, size)
        if kind == "lens":
            return _lens_blur(x, 2.0 * size)
        return _motion_blur(x, size * math.sqrt(12.0), float(angle))

    if mask is None:
        return spread(image).reshape(image.shape)
    weight = mask.astype(np.float32)[..., None]
    pixels = to_float(image)
    inside = spread(pixels * weight).reshape(image.shape) / np.maximum(
        spread(weight).reshape(weight.shape), 1e-4
    )
    out = pixels + weight * (np.clip(inside, 0.0, 1.0) - pixels)
    return convert_dtype(out, image.dtype)


@op(
    "pixelate",
    kind=PIXEL,
    description="Mosaic of flat square blocks, e.g. to hide a face or a plate.",
    amount=Amount(0.0, 1.0, neutral=0.0, default=0.3, unit="block size (1 = diagonal / 25)"),
    params=(Param("block", "integer", description="Block size in pixels; overrides amount.", minimum=1),),
    examples=(
        "pixelate it",
        "pixelate the faces",
        "mosaic the license plate",
        "censor with big pixels",
        "8-bit retro pixel look",
        "make it blocky",
        "pixel art style",
        "anonymize the people with a mosaic",
        "small pixelation, just a little",
        "huge pixels",
    ),
    native_dtypes=True,
)
def pixelate(image: np.ndarray, amount: float, block: int | None = None) -> np.ndarray:
    """Replace each square block by its mean colour.

    The block grid is centred, so partial blocks at opposite edges are of
    equal size; their means use mirrored pixels of the same block.

    Parameters
    ----------
    image : (H, W, C) uint8, uint16 or float32 array
        Image; float values in [0, 1].
    amount : float
        Strength in [0, 1]: block ``round(amount * diagonal / 25)`` pixels.
    block : int, optional
        Block size in pixels, overriding ``amount``.

    Returns
    -------
    (H, W, C) array of the input's dtype.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16, dtype=np.uint8).reshape(4, 4, 1)
    >>> pixelate(x, 1.0, block=2)[:, :, 0].tolist()
    [[3, 3, 5, 5], [3, 3, 5, 5], [11, 11, 13, 13], [11, 11, 13, 13]]
    """
    size = int(block) if block is not None else round(amount * image_diagonal(image.shape) / 25.0)
    if amount <= 0 or size <= 1:
        return image.copy()
    shape = image.shape
    height, width = shape[:2]
    rows, cols = math.ceil(height / size), math.ceil(width / size)
    pad_y, pad_x = rows * size - height, cols * size - width
    top, left = pad_y // 2, pad_x // 2
    if pad_y or pad_x:
        image = cv2.copyMakeBorder(image, top, pad_y - top, left, pad_x - left, cv2.BORDER_REFLECT)
    means = cv2.resize(image, (cols, rows), interpolation=cv2.INTER_AREA)
    # Integer up-scaling with pixel-centre mapping repeats each mean exactly size x size times.
    blocks = cv2.resize(means, (cols * size, rows * size), interpolation=cv2.INTER_NEAREST_EXACT)
    return np.ascontiguousarray(blocks[top : top + height, left : left + width]).reshape(shape)
