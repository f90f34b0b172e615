"""Measurements: known values on constructed images, and the packaged photos inside their targets."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from retouch.analyze import (
    TARGETS,
    assess,
    blur_metric,
    colourfulness,
    estimate_illuminant,
    estimate_noise,
    excess,
    haze_level,
    illuminant_lab,
    measure,
    to_float,
)
from retouch.colorspace import linear_to_srgb, srgb_to_linear


def noisy(image: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(np.rint(image + rng.normal(0, sigma, image.shape)), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def texture() -> np.ndarray:
    """A grey (achromatic) photo texture in linear light, float64 H x W x 3."""
    grey = data.camera()[::2, ::2].astype(np.float64) / 255.0
    return np.repeat(srgb_to_linear(grey)[..., None], 3, axis=2)


def test_measure_keeps_its_keys():
    values = measure(data.astronaut())
    assert set(values) == {"mean_luminance", "rms_contrast", "mean_saturation", "noise_sigma", "sharpness"}


def test_assess_reports_every_target():
    values = assess(data.astronaut())
    assert set(TARGETS) <= set(values)
    assert {"cast_a", "cast_b"} <= set(values)


def test_clipping_fractions_are_counted_exactly():
    image = np.full((200, 200, 3), 0.5, np.float32)
    image[:14] = 1.0  # 7 % white
    image[14:20, :, 0] = 1.0  # 3 % more with one channel clipped
    image[-24:] = 0.0  # 12 % black
    values = assess(image)
    assert values["highlight_clipping"] == pytest.approx(0.10, abs=1e-4)
    assert values["shadow_clipping"] == pytest.approx(0.12, abs=1e-4)
    assert values["black_point"] == 0.0 and values["white_point"] == 1.0


def test_exposure_of_middle_grey_is_zero_stops():
    grey = np.full((64, 64, 3), linear_to_srgb(np.array(0.18)), np.float32)
    assert assess(grey)["exposure_ev"] == pytest.approx(0.0, abs=0.02)
    one_stop_down = np.full((64, 64, 3), linear_to_srgb(np.array(0.09)), np.float32)
    assert assess(one_stop_down)["exposure_ev"] == pytest.approx(-1.0, abs=0.03)


def test_illuminant_of_a_known_cast_is_recovered(texture):
    gains = np.array([1.3, 1.0, 0.6])
    cast = linear_to_srgb(np.clip(texture * gains * 0.9, 0, 1)).astype(np.float32)
    estimate = estimate_illuminant(cast)
    expected = gains / (np.array([0.2126, 0.7152, 0.0722]) @ gains)
    assert estimate == pytest.approx(expected, rel=0.03)
    a, b = illuminant_lab(estimate)
    assert b > 20 and a > 0  # a warm, yellow-orange light


def test_neutral_texture_has_no_cast(texture):
    values = assess(linear_to_srgb(texture).astype(np.float32))
    assert values["cast"] < 1.0


def test_colourfulness_of_grey_is_zero_and_of_red_green_halves_is_known():
    assert colourfulness(np.full((8, 8, 3), 0.3, np.float32)) == 0.0
    halves = np.zeros((8, 8, 3), np.float32)
    halves[:4, :, 0] = 1.0
    halves[4:, :, 1] = 1.0
    # rg = +-255 (sd 255, mean 0); yb = 127.5 everywhere (sd 0, mean 127.5).
    assert colourfulness(halves) == pytest.approx(255 + 0.3 * 127.5, rel=1e-5)


@pytest.mark.parametrize("sigma", [10, 25])
@pytest.mark.parametrize("name", ["astronaut", "chelsea"])
def test_estimate_noise_is_within_15_percent(name, sigma):
    photo = getattr(data, name)()
    assert estimate_noise(noisy(photo, sigma)) == pytest.approx(sigma, rel=0.15)


def test_estimate_noise_is_low_on_a_clean_photo_and_accepts_any_dtype():
    photo = data.rocket()
    assert estimate_noise(photo) < 2.0
    sixteen = noisy(photo, 10).astype(np.uint16) * 257
    assert estimate_noise(sixteen) == pytest.approx(10, rel=0.15)


def test_blur_metric_grows_with_blur():
    import cv2

    grey = to_float(data.camera())
    values = [blur_metric(cv2.GaussianBlur(grey, (0, 0), s) if s else grey) for s in (0, 1, 2, 4)]
    assert values == sorted(values) and values[0] < 0.5 < values[-1]


def test_haze_raises_the_dark_channel():
    photo = to_float(data.astronaut())
    hazy = 0.5 * photo + 0.5 * np.float32(0.9)
    assert haze_level(hazy) > haze_level(photo) + 0.2


def test_packaged_photos_sit_inside_their_targets():
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        assert excess(assess(getattr(data, name)())) == {}, name


def test_excess_measures_distance_in_scale_units_and_spares_monochrome():
    values = assess(data.astronaut())
    values["black_point"] = TARGETS["black_point"].high + 2 * TARGETS["black_point"].scale
    assert excess(values) == {"black_point": pytest.approx(2.0)}
    grey = assess(np.repeat(data.camera()[..., None], 3, axis=2))
    assert "colourfulness" not in excess(grey)
