"""texture: a seamless, tileable version of the image."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

import retouch
from retouch.ops.texture import periodic_component


def _seam_jump(tile: np.ndarray) -> float:
    """Mean step across the wrap-around borders, over the mean step between neighbours inside."""
    t = tile.astype(np.float64)
    across = np.abs(t[:, 0] - t[:, -1]).mean() + np.abs(t[0] - t[-1]).mean()
    inside = np.abs(np.diff(t, axis=1)).mean() + np.abs(np.diff(t, axis=0)).mean()
    return across / inside


@pytest.mark.parametrize("name", ["brick", "grass", "gravel"])
def test_texture_tiles_without_seams_and_keeps_detail(name):
    photo = getattr(data, name)()[:300, :400]
    out = retouch.apply(photo, {"steps": [{"op": "texture"}]}).array
    assert out.shape == photo.shape and out.dtype == photo.dtype
    assert _seam_jump(out) < 1.5
    assert _seam_jump(out) < _seam_jump(photo)
    high_pass = lambda x: x.astype(float) - np.roll(x.astype(float), 1, axis=1)  # noqa: E731
    assert np.corrcoef(high_pass(out)[:, 1:].ravel(), high_pass(photo)[:, 1:].ravel())[0, 1] > 0.95


def test_texture_repeats_to_a_larger_size_and_keeps_colour_dtype_alpha():
    tile = data.coffee()[:128, :160].astype(np.uint16) * 257
    rgba = np.dstack([tile, np.full(tile.shape[:2], 65535, np.uint16)])
    out = retouch.apply(rgba, {"steps": [{"op": "texture", "params": {"width": 400, "height": 300}}]}).array
    assert out.shape == (300, 400, 4) and out.dtype == np.uint16
    assert np.array_equal(out[:128, :160], out[128:256, 160:320])
    assert abs(float(out[..., :3].mean()) - float(tile.mean())) < 0.02 * 65535


def test_periodic_component_keeps_the_mean():
    ramp = np.tile(np.linspace(0, 1, 64), (48, 1))
    assert periodic_component(ramp).mean() == pytest.approx(ramp.mean())


def test_texture_is_planned_from_words():
    for text in ("make a seamless tileable texture from this", "做成无缝纹理"):
        assert [s.op for s in retouch.plan(text).steps] == ["texture"]
