"""Looks: a vignette, and painterly or drawn styles built from classical filters.

Every style is written from OpenCV and numpy primitives (bilateral and
Gaussian filters, Gaussian differences, colour quantisation) rather than OpenCV's
ready-made stylisation functions, so each look can be tuned and explained.
Spatial scales follow the image diagonal, so a style looks the same on a
0.3 MP preview and a 24 MP original, and everything is deterministic: noise
comes from fixed seeds.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from retouch.colorspace import LUMA_WEIGHTS, lab_to_rgb, linear_to_srgb, luma, rgb_to_lab, srgb_to_linear
from retouch.filters import gaussian, image_diagonal, via_downscale
from retouch.ops.registry import PIXEL, Amount, Param, op
from retouch.ramps import smoothstep

# Diagonal (px) at which the style radii below are quoted; other sizes scale linearly.
_REFERENCE_DIAGONAL = 1000.0
# Long side (px) of the copy on which slow edge-preserving smoothing runs; results are upsampled.
_WORK_SIDE = 800
# Watercolour washes are broader, so they are smoothed on a smaller copy.
_WASH_SIDE = 500


def _size_scale(shape: tuple[int, ...]) -> float:
    return image_diagonal(shape) / _REFERENCE_DIAGONAL


# --------------------------------------------------------------------------- vignette


def vignette_falloff(
    shape: tuple[int, ...], midpoint: float = 0.5, feather: float = 0.5, roundness: float = 0.0
) -> np.ndarray:
    """Vignette weight per pixel: 0 in the middle of the frame, rising smoothly to 1 in the corners.

    Parameters
    ----------
    shape : tuple
        Image shape; only height and width are used.
    midpoint : float
        0..1; where the falloff is half done, from near the centre (0) to near
        the corners (1).
    feather : float
        0..1; width of the transition, from a hard edge (0) to very soft (1).
    roundness : float
        -1..1; 0 follows the frame's proportions (an ellipse), positive tends
        to a circle, negative to a rounded rectangle.

    Returns
    -------
    (H, W) float32 array in [0, 1]
    """
    height, width = shape[:2]
    half_w, half_h = width / 2.0, height / 2.0
    # Positive roundness pulls both semi-axes toward their geometric mean (a circle).
    circle = np.sqrt(half_w * half_h)
    mix = max(roundness, 0.0)
    axis_x, axis_y = half_w + mix * (circle - half_w), half_h + mix * (circle - half_h)
    # Negative roundness raises the norm's exponent: the ellipse squares off into a rounded rectangle.
    power = 2.0 * 4.0 ** max(-roundness, 0.0)
    u = np.abs((np.arange(width, dtype=np.float32) + 0.5 - half_w) / axis_x) ** power
    v = np.abs((np.arange(height, dtype=np.float32) + 0.5 - half_h) / axis_y) ** power
    corner = ((half_w / axis_x) ** power + (half_h / axis_y) ** power) ** (1.0 / power)
    radius = (v[:, None] + u[None, :]) ** np.float32(1.0 / power) / np.float32(corner)
    centre = 0.3 + 0.6 * midpoint
    half_width = 0.03 + 0.57 * feather
    return smoothstep(centre - half_width, centre + half_width, radius).astype(np.float32)


@op(
    "vignette",
    kind=PIXEL,
    description="Darken (or lighten) the corners and edges of the frame with a soft radial falloff.",
    amount=Amount(-1.0, 1.0, neutral=0.0, default=-0.4, unit="negative darkens corners, positive lightens"),
    params=(
        Param(
            "midpoint",
            "number",
            default=0.5,
            minimum=0.0,
            maximum=1.0,
            description="how far from the centre the falloff sits (higher = only the corners)",
        ),
        Param(
            "feather",
            "number",
            default=0.5,
            minimum=0.0,
            maximum=1.0,
            description="softness of the transition (0 = hard edge)",
        ),
        Param(
            "roundness",
            "number",
            default=0.0,
            minimum=-1.0,
            maximum=1.0,
            description="0 follows the frame, positive is circular, negative more rectangular",
        ),
    ),
    examples=(
        "add a vignette",
        "darken the corners",
        "add a subtle dark vignette",
        "heavy vignette to draw the eye to the center",
        "make the edges darker",
        "white vignette",
        "lighten the corners",
        "remove the vignetting, corners are too dark",
        "fade the edges to white",
        "give it a moody vignette",
        "soft vignetting around the border",
        "darken the edges of the photo a little",
    ),
)
def vignette(
    image: np.ndarray,
    amount: float = -0.4,
    *,
    midpoint: float = 0.5,
    feather: float = 0.5,
    roundness: float = 0.0,
) -> np.ndarray:
    """Darken or lighten the frame's edges.

    Negative amounts multiply linear light by ``1 - k * falloff`` (a lens-like
    darkening that keeps hue); positive amounts apply the same factor to the
    (encoded) distance from white, so corners fade toward white without
    clipping.

    Parameters
    ----------
    image : (H, W, C) float32 array
        sRGB values in [0, 1].
    amount : float
        -1..1; negative darkens the corners, positive lightens them.
    midpoint, feather, roundness : float
        Shape of the falloff, see :func:`vignette_falloff`.

    Returns
    -------
    (H, W, C) float32 array

    Examples
    --------
    >>> import numpy as np
    >>> out = vignette(np.full((40, 60, 3), 0.5, np.float32), -0.5)
    >>> bool(out[0, 0, 0] < out[20, 30, 0])
    True
    """
    if amount == 0:
        return image.copy()
    # At full strength the very corner keeps 5% of its light (or of its distance from white).
    strength = np.float32(0.95 * min(abs(amount), 1.0))
    gain = (1.0 - strength * vignette_falloff(image.shape, midpoint, feather, roundness))[..., None]
    if amount > 0:
        # Fading toward white in linear light would wash the frame out at small amounts; encoded values
        # give a gentler, more even ramp.
        return (1.0 - (1.0 - image) * gain).astype(np.float32)
    return linear_to_srgb(srgb_to_linear(image) * gain).astype(np.float32)


# --------------------------------------------------------------------------- stylize helpers


def _bilateral_smooth(image: np.ndarray, side: int, sigma_colour: float, passes: int = 4) -> np.ndarray:
    """Repeated bilateral filtering in Lab: flattens texture, keeps edges.

    The filter runs on a copy whose long side is at most ``side`` px and the
    result is upsampled, so the cost does not depend on the image size.
    """

    def smooth(work: np.ndarray) -> np.ndarray:
        lab = rgb_to_lab(work)
        # Lab distances: L in 0..100, so sigma_colour is in Delta-E units.
        spatial = max(1.5, 0.004 * image_diagonal(work.shape))
        for _ in range(passes):
            lab = cv2.bilateralFilter(lab, d=-1, sigmaColor=sigma_colour, sigmaSpace=spatial)
        return lab_to_rgb(lab)

    return via_downscale(image, max(image.shape[:2]) / side, smooth)


def _noise(shape: tuple[int, int], cell: float, seed: int) -> np.ndarray:
    """Smooth deterministic noise in [-1, 1] with features about ``cell`` px across."""
    rng = np.random.default_rng(seed)
    small = (max(2, round(shape[0] / cell) + 2), max(2, round(shape[1] / cell) + 2))
    grid = rng.standard_normal(small).astype(np.float32)
    field = cv2.resize(grid, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)
    return np.clip(field / 1.5, -1.0, 1.0)


def _saturate(image: np.ndarray, factor: float) -> np.ndarray:
    grey = (image @ LUMA_WEIGHTS)[..., None]
    return np.clip(grey + factor * (image - grey), 0.0, 1.0)


# --------------------------------------------------------------------------- styles


def _hatching(shape: tuple[int, int], scale: float, seed: int) -> np.ndarray:
    """Diagonal pencil strokes in [-1, 1]: fine noise smeared along a 45-degree line."""
    rng = np.random.default_rng(seed)
    cell = max(1.0, 1.5 * scale)
    small = (max(2, round(shape[0] / cell)), max(2, round(shape[1] / cell)))
    noise = rng.standard_normal(small).astype(np.float32)
    length = 9
    kernel = np.eye(length, dtype=np.float32)[::-1] / length
    strokes = cv2.filter2D(noise, -1, kernel, borderType=cv2.BORDER_REFLECT)
    strokes = cv2.resize(strokes, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.clip(strokes * 1.5, -1.0, 1.0)


def _sketch_lines(grey: np.ndarray, sigma: float) -> np.ndarray:
    """Line darkness in [0, 1] from the colour dodge of the grey by its blurred inverse.

    ``grey / blur(grey)`` equals that dodge: 1 on flat areas, below 1 just on
    the dark side of every edge, which is where an artist draws a line.
    """
    blurred = gaussian(grey, sigma)
    # The offset keeps noise in deep shadows from turning into solid black.
    dodge = np.clip((grey + 0.05) / (blurred + 0.05), 0.0, 1.0)
    return 1.0 - smoothstep(0.5, 1.0, dodge)


def _pencil_strokes(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outline darkness (colour-dodge lines), shadow tone and hatch-stroke texture of a pencil drawing."""
    scale = _size_scale(image.shape)
    grey = luma(image)
    lines = _sketch_lines(grey, max(1.0, 5.0 * scale))
    tone = gaussian(grey, max(1.0, 2.0 * scale))
    return lines, tone, _hatching(grey.shape, scale, seed=11)


_PAPER = np.array([0.97, 0.96, 0.93], np.float32)


def _pencil(image: np.ndarray) -> np.ndarray:
    """Graphite on paper: outlines, and shadows built up from hatched strokes rather than filled."""
    lines, tone, hatch = _pencil_strokes(image)
    shadow = 0.5 * (1.0 - smoothstep(0.05, 0.8, tone))
    marks = np.clip(lines + shadow * (1.0 + 0.9 * hatch), 0.0, 1.0)
    graphite = np.array([0.2, 0.2, 0.22], np.float32)
    return (_PAPER - (_PAPER - graphite) * marks[..., None]).astype(np.float32)


def _color_pencil(image: np.ndarray) -> np.ndarray:
    """Coloured pencils: hatched colour, denser where the photo is darker or more colourful, and outlines."""
    scale = _size_scale(image.shape)
    lines, tone, hatch = _pencil_strokes(image)
    colours = _saturate(gaussian(image, max(0.7, 1.0 * scale)), 1.3)
    chroma = colours.max(axis=2) - colours.min(axis=2)
    coverage = np.clip(0.15 + 0.8 * (1.0 - tone) + 0.6 * chroma, 0.0, 1.0) * (0.8 + 0.35 * hatch)
    coverage = np.clip(coverage, 0.0, 1.0)[..., None]
    drawn = _PAPER * (1.0 - coverage) + colours * coverage
    return (drawn * (1.0 - 0.6 * lines[..., None])).astype(np.float32)


def _posterise_lab(
    image: np.ndarray, bands: int, chroma_step: float, hue_step: float, sharpness: float, saturation: float
) -> np.ndarray:
    """Cel shading: lightness snapped to ``bands`` soft-edged steps, chroma and hue to coarse steps.

    The soft step (a tanh around each band centre, after Winnemoeller et al.)
    keeps band borders from aliasing while the interior of a band is flat.
    ``hue_step`` is in radians; chroma is multiplied by ``saturation`` before
    snapping.
    """
    lab = rgb_to_lab(image)
    step = 100.0 / bands
    lightness = lab[..., 0]
    nearest = (np.floor(lightness / step) + 0.5) * step
    lab[..., 0] = nearest + 0.5 * step * np.tanh(sharpness * (lightness - nearest) / step)
    # Chroma and hue are snapped separately so near-greys stay grey instead of flipping to pink or green.
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    hue = np.arctan2(lab[..., 2], lab[..., 1])
    chroma = np.rint(chroma * (saturation / chroma_step)) * chroma_step
    hue = np.rint(hue / hue_step) * hue_step
    lab[..., 1] = chroma * np.cos(hue)
    lab[..., 2] = chroma * np.sin(hue)
    return lab_to_rgb(lab)


def _ink(grey: np.ndarray, sigma: float, threshold: float) -> np.ndarray:
    """Outline strength in [0, 1] on the dark side of edges: a thresholded difference of Gaussians."""
    dog = gaussian(grey, sigma) - gaussian(grey, 1.6 * sigma)
    return smoothstep(threshold, 2.5 * threshold, -dog)


def _cartoon(image: np.ndarray) -> np.ndarray:
    """Flat colour regions from bilateral smoothing and cel-shaded colour bands, outlined in bold ink."""
    scale = _size_scale(image.shape)
    smooth = _bilateral_smooth(image, _WORK_SIDE, sigma_colour=14.0)
    flat = _posterise_lab(
        smooth, bands=8, chroma_step=8.0, hue_step=np.pi / 12, sharpness=10.0, saturation=1.2
    )
    ink = _ink(luma(smooth), max(0.8, 1.5 * scale), threshold=0.006)
    size = 1 + 2 * max(1, round(1.2 * scale))
    ink = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    ink = gaussian(ink, 0.5 * max(scale, 1.0))
    return (flat * (1.0 - 0.92 * ink[..., None])).astype(np.float32)


def _kuwahara(image: np.ndarray, radius: int) -> np.ndarray:
    """Generalised Kuwahara filter: a variance-weighted mean of eight windows around each pixel.

    Each window is a Gaussian neighbourhood centred ``radius / 2`` px away in
    one of eight directions. Windows that straddle an edge have a high
    variance and get almost no weight (weight = variance ** -4), so edges
    stay sharp while the flat sides smooth into brush-like patches.
    """
    height, width = image.shape[:2]
    sigma = radius / 2.0
    mean = gaussian(image, sigma)
    variance = np.maximum(gaussian(image * image, sigma) - mean * mean, 0.0).sum(axis=2)
    offset = max(1, round(radius / 2))
    # Pad once; each window's statistics are then a shifted view of the padded maps.
    mean = cv2.copyMakeBorder(mean, offset, offset, offset, offset, cv2.BORDER_REPLICATE)
    variance = cv2.copyMakeBorder(variance, offset, offset, offset, offset, cv2.BORDER_REPLICATE)
    total = np.zeros_like(image)
    weight_sum = np.zeros((height, width), np.float32)
    weighted = np.empty_like(image)
    for angle in np.arange(8) * (np.pi / 4):
        y0 = offset + round(offset * np.sin(angle))
        x0 = offset + round(offset * np.cos(angle))
        weight = np.add(variance[y0 : y0 + height, x0 : x0 + width], np.float32(1e-4))
        np.reciprocal(weight, out=weight)
        weight *= weight
        weight *= weight
        np.multiply(mean[y0 : y0 + height, x0 : x0 + width], weight[..., None], out=weighted)
        total += weighted
        weight_sum += weight
    total /= weight_sum[..., None]
    return total


def _line_kernel(length: int, angle: float) -> np.ndarray:
    """Normalised ``length`` px line at ``angle`` radians, for smearing noise into strokes."""
    kernel = np.zeros((length, length), np.float32)
    centre = (length - 1) / 2
    dx, dy = centre * np.cos(angle), -centre * np.sin(angle)
    cv2.line(kernel, (round(centre - dx), round(centre - dy)), (round(centre + dx), round(centre + dy)), 1.0)
    return kernel / kernel.sum()


def _brush_strokes(grey: np.ndarray, length: float, cell: float, seed: int) -> np.ndarray:
    """Stroke texture in about [-1, 1] whose streaks follow the image's edges (structure-tensor tangent).

    Noise with ``cell``-px grains is smeared along the local edge direction
    over ``length`` px. Everything runs on a grid of one sample per grain and
    is interpolated up, so the cost does not depend on the image size.
    """
    height, width = grey.shape
    size = (max(2, round(width / cell)), max(2, round(height / cell)))
    small_grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    noise = np.random.default_rng(seed).standard_normal((size[1], size[0])).astype(np.float32)
    gx = cv2.Sobel(small_grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small_grey, cv2.CV_32F, 0, 1, ksize=3)
    steps = max(3, round(length / cell)) | 1
    sigma = float(steps)
    jxx, jyy, jxy = gaussian(gx * gx, sigma), gaussian(gy * gy, sigma), gaussian(gx * gy, sigma)
    # Edge tangent in image coordinates (y down) flipped to the maths convention used by _line_kernel.
    tangent = -(0.5 * np.arctan2(2 * jxy, jxx - jyy) + np.pi / 2)
    strokes = np.zeros_like(noise)
    weight_sum = np.zeros_like(noise)
    for angle in np.arange(8) * (np.pi / 8):
        weight = np.maximum(np.cos(2 * (tangent - angle)), 0.0) ** 4 + 1e-3
        strokes += weight * cv2.filter2D(noise, -1, _line_kernel(steps, angle), borderType=cv2.BORDER_REFLECT)
        weight_sum += weight
    strokes /= weight_sum
    strokes /= 3.0 * max(float(strokes.std()), 1e-6)
    return cv2.resize(strokes, (width, height), interpolation=cv2.INTER_LINEAR)


def _oil(image: np.ndarray) -> np.ndarray:
    """Oil paint: Kuwahara brush patches, more saturation, and relief lighting on edge-following strokes."""
    scale = _size_scale(image.shape)
    radius = max(2, round(5.0 * scale))
    painted = _saturate(_kuwahara(image, radius), 1.15)
    grey = luma(painted)
    grain = max(1.0, 0.8 * scale)
    strokes = _brush_strokes(grey, 4.0 * radius, grain, seed=5)
    # Light from the upper left on a height field of paint thickness; slopes are measured per brush
    # grain rather than per pixel so the relief looks the same at every image size.
    height = strokes + 0.5 * grey
    relief = cv2.Sobel(height, cv2.CV_32F, 1, 0, ksize=3) + cv2.Sobel(height, cv2.CV_32F, 0, 1, ksize=3)
    return np.clip(painted * (1.0 - np.float32(0.05 * grain) * relief[..., None]), 0.0, 1.0)


def _pigment(colour: np.ndarray, density: np.ndarray) -> np.ndarray:
    """Bousseau et al.'s pigment density: above 1 deepens a wash, below 1 thins it, white stays white."""
    change = colour * colour
    np.subtract(colour, change, out=change)
    change *= density[..., None] - np.float32(1.0)
    np.subtract(colour, change, out=change)
    return np.clip(change, 0.0, 1.0, out=change)


def _watercolor(image: np.ndarray) -> np.ndarray:
    """Watercolour: simplified soft washes, granulating pigment, darkened wet edges, light and airy."""
    scale = _size_scale(image.shape)
    washes = _bilateral_smooth(image, _WASH_SIDE, sigma_colour=15.0)
    washes = _posterise_lab(
        washes, bands=7, chroma_step=5.0, hue_step=np.pi / 18, sharpness=4.0, saturation=1.0
    )
    # Pigment pools where a wash dries: a thin dark rim along every border between washes.
    grey = luma(washes)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    edges = gaussian(np.sqrt(gx * gx + gy * gy), max(0.6, 0.8 * scale))
    edges = np.clip(edges / max(float(np.percentile(edges, 98)), 1e-6), 0.0, 1.0)
    # ... and bleeds a little across those borders before it dries.
    washes = gaussian(washes, max(0.7, 1.5 * scale))
    shape = grey.shape
    turbulence = _noise(shape, max(4.0, 60.0 * scale), seed=3) + 0.5 * _noise(
        shape, max(2.0, 20.0 * scale), seed=4
    )
    granulation = _noise(shape, max(1.0, 2.0 * scale), seed=5)
    density = 1.0 + 0.2 * turbulence + 0.15 * granulation + 0.7 * edges
    # Thin washes on white paper: lighter than the photo, with the white of the paper for highlights.
    painted = _pigment(1.0 - 0.8 * (1.0 - washes), density)
    # A faint underdrawing keeps small features (eyes, lettering) that the washes flattened.
    painted *= 1.0 - 0.35 * _sketch_lines(luma(image), max(1.0, 3.0 * scale))[..., None]
    paper = 1.0 - 0.04 * (0.5 + 0.5 * _noise(shape, max(1.0, 1.5 * scale), seed=6))
    return (painted * paper[..., None]).astype(np.float32)


_STYLES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "pencil": _pencil,
    "color_pencil": _color_pencil,
    "cartoon": _cartoon,
    "oil": _oil,
    "watercolor": _watercolor,
}


@op(
    "stylize",
    kind=PIXEL,
    description="Render the photo as a pencil or colour-pencil sketch, cartoon, oil painting or watercolour.",
    amount=Amount(0.0, 1.0, neutral=0.0, default=1.0, unit="blend of the stylised image over the photo"),
    params=(
        Param("style", "choice", default="pencil", choices=tuple(_STYLES), description="the look to imitate"),
    ),
    examples=(
        "make it look like a pencil sketch",
        "turn this into a cartoon",
        "oil painting effect",
        "make it look like a watercolor painting",
        "convert the photo to a drawing",
        "cartoonize my selfie",
        "give it a painted look",
        "make it look hand drawn with pencil",
        "comic book style",
        "paint it like van gogh with thick brush strokes",
        "soft watercolour wash effect",
        "sketch effect pls",
        "colored pencil drawing",
        "make it look like a painting",
        "make me look like a cartoon character",
    ),
    color=True,
)
def stylize(image: np.ndarray, amount: float = 1.0, *, style: str = "pencil") -> np.ndarray:
    """Re-render the image in an artistic style.

    Parameters
    ----------
    image : (H, W, 3) float32 array
        sRGB in [0, 1].
    amount : float
        0..1, how much of the stylised image is blended over the photo.
    style : str
        ``pencil`` (graphite sketch), ``color_pencil``, ``cartoon``, ``oil``
        or ``watercolor``.

    Returns
    -------
    (H, W, 3) float32 array
        Deterministic: any texture comes from fixed seeds.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.random.default_rng(0).random((48, 64, 3), dtype=np.float32)
    >>> stylize(img, 1.0, style="oil").shape
    (48, 64, 3)
    """
    if style not in _STYLES:
        raise ValueError(f"style must be one of {', '.join(_STYLES)}, got {style!r}")
    if amount == 0:
        return image.copy()
    styled = _STYLES[style](image)
    if amount >= 1:
        return styled
    return (image + np.float32(amount) * (styled - image)).astype(np.float32)


# --------------------------------------------------------------------------- film grain


@op(
    "grain",
    kind=PIXEL,
    description="Add film grain: fine, soft-edged luminance noise, strongest in the midtones.",
    amount=Amount(0.0, 1.0, neutral=0.0, default=0.3, unit="grain strength (1 = heavy push-processed film)"),
    params=(
        Param(
            "size",
            "number",
            default=1.0,
            minimum=0.3,
            maximum=4.0,
            description="grain size relative to a 35 mm scan at 1000 px diagonal",
        ),
    ),
    examples=(
        "add film grain",
        "give it some grain",
        "make it look like it was shot on film",
        "add a bit of analog grain",
        "heavy grain like tri-x pushed two stops",
        "subtle film grain for texture",
        "add noise for a gritty look",
        "coarse grain please",
        "fine grain, barely visible",
        "make it look like an old film photo with grain",
    ),
    color=True,
)
def grain(image: np.ndarray, amount: float, size: float = 1.0) -> np.ndarray:
    """Overlay film grain on the luminance.

    White noise from a fixed seed is low-passed to the grain size (which
    follows the image diagonal, so the look survives resizing), normalised to
    unit deviation and added to every channel alike, weighted by
    ``4 L (1 - L)`` so blacks and whites stay clean as on film.

    Parameters
    ----------
    image : ndarray
        ``H x W x 3`` float32 in [0, 1].
    amount : float
        0 (none) to 1 (a grain deviation of 0.08 in the midtones).
    size : float
        Grain size; 1 is fine 35 mm grain.

    Returns
    -------
    ndarray
        The grainy image, float32 in [0, 1].

    Examples
    --------
    >>> img = np.full((64, 64, 3), 0.5, np.float32)
    >>> float(grain(img, 0.5).std()) > 0.01
    True
    """
    if amount <= 0:
        return image.copy()
    height, width = image.shape[:2]
    noise = np.random.default_rng(height * 65537 + width).standard_normal((height, width), dtype=np.float32)
    sigma = max(0.35, 0.6 * size * _size_scale(image.shape))
    noise = gaussian(noise, sigma)
    noise /= max(float(noise.std()), 1e-6)
    lightness = luma(image)
    weight = (4.0 * lightness * (1.0 - lightness)) * (0.08 * amount)
    return np.clip(image + (noise * weight)[..., None], 0.0, 1.0).astype(np.float32)
