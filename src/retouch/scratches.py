"""Detection of scratches and dust on scanned prints.

Scratches
    A *line response* per pixel, orientation and polarity: the grey mean
    along a 15 px segment minus the means along the two parallel segments
    3 or 6 px to either side, the smaller of the two differences. A line
    1-5 px wide differs from both sides the same way and scores its
    contrast; an edge differs from one side only and scores nothing; grain
    averages out along the segment. The best of 12 orientations counts.
    Candidate pixels (response above a noise-relative threshold, and
    differing from a 21 x 21 median background) are grouped into connected
    components *of gradually changing orientation* (joined within bands of
    30 degrees, in two partitions into bands offset by 15 degrees), so a
    curving scratch stays whole while it stays apart from the structure it
    crosses. A *candidate* holds a strong seed and is long
    (:data:`MIN_SCRATCH_LENGTH`), thin (:data:`MAX_SCRATCH_WIDTH`),
    contrasty (:data:`MIN_MEAN_CONTRAST`), elongated (:data:`MIN_ELONGATION`,
    from the principal axes of its pixels: a ring or a loop is not a
    scratch however thin) with most of its pixels' own orientations along
    its axis (:data:`MIN_ALIGNED`: a pylon's lattice is long, its bars are
    not), and *symmetric*: a scratch laid over the picture differs from
    both of its sides by about the same, while a line along an object's
    edge (a rim, a lit side) differs from one side far more
    (:data:`MAX_ASYMMETRY`). A line of damage's own tone and colour may be
    less symmetric (:data:`RELAXED_ASYMMETRY`: a scratch may run along an
    edge for a while) and less elongated (:data:`RELAXED_ELONGATION`: a
    short piece left between crossings). These tests hold on any photo. A
    candidate is then judged by hand-set tests of how it *stands out* over
    the line response in a ring around it beyond the grain's (lines inside
    fine texture, such as grass, hair or fur, do not), its tone (flaked
    emulsion shows the paper, dirt is black: damage lies at the ends of the
    tonal range) and its colour (damage is a nearly neutral overlay,
    :func:`neutral_overlay`), see :func:`_rules_verdict`; on a colour scan
    a small learned classifier (:class:`TreeEnsemble`, boosted trees
    shipped in ``models/damage/line_classifier.npz``, trained by
    ``tools/train_damage_classifier.py`` on synthetic damage over photos
    other than the benchmark's) weighs those cues and more
    (:data:`LINE_FEATURES`: shape, contrast, tone past the picture's own
    range, chroma relative to the print's, the rules' verdict) and decides
    instead of them: it rejects text and the scene's own dark lines in
    colour photos, and takes faint or mid-tone scratches the tests miss
    (those only at odds of 3:1: a real line restored away is worse than a
    faint scratch left). A print has one paper and bright damage shows it:
    a bright line clearly more coloured than the paper seen in the surest
    bright scratches of the same print is the print's own toned structure
    (a lit tripod leg), unless the classifier is nearly sure
    (:data:`PAPER_DEPARTURE`). Dark damage (dirt, silver) has no colour of
    its own and only dulls what it covers: a neutral dark line the tests
    accept that is darker than the picture's own tonal range is kept
    whatever the classifier says (:data:`NEUTRAL_DARK`), and a dark line
    more coloured than its surroundings is the picture's own (a rusty
    tower leg against a grey sky, :data:`DARK_CHROMA_GAIN`). The per-pixel
    segmenter (:mod:`retouch.damage_segmenter`, a small convolutional net
    that sees 67 px around each pixel) has the last word on colour scans: a
    long component with a strong seed that it rates a scratch on average
    (:data:`LEARNED_RESCUE`) is kept whatever the classifier and the shape
    tests say (a short or wide piece of a scratch left between crossings, a
    scratch over mid tones, a wide dark scratch that looks one-sided
    because its side segments fall on itself; but a short one-sided dark
    line is an edge's shadow side, :data:`LEARNED_ONE_SIDED`), and so is a
    component too short or too weak to be a candidate that it is surer of
    still, when it touches a line kept (:data:`LEARNED_ALONE`,
    :data:`LEARNED_REACH`), or wherever it lies if it is bright, has a
    strong seed and is not one-sided (flaked emulsion: a piece of a
    scratch along the picture's border; a cat's eyelid is a dark line the
    net is sure of);
    and a candidate the hand-set tests reject is kept on the classifier's
    word only if the segmenter does not doubt it (:data:`LEARNED_DOUBT`).
    Of a line neither kept nor clearly rejected by the classifier that the
    segmenter half believes (:data:`LEARNED_ODDS`), the pixels it rates a
    scratch form pieces, and a long, thin, seeded piece it is sure of is
    kept: the scratch itself, without the highlight or fur it joined or
    the halo around it that held its mean belief down; a wide piece is
    structure it mistakes for damage (a tripod's handle,
    :data:`LEARNED_WIDTH`); a thin such line it believes on average is
    kept whole, since along a thin scratch its belief is patchy and the
    sure pieces are too short (:data:`LEARNED_DOUBTED`). A line kept whole
    is judged in pieces too, one orientation band at a time, and a piece
    that would not be kept alone is taken out unless the segmenter is as
    sure of it as it must be to rescue a line (:data:`LEARNED_DENIAL`):
    where a scratch crosses a tripod leg the two can join into one
    component that passes.
    It weighs the tone rank most. Its training scenes carry thin lines of
    their own (wires, poles) drawn before the aging, so they fade and tone
    with the print: without them it took real structure (masts, tripod
    legs) for scratches and could only be trusted to veto.

    A long joined component that fails (two scratches crossing at a
    shallow angle, a scratch running into texture of its orientation) is
    judged again in pieces, one orientation band at a time
    (:data:`LONG_JOINED`). Each kept line is then continued beyond its ends,
    in its direction there, over the pixels that differ from the
    background its way, and what joins it is continued in turn
    (:func:`_extended`): where a scratch runs along an edge, over a tone
    like its own or into a highlight it leaves the line response, not the
    damage. And it is widened over the pixels beside it that differ nearly
    as much (:func:`_widened`): the rim of a wide scratch. On a colour scan
    both spread only over pixels the segmenter rates a scratch
    (:data:`LEARNED_SPREAD`): a tripod leg that a scratch crosses at a
    shallow angle differs the same way, in its path and beside it, and a
    fill that takes the leg costs more than a rim left. The rim is bounded
    so only along the stretches of lines the segmenter sees
    (:data:`LEARNED_SIGHT`): it is blind to some that the tests find (long
    straight scratches over a mid-grey sky), and a rim left along such a
    wide one is copied into the fill as a bright or dark streak. Last, the
    mask is closed (:func:`_closed`): a gap between found pixels narrower
    than :data:`CLOSING` px whose grey is like theirs is scratch too (the
    middle of two wide scratches crossing does not differ from its own
    bright background), a darker wedge of fur between two scratches that
    meet is not (:data:`CLOSING_LIKENESS`).
Dust
    Specks are :mod:`retouch.specks`' part; :func:`detect_damage` runs both
    detectors on one shared analysis.

Thresholds follow the image's grain: they are set from the median and
robust spread of each response. The line responses and the median run on
horizontal strips; the component analysis works on label maps of the whole
image (a few bytes per pixel), so a 24 MP scan fits in well under 4 GiB.

Real thin structure that is bright or dark, long, straight, isolated and
symmetric (wires against the sky, the legs of a tripod, star-filter rays)
in a grey picture is indistinguishable from a scratch by these cues and can
be flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

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
    component_mean,
    damage_planes,
    noise_floor,
    pieces_and_means,
    tonal_range,
    tone_rank,
)
from retouch.damage_segmenter import OUTPUTS, damage_probabilities, damage_probability
from retouch.filters import map_strips, shrink
from retouch.specks import find_specks

SEGMENT_LENGTH = 15  # px averaged along a line
ORIENTATIONS = 12
# px from a line's centre to the background on each side: near for thin lines, far for wide ones.
SIDE_OFFSETS = (3, 6)
ORIENTATION_BANDS = 6  # components are joined only within a band of 30 degrees
SEED_Z = 5.5  # seed threshold: median + SEED_Z robust spreads of the line response
GROW_Z = 3.5  # candidate threshold, likewise
MIN_SCRATCH_LENGTH = 30  # px, bounding-box diagonal
MAX_SCRATCH_WIDTH = 7.0  # px, differing pixels per px of length
MIN_ELONGATION = 5.0  # ratio of the principal standard deviations of a component's pixels
ALIGNED_DEGREES = 25.0  # a pixel whose line orientation is this near a component's axis runs along it
MIN_ALIGNED = 0.6  # share of a scratch's pixels that run along its axis
LONG_JOINED = 100  # px: a joined component this long that fails is judged in pieces too
MIN_MEAN_CONTRAST = 0.1  # mean line response of a component's differing pixels
MIN_STANDOUT = 6.0  # a component's response over the mean response around it less the grain's
CONFIRMED_STANDOUT = 3.0  # standout enough for a line whose colour says damage
CONFIRMED_STARK_STANDOUT = 8.0  # standout enough for a line whose colour says damage, whatever its tone
STARK_SALIENCE = 7.0  # response over the mean response around it: above this, damage whatever its tone
MIN_TONE_RANK = 0.85  # fraction of the picture a bright line is brighter than (dark: darker)
CORRIDOR_WIDTH = 3  # px: a scratch's continuation lies within this of its extension
CONTINUATION_GAP = 40  # px beyond a scratch's end where its continuation is looked for
END_LENGTH = 12  # px at each end of a scratch that give its direction there
CONTINUATION_ROUNDS = 4  # times a scratch's continuation is itself continued, at most
CONTINUATION_TURN = 15.0  # degrees a continued line's direction may turn from that of its first continuation
FULL_RESOLUTION_PIXELS = 8_000_000  # larger images look for scratches at half size
MAX_ASYMMETRY = 0.35  # mean |side difference| over line response: above it, a line runs along an edge
# ... unless it is of damage's own tone and colour: then up to this much.
RELAXED_ASYMMETRY = 0.6
RELAXED_ELONGATION = 3.5  # likewise, the least elongation (a short piece left between crossings)
# A print has one paper, and bright damage shows it: a bright line more coloured than the paper seen in
# the surest bright scratches (log-odds above PAPER_SURE) by PAPER_DEPARTURE (chroma over the print's)
# is the print's own toned structure, unless the classifier's log-odds reach PAPER_OVERRULE.
PAPER_SURE, PAPER_DEPARTURE, PAPER_OVERRULE = 3.0, 0.15, 2.0
# Dark damage is dirt or silver: it has no colour of its own, and laid over a print it can only dull the
# colour there. A dark line the hand-set tests accept that is that neutral (chroma over the print's at most
# NEUTRAL_DARK) and darker than the picture's own tonal range is damage whatever the classifier says (over
# a rocket's grey sky the segmenter does not see a wide black scratch, and the classifier just doubts it).
# A dark line more coloured than its surroundings by DARK_CHROMA_GAIN is the picture's own (a rusty tower
# leg against a grey sky).
NEUTRAL_DARK, DARK_CHROMA_GAIN = 0.15, 0.15
WIDEN_SHARE = 0.75  # a pixel beside a found scratch joins it if it differs at least this share as much
WIDEN_STEPS = 2  # px a found scratch is widened by, at most, on each side
# The segmenter (retouch.damage_segmenter) takes a long line with a strong seed that the classifier or
# the shape tests reject when its mean scratch probability over the line exceeds LEARNED_RESCUE (a piece
# of a scratch too short or too wide alone, a wide one whose sides fall on itself), and a component that
# is no line (no strong seed, too short) when it exceeds LEARNED_ALONE and the component lies within
# LEARNED_REACH px of a line kept: the rest of a scratch found in pieces. A bright piece with a strong seed
# that it rates above LEARNED_ALONE is kept anywhere, unless it is one-sided (RELAXED_ASYMMETRY); a dark
# one is not (taken anywhere, such pieces include a cat's lower eyelid, which the net is sure is a scratch).
LEARNED_RESCUE, LEARNED_ALONE, LEARNED_REACH = 0.8, 0.9, 2
# A dark line more one-sided than RELAXED_ASYMMETRY is rescued so only from LEARNED_ONE_SIDED px long: the
# segmenter is sure of short dark bars along the edges of a picture it never saw (a shuttle's lettering,
# a tripod's shadowed side), while a wide dark scratch that looks one-sided because its side segments
# fall on itself is long.
LEARNED_ONE_SIDED = 100
# The classifier overrules the hand-set tests' "no" only where the segmenter's mean belief reaches
# LEARNED_DOUBT (the straight edges of a launch tower are symmetric, dark and long, but not damage).
LEARNED_DOUBT = 0.5
# A found line is continued and widened only over pixels the segmenter rates LEARNED_SPREAD a scratch:
# the tripod leg a scratch crosses at a shallow angle differs the same way, beside it and in its path.
LEARNED_SPREAD = 0.5
# ... but where a line's mean belief nearby is below LEARNED_SIGHT, the segmenter does not see it at all,
# and its rim is widened over every differing pixel: its zero belief says nothing about the pixels beside it.
LEARNED_SIGHT = 0.3
# A piece (one orientation band) of a line kept whole goes again when it would not be kept on its own and
# the segmenter's mean belief in it is below LEARNED_DENIAL, as sure as it must be to rescue a line: the
# whole passing vouches for no piece of it (a tripod leg a scratch crosses joins it into one line).
LEARNED_DENIAL = LEARNED_RESCUE
# A line the classifier doubts (log-odds above LEARNED_ODDS, short of its cut) that the segmenter rates
# LEARNED_DOUBT a scratch may be a scratch joined to what it crosses (a cup's highlight) or ringed by
# pixels of its halo: the pixels of it the segmenter rates LEARNED_DOUBT form pieces, and a long, seeded
# piece at most LEARNED_WIDTH px wide (pixels per px of length) it rates above LEARNED_RESCUE is kept.
# Wider pieces are structure it mistakes for damage: a tripod's handle.
LEARNED_ODDS, LEARNED_WIDTH = -1.0, 3.0
# A doubtful line at most LEARNED_WIDTH wide is kept whole when the segmenter's mean belief exceeds
# LEARNED_DOUBTED: along a thin scratch its belief is patchy, so its sure pieces are too short alone.
LEARNED_DOUBTED = 0.7
# A gap narrower than CLOSING px between found scratch pixels is scratch too where its grey is within
# CLOSING_LIKENESS times the grain's difference (``differs``) of theirs: where two wide scratches cross or
# one runs along another, the middle is as bright as the sides, so its background is too and it does not
# differ; a fill that leaves it copies a blob of damage into the hole. The likeness keeps out the wedge
# of fur between two scratches that meet at a shallow angle.
CLOSING, CLOSING_LIKENESS = 11, 3.0


def _line_kernels(length: int, count: int) -> list[np.ndarray]:
    """Normalised anti-aliased line segments through the kernel centre, one per orientation."""
    size = length | 1
    kernels = []
    for k in range(count):
        kernel = np.zeros((size, size), np.float32)
        angle = np.pi * k / count
        dx, dy = np.cos(angle) * (length - 1) / 2, np.sin(angle) * (length - 1) / 2
        c = (size - 1) / 2
        # Sub-pixel end points (4 fractional bits) keep every orientation centred.
        p0 = (round((c - dx) * 16), round((c - dy) * 16))
        p1 = (round((c + dx) * 16), round((c + dy) * 16))
        cv2.line(kernel, p0, p1, 1.0, 1, cv2.LINE_AA, 4)
        kernels.append(kernel / kernel.sum())
    return kernels


_KERNELS = _line_kernels(SEGMENT_LENGTH, ORIENTATIONS)


def _line_responses(grey: np.ndarray) -> np.ndarray:
    """Bright and dark line responses of a float grey image, their orientations and side gaps, (H, W, 6).

    The response in one orientation is the mean along a segment minus the
    means along the two parallel segments a few px to either side, the
    smaller of the two differences: a line differs from both sides in the
    same direction, an edge from one side only. The best orientation and
    side distance count; channels 2 and 3 hold the index (0 to
    ORIENTATIONS - 1) of the orientation that won for bright and for dark,
    channels 4 and 5 the difference between the two sides' differences
    there (near 0 for a line laid over the picture, large for a line along
    an edge).
    """
    h, w = grey.shape
    pad = max(SIDE_OFFSETS)
    out = np.zeros((h, w, 6), np.float32)
    bright, dark = np.zeros((h, w), np.float32), np.zeros((h, w), np.float32)
    gap, gap_bright, gap_dark = (
        np.empty((h, w), np.float32),
        np.empty((h, w), np.float32),
        np.empty((h, w), np.float32),
    )
    here_bright, here_dark = np.empty((h, w), np.float32), np.empty((h, w), np.float32)
    one_diff, other_diff = np.empty((h, w), np.float32), np.empty((h, w), np.float32)
    low, high, better = np.empty((h, w), np.float32), np.empty((h, w), np.float32), np.empty((h, w), bool)
    for k, kernel in enumerate(_KERNELS):
        centre = cv2.filter2D(grey, cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT)
        padded = cv2.copyMakeBorder(centre, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        angle = np.pi * k / ORIENTATIONS
        here_bright.fill(0.0)
        here_dark.fill(0.0)
        gap_bright.fill(0.0)
        gap_dark.fill(0.0)
        for offset in SIDE_OFFSETS:
            dx, dy = round(-np.sin(angle) * offset), round(np.cos(angle) * offset)
            np.subtract(centre, padded[pad + dy : pad + dy + h, pad + dx : pad + dx + w], out=one_diff)
            np.subtract(centre, padded[pad - dy : pad - dy + h, pad - dx : pad - dx + w], out=other_diff)
            # Bright: the smaller of the two differences; dark: the smaller of their negatives.
            np.minimum(one_diff, other_diff, out=low)
            np.maximum(one_diff, other_diff, out=high)
            np.subtract(high, low, out=gap)
            np.negative(high, out=high)
            np.copyto(gap_bright, gap, where=low > here_bright)
            np.copyto(gap_dark, gap, where=high > here_dark)
            np.maximum(here_bright, low, out=here_bright)
            np.maximum(here_dark, high, out=here_dark)
        for polarity, here, best, g in ((0, here_bright, bright, gap_bright), (1, here_dark, dark, gap_dark)):
            np.greater(here, best, out=better)
            np.copyto(out[..., 2 + polarity], np.float32(k), where=better)
            np.copyto(out[..., 4 + polarity], g, where=better)
            np.maximum(best, here, out=best)
    out[..., 0], out[..., 1] = bright, dark
    return out


def _surroundings(labels: np.ndarray, count: int, maps: list[np.ndarray]) -> np.ndarray:
    """Per component: the mean of each map in a ring around it (4 to CLUTTER_RADIUS px off), (count, maps).

    The ring comes from a grey-level dilation of the label map, so
    neighbouring components share the ring where they meet. In a quiet area
    the line response there holds grain only; in fine texture (grass, hair,
    fabric) it holds the texture's own lines, which a real line of that
    texture does not outshine.
    """
    lab = labels.astype(np.float32)
    inner = cv2.dilate(lab, np.ones((9, 9), np.uint8))
    outer = cv2.dilate(lab, np.ones((2 * CLUTTER_RADIUS + 1,) * 2, np.uint8)).astype(np.int64)
    ring = (outer > 0) & (inner == 0)
    which = outer[ring]
    total = np.maximum(np.bincount(which, minlength=count), 1)
    return np.stack([np.bincount(which, weights=m[ring], minlength=count) / total for m in maps], axis=1)


def _line_shape(
    labels: np.ndarray, count: int, candidates: np.ndarray, orientation: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per component: elongation, and the share of its pixels running along its principal axis.

    The elongation is the square root of the ratio of the pixel positions'
    principal variances: a straight or gently curving line is very
    elongated; a ring, a loop or a blob is not, however thin its stroke.
    The share counts the pixels whose own line orientation is within
    :data:`ALIGNED_DEGREES` of the principal axis: most of a scratch's pixels
    run along it, while a lattice (a pylon, a fence, a net) that is long as
    a whole is made of bars at other angles. Computed for the
    ``candidates`` components only (1 elsewhere), from sums gathered in
    one pass each.
    """
    rows, cols = np.nonzero(candidates[labels])
    which = labels[rows, cols]
    n = np.maximum(np.bincount(which, minlength=count), 1)
    y, x = rows.astype(np.float64), cols.astype(np.float64)
    my, mx = np.bincount(which, y, count) / n, np.bincount(which, x, count) / n
    vyy = np.bincount(which, y * y, count) / n - my**2
    vxx = np.bincount(which, x * x, count) / n - mx**2
    vxy = np.bincount(which, x * y, count) / n - mx * my
    half_trace, det = (vxx + vyy) / 2, vxx * vyy - vxy**2
    spread = np.sqrt(np.maximum(half_trace**2 - det, 0))
    major, minor = half_trace + spread, np.maximum(half_trace - spread, 1e-3)
    elongation = np.sqrt(major / minor)
    elongation[~candidates] = 1.0
    axis = 0.5 * np.arctan2(2 * vxy, vxx - vyy)
    own = orientation[rows, cols].astype(np.float64) * (np.pi / ORIENTATIONS)
    # Orientations are lines (modulo 180 degrees): fold the difference into [0, 90].
    turn = np.abs((own - axis[which] + np.pi / 2) % np.pi - np.pi / 2)
    aligned = np.bincount(which, turn <= np.radians(ALIGNED_DEGREES), count) / n
    aligned[~candidates] = 1.0
    return elongation, aligned


def _boxes(labels: np.ndarray, count: int) -> np.ndarray:
    """OpenCV-style stats rows (x, y, width, height, area) of the components of a label map."""
    stats = np.zeros((count, 5), np.int32)
    for c, box in enumerate(ndimage.find_objects(labels, count - 1), start=1):
        if box is not None:
            stats[c, :4] = box[1].start, box[0].start, box[1].stop - box[1].start, box[0].stop - box[0].start
    stats[:, 4] = np.bincount(labels.ravel(), minlength=count)
    return stats


Components = tuple[int, np.ndarray, np.ndarray]  # label count (with the background, 0), label map, stats rows


def _label_by_orientation(
    candidates: np.ndarray, orientation: np.ndarray
) -> tuple[Components, Components, np.ndarray]:
    """Connected components of ``candidates`` whose orientations change gradually from pixel to pixel.

    Pixels are joined within each band of :data:`ORIENTATION_BANDS`
    orientations, in two partitions into bands, the second shifted by one
    orientation; a component of one partition and one of the other that
    share a pixel are the same component. So a curving scratch whose
    orientation drifts across a band boundary stays whole, while a
    structure it crosses at a steep angle stays apart.

    Returns
    -------
    merged, banded : (count, labels, stats)
        The components, and those of the first partition alone.
    parent : (banded count,) int array
        The merged component that holds each banded one.
    """
    index = orientation.astype(np.int32)
    maps, offset = [], 0
    for shift in (0, 1):
        band = (index + shift) % ORIENTATIONS * ORIENTATION_BANDS // ORIENTATIONS
        labels = np.zeros(candidates.shape, np.int32)
        for b in range(ORIENTATION_BANDS):
            n, lab = cv2.connectedComponents((candidates & (band == b)).astype(np.uint8), connectivity=8)
            inside = lab > 0
            labels[inside] = lab[inside] + offset
            offset += n - 1
        maps.append(labels)
    banded_count = int(maps[0].max()) + 1
    where = np.flatnonzero(candidates)
    first, second = maps[0].ravel()[where], maps[1].ravel()[where]
    # Union of the two partitions' components: connected components of their overlap graph.
    graph = coo_matrix((np.ones(where.size, np.int8), (first, second)), shape=(offset + 1, offset + 1))
    _, merged = connected_components(graph, directed=False)
    # Renumber so that the background is 0 and the components 1..count-1.
    used, dense = np.unique(merged[first], return_inverse=True)
    labels = np.zeros(candidates.shape, np.int32)
    labels.ravel()[where] = dense + 1
    count = used.size + 1
    parent = np.zeros(banded_count, np.int64)
    parent[first] = dense + 1
    return (
        (count, labels, _boxes(labels, count)),
        (banded_count, maps[0], _boxes(maps[0], banded_count)),
        parent,
    )


@dataclass
class _LineEvidence:
    """What one polarity's line components are judged by (bright lines, or dark ones).

    ``orientation`` is the index of each pixel's best orientation;
    ``contrast`` the residual signed so that the polarity's lines are
    positive; ``texture`` the line response of both polarities, to judge
    surroundings by, and ``quiet`` its median and robust spread, what grain
    alone gives; ``tone_rank`` the fraction of the picture each pixel is
    brighter than (darker than, for dark lines); ``gap`` the difference
    between a pixel's two side differences; ``beyond`` whether each pixel
    lies beyond the picture's own tonal range the polarity's way (see
    :func:`retouch.damage_evidence.tonal_range`); ``learned`` the
    segmenter's scratch probability per pixel (None on a grey scan).
    """

    response: np.ndarray
    orientation: np.ndarray
    contrast: np.ndarray
    tone_rank: np.ndarray
    gap: np.ndarray
    beyond: np.ndarray
    range_edge: float
    bright: bool
    strong: float
    differs: float
    texture: np.ndarray
    quiet: tuple[float, float]
    grey: np.ndarray
    chroma: np.ndarray | None
    print_tint: np.ndarray | None
    print_chroma: float
    learned: np.ndarray | None


#: What the line classifier sees of each candidate component, in its feature order.
LINE_FEATURES = (
    "log_length",
    "width",
    "strength",
    "peak",
    "seeded",
    "contrast_over_grain",
    "elongation",
    "aligned",
    "asymmetry",
    "salience",
    "standout",
    "tone_rank",
    "beyond_range",
    "past_range",
    "neutral",
    "confirmed",
    "own_chroma",
    "around_chroma",
    "chroma_change",
    "lightness",
    "bright",
    "colour_image",
    "grain",
    "clutter",
    "rules",
)


def _rules_verdict(f: np.ndarray) -> np.ndarray:
    """The hand-set tests of a line (rows of :data:`LINE_FEATURES`), one of the classifier's features.

    Contrasty, elongated, mostly aligned with its axis, symmetric, of a
    damage colour, standing out over its surroundings (less so when its
    colour or tone confirm damage), and at the ends of the tonal range
    unless starkly salient.
    """
    column = dict(zip(LINE_FEATURES, f.T, strict=False))
    confirmed = column["confirmed"] > 0
    keep = (column["strength"] >= MIN_MEAN_CONTRAST) & (column["elongation"] >= MIN_ELONGATION)
    keep &= (column["aligned"] >= MIN_ALIGNED) & (column["asymmetry"] <= MAX_ASYMMETRY)
    keep &= (column["neutral"] > 0) & (
        column["standout"] >= np.where(confirmed, CONFIRMED_STANDOUT, MIN_STANDOUT)
    )
    stark = (column["salience"] >= STARK_SALIENCE) | (
        confirmed & (column["standout"] >= CONFIRMED_STARK_STANDOUT)
    )
    return keep & ((column["tone_rank"] >= MIN_TONE_RANK) | stark)


def _line_features(
    ev: _LineEvidence, count: int, labels: np.ndarray, stats: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per component: whether it holds a strong seed, is a candidate, its length, asymmetry and features.

    A line holds a strong seed and is at least :data:`MIN_SCRATCH_LENGTH`
    long; a candidate is a line at most :data:`MAX_SCRATCH_WIDTH` px wide
    that passes the shape tests (see the module notes); the asymmetry is
    the mean gap between its sides' differences relative to its response
    (near 0 for a line laid over the picture, large for one along an edge);
    the :data:`LINE_FEATURES` (rows of 0 for the others) describe its shape, its contrast, how
    symmetric it is (a scratch laid over the picture differs from both of
    its sides by about the same, a line along an edge does not), how it
    stands out over the texture around it, its tone and its colour against
    its surroundings'.
    """
    features = np.zeros((count, len(LINE_FEATURES)))
    seeded = ev.response > ev.strong
    has_seed = _holds_seed(ev, labels, count)
    eligible = has_seed.copy()
    length = np.hypot(stats[:, 2], stats[:, 3]).astype(np.float64)
    eligible &= length >= MIN_SCRATCH_LENGTH
    # Width and strength from the pixels that differ, not from the response, which spreads beyond the line.
    flat = labels.ravel()
    core = (ev.contrast > ev.differs).ravel()
    core_area = np.bincount(flat, weights=core, minlength=count)
    width = core_area / np.maximum(length, 1)
    eligible &= (width <= MAX_SCRATCH_WIDTH) & (core_area > 0)
    # Weighted by the response, so the middle of a wide line counts most: off its centre line one of the
    # sides falls on the line itself, which says nothing about what lies either side of it.
    asymmetry = component_mean(ev.gap * ev.response, flat, core, count) / np.maximum(
        component_mean(ev.response * ev.response, flat, core, count), 1e-9
    )
    if not eligible.any():
        return has_seed, eligible, length, asymmetry, features
    strength = component_mean(ev.response, flat, core, count)
    peak = np.zeros(count)
    inside = np.flatnonzero(flat)
    np.maximum.at(peak, flat[inside], ev.response.ravel()[inside])
    seeded_share = np.bincount(flat, weights=seeded.ravel(), minlength=count) / np.maximum(stats[:, 4], 1)
    elongation, aligned = _line_shape(labels, count, eligible, ev.orientation)
    # A contrasty, elongated line mostly running along its axis, laid over the picture (symmetric), or not
    # a scratch at all: these tests hold on any photo, while what the surroundings, tone and colour say is
    # weighed by the classifier.
    eligible &= (strength >= MIN_MEAN_CONTRAST) & (asymmetry <= RELAXED_ASYMMETRY)
    eligible &= (elongation >= RELAXED_ELONGATION) & (aligned >= MIN_ALIGNED)
    maps = [ev.texture] if ev.chroma is None else [ev.texture, ev.chroma[..., 0], ev.chroma[..., 1]]
    around = _surroundings(np.where(eligible[labels], labels, 0), count, maps)
    salience = strength / np.maximum(around[:, 0], 1e-6)
    # Against what the surroundings hold beyond grain: a faint line across a quiet, grainy area stands
    # out along its length however close its contrast is to the grain's; a line of a texture does not.
    standout = strength / np.maximum(around[:, 0] - ev.quiet[0], ev.quiet[1])
    lightness = component_mean(ev.grey, flat, core, count)
    beyond = component_mean(ev.beyond, flat, core, count)
    own = np.zeros((count, 2))
    neutral, confirmed = np.ones(count, bool), np.zeros(count, bool)
    if ev.chroma is not None:
        own = np.stack([component_mean(ev.chroma[..., c], flat, core, count) for c in range(2)], axis=1)
        neutral = neutral_overlay(own, around[:, 1:])
        confirmed = neutral & less_coloured_than_print(own, lightness, ev.print_tint)
    confirmed |= neutral & (beyond >= 0.5)
    ring_chroma = around[:, 1:] if ev.chroma is not None else np.zeros((count, 2))
    columns = (
        np.log(np.maximum(length, 1)),
        width,
        strength,
        peak,
        seeded_share,
        strength / ev.differs,
        np.minimum(elongation, 100.0),
        aligned,
        asymmetry,
        np.minimum(salience, 100.0),
        np.clip(standout, 0.0, 100.0),
        component_mean(ev.tone_rank, flat, core, count),
        beyond,
        # How far past the picture's own tonal range the line lies, in grain-relative steps.
        (lightness - ev.range_edge) * (1 if ev.bright else -1) / ev.differs,
        neutral,
        confirmed,
        # Chroma relative to the print's: how a line departs from its print says more than the print's colour.
        np.hypot(own[:, 0], own[:, 1]) / (ev.print_chroma + CHROMA_TOLERANCE),
        np.hypot(ring_chroma[:, 0], ring_chroma[:, 1]) / (ev.print_chroma + CHROMA_TOLERANCE),
        np.hypot(*(own - ring_chroma).T) / (ev.print_chroma + CHROMA_TOLERANCE),
        lightness,
        np.full(count, float(ev.bright)),
        np.full(count, float(ev.chroma is not None)),
        np.full(count, ev.differs),
        (around[:, 0] - ev.quiet[0]) / ev.quiet[1],
        np.zeros(count),
    )
    # A line of damage's own tone and colour may run along an edge for a while: a scratch across a
    # sleeve's edge differs from one side by more than from the other. (So does the rim of a wide scratch,
    # where one side segment falls on the scratch.) And a short piece of one, left between crossings, may
    # be less elongated.
    plain = (asymmetry <= MAX_ASYMMETRY) & (elongation >= MIN_ELONGATION)
    eligible &= plain | (confirmed & (beyond >= 0.5))
    features[eligible] = np.stack(columns, axis=1)[eligible]
    features[:, -1] = _rules_verdict(features) & eligible
    return has_seed, eligible, length, asymmetry, features


LINE_MODEL_PATH = Path(__file__).parent / "models" / "damage" / "line_classifier.npz"


@cache
def line_model() -> TreeEnsemble:
    """The shipped classifier of candidate line components (loaded once)."""
    return TreeEnsemble.load(LINE_MODEL_PATH)


def _line_components(ev: _LineEvidence, weak: float, collect: list | None = None) -> np.ndarray:
    """Hysteresis on one polarity's line response; keep the components the line classifier accepts.

    Pixels of different orientations are not joined, so a scratch stays
    apart from the structure it crosses. With ``collect``, the label map,
    candidate flags and features of every component judged are appended to
    it and none is kept, so that the pieces of every long component are
    judged too (what training the classifier needs).
    """
    # Only pixels that themselves differ: the response's halo beside a line would join it to its neighbours.
    candidates = (ev.response > weak) & (ev.contrast > ev.differs)
    paper: float | None = None  # the chroma of the paper, from the surest bright lines judged first
    kept = np.zeros(candidates.shape, bool)  # the lines kept whole, when their pieces are judged

    def judge(count: int, labels: np.ndarray, stats: np.ndarray) -> tuple[np.ndarray, ...]:
        """Which components to keep, their lengths, the segmenter's mean belief in them (or 0), the doubtful.

        Doubtful: lines not kept that the classifier and the segmenter both
        half believe (:data:`LEARNED_ODDS`).
        """
        nonlocal paper
        has_seed, eligible, length, asymmetry, features = _line_features(ev, count, labels, stats)
        belief = np.zeros(count)
        doubtful = np.zeros(count, bool)
        if collect is not None:
            collect.append((labels, eligible, features))
            return np.zeros(count, bool), length, belief, doubtful
        keep = eligible.copy()
        chosen = features[eligible]
        if ev.chroma is None:
            # The classifier learned from toned prints: a grey scan keeps the hand-set tests.
            keep[eligible] = chosen[:, -1] > 0
            return keep, length, belief, doubtful
        # The rules' verdict picks the cut: the classifier may need more evidence to overrule them.
        model = line_model()
        score = model.score(chosen)
        column = dict(zip(LINE_FEATURES, chosen.T, strict=True))
        keep[eligible] = score > model.cut[column["rules"].astype(int)]
        # The segmenter's mean scratch probability over each component (it runs on colour scans).
        flat = labels.ravel()
        belief = component_mean(ev.learned, flat, flat > 0, count)
        keep[eligible] &= (column["rules"] > 0) | (belief[eligible] >= LEARNED_DOUBT)
        doubtful[eligible] = (score > LEARNED_ODDS) & (belief[eligible] >= LEARNED_DOUBT)
        thin = column["width"] <= LEARNED_WIDTH
        keep[eligible] |= doubtful[eligible] & thin & (belief[eligible] > LEARNED_DOUBTED)
        rescued = has_seed & (length >= MIN_SCRATCH_LENGTH) & (belief > LEARNED_RESCUE)
        if not ev.bright:
            # A short dark line along an edge is the edge's shadow (LEARNED_ONE_SIDED).
            rescued &= (asymmetry <= RELAXED_ASYMMETRY) | (length >= LEARNED_ONE_SIDED)
        keep |= rescued
        own = column["own_chroma"]
        if ev.bright:
            # A short bright piece it is surer of still is flaked emulsion wherever it lies (a scratch's
            # piece along the picture's border, between crossings), unless it runs along an edge (the lit
            # side of a rocket). Short dark ones are not taken so: a cat's eyelid is one, to the net.
            keep |= has_seed & (belief > LEARNED_ALONE) & (asymmetry <= RELAXED_ASYMMETRY)
            # Bright damage shows the print's one paper (PAPER_DEPARTURE).
            if paper is None and (score > PAPER_SURE).any():
                paper = float(np.median(own[score > PAPER_SURE]))
            if paper is not None:
                keep[eligible] &= (own <= paper + PAPER_DEPARTURE) | (score >= PAPER_OVERRULE)
        else:
            # Dark damage is neutral and dulls the colour it covers (NEUTRAL_DARK, DARK_CHROMA_GAIN).
            keep[eligible] |= (column["rules"] > 0) & (own <= NEUTRAL_DARK) & (column["past_range"] >= 0)
            keep[eligible] &= own - column["around_chroma"] <= DARK_CHROMA_GAIN
        keep |= (belief > LEARNED_ALONE) & _beside(keep[labels] | kept, labels, count)
        return keep, length, belief, doubtful & ~keep

    merged, (count, pieces, stats), parent = _label_by_orientation(candidates, ev.orientation)
    keep, length, _, doubtful = judge(*merged)
    found = keep[merged[1]]
    kept |= found
    # A long joined component that fails may be two scratches crossing at a shallow angle, a scratch
    # bent through a wide angle or one that runs into fine texture of its orientation (fur, grain):
    # its pieces are judged on their own too, from 100 px on: the pieces of a curved scratch are nearly
    # straight, so they pass the shape tests that the whole curve fails.
    failed = np.where((~keep & (length >= LONG_JOINED))[parent][pieces], pieces, 0)
    found |= judge(count, failed, stats)[0][failed]
    if ev.learned is None or collect is not None:
        return found
    # A line kept whole may have joined, where they cross, structure that is no scratch (a tripod leg):
    # its pieces that would not be kept on their own go again, unless the segmenter is sure of them.
    held = np.where(keep[parent][pieces], pieces, 0)
    on_its_own, _, belief, _ = judge(count, held, stats)
    denied = ~on_its_own & (belief < LEARNED_DENIAL)
    denied[0] = False
    found &= ~denied[held]
    return found | _learned_lines(ev, doubtful[merged[1]] & ~found)


def _holds_seed(ev: _LineEvidence, labels: np.ndarray, count: int) -> np.ndarray:
    """Per component of ``labels`` (0 is none): whether it holds a pixel of strong line response (a seed)."""
    holds = np.zeros(count, bool)
    holds[labels[ev.response > ev.strong]] = True
    holds[0] = False
    return holds


def _learned_lines(ev: _LineEvidence, doubtful: np.ndarray) -> np.ndarray:
    """The long, thin, seeded pieces of ``doubtful`` lines the segmenter is sure of (:data:`LEARNED_ODDS`)."""
    count, labels, stats, belief = pieces_and_means(doubtful & (ev.learned >= LEARNED_DOUBT), ev.learned)
    length = np.hypot(stats[:, 2], stats[:, 3])
    keep = _holds_seed(ev, labels, count) & (length >= MIN_SCRATCH_LENGTH)
    keep &= stats[:, 4] <= LEARNED_WIDTH * length
    keep &= belief > LEARNED_RESCUE
    return keep[labels]


def _beside(kept: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """Per component of ``labels``: whether it lies within :data:`LEARNED_REACH` px of a ``kept`` pixel."""
    reach = np.ones((2 * LEARNED_REACH + 1,) * 2, np.uint8)
    beside = np.zeros(count, bool)
    beside[labels[cv2.dilate(kept.astype(np.uint8), reach) > 0]] = True
    beside[0] = False
    return beside


def _extended(lines: np.ndarray, differing: np.ndarray) -> np.ndarray:
    """``lines`` continued beyond their ends, in their direction there, over pixels that differ.

    A scratch fades out of the line response where it runs along an
    edge or over a tone like its own, yet those pixels still differ from
    the background its way; a fill that leaves them copies their damage
    into the hole. The differing pixels in the corridors beyond the ends
    (:func:`_corridors`) that connect to a line join it, and where a
    line so grows it is continued again, up to
    :data:`CONTINUATION_ROUNDS` times: a scratch may leave the line
    response more than once, and where it crosses a highlight its
    continuation ends in the highlight's blob. Again only where its
    direction at the new end is within :data:`CONTINUATION_TURN` of its
    first continuation's: a line that keeps turning has run onto an edge
    it met (the rim of a saucer), which it would follow round.
    """
    corridors = None
    for _ in range(CONTINUATION_ROUNDS):
        corridors = _corridors(lines, corridors)
        reach = lines | ((corridors[0] > 0) & differing)
        count, labels = cv2.connectedComponents(reach.astype(np.uint8), connectivity=8)
        touched = np.zeros(count, bool)
        touched[labels[lines]] = True
        touched[0] = False
        grown = touched[labels]
        if np.count_nonzero(grown) == np.count_nonzero(lines):
            break
        lines = grown
    return lines


def _corridors(
    lines: np.ndarray, previous: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Where the continuations of ``lines`` may lie: :data:`CORRIDOR_WIDTH` px wide, beyond each end.

    Each line at least twice :data:`END_LENGTH` px long gets one
    :data:`CONTINUATION_GAP` px long from each end, in the direction of
    its last :data:`END_LENGTH` px. With ``previous`` (the last round's
    corridors) only from the ends that lie in one of those, where the
    direction is within :data:`CONTINUATION_TURN` of the direction that
    corridor's line end had in the first round.

    Returns
    -------
    labels : (H, W) int32 array
        Which corridor each pixel lies in (0 for none).
    directions : (N, 2) array
        In row ``i - 1``, the direction (x, y) of corridor ``i``'s line
        end in the first round.
    """
    _, labels = cv2.connectedComponents(lines.astype(np.uint8), connectivity=8)
    rows, cols = np.nonzero(labels)
    corridors = np.zeros(lines.shape, np.int32)
    directions: list[np.ndarray] = []
    which = labels[rows, cols]
    order = np.argsort(which, kind="stable")
    xy = np.stack([cols[order], rows[order]], axis=1).astype(np.float64)
    for points in np.split(xy, np.flatnonzero(np.diff(which[order])) + 1):
        if len(points) < 2 * END_LENGTH:
            continue
        centre = points.mean(axis=0)
        along = (points - centre) @ np.linalg.eigh(np.cov((points - centre).T))[1][:, -1]
        for end in (along <= along.min() + END_LENGTH, along >= along.max() - END_LENGTH):
            tip = points[end]
            tip_centre = tip.mean(axis=0)
            direction = np.linalg.eigh(np.cov((tip - tip_centre).T))[1][:, -1]
            if (tip_centre - centre) @ direction < 0:
                direction = -direction  # outwards, away from the line's centre
            start = tip[np.argmax((tip - centre) @ direction)]
            first = direction
            if previous is not None:
                last = previous[0][int(start[1]), int(start[0])]
                if last == 0:
                    continue
                first = previous[1][last - 1]
                if direction @ first < np.cos(np.radians(CONTINUATION_TURN)):
                    continue
            directions.append(first)
            stop = start + CONTINUATION_GAP * direction
            cv2.line(
                corridors,
                tuple(int(v) for v in np.rint(start)),
                tuple(int(v) for v in np.rint(stop)),
                len(directions),
                CORRIDOR_WIDTH,
            )
    return corridors, np.array(directions).reshape(-1, 2)


def _widened(lines: np.ndarray, contrast: np.ndarray, differing: np.ndarray) -> np.ndarray:
    """``lines`` widened over the pixels beside them that differ nearly as much, their way.

    On a scratch 4-5 px wide the line response of the pixels at its rim is
    weak (one side segment falls on the scratch), so they are not found,
    yet they are nearly as bright or dark as its middle; a fill that leaves
    them copies their damage into the hole, as a streak along it. A pixel
    next to the mask joins it when it differs (``differing``) and its
    contrast (``contrast``, the residual of this polarity) is at least
    :data:`WIDEN_SHARE` of the largest contrast of the mask's pixels next to
    it; :data:`WIDEN_STEPS` times.
    """
    grown = lines.copy()
    beside = np.ones((3, 3), np.uint8)
    for _ in range(WIDEN_STEPS):
        nearby = cv2.dilate(np.where(grown, contrast, 0).astype(np.float32), beside)
        joins = ~grown & differing & (nearby > 0) & (contrast >= WIDEN_SHARE * nearby)
        if not joins.any():
            break
        grown |= joins
    return grown


def _seen(lines: np.ndarray, learned: np.ndarray | None) -> np.ndarray:
    """The pixels of ``lines`` where their mean ``learned`` belief nearby reaches :data:`LEARNED_SIGHT`.

    Nearby: the line's pixels within a square of :data:`SEGMENT_LENGTH` px
    around; the net can be blind to one stretch of a scratch it sees elsewhere.
    """
    if learned is None:
        return np.zeros(lines.shape, bool)
    return lines & (_mean_nearby(learned, lines, SEGMENT_LENGTH) >= LEARNED_SIGHT)


def _mean_nearby(values: np.ndarray, where: np.ndarray, size: int) -> np.ndarray:
    """Per pixel, the mean of ``values`` over the ``where`` pixels in the ``size`` px square around it."""
    on = where.astype(np.float32)
    window = (size, size)
    return cv2.blur(values * on, window) / np.maximum(cv2.blur(on, window), 1e-6)


def _scratch_mask(
    grey: np.ndarray,
    r: np.ndarray,
    differs: float,
    chroma: np.ndarray | None,
    collect: list | None = None,
    learned: np.ndarray | None = None,
) -> np.ndarray:
    """Scratch pixels of a float grey image, given its background residual (see the module notes).

    ``learned``, the segmenter's scratch probability, is computed on a colour image when not given.
    """
    responses = map_strips(grey, _line_responses, margin=SEGMENT_LENGTH + max(SIDE_OFFSETS))
    floor, spread = noise_floor(responses[..., :2])
    strong = max(floor + SEED_Z * spread, MIN_CONTRAST)
    weak = max(floor + GROW_Z * spread, MIN_CONTRAST / 2)
    texture = np.maximum(responses[..., 0], responses[..., 1])
    shared = {
        "strong": strong,
        "differs": differs,
        "texture": texture,
        "quiet": noise_floor(texture),
        "grey": grey,
        "chroma": chroma,
        "print_tint": None if chroma is None else tint_by_lightness(grey, chroma),
        "print_chroma": 0.0 if chroma is None else typical_chroma(chroma),
    }
    if learned is None and chroma is not None:
        learned = damage_probability(grey, chroma, r, differs, "scratch")
    rank = tone_rank(grey)
    low, high = tonal_range(grey, r, differs)
    scratches = np.zeros(grey.shape, bool)
    for p, sign in enumerate((1, -1)):
        ev = _LineEvidence(
            response=responses[..., p],
            orientation=responses[..., 2 + p],
            contrast=r if sign > 0 else -r,
            tone_rank=rank if sign > 0 else 1 - rank,
            gap=responses[..., 4 + p],
            beyond=grey >= high if sign > 0 else grey <= low,
            range_edge=high if sign > 0 else low,
            bright=sign > 0,
            learned=learned,
            **shared,
        )
        # The line response spreads a few px beyond a thin line; the residual says which pixels differ.
        differing = ev.contrast > differs
        spread = differing if learned is None else differing & (learned >= LEARNED_SPREAD)
        lines = _extended(_line_components(ev, weak, collect) & differing, spread)
        seen = _seen(lines, learned)
        scratches |= _widened(lines & seen, ev.contrast, spread)
        scratches |= _widened(lines & ~seen, ev.contrast, differing)
    return scratches


def detect_damage(grey: np.ndarray, chroma: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Scratch and dust masks of a float grey image in [0, 1], from one shared analysis.

    Specks on or beside a scratch are left to the scratch.

    Parameters
    ----------
    grey : (H, W) float32 array
        For instance :func:`retouch.damage_evidence.grey_image` of a photo.

    Returns
    -------
    scratches, dust : (H, W) bool arrays
    """
    r, differs = background_residual(grey)
    scratch_belief = dust_belief = None
    if chroma is not None and grey.size <= FULL_RESOLUTION_PIXELS:
        # One run of the segmenter serves both detectors.
        both = damage_probabilities(grey, chroma, r, differs)
        scratch_belief, dust_belief = (both[..., OUTPUTS.index(kind)] for kind in ("scratch", "dust"))
    scratches = _scratches_of(grey, chroma, r, differs, scratch_belief)
    return scratches, find_specks(grey, chroma, r, differs, scratches, learned=dust_belief)


def _scratches_of(
    grey: np.ndarray,
    chroma: np.ndarray | None,
    r: np.ndarray | None = None,
    differs: float | None = None,
    learned: np.ndarray | None = None,
) -> np.ndarray:
    """Scratch mask of a grey image; above :data:`FULL_RESOLUTION_PIXELS`, found at half size and refined.

    ``learned``, the segmenter's scratch probability, serves where the mask is found at full size.

    At half size the line analysis costs a quarter; the mask found there is
    brought back to full size, widened by a pixel, and kept where the
    full-resolution residual says the pixels differ. A 1 px scratch keeps
    half its contrast at half size, so the faintest thin ones are lost.
    The mask is closed at full size (:func:`_closed`).
    """
    if r is None or differs is None:
        r, differs = background_residual(grey)
    if grey.size <= FULL_RESOLUTION_PIXELS:
        found = _scratch_mask(grey, r, differs, chroma, learned=learned)
    else:
        small = shrink(grey, 2.0)
        small_chroma = None if chroma is None else shrink(chroma, 2.0)
        coarse = _scratch_mask(small, *background_residual(small), small_chroma).astype(np.uint8)
        large = cv2.resize(coarse, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_NEAREST)
        near = cv2.dilate(large, np.ones((3, 3), np.uint8))
        found = (near > 0) & (np.abs(r) > differs)
    return _closed(found, grey, differs)


def _closed(found: np.ndarray, grey: np.ndarray, differs: float) -> np.ndarray:
    """``found`` with its gaps narrower than :data:`CLOSING` px filled where they look like it.

    A gap pixel joins when its grey lies within :data:`CLOSING_LIKENESS`
    times ``differs`` of the mean grey of the found pixels around it (in a
    square of :data:`CLOSING` px).
    """
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (CLOSING, CLOSING))
    gaps = (cv2.morphologyEx(found.astype(np.uint8), cv2.MORPH_CLOSE, disc) > 0) & ~found
    like = _mean_nearby(grey, found, CLOSING)
    return found | gaps & (np.abs(grey - like) <= CLOSING_LIKENESS * differs)


def detect_scratches(image: Any) -> np.ndarray:
    """Find scratches: thin bright or dark lines, 1-5 px wide, straight or curved, on a scanned print.

    Parameters
    ----------
    image : ndarray, path or PIL.Image
        Any image :func:`retouch.load_image` reads (grey, RGB, RGBA; 8 or
        16 bits or float in [0, 1]).

    Returns
    -------
    (H, W) bool ndarray
        True on scratch pixels.

    Examples
    --------
    >>> from skimage import data
    >>> from retouch.aging import age_photo
    >>> aged = age_photo(data.camera(), seed=1)
    >>> found = detect_scratches(aged.image)
    >>> found.shape, bool((found & aged.scratches).sum() > 0.3 * aged.scratches.sum())
    ((512, 512), True)
    """
    return _scratches_of(*damage_planes(image))
