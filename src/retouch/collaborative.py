"""Collaborative filtering of grouped image blocks: a BM3D-class denoiser in numba.

The method follows Dabov, Foi, Katkovnik & Egiazarian, "Image denoising by
sparse 3-D transform-domain collaborative filtering" (IEEE TIP 2007) and its
colour variant: the image is rotated into an orthonormal luminance /
opponent-colour space (white noise stays white, of the same strength), blocks
are matched on luminance only, and each group of similar blocks is filtered
jointly in all channels, so chroma shares the structure luminance reveals.

Two passes:

1. *Basic estimate.* For reference blocks on a grid, the most similar blocks
   in a search window form a group (a power-of-two count, up to
   ``group_1``). The group is transformed by the 8 x 8 biorthogonal 1.5
   wavelet transform per block (as in BM3D's first pass: it keeps edges in
   fewer coefficients than the DCT) and an orthonormal Haar transform across
   blocks, coefficients under ``2.6 sigma`` are zeroed, and the inverse
   transform's blocks are added back with weight ``1 / (non-zero
   coefficients)`` times a Kaiser window.
2. *Wiener pass.* Matching is redone on the basic estimate (far less noisy),
   groups are formed from the same positions in the noisy image and in the
   basic estimate, both transformed by the orthonormal 8 x 8 DCT per block
   and Haar across blocks, and the noisy group's spectrum is shrunk by the
   empirical Wiener gain ``B^2 / (B^2 + sigma^2)`` of the basic estimate's
   spectrum.

Both passes search BM3D's full 39 x 39 window. Speed comes from doing each
piece of work once and in a vectorisable form: the 8 x 8 transform of the
block at every position is computed once per pass input and stored with a block's
coefficients in all channels contiguous (a group is gathered from a few cache
lines per block, and the Haar transform across the group and the shrinkage
run over all channels at once); block distances to a whole row of candidates
are summed at once; and filtered groups are summed in the block-transform
domain, so the inverse transform and the window are applied once per position,
not once per block of every group. The work runs per reference block in numba kernels, in bands
of rows whose groups cannot overlap, so no two threads write the same place.
Large images are cut into overlapping tiles that are filtered one by one,
keeping memory bounded (under 1 GB for a 512 x 512 tile).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numba import njit, prange

from retouch.sliding_dct import KAISER, fdct8, idct8_windowed

BLOCK = 8


@dataclass(frozen=True)
class Profile:
    """Speed/quality settings of the two passes.

    ``step_*`` is the reference grid spacing per pass, ``radius`` the half-width of the
    search window, ``group_*`` the largest group per pass, ``tau_*`` the mean squared block
    distance (0-1 units, luminance) beyond which a block does not join a group,
    ``threshold`` the hard threshold of the first pass in units of sigma, and ``wavelet``
    whether the first pass transforms blocks by bior1.5 (else by the DCT).

    Measured with ``bench/denoise.py`` (five 512 x 512 photos, sigma 10 / 25 / 50): BM3D's
    full 39 x 39 search window (``radius`` 19) gains about 0.1 dB over 17 x 17, in both passes;
    searching only every other row and column beyond 8 px loses most of that. ``tau_2`` =
    1170 (0-255 units) beats BM3D's 400 by about 0.02 dB (more blocks per group in smooth
    areas), ``threshold`` 2.6 beats 2.7 and 2.8 by 0.01-0.04 dB; a step of 4 instead of 3
    in the Wiener pass loses 0.06 dB, a third (Wiener) pass loses 0.01 dB. bior1.5 instead of
    the DCT in the first pass gains 0.05-0.07 dB at every sigma (the largest gains on fine
    structure: rocket +0.15 dB at sigma 10); then ``tau_1`` 5000 instead of BM3D's 3000 gains
    0.01-0.03 dB (7000 above sigma 40, +0.015 dB), 2.5 or 2.7 instead of 2.6 lose 0.01-0.03 dB.
    A first-pass step of 3 gains 0.02 dB and group of 32 0.01 dB, for 15 % and 11 % more time;
    a Wiener step of 4 loses 0.01-0.02 dB and saves 15-20 % (taken above sigma 20).
    """

    step_1: int
    step_2: int
    radius: int
    group_1: int
    group_2: int
    tau_1: float = 5000.0 / 255**2
    tau_2: float = 1170.0 / 255**2
    threshold: float = 2.6
    wiener: bool = True
    wavelet: bool = True


PROFILES = {
    # A first-pass grid coarser than BM3D's 3 px costs 0.02 dB and saves 15 % of the time.
    "best": Profile(step_1=4, step_2=3, radius=19, group_1=16, group_2=32),
}
# Above this noise level (0-1 units) a Wiener grid of 4 px loses under 0.02 dB and saves a sixth of the time.
_MODERATE_NOISE = 20 / 255
# Above this one blocks differ more by noise alone: looser matching, as in BM3D.
_HIGH_NOISE = 40 / 255


def profile_for(quality: str, sigma: float) -> Profile:
    """The settings for ``quality`` (a key of :data:`PROFILES`) at noise level ``sigma`` (0-1 units)."""
    profile = PROFILES[quality]
    if sigma > _MODERATE_NOISE:
        profile = replace(profile, step_2=4)
    if sigma > _HIGH_NOISE:
        profile = replace(profile, tau_1=7000 / 255**2, tau_2=3500 / 255**2)
    return profile


def bior15_matrix(n: int = BLOCK) -> np.ndarray:
    """The biorthogonal 1.5 wavelet transform of ``n`` samples (a power of two) as a matrix.

    Full dyadic decomposition with periodic extension; rows are ordered coarse to
    fine (``[A_L, D_L, ..., D_1]``) and scaled to unit norm, so white noise of
    strength sigma gives every coefficient strength sigma (one threshold fits all),
    as in BM3D's first pass. Its inverse is not its transpose.

    Parameters
    ----------
    n : int
        Transform length, a power of two.

    Returns
    -------
    (n, n) float64 array

    Examples
    --------
    >>> m = bior15_matrix(8)
    >>> bool(np.allclose(m[0], 8**-0.5) and np.allclose(np.linalg.norm(m, axis=1), 1))
    True
    """
    # Analysis low-pass of bior1.5, centred on the pair (2k, 2k + 1); its high-pass is Haar's.
    taps = np.array([3, -3, -22, 22, 128, 128, 22, -22, -3, 3]) / (128 * np.sqrt(2))

    def levels(m: int) -> np.ndarray:
        if m == 1:
            return np.ones((1, 1))
        low, high = np.zeros((m // 2, m)), np.zeros((m // 2, m))
        for k in range(m // 2):
            for offset, tap in enumerate(taps, start=-4):
                low[k, (2 * k + offset) % m] += tap
            high[k, 2 * k], high[k, 2 * k + 1] = 1 / np.sqrt(2), -1 / np.sqrt(2)
        return np.vstack([levels(m // 2) @ low, high])

    matrix = levels(n)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


# Compile-time constants in numba: the first pass's block transform and its inverse times the window.
_BIOR = bior15_matrix().astype(np.float32)
_BIOR_INVERSE = (np.linalg.inv(bior15_matrix()) * KAISER[:, None]).astype(np.float32)


@njit(inline="always", fastmath=True)
def _dot8(r, x0, x1, x2, x3, x4, x5, x6, x7):
    return r[0] * x0 + r[1] * x1 + r[2] * x2 + r[3] * x3 + r[4] * x4 + r[5] * x5 + r[6] * x6 + r[7] * x7


@njit(inline="always", fastmath=True)
def _product8(m, x0, x1, x2, x3, x4, x5, x6, x7):
    """``m @ x`` for a constant 8 x 8 matrix ``m`` (its zero entries fold away)."""
    return (
        _dot8(m[0], x0, x1, x2, x3, x4, x5, x6, x7),
        _dot8(m[1], x0, x1, x2, x3, x4, x5, x6, x7),
        _dot8(m[2], x0, x1, x2, x3, x4, x5, x6, x7),
        _dot8(m[3], x0, x1, x2, x3, x4, x5, x6, x7),
        _dot8(m[4], x0, x1, x2, x3, x4, x5, x6, x7),
        _dot8(m[5], x0, x1, x2, x3, x4, x5, x6, x7),
        _dot8(m[6], x0, x1, x2, x3, x4, x5, x6, x7),
        _dot8(m[7], x0, x1, x2, x3, x4, x5, x6, x7),
    )


@njit(inline="always", fastmath=True)
def _forward8(wavelet, x0, x1, x2, x3, x4, x5, x6, x7):
    """The first pass's (bior1.5) or the second pass's (DCT) 8-point transform."""
    if wavelet:
        return _product8(_BIOR, x0, x1, x2, x3, x4, x5, x6, x7)
    return fdct8(x0, x1, x2, x3, x4, x5, x6, x7)


@njit(inline="always", fastmath=True)
def _inverse8(wavelet, c0, c1, c2, c3, c4, c5, c6, c7):
    """Inverse of :func:`_forward8` times the Kaiser window."""
    if wavelet:
        return _product8(_BIOR_INVERSE, c0, c1, c2, c3, c4, c5, c6, c7)
    return idct8_windowed(c0, c1, c2, c3, c4, c5, c6, c7)


# Reference bands of one phase run in parallel (see _collaborate).
_PHASES = 4
# Tiles are filtered one at a time: this many pixels of new output per tile side.
_TILE = 512


@njit(cache=True, fastmath=True)
def _haar_forward(g, n, out):
    """Orthonormal Haar transform along axis 0 of ``g[:n]`` (n a power of two) into ``out[:n]``.

    ``g`` is used as scratch: each level's sums are packed into its first rows
    (each row is read before it is overwritten), the differences go to ``out``.
    """
    r = np.float32(1.0 / np.sqrt(2.0))
    m = n
    while m > 1:
        h = m // 2
        for k in range(h):
            a, b, s, d = g[2 * k], g[2 * k + 1], g[k], out[h + k]
            for i in range(a.size):
                x, y = a[i], b[i]
                s[i] = (x + y) * r
                d[i] = (x - y) * r
        m = h
    out[0, :] = g[0]


@njit(cache=True, fastmath=True)
def _haar_inverse(c, n, g):
    """Inverse of :func:`_haar_forward`: ``c[:n]`` (kept) into ``g[:n]``, coarsest level first."""
    r = np.float32(1.0 / np.sqrt(2.0))
    g[0, :] = c[0]
    m = 2
    while m <= n:
        h = m // 2
        # Downwards, so that the sums in g[:h] are read before rows 2k, 2k + 1 overwrite them.
        for k in range(h - 1, -1, -1):
            s, d, a, b = g[k], c[h + k], g[2 * k], g[2 * k + 1]
            for i in range(s.size):
                x, y = s[i], d[i]
                a[i] = (x + y) * r
                b[i] = (x - y) * r
        m *= 2


@njit(cache=True, fastmath=True)
def _match(guide, y0, x0, radius, max_group, tau, ys, xs, dist, row):
    """The most similar blocks to the one at (y0, x0); returns the group size (a power of two).

    The exact distances to a whole row of candidates are summed at once, one
    block row at a time, in a loop over the candidates that the compiler turns
    into vector instructions; ``row`` holds them (at least ``2 radius + 1``).
    """
    h = guide.shape[0] - BLOCK + 1
    w = guide.shape[1] - BLOCK + 1
    count = 1
    ys[0] = y0
    xs[0] = x0
    dist[0] = 0.0
    limit = tau * BLOCK * BLOCK
    x_lo, x_hi = max(0, x0 - radius), min(w, x0 + radius + 1)
    n = x_hi - x_lo
    for y in range(max(0, y0 - radius), min(h, y0 + radius + 1)):
        sums = row[:n]
        sums[:] = 0.0
        for i in range(BLOCK):
            line = guide[y + i, x_lo:]
            ref = guide[y0 + i, x0 : x0 + BLOCK]
            r0, r1, r2, r3, r4, r5, r6, r7 = ref[0], ref[1], ref[2], ref[3], ref[4], ref[5], ref[6], ref[7]
            # A whole block row per candidate in one sweep: eight terms per load and store of a sum.
            for t in range(n):
                e0, e1, e2, e3 = r0 - line[t], r1 - line[t + 1], r2 - line[t + 2], r3 - line[t + 3]
                e4, e5, e6, e7 = r4 - line[t + 4], r5 - line[t + 5], r6 - line[t + 6], r7 - line[t + 7]
                sums[t] += (
                    (e0 * e0 + e1 * e1) + (e2 * e2 + e3 * e3) + (e4 * e4 + e5 * e5) + (e6 * e6 + e7 * e7)
                )
        for t in range(n):
            s = sums[t]
            if s >= limit or (count == max_group and s >= dist[count - 1]):
                continue
            x = x_lo + t
            if y == y0 and x == x0:
                continue
            # Insert into the sorted list, dropping the worst when full.
            k = count if count < max_group else max_group - 1
            while k > 0 and dist[k - 1] > s:
                if k < max_group:
                    dist[k] = dist[k - 1]
                    ys[k] = ys[k - 1]
                    xs[k] = xs[k - 1]
                k -= 1
            dist[k] = s
            ys[k] = y
            xs[k] = x
            if count < max_group:
                count += 1
    n = 1
    while n * 2 <= count:
        n *= 2
    return n


@njit(cache=True, fastmath=True)
def _hard_shrink(coef, n, limit, size, weight):
    """Zero the coefficients of ``coef[:n]`` under ``limit``; ``weight[c]``: 1 / kept in channel c."""
    one, zero = np.float32(1.0), np.float32(0.0)
    for c in range(weight.size):
        kept = zero
        for k in range(n):
            v = coef[k, c * size : (c + 1) * size]
            t = limit[c * size : (c + 1) * size]
            for i in range(size):
                keep = abs(v[i]) >= t[i]
                v[i] = v[i] if keep else zero
                kept += one if keep else zero
        weight[c] = one / max(kept, one)


@njit(cache=True, fastmath=True)
def _wiener_shrink(coef, pilot, n, noise, size, weight):
    """Scale ``coef[:n]`` by the Wiener gains of ``pilot``; ``weight[c]``: 1 / their sum of squares."""
    one = np.float32(1.0)
    for c in range(weight.size):
        total = np.float32(0.0)
        for k in range(n):
            v = coef[k, c * size : (c + 1) * size]
            p = pilot[k, c * size : (c + 1) * size]
            s2 = noise[c * size : (c + 1) * size]
            for i in range(size):
                p2 = p[i] * p[i]
                gain = p2 / (p2 + s2[i])
                v[i] *= gain
                total += gain * gain
        weight[c] = one / max(total, one)


@njit(cache=True, parallel=True, fastmath=True)
def _collaborate(
    spectra, pilot_spectra, guide, sigma, ref_y, ref_x, bands, radius, max_group, tau, threshold, wiener
):
    """One pass over all reference blocks, aggregated in the block-transform domain.

    ``spectra`` holds the 8 x 8 transform of the noisy block at every position,
    (H - 7, W - 7, C, 64) (see :func:`_block_spectra`); blocks are matched on
    ``guide``; hard thresholding uses ``spectra`` alone, the Wiener pass
    takes its gains from ``pilot_spectra`` (the same for the basic estimate).
    Every filtered block's weighted coefficients are summed at its position:
    the inverse transform and the window are linear, so they are applied once per
    position afterwards instead of once per block of every group.

    References are cut into bands of rows (``bands`` holds the first
    reference of each, and the end) so narrow that a band's groups
    never reach ``_PHASES - 1`` bands up or down: every ``_PHASES``-th band
    runs in parallel, one phase after another, and no two threads ever add to
    the same position. Many narrow bands keep both cores busy to the end.

    Returns the coefficient sums (H - 7, W - 7, C, 64) and weight sums (H - 7, W - 7, C).
    """
    hb, wb, channels, size = spectra.shape
    flat = channels * size
    spectra = spectra.reshape((hb, wb, flat))
    pilot_spectra = pilot_spectra.reshape((hb, wb, flat))
    acc = np.zeros((hb, wb, flat), np.float32)
    weights = np.zeros((hb, wb, channels), np.float32)
    # Noise variance and hard threshold of each coefficient of a block's spectra in all channels.
    noise = np.empty(flat, np.float32)
    limit = np.empty(flat, np.float32)
    for c in range(channels):
        noise[c * size : (c + 1) * size] = sigma[c] * sigma[c]
        limit[c * size : (c + 1) * size] = threshold * sigma[c]
    count = bands.size - 1
    for phase in range(_PHASES):
        for b in prange((count - phase + _PHASES - 1) // _PHASES):
            band = _PHASES * b + phase
            ys = np.empty(max_group, np.int64)
            xs = np.empty(max_group, np.int64)
            dist = np.empty(max_group, np.float32)
            row = np.empty(2 * radius + 1, np.float32)
            group = np.empty((max_group, flat), np.float32)
            coef = np.empty((max_group, flat), np.float32)
            pilot = np.empty((max_group, flat), np.float32)
            pcoef = np.empty((max_group, flat), np.float32)
            weight = np.empty(channels, np.float32)
            for r in range(bands[band], bands[band + 1]):
                n = _match(guide, ref_y[r], ref_x[r], radius, max_group, tau, ys, xs, dist, row)
                for k in range(n):
                    group[k, :] = spectra[ys[k], xs[k]]
                _haar_forward(group, n, coef)
                if wiener:
                    for k in range(n):
                        pilot[k, :] = pilot_spectra[ys[k], xs[k]]
                    _haar_forward(pilot, n, pcoef)
                    _wiener_shrink(coef, pcoef, n, noise, size, weight)
                else:
                    _hard_shrink(coef, n, limit, size, weight)
                _haar_inverse(coef, n, group)
                for k in range(n):
                    out = acc[ys[k], xs[k]]
                    g = group[k]
                    for c in range(channels):
                        w = weight[c]
                        for i in range(c * size, (c + 1) * size):
                            out[i] += w * g[i]
                        weights[ys[k], xs[k], c] += w
    return acc.reshape((hb, wb, channels, size)), weights


@njit(cache=True, parallel=True, fastmath=True)
def _block_spectra(data, wavelet):
    """The 2-D transform of the block at every position of each (H, W) plane: (H - 7, W - 7, C, 64).

    The transform is the DCT, or bior1.5 if ``wavelet``. Coefficient ``u * 8 + v``
    has vertical frequency ``u``. A block's spectra in all channels are
    contiguous, so gathering a group reads a few cache lines per block. For each
    row of blocks, the columns are transformed first, all at once in a loop the
    compiler turns into vector instructions; then each block's eight rows.
    """
    channels, height, width = data.shape
    hb, wb = height - BLOCK + 1, width - BLOCK + 1
    spectra = np.empty((hb, wb, channels, BLOCK * BLOCK), np.float32)
    for y in prange(hb):
        columns = np.empty((BLOCK, width), np.float32)
        c0, c1, c2, c3 = columns[0], columns[1], columns[2], columns[3]
        c4, c5, c6, c7 = columns[4], columns[5], columns[6], columns[7]
        for c in range(channels):
            p = data[c, y : y + BLOCK]
            p0, p1, p2, p3, p4, p5, p6, p7 = p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]
            for x in range(width):
                c0[x], c1[x], c2[x], c3[x], c4[x], c5[x], c6[x], c7[x] = _forward8(
                    wavelet, p0[x], p1[x], p2[x], p3[x], p4[x], p5[x], p6[x], p7[x]
                )
            for x in range(wb):
                out = spectra[y, x, c]
                for u in range(BLOCK):
                    q = columns[u, x : x + BLOCK]
                    f = _forward8(wavelet, q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7])
                    for v in range(BLOCK):
                        out[u * BLOCK + v] = f[v]
    return spectra


@njit(cache=True, parallel=True, fastmath=True)
def _overlap_add(acc, weights, wavelet):
    """Windowed inverse transform of the summed coefficients at every position, added up: (C, H, W).

    Each position's block is spread with the Kaiser window, as are its
    weights, and the sums are divided. The inverse is separable and linear, so
    the row-inverted blocks of a whole row of positions are summed into eight
    image-wide rows first, and those are inverted down the columns once, in a
    loop the compiler turns into vector instructions. Bands of eight block rows
    write to 15 image rows, so the even bands run in parallel, then the odd ones.
    """
    hb, wb, channels, _ = acc.shape
    height, width = hb + BLOCK - 1, wb + BLOCK - 1
    total = np.zeros((channels, height, width), np.float32)
    norm = np.zeros((channels, height, width), np.float32)
    window = KAISER
    bands = (hb + BLOCK - 1) // BLOCK
    for parity in range(2):
        for b in prange((bands - parity + 1) // 2):
            rows = np.empty((BLOCK, width), np.float32)
            row_norm = np.empty(width, np.float32)
            r0, r1, r2, r3 = rows[0], rows[1], rows[2], rows[3]
            r4, r5, r6, r7 = rows[4], rows[5], rows[6], rows[7]
            band = 2 * b + parity
            for y in range(band * BLOCK, min(hb, band * BLOCK + BLOCK)):
                for c in range(channels):
                    rows[:] = 0.0
                    row_norm[:] = 0.0
                    for x in range(wb):
                        w = weights[y, x, c]
                        if w == 0.0:
                            continue
                        a = acc[y, x, c]
                        for u in range(BLOCK):
                            q = a[u * BLOCK : u * BLOCK + BLOCK]
                            f = _inverse8(wavelet, q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7])
                            out = rows[u, x : x + BLOCK]
                            for j in range(BLOCK):
                                out[j] += f[j]
                        spread = row_norm[x : x + BLOCK]
                        for j in range(BLOCK):
                            spread[j] += w * window[j]
                    t, s = total[c, y : y + BLOCK], norm[c, y : y + BLOCK]
                    t0, t1, t2, t3, t4, t5, t6, t7 = t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]
                    s0, s1, s2, s3, s4, s5, s6, s7 = s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
                    for x in range(width):
                        f = _inverse8(wavelet, r0[x], r1[x], r2[x], r3[x], r4[x], r5[x], r6[x], r7[x])
                        t0[x] += f[0]
                        t1[x] += f[1]
                        t2[x] += f[2]
                        t3[x] += f[3]
                        t4[x] += f[4]
                        t5[x] += f[5]
                        t6[x] += f[6]
                        t7[x] += f[7]
                        n = row_norm[x]
                        s0[x] += window[0] * n
                        s1[x] += window[1] * n
                        s2[x] += window[2] * n
                        s3[x] += window[3] * n
                        s4[x] += window[4] * n
                        s5[x] += window[5] * n
                        s6[x] += window[6] * n
                        s7[x] += window[7] * n
    for c in range(channels):
        for y in prange(height):
            for x in range(width):
                total[c, y, x] /= max(norm[c, y, x], np.float32(1e-12))
    return total


def _grid(length: int, step: int) -> np.ndarray:
    """Reference positions along one axis: every ``step`` px, and always the last block."""
    last = length - BLOCK
    positions = np.arange(0, last + 1, step)
    if positions[-1] != last:
        positions = np.append(positions, last)
    return positions


def _pass(
    spectra: np.ndarray,
    pilot: np.ndarray,
    sigma: np.ndarray,
    profile: Profile,
    pilot_spectra: np.ndarray | None,
) -> np.ndarray:
    """One collaborative pass over a tile; returns the aggregated (C, H, W) estimate.

    Without ``pilot_spectra`` it is the hard-thresholding pass, otherwise the
    Wiener pass; blocks are matched on ``pilot[0]``.
    """
    height, width = pilot.shape[1:]
    wiener = pilot_spectra is not None
    step = profile.step_2 if wiener else profile.step_1
    gy, gx = np.meshgrid(_grid(height, step), _grid(width, step), indexing="ij")
    ref_y, ref_x = gy.ravel().astype(np.int64), gx.ravel().astype(np.int64)
    # Groups of references in rows [a, b) hold blocks in rows [a - radius, b + radius).
    band_height = 2 * profile.radius // (_PHASES - 1) + 1
    # Within a band, column by column: consecutive references share most of their search windows,
    # which then stay in the cache.
    band = ref_y // band_height
    order = np.lexsort((ref_y, ref_x, band))
    ref_y, ref_x = ref_y[order], ref_x[order]
    bands = np.searchsorted(band[order], np.arange(band.max() + 2)).astype(np.int64)
    acc, weights = _collaborate(
        spectra,
        spectra if pilot_spectra is None else pilot_spectra,
        np.ascontiguousarray(pilot[0]),
        sigma.astype(np.float32),
        ref_y,
        ref_x,
        bands,
        profile.radius,
        profile.group_2 if wiener else profile.group_1,
        np.float32(profile.tau_2 if wiener else profile.tau_1),
        np.float32(profile.threshold),
        wiener,
    )
    return _overlap_add(acc, weights, profile.wavelet and not wiener)


def _filter_tile(tile: np.ndarray, sigma: np.ndarray, profile: Profile) -> np.ndarray:
    basic = _pass(_block_spectra(tile, profile.wavelet), tile, sigma, profile, None)
    if not profile.wiener:
        return basic
    basic = basic.astype(np.float32)
    return _pass(_block_spectra(tile, False), basic, sigma, profile, _block_spectra(basic, False))


def collaborative_denoise(channels: np.ndarray, sigma: np.ndarray, profile: Profile) -> np.ndarray:
    """Denoise decorrelated channels with noise ``sigma`` each (same units as the data).

    Parameters
    ----------
    channels : (H, W, C) float32 array
        Channel 0 is luminance (blocks are matched on it); the others are
        colour-difference channels with independent noise.
    sigma : (C,) array
        Noise standard deviation per channel.
    profile : Profile
        Speed/quality settings (see :data:`PROFILES`).

    Returns
    -------
    (H, W, C) float32 array

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> clean = np.tile(np.linspace(0.2, 0.8, 48, dtype=np.float32), (48, 1))[..., None]
    >>> noisy = clean + rng.normal(0, 0.05, clean.shape).astype(np.float32)
    >>> out = collaborative_denoise(noisy, np.array([0.05]), PROFILES["best"])
    >>> bool(np.abs(out - clean).mean() < 0.4 * np.abs(noisy - clean).mean())
    True
    """
    height, width, count = channels.shape
    pad_y, pad_x = max(0, BLOCK - height), max(0, BLOCK - width)
    data = np.ascontiguousarray(np.moveaxis(channels, 2, 0), dtype=np.float32)
    if pad_y or pad_x:
        data = np.pad(
            data, ((0, 0), (0, pad_y), (0, pad_x)), mode="reflect" if min(height, width) > 1 else "edge"
        )
    sigma = np.asarray(sigma, np.float32).reshape(count)
    # Far enough that both passes see the same matches as on the whole image near the kept part.
    margin = profile.radius + 2 * BLOCK
    full_h, full_w = data.shape[1:]
    out = np.empty_like(data)
    for y in range(0, full_h, _TILE):
        for x in range(0, full_w, _TILE):
            y0, x0 = max(0, y - margin), max(0, x - margin)
            y1, x1 = min(full_h, y + _TILE + margin), min(full_w, x + _TILE + margin)
            tile = np.ascontiguousarray(data[:, y0:y1, x0:x1])
            filtered = _filter_tile(tile, sigma, profile)
            ye, xe = min(full_h, y + _TILE), min(full_w, x + _TILE)
            out[:, y:ye, x:xe] = filtered[:, y - y0 : ye - y0, x - x0 : xe - x0]
    return np.moveaxis(out[:, :height, :width], 0, 2)
