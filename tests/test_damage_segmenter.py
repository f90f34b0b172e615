"""The learned damage segmenter: its reach, its strips, what it sees on a damaged print."""

from __future__ import annotations

import cv2
import numpy as np
from skimage import data

from retouch import damage_segmenter
from retouch.aging import age_photo
from retouch.damage_evidence import background_residual, damage_planes
from retouch.damage_segmenter import OUTPUTS, REACH, _run, damage_probability, segmenter_inputs


def test_the_shipped_net_sees_exactly_reach_pixels_around_each_pixel() -> None:
    # A change of one input pixel moves the output up to REACH px away and no further: the strips'
    # margin (and the 67 px of context the module promises) rest on it.
    size = 2 * REACH + 21
    grey, chroma = damage_planes(data.coffee()[:size, :size])
    planes = segmenter_inputs(grey, chroma, *background_residual(grey))
    poked = planes.copy()
    poked[size // 2, size // 2] += 2.0
    moved = np.abs(_run(poked) - _run(planes)).max(axis=2) > 0
    rows, cols = np.nonzero(moved)
    assert rows.min() == cols.min() == size // 2 - REACH
    assert rows.max() == cols.max() == size // 2 + REACH


def test_strips_give_what_the_whole_image_gives(monkeypatch) -> None:
    aged = age_photo(data.coffee(), seed=7)
    grey, chroma = damage_planes(aged.image)
    evidence = (grey, chroma, *background_residual(grey))
    whole = _run(segmenter_inputs(*evidence))
    assert whole.shape == (*grey.shape, len(OUTPUTS))
    monkeypatch.setattr(damage_segmenter, "STRIP_ROWS", 48)
    for index, kind in enumerate(OUTPUTS):
        np.testing.assert_allclose(damage_probability(*evidence, kind), whole[..., index], atol=1e-5)


def test_the_net_marks_scratches_and_dust_and_little_else() -> None:
    aged = age_photo(data.astronaut(), seed=11)
    grey, chroma = damage_planes(aged.image)
    evidence = (grey, chroma, *background_residual(grey))
    scratch, dust = (damage_probability(*evidence, kind) > 0.5 for kind in OUTPUTS)
    damaged = aged.scratches | aged.dust
    clean = cv2.dilate(damaged.astype(np.uint8), np.ones((5, 5), np.uint8)) == 0  # anti-aliased rims aside
    assert scratch[aged.scratches].mean() > 0.7
    assert dust[aged.dust].mean() > 0.5
    assert (scratch | dust)[clean].mean() < 0.02
    # The two outputs tell the kinds apart.
    assert scratch[aged.dust].mean() < 0.3
    assert dust[aged.scratches].mean() < 0.3
