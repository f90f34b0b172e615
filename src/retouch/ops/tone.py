"""Tone ops: global curves (brightness, contrast, exposure, levels, curves, white
balance gains) and local, edge-aware tone ops (shadows, highlights, clarity, dehaze).

Point ops return tone curves that the engine turns into lookup tables; pixel
ops work on float32 ``H x W x C`` images in [0, 1]. Colour gains are applied in
linear light with a soft shoulder above a knee, so that brightening never
hard-clips highlights.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from retouch.analyze import grey_edge
from retouch.colorspace import LUMA_WEIGHTS, linear_to_srgb, lookup, luma, srgb_to_linear
from retouch.filters import gaussian, guided_filter, image_diagonal, resized, shrink
from retouch.ops.registry import PIXEL, POINT, Amount, Param, op
from retouch.ramps import smoothstep

# Linear-light level above which gains > 1 roll off instead of clipping.
_LINEAR_KNEE = 0.5
# Encoded level above which local ops start compressing a pixel's brightest channel.
_ENCODED_KNEE = 0.8
# Samples per channel of the lookup tables that apply gain curves to float images.
_LUT_SIZE = 65536
# Mired shift of the white point at temperature amount +-1 (6500 K -> about 4300 K / 13500 K).
_MIRED_PER_AMOUNT = 80.0
# Distance from the Planckian locus (CIE 1960 Duv) at tint amount +-1.
_DUV_PER_AMOUNT = 0.02
_REFERENCE_KELVIN = 6500.0

# XYZ (D65) -> linear sRGB.
_XYZ_TO_RGB = np.array(
    [
        [3.2404542, -1.5371385, -0.4985314],
        [-0.9692660, 1.8760108, 0.0415560],
        [0.0556434, -0.2040259, 1.0572252],
    ]
)


# --------------------------------------------------------------------------- helpers


def _soft_gain(values: np.ndarray, gain: np.ndarray | float, knee: float) -> np.ndarray:
    """Multiply ``values`` in [0, 1] by ``gain`` with a highlight shoulder.

    Below ``knee`` (in output terms) the result is exactly ``gain * values``;
    above it, gains greater than 1 roll off along a Möbius curve that joins with
    matching slope and maps 1 to 1, so the result is monotonic, smooth and never
    exceeds 1. Gains of at most 1 are plain multiplications. ``gain`` may be an
    array broadcastable against ``values``.
    """
    scaled = np.multiply(values, gain)
    over = scaled > knee
    # Usually few values lie above the knee: work on those only.
    k = np.maximum(np.broadcast_to(gain, scaled.shape)[over], 1.0)
    excess = scaled[over] - knee
    scaled[over] = knee + excess / (1.0 + (k - 1.0) * excess / ((1.0 - knee) * (k - knee)))
    return scaled


def _gain_curves(x: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """Per-channel curves ``(N, 3)`` that scale linear light by ``gains``."""
    linear = srgb_to_linear(np.asarray(x, dtype=np.float64))[:, None]
    return linear_to_srgb(_soft_gain(linear, np.asarray(gains, dtype=np.float64)[None, :], _LINEAR_KNEE))


def _apply_gains(image: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """Scale the linear light of an RGB image per channel (white-balance style)."""
    # A 16-bit table per channel is several times faster than decoding, scaling
    # and re-encoding tens of millions of values, at an error below 1e-5.
    curves = _gain_curves(np.linspace(0.0, 1.0, _LUT_SIZE), gains).astype(np.float32)
    out = np.empty_like(image, dtype=np.float32)
    for c in range(image.shape[2]):
        out[..., c] = lookup(image[..., c], curves[:, c])
    return out


def _luminance_normalised(gains: np.ndarray) -> np.ndarray:
    """Scale channel gains so that a grey keeps its (linear) luminance."""
    gains = np.asarray(gains, dtype=np.float64)
    return gains / float(LUMA_WEIGHTS.astype(np.float64) @ gains)


def _planckian_xy(kelvin: float) -> tuple[float, float]:
    """CIE 1931 chromaticity of a black body (Kim et al. cubic fit, 1667-25000 K)."""
    t = float(np.clip(kelvin, 1667.0, 25000.0))
    if t <= 4000.0:
        x = -0.2661239e9 / t**3 - 0.2343589e6 / t**2 + 0.8776956e3 / t + 0.179910
    else:
        x = -3.0258469e9 / t**3 + 2.1070379e6 / t**2 + 0.2226347e3 / t + 0.240390
    if t <= 2222.0:
        y = -1.1063814 * x**3 - 1.34811020 * x**2 + 2.18555832 * x - 0.20219683
    elif t <= 4000.0:
        y = -0.9549476 * x**3 - 1.37418593 * x**2 + 2.09137015 * x - 0.16748867
    else:
        y = 3.0817580 * x**3 - 5.87338670 * x**2 + 3.75112997 * x - 0.37001483
    return x, y


def _xy_to_uv(x: float, y: float) -> np.ndarray:
    d = -2.0 * x + 12.0 * y + 3.0
    return np.array([4.0 * x / d, 6.0 * y / d])


def _white_rgb(kelvin: float, duv: float = 0.0) -> np.ndarray:
    """Linear sRGB of the white at ``kelvin``, moved ``duv`` off the Planckian locus.

    Positive ``duv`` is greener (above the locus), negative more magenta.
    """
    uv = _xy_to_uv(*_planckian_xy(kelvin))
    tangent = _xy_to_uv(*_planckian_xy(kelvin * 1.001)) - _xy_to_uv(*_planckian_xy(kelvin / 1.001))
    normal = np.array([-tangent[1], tangent[0]]) / np.hypot(*tangent)
    if normal[1] < 0:  # point towards green (larger v)
        normal = -normal
    u, v = uv + duv * normal
    d = 2.0 * u - 8.0 * v + 4.0
    x, y = 3.0 * u / d, 2.0 * v / d
    return _XYZ_TO_RGB @ np.array([x / y, 1.0, (1.0 - x - y) / y])


def _illuminant_gains(kelvin: float, duv: float) -> np.ndarray:
    """Gains that re-light a 6500 K scene as if lit by (``kelvin``, ``duv``)."""
    return _luminance_normalised(_white_rgb(kelvin, duv) / _white_rgb(_REFERENCE_KELVIN))


def _peak(image: np.ndarray) -> np.ndarray:
    """Brightest channel per pixel, ``H x W`` (faster than ``max(axis=2)``)."""
    if image.shape[2] == 1:
        return image[..., 0]
    return cv2.max(cv2.max(image[..., 0], image[..., 1]), image[..., 2])


def _apply_luma_gain(image: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """Multiply all channels by a per-pixel gain, keeping hue and never clipping.

    Where the gain would push the brightest channel past ``_ENCODED_KNEE`` it is
    reduced smoothly (see :func:`_soft_gain`) so highlights and saturated
    colours roll off instead of clipping.
    """
    peak = _peak(image)
    # A black pixel has peak 0 in every channel, so any finite factor leaves it black.
    effective = _soft_gain(peak, gain, _ENCODED_KNEE) / np.maximum(peak, 1e-6)
    out = image * effective.astype(np.float32, copy=False)[..., None]
    return np.clip(out, 0.0, 1.0, out=out)


# Local tone ranges: strength in stops at amount 1, and where the lift fades out.
_RANGE_STOPS = 2.0
_RANGE_FULL = 0.05  # full effect up to this distance from black (or white)
_RANGE_END = 0.7  # no effect beyond this distance
_RANGE_RADIUS = 0.025  # base radius, fraction of the image diagonal
_RANGE_EPS = 0.005


def _range_weight(distance: np.ndarray) -> np.ndarray:
    """1 near the end of the tonal range, falling smoothly (in log distance) to 0.

    Falling over log distance keeps ``d * w'(d)`` small, which keeps the tone
    curve ``d * 2**(s w(d))`` monotonic for every strength up to ``_RANGE_STOPS``.
    """
    log_d = np.log(np.maximum(distance, 1e-6))
    return 1.0 - smoothstep(math.log(_RANGE_FULL), math.log(_RANGE_END), log_d)


def _adjust_tone_range(image: np.ndarray, amount: float, bright: bool) -> np.ndarray:
    """Shared body of :func:`shadows` and :func:`highlights`.

    The edge-aware base luminance is remapped near one end of the range: its
    distance ``d`` from black (or white) is multiplied by ``2**(s w(d))`` with
    ``s`` in stops, and the ratio of new to old base is applied to the pixels,
    which keeps local detail and colour.
    """
    if amount == 0:
        return image.copy()
    y = luma(image).astype(np.float32)
    base = np.clip(guided_filter(y, y, _RANGE_RADIUS * image_diagonal(image.shape), _RANGE_EPS), 0.0, 1.0)
    distance = 1.0 - base if bright else base
    # Lifting shadows moves away from black; brightening highlights moves towards white.
    stops = (-amount if bright else amount) * _RANGE_STOPS
    new_distance = distance * np.exp2(stops * _range_weight(distance))
    new_base = 1.0 - new_distance if bright else new_distance
    gain = new_base / np.maximum(base, 1e-4)
    return _apply_luma_gain(image, gain)


# --------------------------------------------------------------------------- point ops


@op(
    "brightness",
    kind=POINT,
    description="Brighten or darken the midtones along a smooth curve that keeps black and white.",
    amount=Amount(-1.0, 1.0, neutral=0.0, default=0.25, unit="+-1 = shadow slope 4x / 0.25x"),
    examples=(
        "make it brighter",
        "brighten the photo a bit",
        "it's too dark",
        "picture is too dark, can you lighten it",
        "lighten it up",
        "darken the image slightly",
        "it looks too bright, tone it down",
        "make photo more light please",
        "a little darker",
        "increase brightness",
        "reduce the brightness",
    ),
)
def brightness(x: np.ndarray, amount: float) -> np.ndarray:
    """Soft-gain brightness curve ``y = x (1 + c) / (1 + c x)``, ``c = 4**amount - 1``.

    Parameters
    ----------
    x : ndarray of float64
        Input levels in [0, 1].
    amount : float
        In [-1, 1]; positive brightens. ``brightness(-a)`` undoes ``brightness(a)``.

    Returns
    -------
    ndarray
        Output levels, same shape as ``x``; 0 and 1 are fixed.

    Examples
    --------
    >>> float(brightness(np.array([0.5]), 0.5)[0])
    0.6666666666666666
    """
    if amount == 0:
        return x
    c = 4.0**amount - 1.0
    return x * (1.0 + c) / (1.0 + c * x)


def _contrast_steepness(slope: float) -> float:
    """Solve ``u / tanh(u) = slope`` for ``u >= 0`` (mid-slope of the normalised sigmoid)."""
    if slope - 1.0 < 1e-9:
        return math.sqrt(3.0 * max(slope - 1.0, 0.0))  # u / tanh(u) ~ 1 + u**2 / 3
    from scipy.optimize import brentq  # scipy's submodules load slowly; only curves need them

    return brentq(lambda u: u / math.tanh(u) - slope, 1e-6, 50.0, xtol=1e-12)


@op(
    "contrast",
    kind=POINT,
    description="Increase or decrease global contrast with an S-curve around mid-grey.",
    amount=Amount(-1.0, 1.0, neutral=0.0, default=0.25, unit="mid-grey slope 1 + amount"),
    examples=(
        "more contrast",
        "add some contrast",
        "increase the contrast",
        "make it punchier",
        "image looks flat and washed out",
        "give it more pop",
        "less contrast please",
        "reduce contrast, it's too harsh",
        "make it softer and flatter",
        "lower the contrast a little",
        "the contrast is too strong",
    ),
)
def contrast(x: np.ndarray, amount: float) -> np.ndarray:
    """Sigmoidal contrast curve around 0.5.

    For ``amount >= 0`` the curve is ``0.5 + 0.5 tanh(u (2x - 1)) / tanh(u)``
    (a logistic sigmoid normalised to fix 0 and 1) with ``u`` chosen so that
    the slope at 0.5 is ``1 + amount``. A negative amount gives the exact
    inverse of the ``|amount|`` curve, so ``contrast(-a)`` undoes ``contrast(a)``.

    Parameters
    ----------
    x : ndarray of float64
        Input levels in [0, 1].
    amount : float
        In [-1, 1]; positive adds contrast.

    Returns
    -------
    ndarray
        Output levels, same shape as ``x``.

    Examples
    --------
    >>> y = contrast(np.array([0.0, 0.25, 0.5, 1.0]), 0.5)
    >>> bool(y[1] < 0.25), float(y[2]), float(y[3])
    (True, 0.5, 1.0)
    """
    if amount == 0:
        return x
    u = _contrast_steepness(1.0 + abs(amount))
    t = math.tanh(u)
    if amount > 0:
        y = 0.5 + 0.5 * np.tanh(u * (2.0 * x - 1.0)) / t
    else:
        y = 0.5 + 0.5 * np.arctanh(np.clip((2.0 * x - 1.0) * t, -t, t)) / u
    return np.clip(y, 0.0, 1.0)


@op(
    "gamma",
    kind=POINT,
    description="Gamma correction y = x^(1/gamma); gamma above 1 brightens the midtones.",
    amount=Amount(0.2, 5.0, neutral=1.0, default=1.2, unit="gamma"),
    examples=(
        "apply gamma 2.2",
        "gamma correction",
        "set gamma to 1.5",
        "raise the gamma",
        "lower gamma to 0.8",
        "midtones too dark, fix the gamma",
        "gamma adjust the picture",
        "decrease gamma a bit",
    ),
)
def gamma(x: np.ndarray, amount: float) -> np.ndarray:
    """Power curve ``y = x ** (1 / amount)`` (ImageMagick / Pillow convention).

    Parameters
    ----------
    x : ndarray of float64
        Input levels in [0, 1].
    amount : float
        Gamma in [0.2, 5]; above 1 brightens, below 1 darkens.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> float(gamma(np.array([0.25]), 2.0)[0])
    0.5
    """
    if amount == 1:
        return x
    return np.power(x, 1.0 / amount)


@op(
    "exposure",
    kind=POINT,
    description="Change exposure in photographic stops (linear light), with a soft highlight shoulder.",
    amount=Amount(-5.0, 5.0, neutral=0.0, default=0.5, unit="EV (stops)"),
    examples=(
        "increase exposure by one stop",
        "+1 EV",
        "underexposed, fix the exposure",
        "photo is underexposed",
        "it's overexposed, bring the exposure down",
        "expose it brighter",
        "lower exposure by half a stop",
        "push exposure +0.7",
        "shot came out too dark, raise exposure",
        "minus one stop",
    ),
)
def exposure(x: np.ndarray, amount: float) -> np.ndarray:
    """Scale linear light by ``2 ** amount``.

    Positive exposure rolls the highlights off along a smooth shoulder that
    starts at half linear white, so 1 still maps to 1 and the curve stays
    monotonic instead of clipping.

    Parameters
    ----------
    x : ndarray of float64
        Input levels (sRGB-encoded) in [0, 1].
    amount : float
        Exposure change in EV, in [-5, 5].

    Returns
    -------
    ndarray

    Examples
    --------
    >>> y = exposure(np.array([0.0, 0.2, 1.0]), 1.0)
    >>> bool(y[1] > 0.2), round(float(y[2]), 12)
    (True, 1.0)
    """
    if amount == 0:
        return x
    return linear_to_srgb(_soft_gain(srgb_to_linear(x), 2.0**amount, _LINEAR_KNEE))


@op(
    "levels",
    kind=POINT,
    description="Input levels: set the black point, white point and midtone gamma.",
    params=(
        Param("black", "number", 0.0, "input level that becomes black", minimum=0.0, maximum=1.0),
        Param("white", "number", 1.0, "input level that becomes white", minimum=0.0, maximum=1.0),
        Param("gamma", "number", 1.0, "midtone gamma; above 1 brightens", minimum=0.1, maximum=10.0),
    ),
    examples=(
        "set levels",
        "adjust the levels",
        "set the black point to 0.1",
        "move the white point to 240",
        "levels 20 1.2 235",
        "stretch the histogram",
        "make the blacks darker by moving the black point",
        "clip the whites a bit with levels",
        "fix black and white points",
    ),
)
def levels(
    x: np.ndarray, amount: float | None = None, *, black: float = 0.0, white: float = 1.0, gamma: float = 1.0
) -> np.ndarray:
    """Photoshop-style input levels ``y = clip((x - black) / (white - black)) ** (1 / gamma)``.

    Parameters
    ----------
    x : ndarray of float64
        Input levels in [0, 1].
    amount : None
        Unused (levels has no single strength).
    black, white : float
        Input levels mapped to 0 and 1; ``black`` must be below ``white``.
    gamma : float
        Midtone gamma in [0.1, 10]; above 1 brightens.

    Returns
    -------
    ndarray

    Raises
    ------
    ValueError
        If ``black >= white`` or ``gamma <= 0``.

    Examples
    --------
    >>> levels(np.array([0.1, 0.5, 0.9]), black=0.1, white=0.9).tolist()
    [0.0, 0.5, 1.0]
    """
    if not black < white:
        raise ValueError(f"levels: black ({black}) must be below white ({white})")
    if not gamma > 0:
        raise ValueError(f"levels: gamma must be positive, got {gamma}")
    if black == 0 and white == 1 and gamma == 1:
        return x
    y = np.clip((x - black) / (white - black), 0.0, 1.0)
    return y if gamma == 1 else np.power(y, 1.0 / gamma)


@op(
    "curves",
    kind=POINT,
    description="Tone curve through control points (x0, y0, x1, y1, ...) with monotone cubic interpolation.",
    params=(
        Param(
            "points",
            "numbers",
            (0.0, 0.0, 1.0, 1.0),
            "flat list x0, y0, x1, y1, ... of control points in [0, 1]",
            minimum=0.0,
            maximum=1.0,
        ),
    ),
    examples=(
        "apply a curve",
        "tone curve: lift the blacks to 0.05",
        "s-curve",
        "matte look with faded blacks",
        "curves adjustment with points 0.25 0.2 0.75 0.8",
        "pull down the quarter tones with curves",
        "raise the midpoint of the curve",
        "custom tone curve",
        "fade the blacks",
    ),
)
def curves(
    x: np.ndarray, amount: float | None = None, *, points: Sequence[float] = (0.0, 0.0, 1.0, 1.0)
) -> np.ndarray:
    """Tone curve through control points, by monotone cubic (PCHIP) interpolation.

    ``(0, 0)`` and ``(1, 1)`` are added unless points at x = 0 or x = 1 are
    given. Between monotonic points the curve is monotonic and never overshoots.

    Parameters
    ----------
    x : ndarray of float64
        Input levels in [0, 1].
    amount : None
        Unused.
    points : sequence of float
        Flat list ``x0, y0, x1, y1, ...`` in [0, 1], x values distinct.

    Returns
    -------
    ndarray

    Raises
    ------
    ValueError
        If ``points`` has an odd length or repeats an x value.

    Examples
    --------
    >>> y = curves(np.array([0.0, 0.5, 1.0]), points=[0.5, 0.6])
    >>> [round(v, 6) for v in y.tolist()]
    [0.0, 0.6, 1.0]
    """
    values = np.asarray(points, dtype=np.float64).ravel()
    if values.size % 2:
        raise ValueError(f"curves: points must be x, y pairs, got {values.size} numbers")
    knots = dict(zip(values[0::2].tolist(), values[1::2].tolist(), strict=True))
    if len(knots) != values.size // 2:
        raise ValueError("curves: points repeat an x value")
    knots.setdefault(0.0, 0.0)
    knots.setdefault(1.0, 1.0)
    kx = np.array(sorted(knots))
    ky = np.clip(np.array([knots[k] for k in kx]), 0.0, 1.0)
    if np.array_equal(kx, ky):
        return x
    from scipy.interpolate import PchipInterpolator

    return np.clip(PchipInterpolator(kx, ky)(x), 0.0, 1.0)


@op(
    "temperature",
    kind=POINT,
    description="Warm up (amber) or cool down (blue) the colour temperature, keeping brightness.",
    amount=Amount(-1.0, 1.0, neutral=0.0, default=0.3, unit="+-1 = white point shifted +-80 mired"),
    examples=(
        "make it warmer",
        "warm up the photo",
        "add warmth",
        "more golden, sunset feeling",
        "too blue, make it warmer",
        "make it cooler",
        "cool it down",
        "colder tones please",
        "too yellow, make it more blue",
        "the photo is too orange",
        "set white balance warmer",
        "give it a cold winter look",
    ),
    color=True,
    per_channel=True,
)
def temperature(x: np.ndarray, amount: float) -> np.ndarray:
    """Colour-temperature curves: white-balance gains along the Planckian locus.

    The gains re-light a 6500 K white as a black body shifted by
    ``80 * amount`` mired (about 4300 K at +1, 13500 K at -1), applied in
    linear light and normalised so grey keeps its luminance.

    Parameters
    ----------
    x : ndarray of float64
        Input levels in [0, 1], shape ``(N,)``.
    amount : float
        In [-1, 1]; positive is warmer (more amber), negative cooler (bluer).

    Returns
    -------
    ndarray of shape (N, 3)
        R, G, B curves.

    Examples
    --------
    >>> r, g, b = temperature(np.array([0.5]), 0.5)[0]
    >>> bool(r > g > b)
    True
    """
    if amount == 0:
        return np.repeat(np.asarray(x)[:, None], 3, axis=1)
    kelvin = 1e6 / (1e6 / _REFERENCE_KELVIN + _MIRED_PER_AMOUNT * amount)
    return _gain_curves(x, _illuminant_gains(kelvin, 0.0))


@op(
    "tint",
    kind=POINT,
    description="Shift the white balance tint towards magenta (+) or green (-), keeping brightness.",
    amount=Amount(-1.0, 1.0, neutral=0.0, default=0.3, unit="+-1 = Duv -+0.02"),
    examples=(
        "too green, add magenta",
        "remove the green cast",
        "more magenta tint",
        "fix the green tint from fluorescent light",
        "it looks too pink",
        "make it greener",
        "reduce the magenta",
        "shift tint toward green",
        "purple cast, fix tint",
        "adjust tint to magenta a little",
    ),
    color=True,
    per_channel=True,
)
def tint(x: np.ndarray, amount: float) -> np.ndarray:
    """Tint curves: white-balance gains across the Planckian locus.

    The white point moves ``0.02 * amount`` (CIE 1960 Duv) below the locus at
    6500 K: positive amounts add magenta (less green), negative add green.
    Gains are applied in linear light and normalised to keep grey's luminance.

    Parameters
    ----------
    x : ndarray of float64
        Input levels in [0, 1], shape ``(N,)``.
    amount : float
        In [-1, 1]; positive is more magenta, negative greener.

    Returns
    -------
    ndarray of shape (N, 3)
        R, G, B curves.

    Examples
    --------
    >>> r, g, b = tint(np.array([0.5]), 0.5)[0]
    >>> bool(g < r and g < b)
    True
    """
    if amount == 0:
        return np.repeat(np.asarray(x)[:, None], 3, axis=1)
    return _gain_curves(x, _illuminant_gains(_REFERENCE_KELVIN, -_DUV_PER_AMOUNT * amount))


# --------------------------------------------------------------------------- pixel ops


@op(
    "shadows",
    kind=PIXEL,
    description="Lift (+) or deepen (-) the shadows locally, keeping detail, colour and the highlights.",
    amount=Amount(-1.0, 1.0, neutral=0.0, default=0.4, unit="+1 = up to 2 stops in the deepest shadows"),
    examples=(
        "lift the shadows",
        "brighten the shadows",
        "bring out detail in the dark areas",
        "open up the shadows",
        "the faces are too dark in the backlit photo",
        "recover shadow detail",
        "can't see anything in the dark parts",
        "deepen the shadows",
        "make the shadows darker",
        "crush the shadows a bit",
        "shadows +30",
    ),
)
def shadows(image: np.ndarray, amount: float) -> np.ndarray:
    """Local shadow adjustment on an edge-aware base luminance.

    The luma of the image is smoothed by a guided filter (radius 2.5 % of the
    diagonal), the base's distance from black is scaled by up to
    ``2 ** (2 amount)`` with a weight that fades out by 0.7, and the
    ratio of new to old base is applied to all channels, so local detail and
    colour are kept and nothing clips.

    Parameters
    ----------
    image : (H, W, C) float32 array
        Image in [0, 1].
    amount : float
        In [-1, 1]; positive lifts the shadows, negative deepens them.

    Returns
    -------
    (H, W, C) float32 array

    Examples
    --------
    >>> img = np.full((16, 16, 3), 0.1, np.float32)
    >>> bool(shadows(img, 0.5).mean() > 0.1)
    True
    """
    return _adjust_tone_range(image, amount, bright=False)


@op(
    "highlights",
    kind=PIXEL,
    description="Recover (-) or brighten (+) the highlights locally, keeping detail, colour and the shadows.",
    amount=Amount(-1.0, 1.0, neutral=0.0, default=-0.4, unit="-1 = up to 2 stops of recovery near white"),
    examples=(
        "recover the highlights",
        "bring back the sky",
        "the sky is blown out",
        "tone down the highlights",
        "reduce highlights",
        "bright areas are too bright",
        "save the overexposed clouds",
        "pull down the whites a bit",
        "brighten the highlights",
        "make the highlights pop",
        "highlights -50",
    ),
)
def highlights(image: np.ndarray, amount: float) -> np.ndarray:
    """Local highlight adjustment, the mirror image of :func:`shadows`.

    The base's distance from white is scaled by up to ``2 ** (-2 amount)``:
    negative amounts push bright areas down and expand the contrast just below
    white, bringing back detail in skies and bright surfaces; positive amounts
    brighten them. Shadows and midtones below about 0.3 are left alone.

    Parameters
    ----------
    image : (H, W, C) float32 array
        Image in [0, 1].
    amount : float
        In [-1, 1]; negative recovers (darkens) highlights, positive brightens them.

    Returns
    -------
    (H, W, C) float32 array

    Examples
    --------
    >>> img = np.full((16, 16, 3), 0.9, np.float32)
    >>> bool(highlights(img, -0.5).mean() < 0.9)
    True
    """
    return _adjust_tone_range(image, amount, bright=True)


_CLARITY_RADIUS = 0.04  # fraction of the image diagonal
_CLARITY_EPS = 0.01
_CLARITY_BOOST = 1.5  # detail gain at amount +1 (amount -1 removes the detail entirely)


@op(
    "local_contrast",
    kind=PIXEL,
    description="Clarity: boost (+) or soften (-) midtone local contrast and texture without halos.",
    amount=Amount(-1.0, 1.0, neutral=0.0, default=0.3, unit="+1 = midtone detail x2.5, -1 = removed"),
    examples=(
        "add clarity",
        "more clarity",
        "increase local contrast",
        "make the details pop",
        "more texture and definition",
        "make it crisper and more defined",
        "give it a gritty HDR look",
        "reduce clarity",
        "soften the texture",
        "less clarity, more dreamy",
        "negative clarity for smoother skin",
    ),
)
def local_contrast(image: np.ndarray, amount: float) -> np.ndarray:
    """Clarity: scale the midtone detail layer of the luminance.

    ``detail = luma - base``, where ``base`` is an edge-aware guided-filter
    smoothing (radius 4 % of the diagonal); strong edges stay in the base, so
    boosting the detail makes no halos. The new luma
    ``luma + k * amount * w(luma) * detail`` (``w`` peaks at mid-grey; ``k`` is
    1.5 when boosting and 1 when softening) is applied as a ratio to all
    channels.

    Parameters
    ----------
    image : (H, W, C) float32 array
        Image in [0, 1].
    amount : float
        In [-1, 1]; positive adds clarity, negative softens.

    Returns
    -------
    (H, W, C) float32 array

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> img = (0.5 + 0.1 * rng.standard_normal((64, 64, 1))).astype(np.float32)
    >>> bool(local_contrast(img, 1.0).std() > img.std())
    True
    """
    if amount == 0:
        return image.copy()
    y = luma(image).astype(np.float32)
    base = guided_filter(y, y, _CLARITY_RADIUS * image_diagonal(image.shape), _CLARITY_EPS)
    strength = amount * (_CLARITY_BOOST if amount > 0 else 1.0)
    midtones = 4.0 * y * (1.0 - y)
    new_y = np.clip(y + strength * midtones * (y - base), 0.0, 1.0)
    return _apply_luma_gain(image, new_y / np.maximum(y, 1e-4))


_DEHAZE_WORK_DIAGONAL = 1200.0  # estimate haze on a copy about this size
_DEHAZE_PATCH = 0.01  # dark-channel window radius, fraction of the diagonal
_DEHAZE_REFINE = 0.04  # guided-filter radius for the transmission, fraction of the diagonal
# Bright flat areas (sky, fog banks) break the dark-channel prior and get a far too low
# transmission; this floor (in linear light) caps the amplification (2.2x) that would turn
# their noise and texture into blotches.
_DEHAZE_MIN_TRANSMISSION = 0.45
_DEHAZE_ADD = 0.6  # blend towards the airlight at amount -1
# Distance (linear RGB) from the airlight below which a colour may be the scene's own (see dehaze).
_DEHAZE_TOLERANCE = 0.1
# Fraction of its hazy level that the darkest channel keeps at least (see _transmission_floor).
_DEHAZE_KEEP_DARK = 0.005


def _dark_channel(image: np.ndarray, radius: int) -> np.ndarray:
    """Minimum over the channels, then a grey opening with a ``(2r+1)``-square window.

    The classic dark channel is the erosion alone; the dilation that follows
    shrinks dark objects back to their own outline, so thin dark structures
    (masts, branches) do not lower the dark channel of the sky around them,
    which would leave a halo of haze there.
    """
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * radius + 1, 2 * radius + 1))
    return cv2.morphologyEx(_channel_min(image), cv2.MORPH_OPEN, kernel, borderType=cv2.BORDER_REFLECT)


def _channel_min(image: np.ndarray) -> np.ndarray:
    if image.shape[2] == 1:
        return np.ascontiguousarray(image[..., 0])
    return cv2.min(cv2.min(image[..., 0], image[..., 1]), image[..., 2])


def _airlight(image: np.ndarray, dark: np.ndarray) -> np.ndarray:
    """Mean colour of the pixels whose dark channel is in the brightest 0.1 %."""
    flat = dark.ravel()
    count = max(1, flat.size // 1000)
    brightest = np.argpartition(flat, flat.size - count)[-count:]
    airlight = image.reshape(-1, image.shape[2])[brightest].mean(axis=0)
    return np.maximum(airlight, 0.05).astype(np.float32)


@op(
    "dehaze",
    kind=PIXEL,
    description="Remove haze, fog or smog (dark-channel prior); negative amounts add haze.",
    amount=Amount(-1.0, 1.0, neutral=0.0, default=0.5, unit="fraction of the estimated haze removed"),
    examples=(
        "remove the haze",
        "dehaze",
        "clear up the fog",
        "the landscape looks foggy and washed out",
        "cut through the smog",
        "the mountains are hazy, make them clearer",
        "photo taken through mist, clean it up",
        "reduce atmospheric haze",
        "add haze",
        "make it foggy and dreamy",
        "add some mist",
    ),
)
def dehaze(image: np.ndarray, amount: float) -> np.ndarray:
    """Haze removal with the dark-channel prior (He, Sun & Tang 2009), in linear light.

    Haze mixes light, so the model ``I = J t + A (1 - t)`` is solved on
    linear values. On a copy about 1200 px in diagonal: the dark channel
    (minimum over the channels, then a grey opening with a window of 2 % of
    the diagonal, which avoids haze halos around thin dark objects) gives
    the airlight ``A`` (mean of its brightest 0.1 %) and the transmission
    ``t = 1 - 0.95 amount dark(I / A)``. Pixels whose colour is within 0.1
    of ``A`` (a white wall, where the prior fails) get
    ``t * 0.1 / |I - A|`` instead, since there haze and scene look alike. ``t`` is refined
    by a guided filter steered by the grey image and kept above 0.45. At
    full resolution each pixel's ``t`` is raised where needed to keep the
    result off black and white, and the scene is ``J = (I - A) / t + A``.
    Negative amounts blend towards ``A`` instead.

    Parameters
    ----------
    image : (H, W, C) float32 array
        Image in [0, 1].
    amount : float
        In [-1, 1]; positive removes haze, negative adds it.

    Returns
    -------
    (H, W, C) float32 array

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> scene = rng.random((64, 64, 3), dtype=np.float32)
    >>> hazy = 0.5 * scene + 0.5 * 0.9
    >>> bool(dehaze(hazy, 1.0).std() > hazy.std())
    True
    """
    if amount == 0:
        return image.copy()
    work = shrink(image, image_diagonal(image.shape) / _DEHAZE_WORK_DIAGONAL)
    # Haze adds light: the model I = J t + A (1 - t) holds in linear light, not in encoded values.
    linear_work = srgb_to_linear(work)
    diagonal = image_diagonal(work.shape)
    patch = max(1, round(_DEHAZE_PATCH * diagonal))
    airlight = _airlight(linear_work, _dark_channel(linear_work, patch))
    linear = _decode(image)
    if amount < 0:
        mix = np.float32(_DEHAZE_ADD * -amount)
        return _encode(linear * (1 - mix) + airlight * mix)
    transmission = 1.0 - 0.95 * amount * _dark_channel(linear_work / airlight, patch)
    # Where the scene has the airlight's colour (a white wall, an overcast sky) the prior
    # fails: its dark channel is high without haze. Trust the estimate less the closer a
    # pixel is to the airlight.
    distance = np.maximum(np.linalg.norm(linear_work - airlight, axis=2), 1e-6)
    transmission = np.minimum(1.0, transmission * np.maximum(1.0, _DEHAZE_TOLERANCE / distance))
    grey = luma(work).astype(np.float32)
    transmission = guided_filter(
        grey, transmission.astype(np.float32), round(_DEHAZE_REFINE * diagonal), 1e-3
    )
    transmission = np.maximum(transmission, _DEHAZE_MIN_TRANSMISSION)
    if work is not image:
        transmission = resized(transmission, image.shape[1], image.shape[0])
    transmission = np.maximum(transmission, _transmission_floor(linear, airlight))
    linear -= airlight
    linear /= transmission[..., None]
    linear += airlight
    return _encode(linear)


def _transmission_floor(linear: np.ndarray, airlight: np.ndarray) -> np.ndarray:
    """Per pixel, the least transmission that keeps the dehazed pixel off black and white.

    The refined transmission is smooth, so next to a dark object it can be
    lower than that object's own haze allows, which would drive the object
    below black; a pixel brighter than the airlight can likewise be driven
    past white. With ``m = min_c I_c / A_c``, ``t >= (1 - m) / (1 - b m)``
    keeps the darkest channel at ``b m A`` or above (``b`` is
    :data:`_DEHAZE_KEEP_DARK`), and ``t >= (I_c - A_c) / (1 - A_c)`` keeps
    every channel at or below 1.
    """
    ratio = linear / airlight
    darkest = np.clip(_channel_min(ratio), 0.0, 1.0)
    floor = (1.0 - darkest) / (1.0 - _DEHAZE_KEEP_DARK * darkest)
    brightest = _peak((linear - airlight) / np.maximum(1.0 - airlight, 1e-3))
    return np.maximum(floor, brightest)


def _decode(image: np.ndarray) -> np.ndarray:
    """sRGB to linear light by a 16-bit table (several times faster than the power curve)."""
    return lookup(image, _SRGB_TO_LINEAR)


def _encode(linear: np.ndarray) -> np.ndarray:
    """Linear light to sRGB by a table; values outside [0, 1] clip."""
    # The table is indexed in encoded steps near black, where the curve is steepest.
    return lookup(np.sqrt(np.clip(linear, 0.0, 1.0, out=linear), out=linear), _SQRT_LINEAR_TO_SRGB)


_SRGB_TO_LINEAR = srgb_to_linear(np.linspace(0.0, 1.0, _LUT_SIZE, dtype=np.float32))
_SQRT_LINEAR_TO_SRGB = linear_to_srgb(np.linspace(0.0, 1.0, _LUT_SIZE, dtype=np.float32) ** 2)


_WB_WORK_SIDE = 512  # estimate the illuminant on a copy this size
_WB_CLIPPED = 0.98  # encoded level treated as clipped
# Encoded level of a channel from which white balance treats it as (partly) clipped
# (see _protect_highlights); at and above _WB_CLIPPED it is treated as fully clipped.
_WB_HIGHLIGHT_START = 0.9


def _estimate_illuminant(image: np.ndarray, method: str) -> np.ndarray:
    """Linear RGB of the scene illuminant (up to scale), on a small smoothed copy.

    ``grey_edge`` takes the Minkowski norm (p = 6) of the gradient magnitudes
    per channel, so flat areas such as a blue sky or a lawn carry no weight;
    ``grey_world`` the mean and ``white_patch`` the 99.5th percentile of the
    values. Clipped pixels (and their neighbours) are ignored.
    """
    small = shrink(image, max(image.shape[:2]) / _WB_WORK_SIDE)
    clipped = (_peak(small) >= _WB_CLIPPED).astype(np.uint8)
    usable = cv2.dilate(clipped, np.ones((5, 5), np.uint8)) == 0
    if usable.sum() < 16:
        usable = np.ones_like(usable, dtype=bool)
    linear = gaussian(srgb_to_linear(small).astype(np.float32), 1.0)
    if method == "grey_edge":
        estimate = grey_edge(linear, usable)
    elif method == "grey_world":
        estimate = linear[usable].astype(np.float64).mean(axis=0)
    elif method == "white_patch":
        estimate = np.percentile(linear[usable], 99.5, axis=0).astype(np.float64)
    else:
        raise ValueError(f"white_balance: unknown method {method!r} (grey_edge, grey_world, white_patch)")
    return np.maximum(estimate, 1e-6)


@op(
    "white_balance",
    kind=PIXEL,
    description="Automatic white balance: remove a colour cast (grey-edge estimate, von Kries gains).",
    amount=Amount(0.0, 1.0, neutral=0.0, default=1.0, unit="fraction of the cast removed"),
    params=(
        Param(
            "method",
            "choice",
            "grey_edge",
            "illuminant estimate",
            choices=("grey_edge", "grey_world", "white_patch"),
        ),
        Param(
            "gains",
            "numbers",
            None,
            "linear R, G, B gains that make the light neutral (as measured by auto_enhance); "
            "given, they replace the estimate, so the step replays identically on other photos",
            minimum=0.05,
            maximum=20.0,
            length=3,
        ),
    ),
    examples=(
        "fix the white balance",
        "auto white balance",
        "remove the colour cast",
        "the photo has a yellow cast from indoor lights",
        "colors look off, correct them",
        "it's all too orange from the tungsten bulbs",
        "remove the blue tint",
        "make the whites white again",
        "neutralize the colors",
        "correct the color cast of this old scan",
        "auto WB",
    ),
    color=True,
)
def white_balance(
    image: np.ndarray, amount: float, *, method: str = "grey_edge", gains: Sequence[float] | None = None
) -> np.ndarray:
    """Automatic white balance by von Kries gains in linear light.

    The illuminant is estimated (see ``method``) on a downscaled, smoothed
    copy ignoring clipped pixels, unless ``gains`` are given; the per-channel
    gains that map it to grey are raised to the power ``amount``, normalised
    to keep grey's luminance and applied in linear light with a soft
    highlight shoulder. Keeping grey's luminance takes light from the
    strongest channel, which would tint clipped highlights (a blown sky in
    tungsten light) with the opposite of the cast; a channel near clipping
    is therefore raised towards the pixel's brightest one, so clipped areas
    come out neutral.

    Parameters
    ----------
    image : (H, W, 3) float32 array
        Image in [0, 1].
    amount : float
        Strength in [0, 1]; 1 removes the estimated cast completely.
    method : {'grey_edge', 'grey_world', 'white_patch'}
        ``grey_edge`` (default) is robust to large single-colour areas.
    gains : sequence of 3 floats, optional
        Linear R, G, B gains that neutralise the light, as returned by
        :func:`white_balance_gains` (their scale does not matter); they
        replace the estimate, so the same correction applies to every photo.

    Returns
    -------
    (H, W, 3) float32 array

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> img = rng.random((64, 64, 3), dtype=np.float32) * np.float32([0.9, 0.8, 0.5])
    >>> out = white_balance(img, 1.0)
    >>> bool(out[..., 2].mean() > img[..., 2].mean())
    True
    >>> bool(np.allclose(white_balance(img, 1.0, gains=[1.0, 1.1, 1.6]),
    ...                  white_balance(img, 1.0, gains=[2.0, 2.2, 3.2])))
    True
    """
    if amount == 0:
        return image.copy()
    if gains is None:
        gains = white_balance_gains(image, method)
    gains = np.asarray(gains, dtype=np.float64)
    if gains.shape != (3,) or not np.all(gains > 0):
        raise ValueError(f"white_balance: gains must be 3 positive numbers, got {gains.tolist()}")
    return _protect_highlights(image, _luminance_normalised(gains**amount))


def white_balance_gains(image: np.ndarray, method: str = "grey_edge") -> np.ndarray:
    """Linear R, G, B gains that make the estimated light of ``image`` neutral.

    Parameters
    ----------
    image : (H, W, 3) float32 array
        Image in [0, 1].
    method : {'grey_edge', 'grey_world', 'white_patch'}
        The illuminant estimate (see :func:`white_balance`).

    Returns
    -------
    ndarray of shape (3,)
        Gains normalised to keep grey's luminance.

    Examples
    --------
    >>> img = np.random.default_rng(0).random((64, 64, 3), dtype=np.float32) * np.float32([1, 0.9, 0.6])
    >>> r, g, b = white_balance_gains(img)
    >>> bool(b > g > r)
    True
    """
    illuminant = _estimate_illuminant(image, method)
    return _luminance_normalised(illuminant.mean() / illuminant)


def _protect_highlights(image: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """Apply ``gains`` (see :func:`_apply_gains`), keeping clipped channels from tinting highlights.

    A clipped channel holds less light than the scene had, so a gain below 1
    on it (red, under tungsten light) pulls it under the other channels and
    turns a blown sky or a white shirt cyan, and the soft shoulder holds the
    boosted channels below it. Where a channel of the input nears white
    (from :data:`_WB_HIGHLIGHT_START` to :data:`_WB_CLIPPED`, smoothly) the
    pixel's other channels take their plain gains (clipped at 1, no
    shoulder) and the clipped channel is raised towards the brightest of
    them: at worst the highlight becomes neutral, never the opposite of the
    cast, and a pixel whose clipped channel stays the brightest (a red
    flower, a warm skin highlight) keeps its colour.
    """
    out = _apply_gains(image, gains)
    rows = np.flatnonzero(_peak(image) > _WB_HIGHLIGHT_START)
    if rows.size == 0:
        return out
    channels = out.shape[2]
    # Channel-planar copies of the few pixels concerned: reductions over channels stay fast.
    pixels = np.ascontiguousarray(image.reshape(-1, image.shape[2])[rows, :channels].T)
    weights = smoothstep(_WB_HIGHLIGHT_START, _WB_CLIPPED, pixels)
    plain_curves = linear_to_srgb(
        np.minimum(srgb_to_linear(np.linspace(0.0, 1.0, _LUT_SIZE))[:, None] * gains[None, :], 1.0)
    ).astype(np.float32)
    plain = np.stack([lookup(pixels[c], plain_curves[:, c]) for c in range(channels)])
    flat = out.reshape(-1, channels)
    blended = np.ascontiguousarray(flat[rows].T)
    blended += weights.max(axis=0) * (plain - blended)
    blended += weights * (blended.max(axis=0) - blended)
    flat[rows] = blended.T
    return out
