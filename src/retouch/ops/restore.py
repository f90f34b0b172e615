"""Restoration ops: denoise.

Denoising is non-local means (Buades, Coll & Morel 2005) in OpenCV's fast
implementation, run on a decorrelated colour space: the image is rotated
into one luminance and two opponent colour channels by an orthonormal
transform, so white noise of strength sigma in R, G and B stays white noise
of strength sigma in each new channel, and each channel is filtered on its
own at 16 bits with a strength tied to sigma. Chroma noise gets a slightly
stronger filter: colour detail is coarser than luminance detail.

On the six sample photos of ``bench/auto_enhance.py`` with Gaussian noise of
sigma 12 (26.7 dB) this gives 34.0 dB mean PSNR at 0.7 s per megapixel
(2 cores), against 33.3 dB for scikit-image's ``denoise_nl_means`` (fast
mode, h = 0.6 sigma, 1.2 s/MP), 33.0 dB for a bilateral filter and 29.0 dB
for OpenCV's ``fastNlMeansDenoisingColored`` with h = sigma (30.9 dB with
its windows and strengths tuned); all of them but this one are told the
true sigma.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from retouch.analyze import estimate_noise
from retouch.ops.registry import PIXEL, Amount, Param, op

# Rows: luminance, red-green, yellow-blue; orthonormal, so its transpose inverts it.
_OPPONENT = np.array(
    [
        [1 / np.sqrt(3), 1 / np.sqrt(3), 1 / np.sqrt(3)],
        [1 / np.sqrt(2), -1 / np.sqrt(2), 0.0],
        [1 / np.sqrt(6), 1 / np.sqrt(6), -2 / np.sqrt(6)],
    ],
    dtype=np.float32,
)
# Filter strength h per unit of noise sigma, for luminance and for the two colour channels;
# patch and search window sizes. Tuned by PSNR on noisy sample photos (sigma 5 to 25).
_LUMA_STRENGTH = 1.0
_CHROMA_STRENGTH = 1.25
_PATCH = 3
_SEARCH = 11
_LEVELS = 65535
# Below this sigma (0-255 scale) non-local means leaves the image as it is anyway.
_MIN_SIGMA = 0.3


def _filter_channel(channel: np.ndarray, sigma: float) -> np.ndarray:
    """Non-local means of one float channel with noise ``sigma`` (in 0-1 units), at 16 bits."""
    low, high = float(channel.min()), float(channel.max())
    if high - low < 1e-6:
        return channel.copy()
    scale = _LEVELS / (high - low)
    quantised = np.rint((channel - low) * scale).astype(np.uint16)
    # 16-bit input needs the L1 patch distance; h is in the quantised units.
    filtered = cv2.fastNlMeansDenoising(quantised, [float(sigma * scale)], None, _PATCH, _SEARCH, cv2.NORM_L1)
    return filtered.astype(np.float32) * np.float32(1 / scale) + np.float32(low)


@op(
    "denoise",
    kind=PIXEL,
    description="Remove grain and sensor noise while keeping edges and texture (non-local means).",
    amount=Amount(0.0, 1.0, neutral=0.0, default=1.0, unit="fraction of the noise level treated as noise"),
    params=(
        Param(
            "sigma",
            "number",
            description="Noise level (standard deviation, 0-255 scale); default: estimated from the image.",
            minimum=0.0,
            maximum=100.0,
        ),
    ),
    examples=(
        "remove the noise",
        "denoise",
        "reduce the grain",
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
def denoise_image(image: np.ndarray, amount: float, sigma: float | None = None) -> np.ndarray:
    """Non-local means denoising in a decorrelated colour space.

    The image is rotated into orthonormal luminance and opponent-colour
    channels; each is mapped to 16 bits over its own range and filtered by
    OpenCV's non-local means (3 x 3 patches, 11 x 11 search window, L1
    patch distance) with ``h = 1.0 amount sigma`` for luminance and
    ``1.25 amount sigma`` for colour, then rotated back.

    Parameters
    ----------
    image : (H, W, C) float32 array
        Image in [0, 1], C = 1 or 3.
    amount : float
        Strength in [0, 1]: the fraction of ``sigma`` the filter treats as
        noise. 0 is the identity.
    sigma : float, optional
        Noise standard deviation on the 0-255 scale; by default
        :func:`retouch.analyze.estimate_noise` of the image.

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
    if sigma is None:
        sigma = estimate_noise(image)
    strength = amount * float(sigma) / 255.0
    if strength * 255.0 < _MIN_SIGMA:
        return image.copy()
    if image.shape[2] == 1:
        out = _filter_channel(np.ascontiguousarray(image[..., 0]), _LUMA_STRENGTH * strength)[..., None]
        return np.clip(out, 0.0, 1.0, out=out)
    channels = cv2.transform(image, _OPPONENT)
    filtered = np.dstack(
        [
            _filter_channel(
                np.ascontiguousarray(channels[..., c]),
                (_LUMA_STRENGTH if c == 0 else _CHROMA_STRENGTH) * strength,
            )
            for c in range(3)
        ]
    )
    out = cv2.transform(filtered, np.ascontiguousarray(_OPPONENT.T))
    return np.clip(out, 0.0, 1.0, out=out)


def denoise(image: Any, sigma: float | None = None, *, amount: float = 1.0) -> np.ndarray:
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

    params = {} if sigma is None else {"sigma": float(sigma)}
    return apply(image, {"steps": [{"op": "denoise", "amount": amount, "params": params}]}).array
