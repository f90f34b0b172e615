"""Blur estimation and regularised deconvolution.

Three blur models cover most photos: a Gaussian (soft lenses, mild camera
shake in all directions, upscaled images), a defocus disk, and a short linear
motion. The blur is estimated from the image itself:

* The Gaussian width comes from edges (Hu & de Haan's re-blur ratio): blurring
  an edge of width ``s`` again by ``s0`` lowers its gradient peak by
  ``R = sqrt(s^2 + s0^2) / s``, so ``s = s0 / sqrt(R^2 - 1)``; the median over
  the strongest edges is robust to texture and noise.
* Linear motion leaves a line of zeros across the spectrum, which shows as a
  negative peak at the blur length in the power cepstrum (the spectrum of
  the log spectrum) along the motion direction; a strong, one-sided peak
  means motion, its position gives length and angle.

Deconvolution is a Wiener filter with a gradient (Laplacian) prior,
``F = conj(H) G / (|H|^2 + lambda |D|^2)``, with ``lambda`` set by the noise
level. The image is mirrored at its borders before the FFT, so the periodic
FFT sees no jump at the frame edge and no ringing starts there.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from retouch.analyze import estimate_noise_sigma

KINDS = ("auto", "gaussian", "defocus", "motion")
# Re-blur width for the edge-ratio estimate, in px.
_REBLUR = 1.0
# Regularisation: lambda = _LAMBDA_NOISE * sigma^2 + floor (sigma in 0-1 units). Motion gets a
# higher floor: its spectrum has exact zeros, a slightly wrong length or angle, and no mirror
# symmetry, so mirrored borders do not match the blur there.
_LAMBDA_NOISE = 40.0
_LAMBDA_FLOOR = {"gaussian": 2e-3, "defocus": 2e-3, "motion": 1e-2}
# A cepstral dip this many robust standard deviations below the background means motion blur.
_MOTION_SCORE = 16.0


@dataclass(frozen=True)
class Blur:
    """A blur model: ``kind`` and its size in px (``size``: Gaussian sigma, disk radius or motion length)."""

    kind: str
    size: float
    angle: float = 0.0

    def kernel(self) -> np.ndarray:
        """The point-spread function, normalised to sum 1, odd-sized, centred."""
        if self.kind == "gaussian":
            half = max(1, int(np.ceil(3.5 * self.size)))
            x = np.arange(-half, half + 1, dtype=np.float64)
            g = np.exp(-(x**2) / (2 * max(self.size, 1e-3) ** 2))
            k = np.outer(g, g)
        elif self.kind == "defocus":
            half = max(1, int(np.ceil(self.size)) + 1)
            y, x = np.mgrid[-half : half + 1, -half : half + 1]
            # Antialiased disk: coverage of each pixel by a disk of the given radius.
            k = np.clip(self.size + 0.5 - np.hypot(x, y), 0.0, 1.0)
        else:
            half = max(1, int(np.ceil(self.size / 2)) + 1)
            k = np.zeros((2 * half + 1, 2 * half + 1))
            t = np.linspace(-self.size / 2, self.size / 2, max(2, int(np.ceil(self.size * 4))))
            ca, sa = np.cos(np.radians(self.angle)), np.sin(np.radians(self.angle))
            for px, py in zip(half + t * ca, half - t * sa, strict=True):
                x0, y0 = int(np.floor(px)), int(np.floor(py))
                fx, fy = px - x0, py - y0
                # Bilinear splat keeps sub-pixel lengths and angles.
                k[y0, x0] += (1 - fx) * (1 - fy)
                k[y0, x0 + 1] += fx * (1 - fy)
                k[y0 + 1, x0] += (1 - fx) * fy
                k[y0 + 1, x0 + 1] += fx * fy
        return (k / k.sum()).astype(np.float64)


def estimate_gaussian_blur(grey: np.ndarray) -> float:
    """Gaussian blur sigma (px) of a float grey image, from the re-blur gradient ratio at strong edges.

    Examples
    --------
    >>> from skimage import data
    >>> import cv2
    >>> sharp = data.camera().astype(np.float32) / 255
    >>> blurred = cv2.GaussianBlur(sharp, (0, 0), 2.0)
    >>> 1.5 < estimate_gaussian_blur(blurred) < 2.6
    True
    """
    grey = np.asarray(grey, np.float32)

    def gradient(x: np.ndarray) -> np.ndarray:
        gx = cv2.Sobel(x, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(x, cv2.CV_32F, 0, 1, ksize=3)
        return np.sqrt(gx * gx + gy * gy)

    # A light pre-smoothing keeps noise from posing as sharp edges; it is subtracted again below.
    pre = 0.5
    base = cv2.GaussianBlur(grey, (0, 0), pre)
    g1 = gradient(base)
    g2 = gradient(cv2.GaussianBlur(base, (0, 0), _REBLUR))
    # Edge pixels: local maxima of the gradient among the strongest 2 %.
    peaks = (g1 == cv2.dilate(g1, np.ones((3, 3), np.uint8))) & (g1 >= np.percentile(g1, 98)) & (g1 > 1e-3)
    if peaks.sum() < 20:
        return 0.0
    ratio = g1[peaks] / np.maximum(g2[peaks], 1e-6)
    ratio = ratio[ratio > 1.0 + 1e-3]
    if ratio.size < 20:
        return 0.0
    total = _REBLUR / np.sqrt(np.square(np.median(ratio)) - 1.0)
    # The Sobel derivative and the pre-smoothing add their own width.
    return float(np.sqrt(max(total**2 - pre**2 - 0.5**2, 0.0)))


def estimate_motion_blur(grey: np.ndarray) -> Blur | None:
    """Linear motion blur (length px, angle degrees) from the power cepstrum, or None if there is none."""
    side = 256 if min(grey.shape) >= 256 else int(2 ** np.floor(np.log2(min(grey.shape))))
    if side < 32:
        return None
    window = np.outer(np.hanning(side), np.hanning(side))
    # Welch average of the power spectra of overlapping crops: noise fills the spectral zeros of
    # the blur less in the average than in any one crop.
    power = np.zeros((side, side))
    rows = np.linspace(0, grey.shape[0] - side, max(1, min(4, grey.shape[0] // (side // 2) - 1))).astype(int)
    cols = np.linspace(0, grey.shape[1] - side, max(1, min(4, grey.shape[1] // (side // 2) - 1))).astype(int)
    for y0 in rows:
        for x0 in cols:
            crop = grey[y0 : y0 + side, x0 : x0 + side].astype(np.float64)
            power += np.abs(np.fft.fft2((crop - crop.mean()) * window)) ** 2
    spectrum = np.sqrt(power / (rows.size * cols.size))
    cepstrum = np.fft.fftshift(np.real(np.fft.ifft2(np.log(spectrum + 1e-3))))
    centre = side // 2
    y, x = np.mgrid[-centre : side - centre, -centre : side - centre]
    radius = np.hypot(x, y)
    ring = (radius >= 3) & (radius <= side / 8)
    values = cepstrum[ring]
    spread = 1.4826 * np.median(np.abs(values - np.median(values)))
    best = np.argmin(np.where(ring, cepstrum, np.inf))
    # Isotropic blurs dip all around a circle; motion dips at one point and its mirror only.
    circle = ring & (np.abs(radius - radius.flat[best]) < 0.75)
    depth = (np.median(cepstrum[circle]) - cepstrum.flat[best]) / max(spread, 1e-12)
    if depth < _MOTION_SCORE:
        return None
    by, bx = np.unravel_index(best, cepstrum.shape)
    # Sub-pixel position of the dip: a parabola through it and its neighbours on each axis.
    dy = y[by, bx] + _parabola_offset(cepstrum[by - 1 : by + 2, bx])
    dx = x[by, bx] + _parabola_offset(cepstrum[by, bx - 1 : bx + 2])
    return Blur("motion", float(np.hypot(dx, dy)), float(np.degrees(np.arctan2(-dy, dx)) % 180))


def _parabola_offset(values: np.ndarray) -> float:
    """Offset in [-0.5, 0.5] of the extremum of the parabola through three equally spaced values."""
    curvature = values[0] - 2 * values[1] + values[2]
    if abs(curvature) < 1e-12:
        return 0.0
    return float(np.clip(0.5 * (values[0] - values[2]) / curvature, -0.5, 0.5))


def estimate_blur(grey: np.ndarray, kind: str = "auto") -> Blur:
    """The blur of a float grey image: motion if the cepstrum shows it, else a Gaussian (or disk) fit.

    A defocus disk of radius ``r`` has about the edge spread of a Gaussian
    of sigma ``r / 2``; the disk is used only when asked for by ``kind``.
    """
    if kind in ("auto", "motion"):
        motion = estimate_motion_blur(grey)
        if motion is not None:
            return motion
    sigma = estimate_gaussian_blur(grey)
    if kind == "defocus":
        return Blur("defocus", 2.0 * sigma)
    return Blur("gaussian", sigma)


def _transfer(kernel: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Optical transfer function of a centred ``kernel`` on an FFT grid of ``shape`` (rfft layout)."""
    padded = np.zeros(shape)
    kh, kw = kernel.shape
    padded[:kh, :kw] = kernel
    padded = np.roll(padded, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    return np.fft.rfft2(padded)


def deconvolve(image: np.ndarray, blur: Blur, noise: float) -> np.ndarray:
    """Wiener deconvolution with a Laplacian prior of an ``H x W x C`` float image.

    Parameters
    ----------
    image : (H, W, C) float array
        Values in [0, 1].
    blur : Blur
        The blur to undo.
    noise : float
        Noise sigma in 0-1 units; more noise, more regularisation.

    Returns
    -------
    (H, W, C) float32 array, not clipped.
    """
    kernel = blur.kernel()
    pad = max(kernel.shape) * 2 + 8
    height, width = image.shape[:2]
    mirrored = cv2.copyMakeBorder(image.astype(np.float32), pad, pad, pad, pad, cv2.BORDER_REFLECT)
    mirrored = mirrored.reshape(height + 2 * pad, width + 2 * pad, -1)
    shape = (cv2.getOptimalDFTSize(mirrored.shape[0]), cv2.getOptimalDFTSize(mirrored.shape[1]))
    transfer = _transfer(kernel, shape)
    laplacian = _transfer(np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]], np.float64), shape)
    lam = _LAMBDA_NOISE * noise**2 + _LAMBDA_FLOOR[blur.kind]
    gain = np.conj(transfer) / (np.abs(transfer) ** 2 + lam * np.abs(laplacian) ** 2)
    out = np.empty(image.shape, np.float32)
    for c in range(image.shape[2]):
        plane = np.zeros(shape)
        plane[: mirrored.shape[0], : mirrored.shape[1]] = mirrored[..., c]
        # Fill the FFT padding by mirroring once more, so the wrap-around is smooth too.
        plane[mirrored.shape[0] :, : mirrored.shape[1]] = mirrored[::-1, :, c][: shape[0] - mirrored.shape[0]]
        plane[:, mirrored.shape[1] :] = plane[:, : mirrored.shape[1]][:, ::-1][
            :, : shape[1] - mirrored.shape[1]
        ]
        restored = np.fft.irfft2(np.fft.rfft2(plane) * gain, s=shape)
        out[..., c] = restored[pad : pad + height, pad : pad + width]
    return out


def image_noise(grey: np.ndarray) -> float:
    """Noise sigma of a float grey image, 0-1 units."""
    return estimate_noise_sigma(grey) / 255.0
