"""The engine: fusion, regions, alpha, bit depth, previews and the report."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage import data

import retouch
from retouch.analyze import convert_dtype, measure
from retouch.engine import apply_point_ops
from retouch.errors import InputError
from retouch.plans import Plan, Step


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return np.ascontiguousarray(data.astronaut()[::2, ::2])


def steps(*items: tuple) -> dict:
    return {
        "steps": [
            {"op": op, "amount": amount, **extra} for op, amount, *rest in items for extra in (rest or [{}])
        ]
    }


def test_point_ops_fuse_into_one_pass_and_match_step_by_step(astronaut):
    plan = steps(("brightness", 0.1), ("contrast", 0.2), ("gamma", 0.9), ("temperature", 0.3))
    fused = retouch.apply(astronaut, plan)
    assert [r.get("fused_with") for r in fused.report["steps"]] == [
        [2, 3, 4],
        [1, 3, 4],
        [1, 2, 4],
        [1, 2, 3],
    ]
    one_by_one = astronaut
    for step in plan["steps"]:
        one_by_one = retouch.apply(one_by_one, {"steps": [step]}).array
    # Fusion rounds once instead of four times, so results differ by rounding only.
    assert np.abs(fused.array.astype(int) - one_by_one.astype(int)).max() <= 2
    assert len(fused.previews) == 1


def test_fused_lut_on_16_bit_equals_exact_float_curves():
    rng = np.random.default_rng(0)
    image16 = rng.integers(0, 65536, (32, 32, 3), dtype=np.uint16)
    chain = [Step("brightness", 0.3), Step("contrast", -0.4), Step("tint", 0.5)]
    Plan(chain).validate()
    via_lut = apply_point_ops(image16, chain)
    exact = apply_point_ops(convert_dtype(image16, np.float32), chain)
    assert np.abs(convert_dtype(via_lut, np.float32) - exact).max() < 2 / 65535


def test_float_op_promotes_8_bit_work_to_16_bits_and_returns_8_bit(astronaut):
    result = retouch.apply(astronaut, steps(("shadows", 0.5), ("brightness", 0.2)))
    assert result.array.dtype == np.uint8
    assert result.array.shape == astronaut.shape
    assert result.report["after"]["mean_luminance"] > result.report["before"]["mean_luminance"]


def test_neutral_plan_returns_identical_pixels(astronaut):
    plan = steps(("shadows", 0.0), ("saturation", 0.0), ("brightness", 0.0), ("rotate", 0.0))
    assert np.array_equal(retouch.apply(astronaut, plan).array, astronaut)


def test_region_limits_the_edit_to_dark_pixels(astronaut):
    result = retouch.apply(astronaut, steps(("brightness", 0.8, {"region": "shadows"})))
    change = np.abs(result.array.astype(int) - astronaut.astype(int)).sum(axis=2)
    grey = astronaut.mean(axis=2)
    assert change[grey < 40].mean() > 10
    assert change[grey > 200].mean() < 1


def test_color_region_selects_reds_only(astronaut):
    result = retouch.apply(astronaut, steps(("saturation", -1.0, {"region": "color:red"})))
    mask = retouch.region_mask(astronaut, "color:red")
    assert mask.dtype == np.float32 and mask.shape == astronaut.shape[:2]
    changed = np.abs(result.array.astype(int) - astronaut.astype(int)).sum(axis=2)
    assert changed[mask > 0.9].mean() > 20
    assert changed[mask == 0].mean() < 0.5


def test_mask_file_region_and_api_mask(tmp_path, astronaut):
    mask = np.zeros(astronaut.shape[:2], np.uint8)
    mask[:, : astronaut.shape[1] // 2] = 255
    Image.fromarray(mask).save(tmp_path / "left.png")
    by_path = retouch.apply(
        astronaut, steps(("brightness", -0.8, {"region": f"mask:{tmp_path / 'left.png'}"}))
    )
    by_array = retouch.apply(astronaut, steps(("brightness", -0.8, {"region": "mask"})), mask=mask)
    assert np.array_equal(by_path.array, by_array.array)
    right = by_path.array[:, -20:]
    assert np.array_equal(right, astronaut[:, -20:])
    assert by_path.array[:, :20].mean() < astronaut[:, :20].mean() - 20


def test_relative_mask_path_resolves_next_to_the_image_and_is_resized(tmp_path, astronaut):
    Image.fromarray(astronaut).save(tmp_path / "photo.png")
    small = np.zeros((16, 16), np.uint8)
    small[:, 8:] = 255
    Image.fromarray(small).save(tmp_path / "half.png")
    result = retouch.apply(tmp_path / "photo.png", steps(("brightness", 0.8, {"region": "mask:half.png"})))
    assert any("mask resized from 16x16 to 256x256" in note for note in result.report["notes"])
    assert np.array_equal(result.array[:, :100], astronaut[:, :100])
    assert result.array[:, -100:].mean() > astronaut[:, -100:].mean() + 20


def test_missing_mask_file_is_an_input_error(astronaut):
    with pytest.raises(InputError, match=r"no-such-mask\.png"):
        retouch.apply(astronaut, steps(("blur", 0.5, {"region": "mask:/nonexistent/no-such-mask.png"})))


def test_alpha_is_preserved_by_pixel_ops_and_transformed_by_geometry(astronaut):
    rgba = np.dstack([astronaut, np.tile(np.linspace(0, 255, astronaut.shape[1]).astype(np.uint8), (256, 1))])
    edited = retouch.apply(rgba, steps(("vibrance", 0.5), ("sepia", 1.0), ("sharpen", 1.0)))
    assert edited.array.shape == rgba.shape
    assert np.array_equal(edited.array[..., 3], rgba[..., 3])
    turned = retouch.apply(rgba, steps(("rotate", 90.0)))
    assert np.array_equal(turned.array[..., 3], np.rot90(rgba[..., 3]))
    assert turned.image.mode == "RGBA"


def test_grey_images_stay_grey_unless_an_op_makes_colour():
    camera = data.camera()[::4, ::4]
    brighter = retouch.apply(camera, steps(("brightness", 0.3), ("sharpen", 0.5)))
    assert brighter.array.ndim == 2 and brighter.image.mode == "L"
    toned = retouch.apply(camera, steps(("sepia", 1.0)))
    assert toned.array.shape == (*camera.shape, 3)
    assert toned.array[..., 0].mean() > toned.array[..., 2].mean()


def test_16_bit_input_stays_16_bit(astronaut):
    image16 = astronaut.astype(np.uint16) * 257
    result = retouch.apply(image16, steps(("contrast", 0.3), ("local_contrast", 0.3)))
    assert result.array.dtype == np.uint16
    assert len(np.unique(result.array)) > 256


def test_report_has_measurements_timings_and_previews(astronaut):
    result = retouch.apply(astronaut, steps(("saturation", 0.5), ("blur", 0.3)))
    report = result.report
    for key in ("mean_luminance", "rms_contrast", "mean_saturation", "noise_sigma", "sharpness"):
        assert key in report["before"] and key in report["after"]
    assert report["after"]["mean_saturation"] > report["before"]["mean_saturation"]
    assert report["after"]["sharpness"] < report["before"]["sharpness"]
    assert all(step["ms"] >= 0 for step in report["steps"])
    assert len(result.previews) == 2 and max(result.previews[0].shape[:2]) <= 256
    assert result.plan.to_dict()["steps"][0]["op"] == "saturation"


def test_measure_matches_known_values():
    flat = np.full((64, 64, 3), 128, np.uint8)
    values = measure(flat)
    assert values["mean_luminance"] == pytest.approx(128 / 255, abs=1e-3)
    assert values["rms_contrast"] == 0 and values["mean_saturation"] == 0
    noisy = np.clip(128 + np.random.default_rng(0).normal(0, 10, (256, 256, 1)), 0, 255).astype(np.uint8)
    assert measure(noisy)["noise_sigma"] == pytest.approx(10, rel=0.15)


def test_progress_is_reported_for_each_group_and_at_the_end(astronaut):
    calls = []
    retouch.apply(
        astronaut,
        steps(("brightness", 0.1), ("contrast", 0.1), ("blur", 0.1)),
        progress=lambda done, total, text: calls.append((done, total)),
    )
    assert calls == [(0, 3), (2, 3), (3, 3)]


def test_result_save_refuses_to_overwrite_the_source(tmp_path, astronaut):
    path = tmp_path / "photo.png"
    Image.fromarray(astronaut).save(path)
    original = path.read_bytes()
    result = retouch.apply(path, steps(("brightness", 0.3)))
    with pytest.raises(InputError, match="refusing to overwrite"):
        result.save(path)
    assert path.read_bytes() == original
    result.save(path, in_place=True)
    assert (tmp_path / "photo.orig.png").read_bytes() == original
    assert np.asarray(Image.open(path)).mean() > astronaut.mean()


@pytest.mark.parametrize("scale", [1, 257])
def test_point_ops_after_another_op_run_in_place_with_the_same_result(astronaut, scale):
    image = astronaut.astype(np.uint8 if scale == 1 else np.uint16) * scale
    chain = [
        {"op": "sharpen", "amount": 0.5},
        {"op": "brightness", "amount": 0.3},
        {"op": "temperature", "amount": 0.3},
    ]
    whole = retouch.apply(image, {"steps": chain}).array
    first = retouch.apply(image, {"steps": chain[:1]}).array
    assert np.array_equal(whole, retouch.apply(first, {"steps": chain[1:]}).array)
    assert np.array_equal(image, astronaut.astype(image.dtype) * scale), "the input array was modified"
