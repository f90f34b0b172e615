"""Colour ops: saturation, vibrance, hue, grayscale, sepia, color_transfer."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PIL import Image
from skimage import data

from retouch.colorspace import luma, rgb_to_hsv, rgb_to_lab, saturation, srgb_to_linear
from retouch.ops import color
from retouch.ops.registry import PIXEL, get_spec

COLOR_OPS = ("saturation", "vibrance", "hue", "grayscale", "sepia", "color_transfer")
NATIVE_OPS = ("saturation", "hue")


@pytest.fixture(scope="module")
def astronaut_u8() -> np.ndarray:
    return data.astronaut()


@pytest.fixture(scope="module")
def astronaut(astronaut_u8: np.ndarray) -> np.ndarray:
    return astronaut_u8.astype(np.float32) / 255


@pytest.fixture(scope="module")
def coffee_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ref") / "coffee.png"
    Image.fromarray(data.coffee()).save(path)
    return str(path)


def mean_saturation(image: np.ndarray) -> float:
    return float(saturation(image.astype(np.float32) / (255 if image.dtype == np.uint8 else 1)).mean())


@pytest.mark.parametrize("name", COLOR_OPS)
def test_specs(name: str) -> None:
    spec = get_spec(name)
    assert spec.kind == PIXEL
    assert spec.color
    assert spec.family == "color"
    assert spec.native_dtypes == (name in NATIVE_OPS)
    assert 8 <= len(spec.examples) <= 15
    assert spec.amount is not None and spec.amount.neutral == 0


@pytest.mark.parametrize("name", COLOR_OPS)
def test_neutral_amount_is_identity(name: str, astronaut: np.ndarray, coffee_path: str) -> None:
    params = {"reference": coffee_path} if name == "color_transfer" else {}
    out = get_spec(name).func(astronaut, 0.0, **params)
    assert out.dtype == np.float32 and out.shape == astronaut.shape
    np.testing.assert_allclose(out, astronaut, atol=1e-6)
    assert out is not astronaut


@pytest.mark.parametrize("name", NATIVE_OPS)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_native_ops_keep_integer_dtype_and_are_exact_at_neutral(
    name: str, dtype: type, astronaut_u8: np.ndarray
) -> None:
    image = astronaut_u8.astype(dtype) * (257 if dtype == np.uint16 else 1)
    func = get_spec(name).func
    assert np.array_equal(func(image, 0.0), image)
    out = func(image, get_spec(name).amount.default)
    assert out.dtype == dtype and out.shape == image.shape
    assert not np.array_equal(out, image)


def test_saturation_increases_with_amount(astronaut_u8: np.ndarray) -> None:
    amounts = [-1.0, -0.5, 0.0, 0.3, 0.6, 1.0]
    values = [mean_saturation(color.saturation(astronaut_u8, a)) for a in amounts]
    assert all(b > a for a, b in itertools.pairwise(values))
    assert values[0] < 0.01


def test_saturation_minus_one_is_luma_grey(astronaut: np.ndarray) -> None:
    grey = color.saturation(astronaut, -1.0)
    np.testing.assert_allclose(grey[..., 0], grey[..., 2], atol=1e-6)
    np.testing.assert_allclose(grey[..., 1], luma(astronaut), atol=1e-5)


def test_saturation_uint8_matches_float_within_rounding(
    astronaut_u8: np.ndarray, astronaut: np.ndarray
) -> None:
    as_int = color.saturation(astronaut_u8, 0.5).astype(np.float32)
    as_float = color.saturation(astronaut, 0.5) * 255
    assert np.abs(as_int - as_float).max() <= 1.0


def test_vibrance_increases_saturation_without_clipping_hues(astronaut: np.ndarray) -> None:
    values = [mean_saturation(color.vibrance(astronaut, a)) for a in (-1.0, -0.4, 0.0, 0.4, 1.0)]
    assert all(b > a for a, b in itertools.pairwise(values))
    boosted = color.vibrance(astronaut, 1.0)
    # Chroma is scaled about luma and capped at the edge of the RGB cube, so luma and hue stay put:
    # every channel's offset from luma grows by the same factor (clipping would break that).
    assert np.abs(luma(boosted) - luma(astronaut)).max() < 1e-4
    offset_before = astronaut - luma(astronaut)[..., None]
    offset_after = boosted - luma(boosted)[..., None]
    colourful = np.all(np.abs(offset_before) > 0.03, axis=2)
    ratio = offset_after[colourful] / offset_before[colourful]
    assert np.all(ratio >= 1 - 1e-3)
    assert np.abs(ratio - ratio.mean(axis=1, keepdims=True)).max() < 0.01


def test_vibrance_boosts_muted_colours_more_than_vivid_ones() -> None:
    muted = np.array([[[0.45, 0.5, 0.55]]], np.float32)  # cool grey-blue, S ~ 0.18
    vivid = np.array([[[0.1, 0.3, 0.9]]], np.float32)  # strong blue, S ~ 0.89
    gain = {
        name: mean_saturation(color.vibrance(px, 1.0)) / mean_saturation(px)
        for name, px in (("muted", muted), ("vivid", vivid))
    }
    assert gain["muted"] > 1.5
    assert gain["vivid"] < 1.2


def test_vibrance_protects_skin_tones() -> None:
    # Same HSV saturation and value, one skin hue (~20 degrees) and one teal.
    skin = np.array([[[0.80, 0.60, 0.48]]], np.float32)
    teal = np.array([[[0.48, 0.74, 0.80]]], np.float32)
    assert abs(mean_saturation(skin) - mean_saturation(teal)) < 1e-3
    skin_gain = mean_saturation(color.vibrance(skin, 1.0)) / mean_saturation(skin)
    teal_gain = mean_saturation(color.vibrance(teal, 1.0)) / mean_saturation(teal)
    assert skin_gain - 1 < 0.5 * (teal_gain - 1)


def test_vibrance_changes_face_much_less_than_muted_backdrop(astronaut: np.ndarray) -> None:
    face = (slice(110, 150), slice(200, 250))
    backdrop = (slice(20, 60), slice(290, 340))
    boosted = color.vibrance(astronaut, 1.0)
    assert color.skin_likelihood(rgb_to_hsv(astronaut))[face].mean() > 0.8

    def gain(region: tuple[slice, slice]) -> float:
        return mean_saturation(boosted[region]) / mean_saturation(astronaut[region])

    assert gain(face) < 1.25
    assert gain(backdrop) > 1.8


def test_hue_keeps_luma_where_nothing_clips(astronaut: np.ndarray) -> None:
    for degrees in (-120.0, 30.0, 90.0):
        unclipped = np.einsum("ij,hwj->hwi", color.hue_matrix(degrees), astronaut)
        inside = np.all((unclipped > 0) & (unclipped < 1), axis=2)
        assert inside.mean() > 0.5
        out = color.hue(astronaut, degrees)
        assert np.abs(luma(out) - luma(astronaut))[inside].max() < 1 / 255


def test_hue_uint8_keeps_luma_within_rounding(astronaut_u8: np.ndarray) -> None:
    muted = color.saturation(astronaut_u8, -0.6)  # stay inside the RGB cube after rotation
    out = color.hue(muted, 45.0)
    diff = np.abs(luma(out.astype(np.float32)) - luma(muted.astype(np.float32)))
    assert diff.max() <= 1.0


def test_hue_rotates_in_the_hsv_direction() -> None:
    swatches = np.array([[[0.7, 0.3, 0.3], [0.3, 0.6, 0.3], [0.3, 0.3, 0.7]]], np.float32)
    before = rgb_to_hsv(swatches)[0, :, 0]
    after = rgb_to_hsv(color.hue(swatches, 30.0))[0, :, 0]
    shift = (after - before + 180) % 360 - 180
    assert np.all(shift > 15) and np.all(shift < 45)
    np.testing.assert_allclose(color.hue(swatches, 180.0), color.hue(swatches, -180.0), atol=1e-6)


def test_hue_three_thirds_of_a_turn_are_identity() -> None:
    np.testing.assert_allclose(
        color.hue_matrix(120) @ color.hue_matrix(120) @ color.hue_matrix(120), np.eye(3), atol=1e-12
    )


def test_grayscale_is_grey_with_correct_luminance(astronaut: np.ndarray) -> None:
    grey = color.grayscale(astronaut, 1.0)
    assert grey.shape == astronaut.shape and grey.dtype == np.float32
    assert np.array_equal(grey[..., 0], grey[..., 1]) and np.array_equal(grey[..., 1], grey[..., 2])
    expected = luma(srgb_to_linear(astronaut))
    np.testing.assert_allclose(srgb_to_linear(grey[..., 0]), expected, atol=2e-4)


def test_grayscale_pure_blue_is_as_dark_as_it_looks() -> None:
    blue = np.array([[[0.0, 0.0, 1.0]]], np.float32)
    # Linear luminance 0.0722 encodes to about 0.30, not the 0.33 of a plain average.
    assert color.grayscale(blue, 1.0)[0, 0, 0] == pytest.approx(0.298, abs=0.01)


def test_grayscale_partial_amount_blends(astronaut: np.ndarray) -> None:
    half = color.grayscale(astronaut, 0.5)
    full = color.grayscale(astronaut, 1.0)
    np.testing.assert_allclose(half, (astronaut + full) / 2, atol=1e-5)
    assert 0 < mean_saturation(half) < mean_saturation(astronaut)


def test_sepia_is_warm_monochrome(astronaut: np.ndarray) -> None:
    toned = color.sepia(astronaut, 1.0)
    r, g, b = toned.reshape(-1, 3).mean(axis=0)
    assert r > g > b
    # One hue everywhere: it is a function of grey level only.
    assert np.ptp(rgb_to_hsv(toned)[..., 0][toned.max(axis=2) - toned.min(axis=2) > 0.05]) < 40
    # Keeps the tonal values of the luminance-correct grey.
    grey = color.grayscale(astronaut, 1.0)[..., 0]
    assert np.abs(luma(toned) - grey).mean() < 0.03
    assert np.all((toned >= 0) & (toned <= 1))


def test_sepia_amount_moves_steadily_towards_full_sepia(astronaut: np.ndarray) -> None:
    full = color.sepia(astronaut, 1.0)
    distance = [float(np.abs(color.sepia(astronaut, a) - full).mean()) for a in (0.0, 0.25, 0.5, 0.75, 1.0)]
    assert all(b < a for a, b in itertools.pairwise(distance))
    assert distance[-1] == 0


def test_color_transfer_moves_lab_mean_towards_reference(astronaut: np.ndarray, coffee_path: str) -> None:
    ref_mean = rgb_to_lab(data.coffee().astype(np.float32) / 255).reshape(-1, 3).mean(axis=0)
    src_mean = rgb_to_lab(astronaut).reshape(-1, 3).mean(axis=0)
    distances = []
    for amount in (0.0, 0.5, 1.0):
        out = color.color_transfer(astronaut, amount, reference=coffee_path)
        distances.append(np.linalg.norm(rgb_to_lab(out).reshape(-1, 3).mean(axis=0) - ref_mean))
    assert distances[0] > distances[1] > distances[2]
    assert distances[2] < 0.3 * np.linalg.norm(src_mean - ref_mean)


def test_color_transfer_preserve_luminance_keeps_lightness(astronaut: np.ndarray, coffee_path: str) -> None:
    out = color.color_transfer(astronaut, 1.0, reference=coffee_path, preserve_luminance=True)
    lightness_before = rgb_to_lab(astronaut)[..., 0]
    lightness_after = rgb_to_lab(out)[..., 0]
    assert np.median(np.abs(lightness_after - lightness_before)) < 1.0
    chroma_shift = np.abs(rgb_to_lab(out)[..., 1:] - rgb_to_lab(astronaut)[..., 1:]).mean()
    assert chroma_shift > 3.0


def test_color_transfer_accepts_array_reference(astronaut: np.ndarray, coffee_path: str) -> None:
    from_path = color.color_transfer(astronaut, 1.0, reference=coffee_path)
    from_array = color.color_transfer(astronaut, 1.0, reference=data.coffee())
    np.testing.assert_allclose(from_path, from_array, atol=1e-6)


@pytest.mark.parametrize("reference", [None, "", "/nonexistent/ref.jpg", "not-an-image"])
def test_color_transfer_without_usable_reference_says_so(
    astronaut: np.ndarray, reference: str | None, tmp_path
) -> None:
    if reference == "not-an-image":
        reference = str(tmp_path / "notes.jpg")
        (tmp_path / "notes.jpg").write_text("this is not a picture")
    with pytest.raises(ValueError, match="reference"):
        color.color_transfer(astronaut, 1.0, reference=reference)
