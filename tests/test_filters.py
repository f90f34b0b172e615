"""Shared helpers: guided filter, Gaussian, shrinking, strip processing, sRGB curves and lookups."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from skimage import data

from retouch.colorspace import linear_to_srgb, lookup, luma, srgb_to_linear, white_level
from retouch.filters import gaussian, guided_filter, map_strips, resized, shrink, via_downscale


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return data.astronaut().astype(np.float32) / 255


@pytest.fixture(scope="module")
def camera() -> np.ndarray:
    return data.camera()[..., None]


def noisy_step(height: int = 300, width: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """A dark and a bright half (0.2 | 0.8), clean and with Gaussian noise of sigma 0.03."""
    clean = np.where(np.arange(width)[None, :] < width // 2, 0.2, 0.8) * np.ones((height, 1))
    noise = 0.03 * np.random.default_rng(0).standard_normal(clean.shape)
    return clean.astype(np.float32), (clean + noise).astype(np.float32)


# --------------------------------------------------------------------------- guided filter


@pytest.mark.parametrize("subsample", [1, None])
def test_guided_filter_keeps_a_step_edge_and_smooths_noise(subsample: int | None) -> None:
    clean, noisy = noisy_step()
    out = guided_filter(noisy, noisy, 32, 0.01, subsample=subsample)
    edge = clean.shape[1] // 2
    flat = np.r_[40 : edge - 40, edge + 40 : clean.shape[1] - 40]
    assert (out - clean)[:, flat].std() < 0.3 * (noisy - clean)[:, flat].std()
    # Two pixels either side of the edge still hold nearly the whole 0.6 step ...
    profile = out.mean(axis=0)
    assert profile[edge + 1] - profile[edge - 2] > 0.5
    # ... where a plain mean over the same window spreads it over 65 px.
    box = cv2.blur(noisy, (65, 65), borderType=cv2.BORDER_REFLECT).mean(axis=0)
    assert box[edge + 1] - box[edge - 2] < 0.1


def test_fast_guided_filter_is_close_to_the_exact_filter(astronaut: np.ndarray) -> None:
    y = luma(astronaut).astype(np.float32)
    exact = guided_filter(y, y, 32, 0.01, subsample=1)
    fast = guided_filter(y, y, 32, 0.01)
    assert fast.shape == y.shape and fast.dtype == np.float32
    assert np.abs(fast - exact).mean() < 5e-3
    # Far closer to the exact filter than to the unfiltered image.
    assert np.abs(fast - exact).mean() < 0.3 * np.abs(y - exact).mean()


def test_guided_filter_by_itself_equals_filtering_a_copy(astronaut: np.ndarray) -> None:
    y = luma(astronaut).astype(np.float32)
    for subsample in (1, None):
        np.testing.assert_allclose(
            guided_filter(y, y, 24, 0.005, subsample=subsample),
            guided_filter(y, y.copy(), 24, 0.005, subsample=subsample),
            atol=1e-5,
        )


def test_guided_filter_of_a_colour_image_filters_each_channel(astronaut: np.ndarray) -> None:
    grey = luma(astronaut).astype(np.float32)
    out = guided_filter(grey, astronaut, 20, 1e-3)
    assert out.shape == astronaut.shape and out.dtype == np.float32
    for c in range(3):
        channel = np.ascontiguousarray(astronaut[..., c])
        np.testing.assert_allclose(out[..., c], guided_filter(grey, channel, 20, 1e-3), atol=1e-5)
    single = guided_filter(grey, astronaut[..., :1], 20, 1e-3)
    assert single.shape == (*grey.shape, 1)


def test_guided_filter_does_not_modify_its_inputs(astronaut: np.ndarray) -> None:
    grey = luma(astronaut).astype(np.float32)
    before = grey.copy()
    guided_filter(grey, grey, 40, 0.01)
    guided_filter(grey, astronaut, 40, 0.01)
    assert np.array_equal(grey, before)


# --------------------------------------------------------------------------- Gaussian and resampling


def test_gaussian_is_opencvs_up_to_six_pixels(astronaut: np.ndarray) -> None:
    reference = cv2.GaussianBlur(astronaut, (0, 0), 3.0, borderType=cv2.BORDER_REFLECT)
    assert np.array_equal(gaussian(astronaut, 3.0), reference)


@pytest.mark.parametrize("sigma", [6.5, 20.0, 60.0])
def test_wide_gaussian_is_close_to_opencvs(sigma: float, astronaut: np.ndarray) -> None:
    reference = cv2.GaussianBlur(astronaut, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    out = gaussian(astronaut, sigma)
    assert out.shape == astronaut.shape and out.dtype == np.float32
    error = np.abs(out - reference)
    assert error.mean() < 1e-3 and error.max() < 1e-2
    # The shrunken blur is as wide as asked: narrower or wider blurs are clearly further off.
    for other in (0.8 * sigma, 1.25 * sigma):
        wrong = cv2.GaussianBlur(astronaut, (0, 0), other, borderType=cv2.BORDER_REFLECT)
        assert np.abs(wrong - reference).mean() > 2 * error.mean()


def test_gaussian_keeps_shape_and_dtype(camera: np.ndarray) -> None:
    for image in (camera, camera.astype(np.uint16) * 257, camera[..., 0]):
        for sigma in (2.0, 15.0):
            out = gaussian(image, sigma)
            assert out.shape == image.shape and out.dtype == image.dtype
            assert abs(float(out.mean()) - float(image.mean())) < 0.01 * white_level(image.dtype)
    assert np.array_equal(gaussian(camera, 0.0), camera)


def test_shrink_and_resized_keep_the_channel_axis(camera: np.ndarray) -> None:
    small = shrink(camera, 4.0)
    assert small.shape == (128, 128, 1) and small.dtype == np.uint8
    assert abs(float(small.mean()) - float(camera.mean())) < 1.0
    assert shrink(camera, 1.0) is camera
    assert resized(small, 512, 512).shape == camera.shape


def test_via_downscale_runs_the_filter_on_a_small_copy(astronaut: np.ndarray) -> None:
    seen = []

    def filt(x: np.ndarray) -> np.ndarray:
        seen.append(x.shape)
        return x * np.float32(0.5)

    out = via_downscale(astronaut, 8.0, filt)
    assert seen == [(64, 64, 3)] and out.shape == astronaut.shape
    assert abs(float(out.mean()) - 0.5 * float(astronaut.mean())) < 1e-3
    assert np.array_equal(via_downscale(astronaut, 1.0, filt), filt(astronaut))


# --------------------------------------------------------------------------- strips


def test_map_strips_matches_whole_image_filter(camera: np.ndarray) -> None:
    def filt(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (0, 0), 3.0, borderType=cv2.BORDER_REFLECT).astype(np.float32)

    whole = filt(camera)
    stitched = map_strips(camera, filt, margin=10, rows=50)
    assert stitched.dtype == np.float32 and stitched.shape == whole.shape
    assert np.array_equal(stitched.reshape(whole.shape), whole)


def test_map_strips_of_a_pixelwise_function_needs_no_margin(astronaut: np.ndarray) -> None:
    def filt(x: np.ndarray) -> np.ndarray:
        return (x[..., :2] * 255).astype(np.uint8)

    stitched = map_strips(astronaut, filt, margin=0, rows=37)  # 512 rows: the last strip is short
    assert stitched.shape == (512, 512, 2) and stitched.dtype == np.uint8
    assert np.array_equal(stitched, filt(astronaut))


# --------------------------------------------------------------------------- sRGB curves and lookups


def test_srgb_round_trip_is_accurate_in_float32() -> None:
    x = np.linspace(0.0, 1.0, 1_000_001, dtype=np.float32)
    linear = srgb_to_linear(x)
    assert linear.dtype == np.float32
    assert np.abs(linear_to_srgb(linear) - x).max() < 1e-4
    # float32 images get the same curve as float64 curve sampling, to float32 precision.
    assert np.abs(linear - srgb_to_linear(x.astype(np.float64))).max() < 1e-6
    assert np.abs(linear_to_srgb(x) - linear_to_srgb(x.astype(np.float64))).max() < 1e-6


def test_srgb_float64_follows_the_standard_exactly() -> None:
    values = [0.0, 0.001, 0.04045, 0.05, 0.2, 0.5, 0.9, 1.0]
    expected = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in values]
    np.testing.assert_allclose(srgb_to_linear(np.array(values)), expected, rtol=1e-15, atol=0)
    linear = [0.0, 0.002, 0.0031308, 0.01, 0.2, 0.5, 1.0]
    encoded = [v * 12.92 if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055 for v in linear]
    np.testing.assert_allclose(linear_to_srgb(np.array(linear)), encoded, rtol=1e-15, atol=1e-17)
    # Scalars and integers come back as float64 arrays; out-of-range linear values are clipped.
    assert srgb_to_linear(0.5).dtype == np.float64 and srgb_to_linear(0.5).shape == ()
    assert math.isclose(float(srgb_to_linear(0.5)), 0.21404114048223255, rel_tol=1e-15)
    assert srgb_to_linear(np.arange(3, dtype=np.uint8)).dtype == np.float64
    np.testing.assert_allclose(linear_to_srgb(np.array([-0.5, 1.5])), [0.0, 1.0], atol=1e-15)


def test_srgb_curves_are_continuous_monotonic_and_keep_the_input(astronaut: np.ndarray) -> None:
    x = np.linspace(0.0, 1.0, 100_001)
    assert np.all(np.diff(srgb_to_linear(x)) > 0) and np.all(np.diff(linear_to_srgb(x)) > 0)
    # The linear toe meets the power curve without a jump.
    assert abs(float(srgb_to_linear(np.nextafter(0.04045, 1.0)) - srgb_to_linear(0.04045))) < 1e-7
    before = astronaut.copy()
    linear_to_srgb(srgb_to_linear(astronaut))
    assert np.array_equal(astronaut, before)


def test_lookup_matches_the_sampled_curve(astronaut: np.ndarray) -> None:
    table = srgb_to_linear(np.linspace(0.0, 1.0, 65536)).astype(np.float32)
    mapped = lookup(astronaut, table)
    assert mapped.shape == astronaut.shape and mapped.dtype == np.float32
    assert np.abs(mapped - srgb_to_linear(astronaut)).max() < 2e-5
    colours = np.stack([table, table**2, 1 - table], axis=1)
    grey = astronaut[..., 0]
    assert lookup(grey, colours).shape == (*grey.shape, 3)
    assert lookup(np.array([-1.0, 2.0]), table).tolist() == [0.0, 1.0]


@pytest.mark.parametrize(("dtype", "white"), [(np.uint8, 255.0), (np.uint16, 65535.0), (np.float32, 1.0)])
def test_white_level(dtype: type, white: float) -> None:
    assert white_level(np.dtype(dtype)) == white
