"""``sky``: classical sky segmentation, refined to the horizon with the guided filter.

Sky is found on a small copy from what sky looks like and where it sits:

1. a colour likelihood: blue (hue 180–260°), overcast grey or white (low
   saturation, bright) or sunset (warm or violet hues, bright), each fading
   out smoothly;
2. brightness relative to the rest of the picture (sky lights the scene);
3. smoothness: low local gradient energy (sky, even cloudy, has little fine
   texture next to foliage, buildings or ground);
4. position: sky lies above, so the likelihood falls towards the bottom.

Candidate areas are then kept only when they are *connected to the top edge*
and do not run along the bottom edge (which a white page or a wall does),
small enclosed holes (birds, wires, cloud edges) are filled, and the hard
selection is turned into a soft matte at full resolution by the guided
filter steered by the photo itself, so the mask follows the horizon line,
rooftops and the gaps between branches.
"""

from __future__ import annotations

import cv2
import numpy as np

from retouch.analyze import downscale
from retouch.colorspace import luma, rgb_to_hsv, rgb_to_lab
from retouch.filters import gaussian, guided_filter, image_diagonal, resized
from retouch.ramps import smoothstep
from retouch.regions import RegionContext, region

#: Longer side of the copy the likelihood and connectivity are computed on.
ANALYSIS_SIDE = 320
#: Longer side the matte is refined at (larger images get an upscaled matte).
REFINE_SIDE = 1024
#: A candidate area must reach this close to the top edge (fraction of the height).
_TOP_BAND = 0.02
#: A candidate area is sky when its mean likelihood reaches this.
_KEEP = 0.45
#: ... and it covers at least this fraction of the picture.
_MIN_AREA = 0.01
#: ... and it covers less than this fraction of the bottom band (the bottom 8 % of rows).
_MAX_BOTTOM = 0.35
#: Near the coarse boundary, a pixel within this CIE76 distance of the nearby sky colour is sky.
_SKY_DELTA_E = 7.0


def _hue_near(hue: np.ndarray, centre: float, half_width: float) -> np.ndarray:
    distance = np.abs((hue - centre + 180.0) % 360.0 - 180.0)
    return 1.0 - smoothstep(0.6 * half_width, half_width, distance)


def sky_colour(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How much each pixel's colour alone looks like sky: (cool or neutral, warm), each 0–1.

    The first covers blue, overcast grey and white cloud; the second sunset
    oranges, pinks and violets.
    """
    hsv = rgb_to_hsv(image)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    # Blue reaches down to dusk skies (value ~0.25) when it is strongly saturated.
    blue = (
        _hue_near(hue, 215.0, 45.0) * smoothstep(0.06, 0.18, sat) * smoothstep(0.12, 0.3, val * (0.5 + sat))
    )
    # Sunset hues run from orange through pink and magenta to violet.
    warm = np.maximum(_hue_near(hue, 25.0, 35.0), _hue_near(hue, 320.0, 65.0))
    # Overcast is neutral or cool: a warm grey is a wall or a studio backdrop far more often.
    overcast = (1.0 - smoothstep(0.1, 0.2, sat)) * smoothstep(0.5, 0.72, val)
    overcast *= 1.0 - warm * smoothstep(0.035, 0.07, sat)
    sunset = 0.8 * warm * smoothstep(0.1, 0.25, sat) * smoothstep(0.4, 0.65, val)
    return np.maximum(blue, overcast), sunset


def sky_cues(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel sky cues of a small float RGB image, before connectivity: (likelihood, skylike).

    ``likelihood`` (0–1) is strict: sky colour, brightness, smoothness and
    position together; it finds where the sky surely is. ``skylike`` (0–1)
    is lenient about texture and position (broken cloud, the sky just above
    a low horizon); the sky grows through it from the sure part.

    Parameters
    ----------
    image : (H, W, 3) float32 array
        sRGB in [0, 1]; meant for a copy a few hundred pixels across.

    Returns
    -------
    two (H, W) float32 arrays
    """
    cool, sunset = sky_colour(image)
    y = luma(image).astype(np.float32)
    median = float(np.median(y))
    bright = smoothstep(median - 0.25, median - 0.05, y)

    # Gradient energy of a lightly smoothed copy, pooled over a small window:
    # about 0.01 for clear or overcast sky, 0.03-0.2 in broken cloud, 0.03
    # for a mottled backdrop, 0.06 for wood grain, 0.1 and more for foliage,
    # gravel and grass (measured on skimage photos and the scenes of
    # tests/scenes.py). Cool and neutral colours may be as textured as
    # cloud; warm ones must be smooth, as wood, skin and fur share them.
    diagonal = image_diagonal(y.shape)
    soft = cv2.GaussianBlur(y, (0, 0), 0.003 * diagonal + 0.5)
    gx = cv2.Sobel(soft, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(soft, cv2.CV_32F, 0, 1, ksize=3)
    energy = cv2.GaussianBlur(np.hypot(gx, gy), (0, 0), 0.01 * diagonal + 0.5)
    warm_sky = sunset * (1.0 - smoothstep(0.025, 0.05, energy))
    strict = np.maximum(cool * (1.0 - smoothstep(0.04, 0.1, energy)), warm_sky)
    lenient = np.maximum(cool * (1.0 - smoothstep(0.15, 0.3, energy)), warm_sky)

    rows = np.linspace(0.0, 1.0, y.shape[0], dtype=np.float32)[:, None]
    position = 1.0 - smoothstep(0.45, 1.0, rows)
    return (strict * bright * position).astype(np.float32), (lenient * bright).astype(np.float32)


def _grow(selected: np.ndarray, skylike: np.ndarray) -> np.ndarray:
    """The sky-like areas connected to the selection (morphological reconstruction)."""
    count, labels = cv2.connectedComponents((selected | skylike).astype(np.uint8), connectivity=8)
    touched = np.zeros(count, bool)
    touched[np.unique(labels[selected])] = True
    touched[0] = False
    return touched[labels]


def _fill_above_horizon(selected: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Add sky-coloured pixels that lie above the lowest sky pixel of their column.

    Thick, textured cloud can fail even the lenient cue, but it sits inside
    the sky and is coloured like it. Masts, branches and rooftops poking
    into the sky are not sky-coloured and stay out.
    """
    h = selected.shape[0]
    has_sky = selected.any(axis=0)
    lowest = np.where(has_sky, h - 1 - np.argmax(selected[::-1], axis=0), -1)
    return selected | ((np.arange(h)[:, None] <= lowest[None, :]) & colour)


def sky_selection(image: np.ndarray) -> np.ndarray:
    """Boolean sky selection of a small float RGB image.

    Likely areas connected to the top edge (and not running along the bottom
    edge, as a white page or a wall does) are the sure sky; it grows through
    connected sky-like areas, then cloud and holes above its horizon are
    filled in.
    """
    likelihood, skylike = sky_cues(image)
    h, w = likelihood.shape
    candidates = (likelihood > 0.25).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(candidates, connectivity=8)
    sums = np.bincount(labels.ravel(), weights=likelihood.ravel(), minlength=count)
    bottom = labels[int(0.92 * h) :]
    keep = np.zeros(count, bool)
    for index in range(1, count):
        area = stats[index, cv2.CC_STAT_AREA]
        if stats[index, cv2.CC_STAT_TOP] > _TOP_BAND * h or area < _MIN_AREA * h * w:
            continue
        mean = sums[index] / area
        in_bottom = np.count_nonzero(bottom == index) / bottom.size
        keep[index] = mean >= _KEEP and in_bottom < _MAX_BOTTOM
    selected = keep[labels]
    if not selected.any():
        return selected
    selected = _grow(selected, skylike > 0.5)
    return _fill_above_horizon(selected, np.maximum(*sky_colour(image)) > 0.5)


def sky_matte(image: np.ndarray) -> np.ndarray:
    """Soft sky mask of a float RGB image, float32 ``H x W`` in [0, 1].

    Examples
    --------
    >>> rows = np.linspace(0, 1, 120, dtype=np.float32)[:, None, None]
    >>> sky = np.concatenate([0.45 + 0.3 * rows, 0.6 + 0.25 * rows, np.ones_like(rows)], axis=2)
    >>> ground = np.random.default_rng(0).random((80, 1, 3), dtype=np.float32) * 0.4
    >>> picture = np.broadcast_to(np.concatenate([sky, ground]), (200, 300, 3))
    >>> mask = sky_matte(np.ascontiguousarray(picture))
    >>> round(float(mask[:110].mean()), 1), round(float(mask[130:].mean()), 1)
    (1.0, 0.0)
    """
    h, w = image.shape[:2]
    small = downscale(image, ANALYSIS_SIDE)
    selected = sky_selection(small)
    if not selected.any():
        return np.zeros((h, w), np.float32)
    work = downscale(image, REFINE_SIDE)
    hard = _snap_to_edges(work, selected)
    guide = luma(work).astype(np.float32)
    # A small window: the boundary is already in place, this only softens it
    # along the photo's own edges (rooftops, branches, a hazy horizon).
    matte = guided_filter(guide, hard, max(1.0, 0.004 * image_diagonal(guide.shape)), 1e-4)
    if matte.shape != (h, w):
        matte = resized(matte, w, h)
    return np.clip(matte, 0.0, 1.0).astype(np.float32)


def _snap_to_edges(work: np.ndarray, selected: np.ndarray) -> np.ndarray:
    """Move the coarse selection's boundary to where the sky's colour really ends.

    The coarse selection stops short of the horizon (texture is pooled over a
    window). Around its boundary every pixel is compared with the colour of
    the sky *near it* (a normalised convolution of the surely-sky pixels, so
    a gradient from zenith to horizon is followed) and joins the sky when it
    is within a few ΔE of it.
    """
    height, width = work.shape[:2]
    diagonal = image_diagonal((height, width))
    coarse = resized(selected.astype(np.float32), width, height) > 0.5
    erode = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * round(0.01 * diagonal) + 1,) * 2)
    grow = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * round(0.06 * diagonal) + 1,) * 2)
    sure = cv2.erode(coarse.astype(np.uint8), erode).astype(bool)
    reach = cv2.dilate(coarse.astype(np.uint8), grow).astype(bool)
    if not sure.any():
        sure = coarse
    lab = rgb_to_lab(work)
    weight = sure.astype(np.float32)
    sigma = 0.03 * diagonal
    local_sky = (
        gaussian(lab * weight[..., None], sigma) / np.maximum(gaussian(weight, sigma), 1e-4)[..., None]
    )
    distance = np.linalg.norm(lab - local_sky, axis=2)
    candidates = (sure | (reach & (distance < _SKY_DELTA_E))).astype(np.uint8)
    # Only what is connected to the sure sky joins it: a sky-blue shirt near the horizon stays out.
    count, labels = cv2.connectedComponents(candidates, connectivity=8)
    connected = np.zeros(count, bool)
    connected[np.unique(labels[sure])] = True
    connected[0] = False
    return connected[labels].astype(np.float32)


@region("sky")
def sky_mask(image: np.ndarray, arg: str | None, context: RegionContext) -> np.ndarray:
    """The sky: bright, smooth, sky-coloured areas connected to the top edge (empty if none)."""
    mask = sky_matte(image)
    if not mask.any():
        context.notes.append("sky: no sky found; the mask is empty")
    return mask
