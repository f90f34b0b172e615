"""Model fits that fill holes from their surroundings: sparse Fourier models and oriented planes.

:func:`extrapolate` (frequency-selective extrapolation) suits compact holes
in texture; :func:`oriented_fit` (a plane fitted along the local structure)
suits thin ones across edges.

Each connected part of the hole is taken in a window: its bounding box and
a border of known pixels around it. A model made of a few Fourier basis
functions is grown one pair (a frequency and its mirror, so the model stays
real) at a time: each step adds the pair that most reduces the weighted
error over the known pixels, and the hole takes the model's values. Known
pixels weigh less the farther they lie from the part, so the model follows
the content next to the hole (the idea of Seiler & Kaup's frequency
selective extrapolation, 2010). Textures and straight edges, which a few
frequencies describe, continue into the hole where a smooth membrane fill
would blur them.

The work happens in the frequency domain: with ``R`` the spectrum of the
weighted error and ``W`` that of the weights, adding ``d`` times the basis
function of frequency ``u`` changes ``R(k)`` by ``-d W(k - u)``, so each step
costs one pass over the spectrum, and the FFTs run once per window, batched
by size.

:func:`oriented_fit` estimates each hole pixel by a weighted least-squares
plane through the known pixels around it, weighted by a Gaussian stretched
along the local isophote and squeezed across it (steering kernel
regression, after Takeda, Farsiu & Milanfar 2007). The orientation comes
from the structure tensor of the image with the hole holding a first
guess, so an edge that a scratch crosses is bridged along the edge, not
smeared across it.
"""

from __future__ import annotations

import cv2
import numpy as np
from numba import njit, prange
from scipy import ndimage

# Known pixels taken around each part of the hole, and the FFT sizes its window is padded to
# (at least _OVERSAMPLE times its side, for a finer frequency grid than the window's own).
_BORDER = 10
_OVERSAMPLE = 1.5
_FFT_SIZES = (16, 24, 32, 40, 48, 64, 80, 96, 128, 160, 192, 256)
# Weight of a known pixel decays by this factor per pixel of distance from the part.
_DECAY = 0.8
# Steps (frequency pairs) per part and the fraction of each projection added (orthogonality
# deficiency compensation: the basis is not orthogonal over the known pixels).
_STEPS = 100
_DAMPING = 0.5
# Low frequencies are preferred: a frequency's error reduction is scaled by
# (1 - _PRIOR * |f| / |f_max|) ** 2.
_PRIOR = 0.5
# Oriented plane fit: the structure tensor is smoothed over this Gaussian sigma; its coherence c
# stretches the kernel to _ELONGATION * c + 1 times narrower across the isophote than along it
# (the two widths' geometric mean is the kernel's width); a tensor weaker than _COHERENCE_FLOOR
# times the squared range of the image counts as no orientation. The kernel is _FIT_WIDTH
# pixels wide one pixel deep into the hole and widens by _FIT_WIDENING per pixel deeper, so
# every pixel reaches known ones; pixels farther than _FIT_REACH widths (at most _FIT_MAX_REACH
# pixels) are left out. Slopes are damped by _RIDGE times the total weight, which keeps the fit
# defined when the known pixels in reach lie on one line.
_TENSOR_SIGMA = 4.0
_ELONGATION = 7.0
_COHERENCE_FLOOR = 1e-4
_FIT_WIDTH = 1.3
_FIT_WIDENING = 0.5
_FIT_REACH = 2.5
_FIT_MAX_REACH = 14
_RIDGE = 1e-3


@njit(cache=True, nogil=True, parallel=True)
def _grow_models(residual, weights, prior, steps, damping):
    """Grow the sparse model of every window (in place on ``residual``); return its coefficients.

    ``residual`` (n, N, N, C) complex: spectra of the weighted known pixels;
    ``weights`` (n, N, N) complex: spectra of the weights; ``prior`` (N, N).
    """
    count, size, _, channels = residual.shape
    coeffs = np.zeros_like(residual)
    for b in prange(count):
        spectrum = residual[b]
        window = weights[b]
        total = window[0, 0].real
        if total <= 0.0:
            continue
        deltas = np.empty(channels, np.complex128)
        mirrors = np.empty(channels, np.complex128)
        uy, ux = _strongest(spectrum, prior)
        for _ in range(steps):
            my, mx = (size - uy) % size, (size - ux) % size
            paired = my != uy or mx != ux
            for c in range(channels):
                deltas[c] = damping * spectrum[uy, ux, c] / total
                coeffs[b, uy, ux, c] += deltas[c]
                mirrors[c] = np.conj(deltas[c])
                if paired:
                    coeffs[b, my, mx, c] += mirrors[c]
            # Subtract the new pair's contribution and, in the same pass, find the next strongest
            # frequency (first maximum in scan order, as a separate search would).
            best = -1.0
            next_y = 0
            next_x = 0
            for ky in range(size):
                shift_y = ky - uy + size if ky < uy else ky - uy
                mirror_y = ky - my + size if ky < my else ky - my
                for kx in range(size):
                    shift_x = kx - ux + size if kx < ux else kx - ux
                    mirror_x = kx - mx + size if kx < mx else kx - mx
                    near = window[shift_y, shift_x]
                    far = window[mirror_y, mirror_x]
                    energy = 0.0
                    for c in range(channels):
                        change = deltas[c] * near
                        if paired:
                            change += mirrors[c] * far
                        v = spectrum[ky, kx, c] - change
                        spectrum[ky, kx, c] = v
                        energy += v.real * v.real + v.imag * v.imag
                    energy *= prior[ky, kx]
                    if energy > best:
                        best, next_y, next_x = energy, ky, kx
            uy, ux = next_y, next_x
    return coeffs


@njit(cache=True, nogil=True)
def _strongest(spectrum, prior):
    """The frequency of largest prior-weighted energy over the channels (the first, in scan order)."""
    size, _, channels = spectrum.shape
    best = -1.0
    uy = 0
    ux = 0
    for ky in range(size):
        for kx in range(size):
            energy = 0.0
            for c in range(channels):
                v = spectrum[ky, kx, c]
                energy += v.real * v.real + v.imag * v.imag
            energy *= prior[ky, kx]
            if energy > best:
                best, uy, ux = energy, ky, kx
    return uy, ux


def _frequency_prior(size: int) -> np.ndarray:
    f = np.fft.fftfreq(size)
    radius = np.hypot(f[:, None], f[None, :]) / np.hypot(0.5, 0.5)
    return ((1.0 - _PRIOR * radius) ** 2).astype(np.float64)


def _fft_size(side: int) -> int:
    """The smallest FFT size in ``_FFT_SIZES`` at least ``_OVERSAMPLE`` times ``side``."""
    for size in _FFT_SIZES:
        if size >= _OVERSAMPLE * side:
            return size
    return int(2 ** np.ceil(np.log2(_OVERSAMPLE * side)))


def extrapolate(
    image: np.ndarray,
    hole: np.ndarray,
    fill: np.ndarray | None = None,
    steps: int = _STEPS,
) -> np.ndarray:
    """Fill ``hole`` in ``image`` by frequency-selective extrapolation (a new float32 array).

    Each connected part is modelled on its own window: its bounding box and
    ``_BORDER`` pixels around it.

    Parameters
    ----------
    image : (H, W, C) float32 array
        Values at hole pixels are ignored, except in a part with no known
        pixel within ``_BORDER``, which keeps them.
    hole : (H, W) bool array
        True where pixels are unknown; some pixels must be known.
    fill : (H, W) bool array, optional
        The part of ``hole`` to fill (default: all of it); the rest of the
        hole is left as it is but never used as known.
    steps : int
        Frequency pairs added to each part's model.

    Returns
    -------
    (H, W, C) float32 array
        ``image`` with its ``fill`` pixels replaced.

    Examples
    --------
    >>> y, x = np.mgrid[:64, :64]
    >>> stripes = np.sin(x / 2.0)[..., None].astype(np.float32)
    >>> hole = np.zeros((64, 64), bool)
    >>> hole[28:36, 28:36] = True
    >>> out = extrapolate(stripes, hole)
    >>> bool(np.abs(out - stripes)[hole].max() < 0.1)
    True
    """
    channels = image.shape[2]
    # Margins let every window be whole; they are unknown, so parts at the image's edge are
    # extrapolated from the side that is known.
    m = _BORDER
    padded = np.pad(image, ((m, m), (m, m), (0, 0)))
    known = np.pad(~hole, m)
    out = padded.astype(np.float32, copy=True)
    parts, _ = ndimage.label(hole if fill is None else fill, structure=np.ones((3, 3), bool))
    parts = np.pad(parts, m)
    groups: dict[int, list[tuple[int, tuple[slice, slice]]]] = {}
    for label, box in enumerate(ndimage.find_objects(parts), start=1):
        if box is None:
            continue
        window = (
            slice(box[0].start - m, box[0].stop + m),
            slice(box[1].start - m, box[1].stop + m),
        )
        side = max(window[0].stop - window[0].start, window[1].stop - window[1].start)
        groups.setdefault(_fft_size(side), []).append((label, window))
    for size, members in groups.items():
        signal = np.zeros((len(members), size, size, channels), np.float32)
        weight = np.zeros((len(members), size, size), np.float32)
        means = np.zeros((len(members), channels), np.float32)
        usable = np.zeros(len(members), bool)
        for i, (label, window) in enumerate(members):
            part = parts[window] == label
            h, w = part.shape
            # Weights fall with the distance to this part; other holes in the window are unknown.
            weight[i, :h, :w] = _DECAY ** ndimage.distance_transform_edt(~part) * known[window]
            # The model describes the departure from the weighted mean, which it then need not fit
            # (and a constant channel, such as a flat alpha, stays exactly constant).
            # A part with no known pixel in reach keeps the values ``image`` holds there.
            usable[i] = weight[i].sum() > 0
            means[i] = np.tensordot(weight[i, :h, :w], padded[window], axes=2) / max(weight[i].sum(), 1e-12)
            signal[i, :h, :w] = (padded[window] - means[i]) * weight[i, :h, :w, None]
        residual = np.fft.fft2(signal, axes=(1, 2)).astype(np.complex128)
        spectra = np.fft.fft2(weight, axes=(1, 2)).astype(np.complex128)
        coeffs = _grow_models(residual, spectra, _frequency_prior(size), steps, _DAMPING)
        model = np.fft.ifft2(coeffs, axes=(1, 2)).real * (size * size)
        for i, (label, window) in enumerate(members):
            if not usable[i]:
                continue
            part = parts[window] == label
            h, w = part.shape
            out[window][part] = model[i, :h, :w][part] + means[i]
    return out[m:-m, m:-m]


def structure_tensor(image: np.ndarray, sigma: float = _TENSOR_SIGMA) -> tuple[np.ndarray, ...]:
    """The smoothed structure tensor ``(Jxx, Jxy, Jyy)`` of ``image``, summed over its channels.

    Parameters
    ----------
    image : (H, W, C) float32 array
    sigma : float
        Gaussian sigma of the smoothing, in pixels.

    Returns
    -------
    tuple of three (H, W) float32 arrays

    Examples
    --------
    >>> stripes = np.tile(np.sin(np.arange(32) / 2.0), (32, 1))[..., None].astype(np.float32)
    >>> jxx, jxy, jyy = structure_tensor(stripes)
    >>> bool(jxx[16, 16] > 100 * abs(jyy[16, 16]))
    True
    """
    products = np.zeros((*image.shape[:2], 3), np.float32)
    for c in range(image.shape[2]):
        gx = cv2.Sobel(image[..., c], cv2.CV_32F, 1, 0, ksize=3) / 8
        gy = cv2.Sobel(image[..., c], cv2.CV_32F, 0, 1, ksize=3) / 8
        products += np.dstack([gx * gx, gx * gy, gy * gy])
    smooth = cv2.GaussianBlur(products, (0, 0), sigma)
    return smooth[..., 0], smooth[..., 1], smooth[..., 2]


@njit(cache=True, nogil=True, parallel=True)
def _plane_fit(image, hole, fallback, ys, xs, jxx, jxy, jyy, depth, floor):
    """The value at each listed pixel of an oriented weighted least-squares plane (see oriented_fit)."""
    height, width, channels = image.shape
    count = ys.size
    out = np.empty((count, channels), np.float32)
    for k in prange(count):
        y, x = ys[k], xs[k]
        a, b, d = jxx[y, x], jxy[y, x], jyy[y, x]
        half = 0.5 * (a + d)
        spread = np.sqrt(max(half * half - (a * d - b * b), 0.0))
        major, minor = half + spread, half - spread
        # The tensor's major eigenvector is the gradient direction (across the isophote).
        if abs(b) > 1e-20:
            gx, gy = major - d, b
        elif a >= d:
            gx, gy = 1.0, 0.0
        else:
            gx, gy = 0.0, 1.0
        norm = np.sqrt(gx * gx + gy * gy)
        gx, gy = gx / norm, gy / norm
        across = 1.0 + _ELONGATION * (major - minor) / (major + minor + floor)
        along = 1.0 / across
        size = _FIT_WIDTH + _FIT_WIDENING * max(depth[k] - 1.0, 0.0)
        reach = min(int(np.ceil(_FIT_REACH * size)) + 1, _FIT_MAX_REACH)
        scale = 1.0 / (size * size)
        # Normal equations of the plane v0 + v1 dx + v2 dy (symmetric: six sums) and right-hand sides.
        s00 = s01 = s02 = s11 = s12 = s22 = 0.0
        rhs = np.zeros((3, channels))
        for sy in range(max(y - reach, 0), min(y + reach + 1, height)):
            for sx in range(max(x - reach, 0), min(x + reach + 1, width)):
                if hole[sy, sx]:
                    continue
                dy, dx = float(sy - y), float(sx - x)
                u = dx * gx + dy * gy
                v = dy * gx - dx * gy
                w = np.exp(-(across * u * u + along * v * v) * scale)
                s00 += w
                s01 += w * dx
                s02 += w * dy
                s11 += w * dx * dx
                s12 += w * dx * dy
                s22 += w * dy * dy
                for c in range(channels):
                    value = w * image[sy, sx, c]
                    rhs[0, c] += value
                    rhs[1, c] += value * dx
                    rhs[2, c] += value * dy
        if s00 < 1e-12:
            for c in range(channels):
                out[k, c] = fallback[k, c]
            continue
        s11 += _RIDGE * s00
        s22 += _RIDGE * s00
        # The plane's value at the pixel is v0: Cramer's rule needs only the first row of the adjugate.
        c0 = s11 * s22 - s12 * s12
        c1 = s02 * s12 - s01 * s22
        c2 = s01 * s12 - s11 * s02
        det = s00 * c0 + s01 * c1 + s02 * c2
        for c in range(channels):
            out[k, c] = (c0 * rhs[0, c] + c1 * rhs[1, c] + c2 * rhs[2, c]) / det
    return out


def oriented_fit(
    image: np.ndarray, hole: np.ndarray, guess: np.ndarray, ys: np.ndarray, xs: np.ndarray, depth: np.ndarray
) -> np.ndarray:
    """Estimate hole pixels by planes fitted to the known pixels around them, along the local structure.

    Parameters
    ----------
    image : (H, W, C) float32 array
        Only its known pixels are used.
    hole : (H, W) bool array
        True where pixels are unknown.
    guess : (H, W, C) float32 array
        ``image`` with the hole holding a first estimate: it sets the
        orientation (and the scale of the image's values), and it is kept
        where no known pixel is in reach.
    ys, xs : int arrays
        The hole pixels to estimate.
    depth : float array
        Their distance to the nearest known pixel; deeper pixels get wider kernels.

    Returns
    -------
    (N, C) float32 array
        The estimate at each listed pixel.

    Examples
    --------
    >>> ramp = np.tile(np.linspace(0, 1, 32, dtype=np.float32), (32, 1))[..., None]
    >>> hole = np.zeros((32, 32), bool)
    >>> hole[10:13, 4:28] = True
    >>> ys, xs = np.nonzero(hole)
    >>> out = oriented_fit(ramp, hole, ramp, ys, xs, np.ones(ys.size))
    >>> bool(np.abs(out - ramp[ys, xs]).max() < 1e-3)
    True
    """
    jxx, jxy, jyy = structure_tensor(guess)
    floor = _COHERENCE_FLOOR * max(float(guess.max() - guess.min()), 1e-12) ** 2
    fallback = guess[ys, xs]
    return _plane_fit(
        image, hole, fallback, ys.astype(np.int64), xs.astype(np.int64), jxx, jxy, jyy,
        np.asarray(depth, np.float64), floor,
    )  # fmt: skip
