"""Patch kernels of inpainting: PatchMatch search and voting, and a local non-local-means fill.

PatchMatch (Barnes, Shechtman, Finkelstein & Goldman 2009) finds, for every
target patch, a similar source patch by random initialisation, propagation
of good matches to neighbours and a random search at shrinking radii.
Voting (Wexler, Shechtman & Irani 2007) then sets every hole pixel to the
weighted mean of what all the matched patches covering it say, which makes
the fill consistent with its neighbourhood at every overlap.

:func:`nonlocal_fill` estimates each pixel of a thin hole from the centres
of the most similar patches nearby (the non-local means idea of Buades,
Coll & Morel 2005, with distances over the known pixels only).

PatchMatch coordinates are patch centres in one padded image: the caller pads by
the patch radius so every target patch lies inside the array, and marks as
valid sources only centres whose whole patch is known.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def _patch_distance(image, weight, ty, tx, sy, sx, radius, limit):
    """Weighted sum of squared differences between two patches, abandoned once over ``limit``."""
    channels = image.shape[2]
    total = 0.0
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            w = weight[ty + dy, tx + dx]
            if w == 0.0:
                continue
            for c in range(channels):
                diff = image[ty + dy, tx + dx, c] - image[sy + dy, sx + dx, c]
                total += w * diff * diff
        if total > limit:
            return total
    return total


@njit(cache=True, nogil=True)
def search(image, weight, source_ok, targets_y, targets_x, is_target, nnf, dist, radius, iterations, seed):
    """Improve the nearest-neighbour field ``nnf`` of the targets in place.

    Parameters
    ----------
    image : (H, W, C) float32 array
        The padded image, holes holding their current estimate.
    weight : (H, W) float32 array
        Weight of each pixel in a target patch's distance (0 ignores it).
    source_ok : (H, W) bool array
        Centres of patches that may be copied from.
    targets_y, targets_x : int arrays
        Target patch centres in row-major order.
    is_target : (H, W) bool array
        True at the target centres.
    nnf : (H, W, 2) int32 array
        Source centre of each target; entries must start at valid sources.
    dist : (H, W) float32 array
        Receives each target's patch distance.
    radius, iterations, seed : int
        Patch radius, propagation/search sweeps, random seed.
    """
    np.random.seed(seed)
    height, width = source_ok.shape
    count = targets_y.size
    for k in range(count):
        y, x = targets_y[k], targets_x[k]
        dist[y, x] = _patch_distance(image, weight, y, x, nnf[y, x, 0], nnf[y, x, 1], radius, np.inf)
    widest = max(height, width)
    for sweep in range(iterations):
        forward = sweep % 2 == 0
        step = -1 if forward else 1
        for i in range(count):
            k = i if forward else count - 1 - i
            y, x = np.int64(targets_y[k]), np.int64(targets_x[k])
            best_y, best_x, best = np.int64(nnf[y, x, 0]), np.int64(nnf[y, x, 1]), dist[y, x]
            # Propagation: a neighbour's match, shifted back by the offset between the two.
            for side in range(2):
                ny, nx = (y, x + step) if side == 0 else (y + step, x)
                if 0 <= ny < height and 0 <= nx < width and is_target[ny, nx]:
                    cy = nnf[ny, nx, 0] + y - ny
                    cx = nnf[ny, nx, 1] + x - nx
                    if 0 <= cy < height and 0 <= cx < width and source_ok[cy, cx]:
                        d = _patch_distance(image, weight, y, x, cy, cx, radius, best)
                        if d < best:
                            best_y, best_x, best = cy, cx, d
            reach = widest
            while reach >= 1:
                cy = best_y + np.random.randint(-reach, reach + 1)
                cx = best_x + np.random.randint(-reach, reach + 1)
                if 0 <= cy < height and 0 <= cx < width and source_ok[cy, cx]:
                    d = _patch_distance(image, weight, y, x, cy, cx, radius, best)
                    if d < best:
                        best_y, best_x, best = cy, cx, d
                reach //= 2
            nnf[y, x, 0], nnf[y, x, 1], dist[y, x] = best_y, best_x, best


@njit(cache=True, nogil=True)
def vote(image, hole, targets_y, targets_x, nnf, dist, radius, tolerance):
    """Set every hole pixel of ``image`` (in place) to the weighted vote of the patches covering it.

    A patch's vote at a pixel weighs ``exp(-(d - d_min) / (tolerance * d_min))``,
    ``d_min`` being the distance of the best patch covering that pixel: a
    small tolerance keeps the best matches' detail, a large one averages
    (and blurs) them.
    """
    height, width, channels = image.shape
    closest = np.full((height, width), np.inf, np.float32)
    for k in range(targets_y.size):
        y, x = targets_y[k], targets_x[k]
        d = dist[y, x]
        for dy in range(-radius, radius + 1):
            for dx in range(-radius, radius + 1):
                if d < closest[y + dy, x + dx]:
                    closest[y + dy, x + dx] = d
    total = np.zeros((height, width, channels), np.float32)
    weights = np.zeros((height, width), np.float32)
    for k in range(targets_y.size):
        y, x = targets_y[k], targets_x[k]
        sy, sx = nnf[y, x, 0], nnf[y, x, 1]
        d = dist[y, x]
        for dy in range(-radius, radius + 1):
            for dx in range(-radius, radius + 1):
                py, px = y + dy, x + dx
                if hole[py, px]:
                    best = closest[py, px]
                    w = np.exp(-(d - best) / (tolerance * best + 1e-9))
                    weights[py, px] += w
                    for c in range(channels):
                        total[py, px, c] += w * image[sy + dy, sx + dx, c]
    for y in range(height):
        for x in range(width):
            if hole[y, x] and weights[y, x] > 0.0:
                for c in range(channels):
                    image[y, x, c] = total[y, x, c] / weights[y, x]


@njit(cache=True, nogil=True, parallel=True)
def nonlocal_fill(image, hole, guess, holes_y, holes_x, reach, radius, guess_weight, neighbours):
    """Estimate each hole pixel from the centres of its ``neighbours`` best-matching known patches.

    Candidates are the known pixels within ``reach`` of the hole pixel; the
    distance between two patches is the mean squared difference over the
    pixels known in the candidate's patch, with the target's own hole pixels
    taken from ``guess`` at weight ``guess_weight``. The best candidates are
    averaged with weights ``exp(-(d - d_best) / d_best)``.

    Returns
    -------
    (N, C) float32 array
        The estimate of each listed hole pixel (unchanged ``guess`` where no
        candidate exists).
    """
    height, width, channels = image.shape
    count = holes_y.size
    side = 2 * radius + 1
    out = np.empty((count, channels), np.float32)
    for k in prange(count):
        y, x = holes_y[k], holes_x[k]
        # The target patch once: its values, the weight of each pixel (0 outside the image and at
        # the centre) and, per row, the most weight the rows from there on can still add.
        values = np.zeros((side, side, channels), guess.dtype)
        weights = np.zeros((side, side))
        rest = np.zeros(side + 1)
        for i in range(side - 1, -1, -1):
            py = y + i - radius
            rest[i] = rest[i + 1]
            if py < 0 or py >= height:
                continue
            for j in range(side):
                px = x + j - radius
                if px < 0 or px >= width or (i == radius and j == radius):
                    continue
                weights[i, j] = guess_weight if hole[py, px] else 1.0
                rest[i] += weights[i, j]
                for c in range(channels):
                    values[i, j, c] = guess[py, px, c]
        best_d = np.full(neighbours, np.inf)
        best_y = np.zeros(neighbours, np.int64)
        best_x = np.zeros(neighbours, np.int64)
        for sy in range(max(y - reach, 0), min(y + reach + 1, height)):
            # Patch rows and columns of this candidate that lie inside the image.
            i0, i1 = max(radius - sy, 0), min(height - sy + radius, side)
            for sx in range(max(x - reach, 0), min(x + reach + 1, width)):
                if hole[sy, sx]:
                    continue
                j0, j1 = max(radius - sx, 0), min(width - sx + radius, side)
                total = 0.0
                used = 0.0
                worst = best_d[neighbours - 1]
                abandoned = False
                for i in range(i0, i1):
                    # The mean can only reach ``total / (used + rest)``: a candidate already over the
                    # worst kept one is abandoned (it could not be kept).
                    if total > worst * (used + rest[i]):
                        abandoned = True
                        break
                    qy = sy + i - radius
                    for j in range(j0, j1):
                        w = weights[i, j]
                        qx = sx + j - radius
                        if w == 0.0 or hole[qy, qx]:
                            continue
                        for c in range(channels):
                            diff = values[i, j, c] - image[qy, qx, c]
                            total += w * diff * diff
                        used += w
                # Too few overlapping known pixels make the distance meaningless.
                if abandoned or used < 4.0:
                    continue
                d = total / used
                if d < worst:
                    n = neighbours - 1
                    while n > 0 and best_d[n - 1] > d:
                        best_d[n], best_y[n], best_x[n] = best_d[n - 1], best_y[n - 1], best_x[n - 1]
                        n -= 1
                    best_d[n], best_y[n], best_x[n] = d, sy, sx
        if best_d[0] == np.inf:
            for c in range(channels):
                out[k, c] = guess[y, x, c]
            continue
        bandwidth = best_d[0] + 1e-5
        for c in range(channels):
            out[k, c] = 0.0
        total_weight = 0.0
        for n in range(neighbours):
            if best_d[n] == np.inf:
                break
            w = np.exp(-(best_d[n] - best_d[0]) / bandwidth)
            total_weight += w
            for c in range(channels):
                out[k, c] += w * image[best_y[n], best_x[n], c]
        for c in range(channels):
            out[k, c] /= total_weight
    return out
