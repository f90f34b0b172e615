"""texture: a seamless, tileable version of the image."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

import retouch
from retouch.ops.generation import periodic_component


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


def test_generate_op_without_a_model_says_how_to_configure(monkeypatch):
    monkeypatch.delenv("RETOUCH_DIFFUSION_MODEL", raising=False)
    image = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(retouch.InputError, match=r"RETOUCH_DIFFUSION_MODEL|generate"):
        retouch.apply(image, {"steps": [{"op": "generate", "params": {"prompt": "a cat"}}]})
    with pytest.raises(retouch.InputError, match="needs a prompt"):
        retouch.apply(image, {"steps": [{"op": "generate"}]})


def test_generate_op_replaces_the_picture_and_later_steps_edit_it(monkeypatch):
    from PIL import Image

    import retouch.generation

    calls = []

    def text_to_image(prompt, **settings):
        calls.append((prompt, settings))
        return Image.fromarray(np.full((settings["height"], settings["width"], 3), (200, 40, 40), np.uint8))

    monkeypatch.setattr(retouch.generation, "generate", text_to_image)
    plan = retouch.plan("generate a picture of a red barn, then make it black and white")
    assert [s.op for s in plan.steps] == ["generate", "grayscale"]
    small = {
        "steps": [
            {**plan.steps[0].to_dict(), "params": {**plan.steps[0].params, "width": 64, "height": 48}},
            plan.steps[1].to_dict(),
        ]
    }
    out = retouch.apply(np.zeros((8, 8), np.uint16), small).array
    assert calls[0][0] == "a red barn"
    assert out.shape == (48, 64, 3) and out.dtype == np.uint16
    assert np.ptp(out.astype(int), axis=2).max() == 0  # grey after the second step


def test_generation_requests_are_planned_with_their_prompt():
    assert retouch.plan("generate an image of a cat on a skateboard").steps[0].params["prompt"] == (
        "a cat on a skateboard"
    )
    assert retouch.plan("生成一张海边日落的图片").steps[0].op == "generate"
