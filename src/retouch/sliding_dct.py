"""Fast denoising by shrinkage in an overlapping 8 x 8 block DCT: no block matching.

Every 8 x 8 block on a 4-pixel grid is transformed by the orthonormal DCT,
its coefficients are shrunk, and the inverse transforms are added back with a
Kaiser window and a per-block weight, in two passes: hard thresholding at
``2.7 sigma`` (weight: 1 / kept coefficients), then the empirical Wiener gain
``B^2 / (B^2 + sigma^2)`` of the first pass's spectrum ``B`` (weight:
1 / sum of squared gains). It is the collaborative filter of
:mod:`retouch.collaborative` with every group reduced to its reference block:
several times faster, about 1 dB below it at moderate noise.

Speed comes from the layout. Each plane is stored *polyphase*: column ``x``
of a row lives at ``[x % 4, x // 4]``, so pixel ``(i, j)`` of the blocks
``q, q + 1, ...`` of a band of rows is a contiguous run, and every 1-D DCT
(vertical, then horizontal, then their windowed inverses) is a loop over
many blocks at once that the compiler turns into vector instructions, with
the eight inputs and outputs of a transform held in registers. Bands of
rows are independent except for the four rows they share with the next
band, so the even bands run in parallel, then the odd ones.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

BLOCK = 8
STEP = 4
# Blocks per inner loop: the band's working arrays stay in the core's cache.
_CHUNK = 256
THRESHOLD = 2.7


def dct_matrix(n: int) -> np.ndarray:
    """Orthonormal DCT-II matrix (rows are basis vectors)."""
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m.astype(np.float32)


# Module-level arrays are compile-time constants in numba: the transforms multiply by literals.
_D = dct_matrix(BLOCK)
KAISER = np.kaiser(BLOCK, 2.0).astype(np.float32)
# The inverse transform with the aggregation window folded in (the window is symmetric, so the
# even/odd symmetry of the basis that the butterflies below rely on survives).
_DK = (_D * KAISER[None, :]).astype(np.float32)


@njit(inline="always", fastmath=True)
def fdct8(x0, x1, x2, x3, x4, x5, x6, x7):
    """8-point orthonormal DCT by one butterfly stage and two 4 x 4 products."""
    d = _D
    e0, e1, e2, e3 = x0 + x7, x1 + x6, x2 + x5, x3 + x4
    o0, o1, o2, o3 = x0 - x7, x1 - x6, x2 - x5, x3 - x4
    return (
        d[0, 0] * (e0 + e1 + e2 + e3),
        d[1, 0] * o0 + d[1, 1] * o1 + d[1, 2] * o2 + d[1, 3] * o3,
        d[2, 0] * e0 + d[2, 1] * e1 + d[2, 2] * e2 + d[2, 3] * e3,
        d[3, 0] * o0 + d[3, 1] * o1 + d[3, 2] * o2 + d[3, 3] * o3,
        d[4, 0] * e0 + d[4, 1] * e1 + d[4, 2] * e2 + d[4, 3] * e3,
        d[5, 0] * o0 + d[5, 1] * o1 + d[5, 2] * o2 + d[5, 3] * o3,
        d[6, 0] * e0 + d[6, 1] * e1 + d[6, 2] * e2 + d[6, 3] * e3,
        d[7, 0] * o0 + d[7, 1] * o1 + d[7, 2] * o2 + d[7, 3] * o3,
    )


@njit(inline="always", fastmath=True)
def idct8_windowed(c0, c1, c2, c3, c4, c5, c6, c7):
    """Inverse 8-point DCT times the Kaiser window (basis symmetry: even and odd halves)."""
    w = _DK
    e0 = w[0, 0] * c0 + w[2, 0] * c2 + w[4, 0] * c4 + w[6, 0] * c6
    e1 = w[0, 1] * c0 + w[2, 1] * c2 + w[4, 1] * c4 + w[6, 1] * c6
    e2 = w[0, 2] * c0 + w[2, 2] * c2 + w[4, 2] * c4 + w[6, 2] * c6
    e3 = w[0, 3] * c0 + w[2, 3] * c2 + w[4, 3] * c4 + w[6, 3] * c6
    o0 = w[1, 0] * c1 + w[3, 0] * c3 + w[5, 0] * c5 + w[7, 0] * c7
    o1 = w[1, 1] * c1 + w[3, 1] * c3 + w[5, 1] * c5 + w[7, 1] * c7
    o2 = w[1, 2] * c1 + w[3, 2] * c3 + w[5, 2] * c5 + w[7, 2] * c7
    o3 = w[1, 3] * c1 + w[3, 3] * c3 + w[5, 3] * c5 + w[7, 3] * c7
    return e0 + o0, e1 + o1, e2 + o2, e3 + o3, e3 - o3, e2 - o2, e1 - o1, e0 - o0


@njit(fastmath=True)
def _vertical(plane, y, q0, n, out):
    """The vertical DCT of rows y..y+7 at polyphase columns q0..q0+n-1: out[u, r, t].

    Loops run over 1-D views indexed by the loop counter alone: the form
    that the compiler vectorises.
    """
    for r in range(STEP):
        band = plane[y : y + BLOCK, r, q0:]
        a0, a1, a2, a3 = band[0], band[1], band[2], band[3]
        a4, a5, a6, a7 = band[4], band[5], band[6], band[7]
        o0, o1, o2, o3 = out[0, r], out[1, r], out[2, r], out[3, r]
        o4, o5, o6, o7 = out[4, r], out[5, r], out[6, r], out[7, r]
        for t in range(n):
            v = fdct8(a0[t], a1[t], a2[t], a3[t], a4[t], a5[t], a6[t], a7[t])
            o0[t], o1[t], o2[t], o3[t], o4[t], o5[t], o6[t], o7[t] = v


@njit(inline="always", fastmath=True)
def _hard(c, limit):
    """Hard thresholding: the coefficient (or 0) and whether it was kept (1 or 0)."""
    keep = abs(c) >= limit
    return (c if keep else np.float32(0.0)), (np.float32(1.0) if keep else np.float32(0.0))


@njit(inline="always", fastmath=True)
def _wiener(c, p, s2):
    """Empirical Wiener shrinkage of ``c`` by the pilot coefficient ``p``: the value and the squared gain."""
    g = p * p / (p * p + s2)
    return c * g, g * g


@njit(fastmath=True)
def _shrink_chunk(noisy, pilot, y, q0, n, sigma, wiener, vert, pvert, coef, weight):
    """Forward transform and shrinkage of blocks q0..q0+n-1 of the band at row y.

    Leaves the shrunk coefficients in ``coef[u, v, t]`` and the block weights
    (1 / kept coefficients, or 1 / sum of squared Wiener gains) in ``weight[t]``.
    """
    s2 = np.float32(sigma * sigma)
    limit = np.float32(THRESHOLD * sigma)
    one = np.float32(1.0)
    _vertical(noisy, y, q0, n + 1, vert)
    if wiener:
        _vertical(pilot, y, q0, n + 1, pvert)
    weight[:n] = 0.0
    for u in range(BLOCK):
        # Pixel j of block t is polyphase column t + j // 4, phase j % 4.
        x0, x1, x2, x3 = vert[u, 0], vert[u, 1], vert[u, 2], vert[u, 3]
        x4, x5, x6, x7 = vert[u, 0, 1:], vert[u, 1, 1:], vert[u, 2, 1:], vert[u, 3, 1:]
        p0, p1, p2, p3 = pvert[u, 0], pvert[u, 1], pvert[u, 2], pvert[u, 3]
        p4, p5, p6, p7 = pvert[u, 0, 1:], pvert[u, 1, 1:], pvert[u, 2, 1:], pvert[u, 3, 1:]
        o0, o1, o2, o3 = coef[u, 0], coef[u, 1], coef[u, 2], coef[u, 3]
        o4, o5, o6, o7 = coef[u, 4], coef[u, 5], coef[u, 6], coef[u, 7]
        for t in range(n):
            c = fdct8(x0[t], x1[t], x2[t], x3[t], x4[t], x5[t], x6[t], x7[t])
            if wiener:
                p = fdct8(p0[t], p1[t], p2[t], p3[t], p4[t], p5[t], p6[t], p7[t])
                o0[t], w0 = _wiener(c[0], p[0], s2)
                o1[t], w1 = _wiener(c[1], p[1], s2)
                o2[t], w2 = _wiener(c[2], p[2], s2)
                o3[t], w3 = _wiener(c[3], p[3], s2)
                o4[t], w4 = _wiener(c[4], p[4], s2)
                o5[t], w5 = _wiener(c[5], p[5], s2)
                o6[t], w6 = _wiener(c[6], p[6], s2)
                o7[t], w7 = _wiener(c[7], p[7], s2)
            else:
                o0[t], w0 = _hard(c[0], limit)
                o1[t], w1 = _hard(c[1], limit)
                o2[t], w2 = _hard(c[2], limit)
                o3[t], w3 = _hard(c[3], limit)
                o4[t], w4 = _hard(c[4], limit)
                o5[t], w5 = _hard(c[5], limit)
                o6[t], w6 = _hard(c[6], limit)
                o7[t], w7 = _hard(c[7], limit)
            weight[t] += ((w0 + w1) + (w2 + w3)) + ((w4 + w5) + (w6 + w7))
    for t in range(n):
        weight[t] = one / max(weight[t], one)


@njit(fastmath=True)
def _aggregate_chunk(coef, weight, sides, y, q0, n, lo, hi, num, den):
    """Windowed inverse transforms of the chunk's blocks, added into ``num`` and their weights into ``den``.

    Block t's horizontal inverse covers polyphase columns t (its pixels 0-3,
    kept in ``lo``) and t + 1 (pixels 4-7, kept in ``hi`` one place on), so a
    column's row values are ``lo[t] + hi[t]``. ``weight`` has room for n + 1
    values; ``sides`` is scratch of that size.
    """
    k = KAISER
    zero = np.float32(0.0)
    for u in range(BLOCK):
        for r in range(STEP):
            lo[u, r, n] = zero
            hi[u, r, 0] = zero
        c0, c1, c2, c3 = coef[u, 0], coef[u, 1], coef[u, 2], coef[u, 3]
        c4, c5, c6, c7 = coef[u, 4], coef[u, 5], coef[u, 6], coef[u, 7]
        l0, l1, l2, l3 = lo[u, 0], lo[u, 1], lo[u, 2], lo[u, 3]
        h0, h1, h2, h3 = hi[u, 0, 1:], hi[u, 1, 1:], hi[u, 2, 1:], hi[u, 3, 1:]
        for t in range(n):
            s = weight[t]
            x = idct8_windowed(
                c0[t] * s, c1[t] * s, c2[t] * s, c3[t] * s, c4[t] * s, c5[t] * s, c6[t] * s, c7[t] * s
            )
            l0[t], l1[t], l2[t], l3[t] = x[0], x[1], x[2], x[3]
            h0[t], h1[t], h2[t], h3[t] = x[4], x[5], x[6], x[7]
    # Each polyphase column's window weight: its left block's weight times the window at its
    # phase, plus its right block's at phase + 4.
    wl, wh = weight[: n + 1], sides[: n + 1]
    wl[n] = zero
    wh[0] = zero
    wh[1:] = weight[:n]
    for r in range(STEP):
        lr0, lr1, lr2, lr3 = lo[0, r], lo[1, r], lo[2, r], lo[3, r]
        lr4, lr5, lr6, lr7 = lo[4, r], lo[5, r], lo[6, r], lo[7, r]
        hr0, hr1, hr2, hr3 = hi[0, r], hi[1, r], hi[2, r], hi[3, r]
        hr4, hr5, hr6, hr7 = hi[4, r], hi[5, r], hi[6, r], hi[7, r]
        n0, n1, n2, n3 = num[y, r, q0:], num[y + 1, r, q0:], num[y + 2, r, q0:], num[y + 3, r, q0:]
        n4, n5, n6, n7 = num[y + 4, r, q0:], num[y + 5, r, q0:], num[y + 6, r, q0:], num[y + 7, r, q0:]
        d0, d1, d2, d3 = den[y, r, q0:], den[y + 1, r, q0:], den[y + 2, r, q0:], den[y + 3, r, q0:]
        d4, d5, d6, d7 = den[y + 4, r, q0:], den[y + 5, r, q0:], den[y + 6, r, q0:], den[y + 7, r, q0:]
        for t in range(n + 1):
            x = idct8_windowed(
                lr0[t] + hr0[t],
                lr1[t] + hr1[t],
                lr2[t] + hr2[t],
                lr3[t] + hr3[t],
                lr4[t] + hr4[t],
                lr5[t] + hr5[t],
                lr6[t] + hr6[t],
                lr7[t] + hr7[t],
            )
            n0[t] += x[0]
            n1[t] += x[1]
            n2[t] += x[2]
            n3[t] += x[3]
            n4[t] += x[4]
            n5[t] += x[5]
            n6[t] += x[6]
            n7[t] += x[7]
            w = k[r] * wl[t] + k[r + STEP] * wh[t]
            d0[t] += k[0] * w
            d1[t] += k[1] * w
            d2[t] += k[2] * w
            d3[t] += k[3] * w
            d4[t] += k[4] * w
            d5[t] += k[5] * w
            d6[t] += k[6] * w
            d7[t] += k[7] * w


@njit(cache=True, parallel=True, fastmath=True)
def _pass(noisy, pilot, sigma, wiener, num, den):
    """One shrinkage pass over a polyphase plane (H, 4, M): the sums of filtered blocks and weights.

    ``num`` and ``den`` (the plane's shape) are overwritten with the windowed
    sums of the filtered blocks and of their weights.
    """
    height, _, columns = noisy.shape
    bands = (height - BLOCK) // STEP + 1
    blocks = columns - 1
    for y in prange(height):
        num[y] = 0.0
        den[y] = 0.0
    for parity in range(2):
        for b in prange((bands - parity + 1) // 2):
            y = (2 * b + parity) * STEP
            vert = np.empty((BLOCK, STEP, _CHUNK + 1), np.float32)
            pvert = np.empty((BLOCK, STEP, _CHUNK + 1), np.float32)
            coef = np.empty((BLOCK, BLOCK, _CHUNK), np.float32)
            weight = np.empty(_CHUNK + 1, np.float32)
            sides = np.empty(_CHUNK + 1, np.float32)
            lo = np.empty((BLOCK, STEP, _CHUNK + 1), np.float32)
            hi = np.empty((BLOCK, STEP, _CHUNK + 1), np.float32)
            for q0 in range(0, blocks, _CHUNK):
                n = min(_CHUNK, blocks - q0)
                _shrink_chunk(noisy, pilot, y, q0, n, sigma, wiener, vert, pvert, coef, weight)
                _aggregate_chunk(coef, weight, sides, y, q0, n, lo, hi, num, den)


@njit(cache=True, parallel=True)
def _to_polyphase(image, channel, pad, out):
    """Channel ``channel`` of ``image`` (H, W, C), mirrored by ``pad`` px, into polyphase ``out``.

    The padded plane ``out`` (height, 4, width / 4) is at least H + 2 pad by
    W + 2 pad; the mirror keeps every image pixel under the same number of
    blocks as the interior.
    """
    rows, cols = image.shape[0], image.shape[1]
    height, width = out.shape[0], out.shape[1] * out.shape[2]
    for yy in prange(height):
        y = _mirror(yy - pad, rows)
        for xx in range(pad):
            out[yy, xx % STEP, xx // STEP] = image[y, _mirror(xx - pad, cols), channel]
        for x in range(cols):
            xx = x + pad
            out[yy, xx % STEP, xx // STEP] = image[y, x, channel]
        for xx in range(pad + cols, width):
            out[yy, xx % STEP, xx // STEP] = image[y, _mirror(xx - pad, cols), channel]


@njit(inline="always")
def _mirror(i, n):
    """Index ``i`` reflected into 0..n-1 about the edge pixels (as OpenCV's BORDER_REFLECT_101)."""
    if n == 1:
        return 0
    period = 2 * n - 2
    i = abs(i) % period
    return period - i if i >= n else i


@njit(cache=True, parallel=True, fastmath=True)
def _ratio(num, den, out):
    """out = num / den for polyphase planes."""
    for y in prange(num.shape[0]):
        for r in range(STEP):
            a, b, o = num[y, r], den[y, r], out[y, r]
            for m in range(a.size):
                o[m] = a[m] / b[m]


@njit(cache=True, parallel=True, fastmath=True)
def _from_polyphase(num, den, out, channel):
    """out[..., channel] = num / den of the polyphase plane, less its border of STEP px."""
    rows, cols = out.shape[0], out.shape[1]
    for y in prange(rows):
        for r in range(STEP):
            a, b = num[y + STEP, r], den[y + STEP, r]
            # Padded column 4 m + r is image column 4 (m - 1) + r.
            for m in range(1, (cols - r - 1) // STEP + 2):
                out[y, STEP * (m - 1) + r, channel] = a[m] / b[m]


def sliding_dct_denoise(channels: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Denoise each channel by overlapping block-DCT shrinkage: hard threshold, then Wiener.

    Parameters
    ----------
    channels : (H, W, C) float array
        Channels with independent white noise (for colour, luminance and
        opponent channels).
    sigma : (C,) array
        Noise standard deviation per channel, in the units of ``channels``.

    Returns
    -------
    (H, W, C) float32 array

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> clean = np.tile(np.linspace(0.2, 0.8, 48, dtype=np.float32), (48, 1))[..., None]
    >>> noisy = clean + rng.normal(0, 0.05, clean.shape).astype(np.float32)
    >>> out = sliding_dct_denoise(noisy, np.array([0.05]))
    >>> bool(np.abs(out - clean).mean() < 0.5 * np.abs(noisy - clean).mean())
    True
    """
    image = np.asarray(channels, np.float32)
    rows, cols, count = image.shape
    sigma = np.asarray(sigma, np.float32).reshape(count)
    # A block half covers the border; the mirror gives edge pixels as many blocks as the rest.
    pad = STEP  # _from_polyphase drops this border
    height = rows + 2 * pad + (-(rows + 2 * pad)) % STEP
    width = cols + 2 * pad + (-(cols + 2 * pad)) % STEP
    out = np.empty((rows, cols, count), np.float32)
    # Four polyphase planes serve every channel in turn, allocated once.
    plane = np.empty((height, STEP, width // STEP), np.float32)
    num, den, basic = np.empty_like(plane), np.empty_like(plane), np.empty_like(plane)
    for c in range(count):
        _to_polyphase(image, c, pad, plane)
        _pass(plane, plane, sigma[c], False, num, den)
        _ratio(num, den, basic)
        _pass(plane, basic, sigma[c], True, num, den)
        _from_polyphase(num, den, out, c)
    return out
