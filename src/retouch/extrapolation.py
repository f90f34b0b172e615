"""Frequency-selective extrapolation: fill holes from a sparse Fourier model of their surroundings.

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
"""

from __future__ import annotations

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
        for _ in range(steps):
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
            my, mx = (size - uy) % size, (size - ux) % size
            paired = my != uy or mx != ux
            for c in range(channels):
                delta = damping * spectrum[uy, ux, c] / total
                coeffs[b, uy, ux, c] += delta
                if paired:
                    mirror = np.conj(delta)
                    coeffs[b, my, mx, c] += mirror
                for ky in range(size):
                    for kx in range(size):
                        change = delta * window[(ky - uy) % size, (kx - ux) % size]
                        if paired:
                            change += mirror * window[(ky - my) % size, (kx - mx) % size]
                        spectrum[ky, kx, c] -= change
    return coeffs


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
