"""Detection of dust specks on scanned prints.

Specks are grown from seeds of strong residual (:mod:`retouch.damage_evidence`),
bright and dark apart, down to half the strongest residual nearby (so a
speck stays apart from the shadow or texture it touches); a *candidate* is
small (:data:`MAX_SPECK_SIDE`). Each is described by :data:`SPECK_FEATURES`:
its size and fill of its box, its contrast over the grain, how it outshines
the residual around it (detected scratches set aside: they are damage too),
how far it reaches past the picture's own tonal range and its tone rank
(dirt is darker than anything printed, flaked emulsion shows the paper),
its colour against the print's (damage is a nearly neutral overlay,
:func:`retouch.damage_colour.neutral_overlay`), and how much darker (or
brighter) it is than a ring of 8 points around it in all directions but
one (the corner of a dark shape meets dark in several directions; a speck
does not).

Hand-set tests of those features (:func:`_rules_verdict`) judge specks on
grey scans; on colour scans a small learned classifier
(:class:`retouch.boosted_trees.TreeEnsemble`, shipped in
``models/damage/speck_classifier.npz`` and trained with the line classifier
by ``tools/train_damage_classifier.py``, on photos other than the
benchmark's) decides, with the tests' verdict as one of its features; it
drops a speck the tests accept only at odds of 3:1 against damage (a speck
left shows, while a speck-sized fill of the picture hardly does: a bright
speck of the paper's cream on a dark, neutral coat departs from the colour
around it, which the classifier alone took for the picture's). It
weighs tone rank and lightness most. A speck it drops is kept after all
when the per-pixel segmenter (:mod:`retouch.damage_segmenter`) rates it
dust on average (:data:`LEARNED_RESCUE`; on scans up to
:data:`LEARNED_MAX_PIXELS`), and a large speck it keeps
(:data:`LEARNED_LARGE`) goes unless the segmenter rates it dust: at
that size the classifier's specks are mostly the picture's own blobs.
A speck that touches a dark shadow or line grows into it, and the
component is too large to be a candidate or is judged with what it
joined; the segmenter's dust pixels inside every component not kept
(:data:`LEARNED_DUST`) are judged again as specks of their own
(:func:`_learned_specks`). Dark specks on dark tones carry no colour
evidence and are still missed more often than others.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from retouch.boosted_trees import TreeEnsemble
from retouch.damage_colour import (
    CHROMA_TOLERANCE,
    less_coloured_than_print,
    neutral_overlay,
    tint_by_lightness,
    typical_chroma,
)
from retouch.damage_evidence import (
    CLUTTER_RADIUS,
    MIN_CONTRAST,
    background_residual,
    box_sums,
    component_mean,
    damage_planes,
    grey_levels,
    noise_floor,
    pieces_and_means,
    rank_table,
    tonal_range,
)
from retouch.damage_segmenter import damage_probability

MAX_SPECK_SIDE = 14  # px
SPECK_REACH = 3  # px: a speck's pixels hold half the strongest residual this near
SPECK_Z = 5.0  # speck seed threshold, robust spreads of the smoothed residual
MIN_SPECK_CONTRAST = 0.15  # a speck's peak against its background and its ring
MIN_SPECK_SALIENCE = 6.0  # a speck's peak over the mean residual around it
MIN_FILL = 0.35  # share of its box a speck fills: a short line or a corner fills less
LEARNED_RESCUE = 0.8  # mean dust probability of the segmenter over a speck the classifier drops that keeps it
LEARNED_DUST = 0.5  # dust probability of a dropped component's pixels that may form a speck of their own
# A speck of LEARNED_LARGE px or more is kept only where the segmenter's mean dust probability over it
# exceeds LEARNED_DUST: so large, the blobs the classifier takes are mostly the picture's own (a shuttle's
# black nose), and the net, which sees what a speck touches, tells them from dust.
LEARNED_LARGE = 50
# Above this many pixels the segmenter is not asked (at 24 MP it would take 6 s of the 60 s a restore may).
LEARNED_MAX_PIXELS = 8_000_000

#: What the speck classifier sees of each candidate, in its feature order.
SPECK_FEATURES = (
    "log_area",
    "fill",
    "side",
    "contrast_over_grain",
    "salience",
    "past_range",
    "tone_rank",
    "lightness",
    "neutral",
    "confirmed",
    "own_chroma",
    "around_chroma",
    "chroma_change",
    "ring_contrast",
    "bright",
    "grain",
    "colour_image",
    "clutter",
    "rules",
)

SPECK_MODEL_PATH = Path(__file__).parent / "models" / "damage" / "speck_classifier.npz"


@cache
def speck_model() -> TreeEnsemble:
    """The shipped classifier of candidate specks (loaded once)."""
    return TreeEnsemble.load(SPECK_MODEL_PATH)


def find_specks(
    grey: np.ndarray,
    chroma: np.ndarray | None,
    r: np.ndarray,
    differs: float,
    scratches: np.ndarray | None,
    collect: list | None = None,
    learned: np.ndarray | None = None,
) -> np.ndarray:
    """Dust mask of a float grey image, given its background residual and the scratches found (if any).

    A speck on or beside a scratch is left to the scratch. With
    ``collect``, the label map, candidate flags and features are appended
    to it and nothing is kept (what training the classifier needs).
    ``learned``, the segmenter's dust probability, is computed when needed
    and not given.
    """
    labels, eligible, features = _speck_features(grey, chroma, r, differs, scratches)
    if collect is not None:
        collect.append((labels, eligible, features))
        return np.zeros(labels.shape, bool)
    keep = eligible.copy()
    chosen = features[eligible]
    if chroma is None:
        # The classifier learned from toned prints: a grey scan keeps the hand-set tests.
        keep[eligible] = chosen[:, -1] > 0
    else:
        keep[eligible] = speck_model().accepts(chosen, chosen[:, -1].astype(int))
    if chroma is not None and grey.size <= LEARNED_MAX_PIXELS:
        # A speck the classifier drops is kept when the segmenter is sure of dust over it; a large one it
        # takes goes unless the segmenter rates it dust.
        flat = labels.ravel()
        if learned is None:
            learned = damage_probability(grey, chroma, r, differs, "dust")
        belief = component_mean(learned, flat, flat > 0, len(eligible))
        keep[eligible] |= belief[eligible] > LEARNED_RESCUE
        keep &= (np.bincount(flat, minlength=len(eligible)) < LEARNED_LARGE) | (belief > LEARNED_DUST)
        found = keep[labels]
        return found | _learned_specks((labels > 0) & ~found, learned)
    return keep[labels]


def _learned_specks(dropped: np.ndarray, learned: np.ndarray) -> np.ndarray:
    """The specks the segmenter finds inside the components not kept, ``dropped`` (bool H x W).

    A speck grown into the dark shadow or line it touches is too large to
    be a candidate, or is judged (and rated by the segmenter) together with
    what it joined. The pixels of such components rated dust above
    :data:`LEARNED_DUST` form pieces; those of a speck's size that the
    segmenter rates dust on average (:data:`LEARNED_RESCUE`) are kept.
    """
    _, labels, stats, belief = pieces_and_means(dropped & (learned > LEARNED_DUST), learned)
    keep = _speck_sized(stats) & (belief > LEARNED_RESCUE)
    keep[0] = False
    return keep[labels]


def _speck_sized(stats: np.ndarray) -> np.ndarray:
    """Per component (OpenCV stats rows): 2 px or more, at most :data:`MAX_SPECK_SIDE` across."""
    return (np.maximum(stats[:, 2], stats[:, 3]) <= MAX_SPECK_SIDE) & (stats[:, 4] >= 2)


def _speck_features(
    grey: np.ndarray, chroma: np.ndarray | None, r: np.ndarray, differs: float, scratches: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Label map of the candidate specks, which labels are small enough, and their :data:`SPECK_FEATURES`."""
    smooth = cv2.GaussianBlur(r, (0, 0), 0.7)
    floor, spread = noise_floor(np.abs(smooth))
    seed_level = max(floor + SPECK_Z * spread, MIN_CONTRAST)
    spoken = np.zeros(grey.shape, bool) if scratches is None else scratches
    free = cv2.dilate(spoken.astype(np.uint8), np.ones((3, 3), np.uint8)) == 0
    count, labels, stats, bright = _speck_components(r, smooth, seed_level, differs, free)
    width, height, area = (stats[:, i].astype(np.float64) for i in (2, 3, 4))
    eligible = _speck_sized(stats)
    eligible[0] = False
    features = np.zeros((count, len(SPECK_FEATURES)))
    if not eligible.any():
        return labels, eligible, features
    # Per-component means and extremes, gathered over the (few) labelled pixels only.
    inside = np.flatnonzero(labels)
    flat = labels.ravel()[inside]
    labelled = labels.ravel() > 0

    def mean_of(values: np.ndarray) -> np.ndarray:
        return component_mean(values, labels.ravel(), labelled, count)

    peak = np.zeros(count)
    np.maximum.at(peak, flat, np.abs(r).ravel()[inside])
    darkest, brightest = np.full(count, np.inf), np.full(count, -np.inf)
    np.minimum.at(darkest, flat, grey.ravel()[inside])
    np.maximum.at(brightest, flat, grey.ravel()[inside])
    extreme_tone = np.where(bright, brightest, darkest)
    low, high = tonal_range(grey, r, differs)
    # How far past the picture's own range the speck reaches, in steps of the grain (> 0: beyond it).
    past_range = np.where(bright, brightest - high, low - darkest) / differs
    lightness = mean_of(grey)
    own, ring = np.zeros((count, 2)), np.zeros((count, 2))
    neutral, confirmed = np.ones(count, bool), np.zeros(count, bool)
    print_chroma = 0.0
    if chroma is not None:
        for c in range(2):
            own[:, c] = mean_of(chroma[..., c])
            sums, box = box_sums(cv2.integral(chroma[..., c]), stats, CLUTTER_RADIUS)
            ring[:, c] = (sums - own[:, c] * area) / np.maximum(box - area, 1)
        neutral = neutral_overlay(own, ring, over_colour=True)
        confirmed = neutral & less_coloured_than_print(own, lightness, tint_by_lightness(grey, chroma))
        print_chroma = typical_chroma(chroma)
    # The residual around it, its own soft rim (2 px around its box) and the scratches found set aside.
    spoken = cv2.dilate(spoken.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    values = cv2.integral(np.where(spoken, 0.0, np.abs(smooth)).astype(np.float32))
    counted = cv2.integral((~spoken).astype(np.uint8))
    near, around = box_sums(values, stats, 2)[0], box_sums(values, stats, CLUTTER_RADIUS)[0]
    near_n, around_n = box_sums(counted, stats, 2)[0], box_sums(counted, stats, CLUTTER_RADIUS)[0]
    surroundings = (around - near) / np.maximum(around_n - near_n, 1)
    below = rank_table(grey_levels(grey))[grey_levels(np.where(eligible, extreme_tone, 0))]
    norm = print_chroma + CHROMA_TOLERANCE
    columns = (
        np.log(np.maximum(area, 1)),
        area / np.maximum(width * height, 1),
        np.maximum(width, height),
        peak / differs,
        np.minimum(peak / np.maximum(surroundings, 1e-6), 100.0),
        np.clip(past_range, -50.0, 50.0),
        np.where(bright, below, 1 - below),
        lightness,
        neutral,
        confirmed,
        np.hypot(own[:, 0], own[:, 1]) / norm,
        np.hypot(ring[:, 0], ring[:, 1]) / norm,
        np.hypot(*(own - ring).T) / norm,
        _ring_contrast(grey, stats, extreme_tone, bright, eligible),
        bright,
        np.full(count, differs),
        np.full(count, float(chroma is not None)),
        np.minimum(surroundings / spread, 100.0),
        np.zeros(count),
    )
    features[eligible] = np.stack([np.asarray(c, np.float64) for c in columns], axis=1)[eligible]
    features[:, -1] = _rules_verdict(features, peak, colour=chroma is not None) & eligible
    return labels, eligible, features


def _rules_verdict(f: np.ndarray, peak: np.ndarray, colour: bool) -> np.ndarray:
    """The hand-set tests of a speck (rows of :data:`SPECK_FEATURES`), one of the classifier's features.

    Compact, contrasty, of a damage colour, reaching past the picture's own
    tonal range (or, on a toned print, confirmed by its colour), salient
    over its surroundings and standing out from its ring all round.
    """
    column = dict(zip(SPECK_FEATURES, f.T, strict=False))
    keep = (column["fill"] >= MIN_FILL) & (peak >= MIN_SPECK_CONTRAST) & (column["neutral"] > 0)
    reaches = column["past_range"] >= 0
    if colour:
        reaches |= column["confirmed"] > 0
    keep &= reaches & (column["salience"] >= MIN_SPECK_SALIENCE) & (column["ring_contrast"] >= 1)
    return keep


def _speck_components(
    r: np.ndarray, smooth: np.ndarray, seed_level: float, differs: float, free: np.ndarray
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate specks: bright and dark apart, each grown from its seeds to half its local peak.

    A pixel joins a seed next to it when it differs from the background
    the same way, by at least ``differs`` and by half the strongest
    residual within :data:`SPECK_REACH` px: so a speck stays apart from the
    weaker texture or the shadow it touches. Returns the label count, one
    label map for both polarities, the OpenCV stats rows and whether each
    label is bright.
    """
    labels = np.zeros(r.shape, np.int32)
    all_stats = [np.zeros((1, 5), np.int32)]
    polarity = [np.zeros(1, bool)]
    count = 1
    reach = np.ones((2 * SPECK_REACH + 1,) * 2, np.uint8)
    for sign in (1.0, -1.0):
        signed = r if sign > 0 else -r
        seeds = ((smooth if sign > 0 else -smooth) > seed_level).astype(np.uint8)
        grown = (signed > differs) & (cv2.dilate(seeds, np.ones((3, 3), np.uint8)) > 0)
        grown &= (signed >= 0.5 * cv2.dilate(signed, reach)) & free
        n, lab, stats, _ = cv2.connectedComponentsWithStats(grown.astype(np.uint8), connectivity=8)
        inside = lab > 0
        labels[inside] = lab[inside] + (count - 1)
        all_stats.append(stats[1:])
        polarity.append(np.full(n - 1, sign > 0))
        count += n - 1
    return count, labels, np.concatenate(all_stats), np.concatenate(polarity)


def _ring_contrast(
    grey: np.ndarray, stats: np.ndarray, extreme: np.ndarray, bright: np.ndarray, candidates: np.ndarray
) -> np.ndarray:
    """How much each candidate speck differs from its surroundings all round, in :data:`MIN_SPECK_CONTRAST`.

    The lightly smoothed image is read at 8 points on a circle just outside
    the speck; the second closest to the speck's extreme tone counts (a
    speck may touch a line or an edge on one side): how much lighter it is
    than a dark speck's darkest pixel (darker than a bright one's
    brightest). The corner of a dark shape meets dark in several
    directions; a speck of dust does not.
    """
    out = np.zeros(len(stats))
    which = np.flatnonzero(candidates)
    if which.size == 0:
        return out
    smooth = cv2.blur(grey, (3, 3))
    h, w = grey.shape
    x0, y0, bw, bh = (stats[which, i].astype(np.float64) for i in range(4))
    cx, cy = x0 + (bw - 1) / 2, y0 + (bh - 1) / 2
    radius = np.maximum(bw, bh) / 2 + 3
    angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    xs = np.clip(np.rint(cx[:, None] + radius[:, None] * np.cos(angles)), 0, w - 1).astype(int)
    ys = np.clip(np.rint(cy[:, None] + radius[:, None] * np.sin(angles)), 0, h - 1).astype(int)
    ring = np.sort(smooth[ys, xs], axis=1)
    dark = ring[:, 1] - extreme[which]
    light = extreme[which] - ring[:, -2]
    out[which] = np.clip(np.where(bright[which], light, dark) / MIN_SPECK_CONTRAST, -20.0, 20.0)
    return out


def detect_dust(image: Any) -> np.ndarray:
    """Find dust specks: small isolated dots darker or brighter than the picture around them.

    Parameters
    ----------
    image : ndarray, path or PIL.Image
        Any image :func:`retouch.load_image` reads.

    Returns
    -------
    (H, W) bool ndarray
        True on speck pixels.
    """
    grey, chroma = damage_planes(image)
    return find_specks(grey, chroma, *background_residual(grey), None)
