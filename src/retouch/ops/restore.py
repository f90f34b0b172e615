"""Restoration ops: denoise, deblur, upscale.

Deblurring and upscaling are described in :mod:`retouch.deconvolve` and
:mod:`retouch.superres`.

Denoising is block-matching collaborative filtering (BM3D-class, see
:mod:`retouch.collaborative`) in an orthonormal luminance / opponent-colour
space: white noise of strength sigma in R, G and B stays white noise of that
strength in each new channel, blocks are matched on luminance and each group
is filtered in all three channels at once. The noise level is measured per
RGB channel (:func:`retouch.analyze.estimate_noise_sigma`) and carried into
the opponent channels. ``quality="fast"`` skips block matching (overlapping
block-DCT shrinkage with a Wiener second pass, :mod:`retouch.sliding_dct`)
for large images where time matters more than the last decibel;
``bench/denoise.py`` measures both against BM3D, scikit-image and OpenCV.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from retouch.analyze import central_crop, estimate_noise_sigma
from retouch.colorspace import luma, white_level
from retouch.deconvolve import KINDS, Blur, deconvolve, estimate_blur, image_noise
from retouch.ops.registry import GEOMETRY, PIXEL, Amount, Param, op
from retouch.superres import upscale_colour

# Rows: luminance, red-green, yellow-blue; orthonormal, so its transpose inverts it.
_OPPONENT = np.array(
    [
        [1 / np.sqrt(3), 1 / np.sqrt(3), 1 / np.sqrt(3)],
        [1 / np.sqrt(2), -1 / np.sqrt(2), 0.0],
        [1 / np.sqrt(6), 1 / np.sqrt(6), -2 / np.sqrt(6)],
    ],
    dtype=np.float32,
)
# Below this sigma (0-255 scale) there is nothing worth removing.
_MIN_SIGMA = 0.3


def _denoise_channels(channels: np.ndarray, noise: np.ndarray, quality: str) -> np.ndarray:
    """Denoise luminance (+ opponent colour) channels with noise ``noise`` each (0-1 units)."""
    # numba loads in about a second: only when something is denoised, never at op discovery.
    if quality == "best":
        from retouch.collaborative import collaborative_denoise, profile_for

        return collaborative_denoise(channels, noise, profile_for(quality, float(noise[0])))
    from retouch.sliding_dct import sliding_dct_denoise

    return sliding_dct_denoise(channels, noise)


def channel_noise(image: np.ndarray) -> np.ndarray:
    """Noise sigma (0-1 units) of each opponent channel of a float RGB or grey image.

    Sigma is measured per RGB channel on the full-resolution central crop;
    independent noise of strengths s_k in R, G, B has variance
    ``sum_k M[c, k]^2 s_k^2`` in opponent channel c.
    """
    crop = central_crop(image)
    rgb = np.array([estimate_noise_sigma(crop[..., c]) for c in range(image.shape[2])]) / 255.0
    if image.shape[2] == 1:
        return rgb
    return np.sqrt(np.square(_OPPONENT.astype(np.float64)) @ np.square(rgb))


@op(
    "denoise",
    kind=PIXEL,
    description="Remove grain and sensor noise while keeping edges and texture (block-matching filter).",
    amount=Amount(0.0, 1.0, neutral=0.0, default=1.0, unit="fraction of the noise level treated as noise"),
    params=(
        Param(
            "sigma",
            "number",
            description="Noise level (standard deviation, 0-255 scale); default: estimated from the image.",
            minimum=0.0,
            maximum=100.0,
        ),
        Param(
            "quality",
            "choice",
            default="best",
            choices=("best", "fast"),
            description="best: block matching (BM3D-class); fast: no matching, for very large images.",
        ),
    ),
    examples=(
        "remove the noise",
        "denoise",
        "reduce the noise",
        "reduce the grain",
        "it's grainy",
        "too much ISO noise",
        "the photo is grainy from high ISO",
        "clean up the noise in the night shot",
        "too much noise in the dark areas",
        "get rid of the speckles",
        "smooth out the sensor noise",
        "noise reduction please",
        "remove colour noise",
        "a little noise reduction",
        "make it less grainy but keep the detail",
    ),
)
def denoise_image(
    image: np.ndarray, amount: float, sigma: float | None = None, quality: str = "best"
) -> np.ndarray:
    """Block-matching collaborative denoising in a decorrelated colour space.

    The image is rotated into orthonormal luminance and opponent-colour
    channels, filtered by :func:`retouch.collaborative.collaborative_denoise`
    (hard thresholding, then an empirical Wiener pass) with the noise level
    of each channel, and rotated back.

    Parameters
    ----------
    image : (H, W, C) float32 array
        Image in [0, 1], C = 1 or 3.
    amount : float
        Strength in [0, 1]: the fraction of the noise level the filter
        treats as noise. 0 is the identity.
    sigma : float, optional
        Noise standard deviation on the 0-255 scale, the same in every
        channel; by default measured per channel.
    quality : {"best", "fast"}
        "fast" skips block matching.

    Returns
    -------
    (H, W, C) float32 array

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> clean = np.tile(np.linspace(0.2, 0.8, 64, dtype=np.float32), (64, 1))[..., None]
    >>> noisy = clean + rng.normal(0, 10 / 255, clean.shape).astype(np.float32)
    >>> out = denoise_image(noisy, 1.0, sigma=10)
    >>> bool(np.abs(out - clean).mean() < 0.5 * np.abs(noisy - clean).mean())
    True
    """
    if amount <= 0:
        return image.copy()
    channels = image.shape[2]
    noise = channel_noise(image) if sigma is None else np.full(channels, float(sigma) / 255.0)
    noise = noise * amount
    if noise.max() * 255.0 < _MIN_SIGMA:
        return image.copy()
    if channels == 1:
        return np.clip(_denoise_channels(image, noise, quality), 0.0, 1.0)
    decorrelated = cv2.transform(image, _OPPONENT)
    out = cv2.transform(_denoise_channels(decorrelated, noise, quality), np.ascontiguousarray(_OPPONENT.T))
    return np.clip(out, 0.0, 1.0, out=out)


def denoise(
    image: Any, sigma: float | None = None, *, amount: float = 1.0, quality: str = "best"
) -> np.ndarray:
    """Remove noise from a photo: the ``denoise`` op run by the engine.

    Parameters
    ----------
    image : path, PIL.Image or ndarray
        RGB, RGBA or grey; uint8, uint16 or float in [0, 1]. Never modified.
    sigma : float, optional
        Noise standard deviation on the 0–255 scale; by default estimated
        with :func:`retouch.estimate_noise`.
    amount : float
        Strength in [0, 1].
    quality : {"best", "fast"}
        "fast" skips block matching (for very large images).

    Returns
    -------
    ndarray
        The denoised image in the input's dtype, alpha kept.

    Examples
    --------
    >>> import retouch
    >>> from skimage import data
    >>> rng = np.random.default_rng(0)
    >>> clean = data.chelsea()
    >>> noisy = np.clip(clean + rng.normal(0, 12, clean.shape), 0, 255).astype(np.uint8)
    >>> out = retouch.denoise(noisy)
    >>> bool(np.abs(out.astype(int) - clean).mean() < 0.6 * np.abs(noisy.astype(int) - clean).mean())
    True
    """
    from retouch.api import apply

    params: dict[str, Any] = {"quality": quality}
    if sigma is not None:
        params["sigma"] = float(sigma)
    return apply(image, {"steps": [{"op": "denoise", "amount": amount, "params": params}]}).array


@op(
    "deblur",
    kind=PIXEL,
    description="Undo blur from soft focus, defocus or slight motion (blur estimated, then deconvolved).",
    amount=Amount(0.0, 1.0, neutral=0.0, default=1.0, unit="fraction of the full deconvolution"),
    params=(
        Param(
            "kind",
            "choice",
            default="auto",
            choices=KINDS,
            description="blur model: auto (motion if detected, else Gaussian), gaussian, defocus or motion",
        ),
        Param(
            "sigma",
            "number",
            minimum=0.0,
            maximum=30.0,
            description="blur size in px (Gaussian sigma, defocus radius, motion length); default: estimated",
        ),
        Param("angle", "number", minimum=0.0, maximum=180.0, description="motion direction in degrees"),
    ),
    examples=(
        "unblur this",
        "deblur the photo",
        "it's out of focus",
        "the picture is blurry, make it sharp again",
        "fix the motion blur",
        "remove the camera shake",
        "the shot is a bit soft, unblur it",
        "fix the focus",
        "it's blurry because my hand moved",
        "undo the blur",
        "recover detail from this blurry image",
        "make the blurry text readable",
    ),
)
def deblur(
    image: np.ndarray,
    amount: float,
    kind: str = "auto",
    sigma: float | None = None,
    angle: float | None = None,
) -> np.ndarray:
    """Estimate the blur and undo it by regularised (Wiener, Laplacian prior) deconvolution.

    Parameters
    ----------
    image : (H, W, C) float32 array
        Image in [0, 1].
    amount : float
        In [0, 1]: blend of the input (0) and the full deconvolution (1).
    kind : {"auto", "gaussian", "defocus", "motion"}
        The blur model; "auto" detects linear motion in the cepstrum and
        otherwise fits a Gaussian to the edges.
    sigma : float, optional
        Blur size in px; with it the blur is not estimated (``kind`` "auto"
        then means Gaussian).
    angle : float, optional
        Motion direction in degrees (counter-clockwise from horizontal).

    Returns
    -------
    (H, W, C) float32 array

    Examples
    --------
    >>> import cv2
    >>> from skimage import data
    >>> sharp = data.camera().astype(np.float32)[..., None] / 255
    >>> soft = cv2.GaussianBlur(sharp, (0, 0), 1.5)[..., None]
    >>> out = deblur(soft, 1.0)
    >>> bool(np.abs(out - sharp).mean() < np.abs(soft - sharp).mean())
    True
    """
    if amount <= 0:
        return image.copy()
    grey = image[..., 0] if image.shape[2] == 1 else luma(image)
    if sigma is None:
        blur = estimate_blur(grey, kind)
    else:
        model = "gaussian" if kind == "auto" else kind
        blur = Blur(model, float(sigma), float(angle or 0.0))
    # Below a third of a pixel there is nothing to undo that noise would not swamp.
    if blur.size < 0.3:
        return image.copy()
    restored = deconvolve(image, blur, image_noise(grey))
    out = image + np.float32(amount) * (restored - image)
    return np.clip(out, 0.0, 1.0, out=out)


@op(
    "upscale",
    kind=GEOMETRY,
    description="Enlarge 2x or 4x with sharp edges and no ringing (back-projection on Lanczos).",
    params=(
        Param("factor", "number", default=2.0, minimum=1.0, maximum=8.0, description="enlargement factor"),
    ),
    examples=(
        "make it bigger",
        "upscale 4x",
        "enlarge to double size",
        "upscale the image",
        "increase the resolution",
        "make it twice as big without getting blurry",
        "super resolution 2x",
        "enlarge this small photo for printing",
        "upsample by 4",
        "blow it up to 4 times the size",
        "I need a higher resolution version",
    ),
)
def upscale(image: np.ndarray, amount: None = None, *, factor: float = 2.0) -> np.ndarray:
    """Enlarge by ``factor`` with :func:`retouch.superres.upscale_colour` (alpha by Lanczos).

    Parameters
    ----------
    image : (H, W, C) array
        uint8, uint16 or float32 in [0, 1]; C in 1..4 (2 and 4 carry alpha).
    amount : None
        Upscale has no strength.
    factor : float
        Enlargement factor in [1, 8].

    Returns
    -------
    (round(H * factor), round(W * factor), C) array of the input's dtype.

    Examples
    --------
    >>> upscale(np.zeros((10, 20, 3), np.uint8), factor=2).shape
    (20, 40, 3)
    """
    if not 1.0 <= factor <= 8.0:
        raise ValueError(f"upscale factor must be between 1 and 8, got {factor}")
    height, width, channels = image.shape
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    scale = white_level(image.dtype)
    x = image.astype(np.float32) / np.float32(scale)
    colours = 3 if channels >= 3 else 1
    out = np.empty((size[1], size[0], channels), np.float32)
    out[..., :colours] = upscale_colour(x[..., :colours], size)
    if channels > colours:
        alpha = cv2.resize(x[..., colours], size, interpolation=cv2.INTER_LANCZOS4)
        out[..., colours] = np.clip(alpha, 0.0, 1.0)
    if image.dtype == np.float32:
        return out
    return np.rint(out * np.float32(scale)).astype(image.dtype)
