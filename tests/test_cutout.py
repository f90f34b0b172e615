"""remove_background: the foreground's soft mask becomes the alpha plane."""

from __future__ import annotations

import numpy as np
from skimage import data

import retouch


def test_cutout_adds_alpha_keeps_colours_and_the_person():
    photo = data.astronaut()
    out = retouch.apply(photo, {"steps": [{"op": "remove_background"}]}).array
    assert out.shape == (512, 512, 4) and out.dtype == np.uint8
    assert np.array_equal(out[..., :3], photo)
    alpha = out[..., 3]
    assert alpha[200, 230] > 240  # the face
    assert alpha[40, 460] < 15  # the backdrop, top right
    assert 0.2 < (alpha > 128).mean() < 0.8


def test_cutout_narrows_an_existing_alpha_and_keeps_16_bit():
    photo = data.astronaut().astype(np.uint16) * 257
    alpha = np.full(photo.shape[:2], 65535, np.uint16)
    alpha[:, :256] = 0
    out = retouch.apply(np.dstack([photo, alpha]), {"steps": [{"op": "remove_background"}]}).array
    assert out.dtype == np.uint16
    assert out[:, :256, 3].max() == 0
    assert out[300, 330, 3] > 60000  # the suit


def test_cutout_saved_as_png_is_transparent_and_as_jpeg_flattened(tmp_path):
    result = retouch.edit(data.astronaut(), "make the background transparent")
    assert [s.op for s in result.plan.steps] == ["remove_background"]
    png, jpg = tmp_path / "cut.png", tmp_path / "cut.jpg"
    result.save(png)
    result.save(jpg)
    assert retouch.load_image(png).has_alpha
    assert not retouch.load_image(jpg).has_alpha
