"""Simulated old-photo damage with known masks, for tests and benchmarks of restoration.

:func:`age_photo` turns a clean photo into a plausible scanned old print:
faded tones, a sepia or faded-dye colour cast, film grain, scratches (smooth
random curves 1-5 px wide, bright where the emulsion is gone and the
off-white paper base shows, or dark where dirt sits in them), dust specks
and the scanner's own noise over all of it, and returns the masks of what
it drew, so a detector can be scored against the truth.

A damage pixel counts in a mask only where it is visible: where the damage
changed the faded photo by at least :data:`VISIBLE` (a white scratch across
a white sky changed nothing and needs no repair).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from retouch.analyze import to_rgb_float

#: Smallest change (0-1 scale) for a damaged pixel to count as damage.
VISIBLE = 0.04
#: Standard deviation (0-255 scale) of the scanner's noise, added over the damage too.
SCAN_NOISE = 2.0
_SUBPIXEL = 4  # fixed-point bits for OpenCV's anti-aliased drawing


@dataclass
class AgedPhoto:
    """A damaged photo and the truth about it.

    Attributes
    ----------
    image : (H, W, 3) uint8 array
        The damaged photo.
    faded : (H, W, 3) uint8 array
        The same photo faded, toned and grainy but without scratches or dust:
        what a perfect scratch and dust removal would give back.
    scratches, dust : (H, W) bool arrays
        Where scratches and dust specks visibly changed the photo.
    """

    image: np.ndarray
    faded: np.ndarray
    scratches: np.ndarray
    dust: np.ndarray


def _fade(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Compress the tonal range and tint it: sepia for half the prints, a faded-dye cast for the rest."""
    low, high = rng.uniform(0.08, 0.18), rng.uniform(0.78, 0.9)
    grey = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    if rng.random() < 0.5:
        toned = grey[..., None] * np.array([1.07, 0.96, 0.78], np.float32)
    else:
        # Cyan dye fades first: a warm, magenta-yellow cast over washed-out colour.
        washed = 0.6 * rgb + 0.4 * grey[..., None]
        toned = washed * np.array([1.08, 0.97, 0.85], np.float32)
    return np.clip(low + (high - low) * toned, 0.0, 1.0)


def _curve(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A smooth random curve (points in fixed-point pixels): a slowly turning random walk."""
    side = min(height, width)
    length = rng.uniform(0.2, 0.9) * side
    steps = max(8, int(length / 4))
    heading = rng.uniform(0, 2 * np.pi)
    # Turning rate drawn per curve: from straight to clearly bent.
    bend = rng.uniform(0.0, 2.5) / steps
    turns = np.cumsum(rng.normal(0.0, bend, steps)) + heading
    xy = np.cumsum(np.stack([np.cos(turns), np.sin(turns)], axis=1) * (length / steps), axis=0)
    xy += [rng.uniform(0, width), rng.uniform(0, height)] - xy.mean(axis=0)
    return np.round(xy * (1 << _SUBPIXEL)).astype(np.int32)


def _draw_scratch(
    rng: np.random.Generator, height: int, width: int
) -> tuple[np.ndarray, tuple[slice, slice]]:
    """Coverage (float32 0-1) of one scratch, drawn only over its bounding box, and that box."""
    points = _curve(rng, height, width)
    thickness = int(rng.choice([1, 1, 2, 3, 4, 5]))
    reach = thickness + 2
    low = np.maximum(points.min(axis=0) // (1 << _SUBPIXEL) - reach, 0)
    high = np.minimum(points.max(axis=0) // (1 << _SUBPIXEL) + reach + 1, [width, height])
    box = (
        slice(int(low[1]), int(max(high[1], low[1] + 1))),
        slice(int(low[0]), int(max(high[0], low[0] + 1))),
    )
    canvas = np.zeros((box[0].stop - box[0].start, box[1].stop - box[1].start), np.uint8)
    shifted = points - (low << _SUBPIXEL).astype(np.int32)
    cv2.polylines(canvas, [shifted], False, 255, thickness, cv2.LINE_AA, _SUBPIXEL)
    return canvas.astype(np.float32) / 255, box


def _draw_dust(shape: tuple[int, int], count: int, rng: np.random.Generator) -> np.ndarray:
    """Coverage map (float32 0-1) of ``count`` specks: small rotated ellipses, 1-4 px in radius."""
    height, width = shape
    canvas = np.zeros(shape, np.uint8)
    for _ in range(count):
        centre = (int(rng.uniform(0, width) * 16), int(rng.uniform(0, height) * 16))
        axes = (int(rng.uniform(0.8, 4.0) * 16), int(rng.uniform(0.8, 3.0) * 16))
        cv2.ellipse(canvas, centre, axes, rng.uniform(0, 180), 0, 360, 255, -1, cv2.LINE_AA, _SUBPIXEL)
    return canvas.astype(np.float32) / 255


def age_photo(
    image: np.ndarray,
    *,
    seed: int = 0,
    scratches: int | None = None,
    dust: int | None = None,
    grain: float = 6.0,
) -> AgedPhoto:
    """Make a clean photo look like a damaged, faded, grainy scan of an old print.

    Parameters
    ----------
    image : (H, W) or (H, W, C) array
        uint8, uint16 or float in [0, 1]; never modified.
    seed : int
        Random seed: the same seed gives the same damage.
    scratches, dust : int, optional
        How many scratches and specks; by default about 8 scratches and
        100 specks per megapixel (at least 6 and 40).
    grain : float
        Standard deviation of the film grain, 0-255 scale.

    Returns
    -------
    AgedPhoto

    Examples
    --------
    >>> from skimage import data
    >>> aged = age_photo(data.camera(), seed=1)
    >>> aged.image.shape, bool(0 < aged.scratches.mean() < 0.05)
    ((512, 512, 3), True)
    """
    rng = np.random.default_rng(seed)
    pixels = image if image.ndim == 3 else image[..., None]
    rgb = to_rgb_float(pixels[..., :3] if pixels.shape[2] >= 3 else pixels[..., :1])
    height, width = rgb.shape[:2]
    megapixels = height * width / 1e6
    scratches = max(6, round(8 * megapixels)) if scratches is None else scratches
    dust = max(40, round(100 * megapixels)) if dust is None else dust

    faded = _fade(rgb, rng)
    # Grain is a little coarser than a pixel, as on a scanned print.
    noise = cv2.GaussianBlur(rng.normal(0.0, 1.0, (height, width)).astype(np.float32), (0, 0), 0.6)
    faded += (grain / 255 / max(float(noise.std()), 1e-6)) * noise[..., None]
    np.clip(faded, 0.0, 1.0, out=faded)

    damaged = faded.copy()
    # Where the emulsion is gone the paper base shows: off-white, cream to yellowed with age.
    # (A stream of its own, so the paper and the scan noise leave the damage's layout as it was.)
    scan_rng = np.random.default_rng([seed, 1])
    paper = np.array([1.0, scan_rng.uniform(0.96, 0.99), scan_rng.uniform(0.86, 0.95)], np.float32)
    for _ in range(scratches):
        cover, box = _draw_scratch(rng, height, width)
        tone = rng.uniform(0.85, 1.0) * paper if rng.random() < 0.6 else rng.uniform(0.0, 0.15)
        opacity = cover * rng.uniform(0.7, 1.0)
        damaged[box] += opacity[..., None] * (tone - damaged[box])
    scratch_change = np.abs(damaged - faded).max(axis=2)
    with_scratches = damaged.copy()
    cover = _draw_dust((height, width), dust, rng)
    # Dark dirt mostly; white specks where emulsion flaked off. One tone per speck.
    count, labels = cv2.connectedComponents((cover > 0).astype(np.uint8), connectivity=8)
    tones = np.where(rng.random(count) < 0.3, rng.uniform(0.85, 1.0, count), rng.uniform(0.0, 0.15, count))
    tone_map = tones.astype(np.float32)[labels][..., None]
    tone_map = np.where(tone_map > 0.5, tone_map * paper, tone_map)
    damaged += cover[..., None] * (tone_map - damaged)
    dust_change = np.abs(damaged - with_scratches).max(axis=2)
    # The scanner adds its own noise over everything, damage included (the reference gets the same).
    scan = scan_rng.normal(0.0, SCAN_NOISE / 255, (height, width, 1)).astype(np.float32)
    damaged = np.clip(damaged + scan, 0.0, 1.0)
    faded = np.clip(faded + scan, 0.0, 1.0)
    return AgedPhoto(
        image=np.round(damaged * 255).astype(np.uint8),
        faded=np.round(faded * 255).astype(np.uint8),
        scratches=scratch_change >= VISIBLE,
        dust=(dust_change >= VISIBLE) & (scratch_change < VISIBLE),
    )
