"""Colour evidence for damage on scanned prints.

Damage is a nearly neutral overlay blended over the print: flaked emulsion
shows the (yellowed) paper, dirt is black. A candidate line or speck whose
opponent chroma (R - G, (R + G) / 2 - B; 0-1 scale) lies between the
print's around it and a weak one of its own may be damage; one with the
colour of what surrounds it, or a strong colour of its own, is part of the
scene. These tests serve both detectors of :mod:`retouch.scratches`.
"""

from __future__ import annotations

import numpy as np

CHROMA_TOLERANCE = 0.03  # opponent-chroma distance (0-1 scale) that grain and scan noise may add
MIN_NEUTRAL_SHIFT = 0.3  # damage moves the print's chroma by at least this fraction of its length
DAMAGE_CHROMA = 0.14  # opponent chroma of well-yellowed paper: a damaged speck is about this coloured at most
TONED_CHROMA = 0.14  # opponent chroma of a toned print (sepia) over which a paper-coloured line may lie
# Yellowed paper's opponent chroma, (R - G, (R + G) / 2 - B), at most: about as red as green, its blue
# down to about 0.9 of its red. Orange and red lights (lamps, star-filter rays) are far redder than green.
PAPER_CHROMA = (0.04, 0.1)
MIN_TONED_CHROMA = 0.06  # a print this coloured around a line lets its colour confirm damage


def typical_chroma(chroma: np.ndarray) -> float:
    """The median opponent-chroma magnitude of a picture (from a sample of its pixels)."""
    sample = chroma.reshape(-1, 2)[:: max(1, chroma.size // 2 // 500_000)]
    return float(np.median(np.hypot(sample[:, 0], sample[:, 1])))


def less_coloured_than_print(own: np.ndarray, lightness: np.ndarray, print_tint: np.ndarray) -> np.ndarray:
    """Whether each candidate is clearly less coloured than the print is at its lightness.

    Toned prints colour their light tones most: a bright line or speck far
    less coloured than the print at its own lightness shows the paper, not
    the picture. Dark tones carry little colour, so dark candidates are
    never confirmed this way.
    """
    level = np.minimum((lightness * len(print_tint)).astype(int), len(print_tint) - 1)
    expected = np.hypot(print_tint[level, 0], print_tint[level, 1])
    return (expected >= MIN_TONED_CHROMA) & (
        np.hypot(own[:, 0], own[:, 1]) <= (1 - MIN_NEUTRAL_SHIFT) * expected
    )


def tint_by_lightness(grey: np.ndarray, chroma: np.ndarray, bins: int = 16) -> np.ndarray:
    """The picture's mean opponent chroma at each of ``bins`` grey levels, (bins, 2); 0 where none."""
    step = max(1, grey.size // 500_000)
    level = np.minimum((grey.ravel()[::step] * bins).astype(np.int64), bins - 1)
    total = np.maximum(np.bincount(level, minlength=bins), 1)
    return np.stack(
        [
            np.bincount(level, weights=chroma[..., c].ravel()[::step], minlength=bins) / total
            for c in range(2)
        ],
        axis=1,
    )


def neutral_overlay(own: np.ndarray, around: np.ndarray, over_colour: bool = False) -> np.ndarray:
    """Whether each candidate's colour could be damage laid over the print around it.

    Damage is a nearly neutral overlay (off-white paper, black dirt)
    blended over the print, so a damaged pixel's opponent chroma lies
    between the print's and a weak one of its own. A line of the scene has
    the colour of what surrounds it (a toned line in a toned print, a rim
    in a red saucer) or a strong colour of its own (a blue strut); neither
    is damage. Where the surroundings are nearly neutral (a grey print)
    only a strongly coloured line is ruled out.

    Parameters
    ----------
    own, around : (N, 2) arrays
        Mean opponent chroma (R - G, (R + G) / 2 - B) of each candidate and of a ring around it.
    over_colour : bool
        Also accept weakly warm candidates (paper) over a print far more
        coloured than they are. Right for specks, which the other tests
        pin down; for lines it would also accept lit struts and wires
        against a coloured sky.

    Returns
    -------
    (N,) bool array
    """
    ring = np.hypot(around[:, 0], around[:, 1])
    # Pulled towards neutral: a fraction of the surroundings' chroma along the same axis.
    kept = np.clip((own * around).sum(axis=1) / np.maximum(ring**2, 1e-9), 0.0, 1.0)
    on_axis = np.hypot(*(own - kept[:, None] * around).T) <= CHROMA_TOLERANCE
    pulled = on_axis & ((1 - kept) * ring >= MIN_NEUTRAL_SHIFT * ring - CHROMA_TOLERANCE)
    strength = np.hypot(own[:, 0], own[:, 1])
    if over_colour:
        # Paper (weakly warm) over nearly neutral surroundings (the dark tones of a toned print).
        warm = (own >= -CHROMA_TOLERANCE).all(axis=1) & (strength <= DAMAGE_CHROMA)
        return pulled | (warm & ((ring <= DAMAGE_CHROMA) | (strength <= (1 - MIN_NEUTRAL_SHIFT) * ring)))
    # Paper laid with partial opacity over a warm print (sepia, faded dyes, wood): part print, part
    # paper. Over cool colours (a blue sky) a warm line is as likely a lit wire or strut.
    blended = np.zeros(len(own), bool)
    for share in np.linspace(0.0, 1 - MIN_NEUTRAL_SHIFT, 8)[1:]:
        blended |= _paper_blend(own, around, share)
    blended &= (around >= -CHROMA_TOLERANCE).all(axis=1) & (strength < ring)
    # Or paper itself, over a nearly neutral or toned print.
    return pulled | blended | (_paper_blend(own, around, 0.0) & (ring <= TONED_CHROMA))


def _paper_blend(own: np.ndarray, around: np.ndarray, share: float) -> np.ndarray:
    """Whether each ``own`` chroma is ``share`` of ``around`` plus the rest of a yellowed paper's."""
    paper = own - share * around
    high = (1 - share) * np.asarray(PAPER_CHROMA) + CHROMA_TOLERANCE
    return ((paper >= -CHROMA_TOLERANCE) & (paper <= high)).all(axis=1)
