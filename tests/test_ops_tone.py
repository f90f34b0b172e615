"""Tests of the tone ops (retouch.ops.tone), called directly on arrays."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from retouch.colorspace import linear_to_srgb, luma, rgb_to_lab, srgb_to_linear
from retouch.filters import gaussian
from retouch.ops import tone
from retouch.ops.registry import PIXEL, POINT, get_spec

X = np.linspace(0.0, 1.0, 4097)

POINT_OPS = ("brightness", "contrast", "gamma", "exposure", "levels", "curves", "temperature", "tint")
PIXEL_OPS = ("shadows", "highlights", "local_contrast", "dehaze", "white_balance")


def _float(image: np.ndarray) -> np.ndarray:
    return (image / 255.0).astype(np.float32)


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return _float(data.astronaut())


@pytest.fixture(scope="module")
def coffee() -> np.ndarray:
    return _float(data.coffee())


def apply_curve(image: np.ndarray, curve: np.ndarray) -> np.ndarray:
    """Apply a point-op curve to an 8-bit image through a 256-entry table, as the engine does."""
    codes = np.round(image * 255).astype(np.uint8)
    table = np.asarray(curve, dtype=np.float32)
    if table.ndim == 1:
        return table[codes]
    return np.stack([table[codes[..., c], c] for c in range(3)], axis=-1)


def point(name: str, amount, **params) -> np.ndarray:
    return getattr(tone, name)(np.arange(256) / 255.0, amount, **params)


def mean_luma(image: np.ndarray) -> float:
    return float(luma(image).mean())


def rms_contrast(image: np.ndarray) -> float:
    return float(luma(image).std())


def detail_energy(image: np.ndarray) -> float:
    y = luma(image).astype(np.float32)
    return float(np.abs(y - gaussian(y, 8.0)).mean())


def mean_ab(image: np.ndarray) -> np.ndarray:
    lab = rgb_to_lab(image)
    return np.array([lab[..., 1].mean(), lab[..., 2].mean()])


def add_haze(image: np.ndarray) -> np.ndarray:
    """Haze model I t + A (1 - t) in linear light, thicker towards the top as if farther away."""
    t = np.linspace(0.35, 0.8, image.shape[0], dtype=np.float32)[:, None, None]
    airlight = srgb_to_linear(np.float32([0.85, 0.87, 0.9]))
    return linear_to_srgb(srgb_to_linear(image) * t + airlight * (1 - t)).astype(np.float32)


def warm_cast(image: np.ndarray) -> np.ndarray:
    return linear_to_srgb(srgb_to_linear(image) * np.float32([1.3, 1.0, 0.7])).astype(np.float32)


# --------------------------------------------------------------------------- specs


@pytest.mark.parametrize("name", POINT_OPS + PIXEL_OPS)
def test_spec_is_registered_with_examples(name):
    spec = get_spec(name)
    assert spec.kind == (POINT if name in POINT_OPS else PIXEL)
    assert spec.family == "tone"
    assert 8 <= len(spec.examples) <= 15
    assert len(set(spec.examples)) == len(spec.examples)
    if spec.amount is not None:
        assert spec.amount.minimum <= spec.amount.neutral <= spec.amount.maximum


def test_spec_flags():
    assert get_spec("temperature").per_channel and get_spec("tint").per_channel
    assert get_spec("white_balance").color
    assert get_spec("white_balance").param_index["method"].choices == (
        "grey_edge",
        "grey_world",
        "white_patch",
    )
    assert get_spec("highlights").amount.default < 0  # recovering is the common request


# --------------------------------------------------------------------------- point ops


@pytest.mark.parametrize("name", POINT_OPS)
def test_point_ops_are_exact_identity_at_neutral(name):
    spec = get_spec(name)
    amount = spec.amount.neutral if spec.amount else None
    y = spec.func(X, amount, **spec.defaults())
    expected = np.repeat(X[:, None], 3, axis=1) if spec.per_channel else X
    assert np.array_equal(y, expected)


@pytest.mark.parametrize("name", POINT_OPS)
def test_point_ops_are_vectorised_monotonic_curves_in_range(name):
    spec = get_spec(name)
    amounts = np.linspace(spec.amount.minimum, spec.amount.maximum, 9) if spec.amount else [None]
    for amount in amounts:
        y = spec.func(X, amount, **spec.defaults())
        assert y.shape == ((X.size, 3) if spec.per_channel else X.shape)
        assert y.min() >= 0.0 and y.max() <= 1.0 + 1e-12
        assert np.all(np.diff(y, axis=0) >= -1e-12), f"{name}({amount}) is not monotonic"


@pytest.mark.parametrize("amount", [0.1, 0.5, 1.0])
def test_brightness_negative_amount_is_the_inverse(amount):
    assert np.allclose(tone.brightness(tone.brightness(X, amount), -amount), X, atol=1e-12)
    assert np.allclose(tone.brightness(tone.brightness(X, -amount), amount), X, atol=1e-12)


@pytest.mark.parametrize("amount", [0.05, 0.5, 1.0])
def test_contrast_negative_amount_is_the_inverse(amount):
    assert np.allclose(tone.contrast(tone.contrast(X, amount), -amount), X, atol=1e-9)
    assert np.allclose(tone.contrast(tone.contrast(X, -amount), amount), X, atol=1e-9)


@pytest.mark.parametrize("amount", [0.1, 0.5, 1.0])
def test_contrast_curve_shape(amount):
    y = tone.contrast(np.array([0.0, 0.25, 0.5 - 1e-6, 0.5, 0.5 + 1e-6, 0.75, 1.0]), amount)
    assert y[0] == 0.0 and y[-1] == pytest.approx(1.0, abs=1e-12) and y[3] == pytest.approx(0.5)
    assert (y[4] - y[2]) / 2e-6 == pytest.approx(1.0 + amount, rel=1e-5)
    assert y[1] < 0.25 < 0.75 < y[5]


def test_brightness_exposure_gamma_raise_mean_luminance(astronaut):
    for name, amounts in (
        ("brightness", [-1.0, -0.5, 0.0, 0.25, 1.0]),
        ("exposure", [-2.0, -0.5, 0.0, 0.5, 2.0]),
        ("gamma", [0.5, 0.8, 1.0, 1.2, 2.5]),
    ):
        means = [mean_luma(apply_curve(astronaut, point(name, a))) for a in amounts]
        assert np.all(np.diff(means) > 0), (name, means)


def test_contrast_raises_rms_contrast(astronaut):
    values = [rms_contrast(apply_curve(astronaut, point("contrast", a))) for a in (-1.0, -0.3, 0.0, 0.3, 1.0)]
    assert np.all(np.diff(values) > 0)


def test_exposure_scales_linear_light():
    lin = srgb_to_linear(X)
    assert np.allclose(srgb_to_linear(tone.exposure(X, -1.0)), 0.5 * lin, atol=1e-12)
    dark = X < 0.5  # linear 0.21, doubled stays below the shoulder
    assert np.allclose(srgb_to_linear(tone.exposure(X, 1.0))[dark], 2 * lin[dark], atol=1e-12)


def test_exposure_rolls_highlights_off_instead_of_clipping():
    for ev in (0.5, 2.0, 5.0):
        y = tone.exposure(X, ev)
        assert y[-1] == pytest.approx(1.0, abs=1e-12)
        assert np.all(np.diff(y[X > 0.5]) > 0), "highlights collapse into flat white"


def test_gamma_formula():
    assert tone.gamma(np.array([0.25]), 2.0)[0] == pytest.approx(0.5)
    assert tone.gamma(np.array([0.5]), 0.5)[0] == pytest.approx(0.25)


def test_levels_maps_black_and_white_points():
    y = tone.levels(np.array([0.0, 0.1, 0.5, 0.9, 1.0]), black=0.1, white=0.9)
    assert np.allclose(y, [0.0, 0.0, 0.5, 1.0, 1.0])
    mid = tone.levels(np.array([0.5]), black=0.1, white=0.9, gamma=2.0)[0]
    assert mid == pytest.approx(0.5**0.5)


def test_levels_rejects_black_above_white():
    with pytest.raises(ValueError, match=r"black.*white"):
        tone.levels(X, black=0.8, white=0.2)


def test_curves_pass_through_points_and_add_the_corners():
    pts = [0.25, 0.15, 0.5, 0.5, 0.75, 0.85]
    y = tone.curves(np.array([0.0, 0.25, 0.5, 0.75, 1.0]), points=pts)
    assert np.allclose(y, [0.0, 0.15, 0.5, 0.85, 1.0])
    faded = tone.curves(np.array([0.0, 1.0]), points=[0.0, 0.1, 0.5, 0.55])
    assert np.allclose(faded, [0.1, 1.0])


def test_curves_do_not_overshoot_between_points():
    y = tone.curves(X, points=[0.2, 0.6, 0.4, 0.62, 0.6, 0.64])
    assert np.all(np.diff(y) >= -1e-12)
    between = (X >= 0.2) & (X <= 0.6)
    assert y[between].min() >= 0.6 - 1e-12 and y[between].max() <= 0.64 + 1e-12


def test_curves_reject_bad_points():
    with pytest.raises(ValueError):
        tone.curves(X, points=[0.5, 0.5, 0.7])
    with pytest.raises(ValueError):
        tone.curves(X, points=[0.5, 0.4, 0.5, 0.6])


def test_temperature_moves_red_blue_ratio_monotonically(astronaut):
    ratios = []
    for amount in (-1.0, -0.3, 0.0, 0.3, 1.0):
        out = apply_curve(astronaut, point("temperature", amount))
        ratios.append(out[..., 0].mean() / out[..., 2].mean())
    assert np.all(np.diff(ratios) > 0)


def test_tint_moves_green_down_for_magenta(astronaut):
    ratios = []
    for amount in (-1.0, -0.3, 0.0, 0.3, 1.0):
        out = apply_curve(astronaut, point("tint", amount))
        ratios.append(out[..., 1].mean() / (out[..., 0].mean() + out[..., 2].mean()))
    assert np.all(np.diff(ratios) < 0)


@pytest.mark.parametrize("name", ["temperature", "tint"])
@pytest.mark.parametrize("amount", [-1.0, 0.4, 1.0])
def test_white_balance_curves_keep_grey_luminance(name, amount):
    grey = np.linspace(0.0, 0.6, 61)  # below the highlight shoulder
    out = srgb_to_linear(getattr(tone, name)(grey, amount))
    luminance = out @ np.array([0.2126, 0.7152, 0.0722])
    assert np.allclose(luminance, srgb_to_linear(grey), atol=1e-9)


# --------------------------------------------------------------------------- pixel ops


@pytest.mark.parametrize("name", PIXEL_OPS)
def test_pixel_ops_are_identity_at_neutral_and_keep_input(name, astronaut):
    spec = get_spec(name)
    before = astronaut.copy()
    out = spec.func(astronaut, spec.amount.neutral, **spec.defaults())
    assert out is not astronaut and np.array_equal(out, astronaut)
    out = spec.func(astronaut, spec.amount.default, **spec.defaults())
    assert np.array_equal(astronaut, before), "input was modified"
    assert out.shape == astronaut.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize("name", ["shadows", "highlights", "local_contrast", "dehaze"])
def test_pixel_ops_accept_grey_images(name):
    camera = _float(data.camera())[::2, ::2, None]
    out = getattr(tone, name)(camera, 0.6)
    assert out.shape == camera.shape and out.dtype == np.float32
    assert not np.array_equal(out, camera)


def test_shadows_lift_dark_areas_and_leave_bright_ones(astronaut):
    y = luma(astronaut)
    smooth = gaussian(y, 4.0)
    dark, bright = smooth < 0.2, smooth > 0.8
    means = []
    for amount in (-1.0, -0.4, 0.0, 0.4, 1.0):
        out = tone.shadows(astronaut, amount)
        means.append(luma(out)[dark].mean())
        assert np.abs(luma(out)[bright] - y[bright]).mean() < 2e-3
        assert (out >= 0.999).mean() <= (astronaut >= 0.999).mean() + 1e-4, "shadows introduced clipping"
    assert np.all(np.diff(means) > 0)
    assert np.all(np.diff([mean_luma(tone.shadows(astronaut, a)) for a in (-1.0, 0.0, 1.0)]) > 0)


def test_highlights_recover_bright_areas_and_leave_dark_ones(astronaut):
    y = luma(astronaut)
    smooth = gaussian(y, 4.0)
    dark, bright = smooth < 0.25, smooth > 0.75
    means = []
    for amount in (-1.0, -0.4, 0.0, 0.4, 1.0):
        out = tone.highlights(astronaut, amount)
        means.append(luma(out)[bright].mean())
        assert np.abs(luma(out)[dark] - y[dark]).mean() < 2e-3
    assert np.all(np.diff(means) > 0)


def test_shadows_and_highlights_keep_colour(astronaut):
    a_in, b_in = mean_ab(astronaut)
    for out in (tone.shadows(astronaut, 1.0), tone.highlights(astronaut, -1.0)):
        a_out, b_out = mean_ab(out)
        assert abs(np.arctan2(b_out, a_out) - np.arctan2(b_in, a_in)) < 0.1  # mean hue, radians


def _step_edge() -> np.ndarray:
    """A dark and a bright half with fine texture, the worst case for halos."""
    rng = np.random.default_rng(1)
    image = np.where(np.arange(400)[None, :] < 200, 0.08, 0.92) * np.ones((200, 1))
    image = image + 0.02 * rng.standard_normal(image.shape)
    return np.clip(image, 0, 1).astype(np.float32)[..., None].repeat(3, axis=2)


@pytest.mark.parametrize(
    ("name", "amount"), [("shadows", 1.0), ("highlights", -1.0), ("local_contrast", 1.0)]
)
def test_local_ops_make_no_halo_at_a_strong_edge(name, amount):
    image = _step_edge()
    change = (getattr(tone, name)(image, amount) - image)[..., 0].mean(axis=0)
    far_dark, near_dark = change[20:120].mean(), change[190:198].mean()
    far_bright, near_bright = change[280:380].mean(), change[202:210].mean()
    assert abs(near_dark - far_dark) < 0.02
    assert abs(near_bright - far_bright) < 0.02


def test_local_contrast_scales_detail(astronaut):
    energies = [detail_energy(tone.local_contrast(astronaut, a)) for a in (-1.0, -0.3, 0.0, 0.3, 1.0)]
    assert np.all(np.diff(energies) > 0)
    assert abs(mean_luma(tone.local_contrast(astronaut, 1.0)) - mean_luma(astronaut)) < 0.02


@pytest.mark.parametrize("photo", ["astronaut", "coffee"])
def test_dehaze_restores_contrast_of_a_hazy_photo(photo, request):
    clear = request.getfixturevalue(photo)
    hazy = add_haze(clear)
    error_hazy = np.mean((hazy - clear) ** 2)
    half, full = tone.dehaze(hazy, 0.5), tone.dehaze(hazy, 1.0)
    assert np.mean((half - clear) ** 2) < 0.7 * error_hazy
    assert np.mean((full - clear) ** 2) < 0.25 * error_hazy
    # No colour shift: the mean colour moves towards the clear photo's, not away.
    shift = np.linalg.norm(mean_ab(hazy) - mean_ab(clear))
    for dehazed in (half, full):
        assert np.linalg.norm(mean_ab(dehazed) - mean_ab(clear)) < shift
    assert rms_contrast(half) > rms_contrast(hazy)
    detail = [detail_energy(hazy), detail_energy(half), detail_energy(full)]
    assert np.all(np.diff(detail) > 0)


def test_dehaze_leaves_a_wall_of_the_airlight_colour_smooth(coffee):
    # A light grey wall (the colour of haze, where the dark-channel prior fails) above a scene.
    wall = np.float32([0.82, 0.84, 0.87]) + np.random.default_rng(0).normal(0.0, 0.01, (200, 600, 3))
    image = np.clip(np.concatenate([wall, coffee[:200]]), 0, 1).astype(np.float32)
    out = tone.dehaze(add_haze(image), 1.0)
    # Its texture is amplified no more than the transmission floor allows, and no blotches appear.
    assert out[:200].std(axis=(0, 1)).max() < 2.1 * add_haze(image)[:200].std(axis=(0, 1)).max()
    assert np.abs(out[:200].mean(axis=(0, 1)) - image[:200].mean(axis=(0, 1))).max() < 0.12


def test_dehaze_clips_nothing(coffee):
    hazy = add_haze(coffee)
    out = tone.dehaze(hazy, 1.0)
    assert out.min() > 0 and out.max() < 1


def test_dehaze_negative_amount_adds_haze(astronaut):
    foggy = tone.dehaze(astronaut, -0.5)
    assert rms_contrast(foggy) < rms_contrast(astronaut)
    assert rms_contrast(tone.dehaze(astronaut, -1.0)) < rms_contrast(foggy)


@pytest.mark.parametrize("method", ["grey_edge", "white_patch"])
def test_white_balance_removes_a_warm_cast(astronaut, method):
    cast = warm_cast(astronaut)
    fixed = tone.white_balance(cast, 1.0, method=method)
    before = np.linalg.norm(mean_ab(cast) - mean_ab(astronaut))
    assert np.linalg.norm(mean_ab(fixed) - mean_ab(astronaut)) < 0.5 * before


@pytest.mark.parametrize("method", ["grey_edge", "grey_world", "white_patch"])
def test_white_balance_methods_reduce_yellow(astronaut, method):
    cast = warm_cast(astronaut)
    assert mean_ab(tone.white_balance(cast, 1.0, method=method))[1] < mean_ab(cast)[1] - 5


def test_white_balance_strength_blends(astronaut):
    cast = warm_cast(astronaut)
    yellow = [mean_ab(tone.white_balance(cast, a))[1] for a in (0.0, 0.5, 1.0)]
    assert yellow[0] > yellow[1] > yellow[2]


def test_white_balance_leaves_a_neutral_photo_nearly_unchanged(astronaut):
    out = tone.white_balance(astronaut, 1.0)
    assert np.abs(out - astronaut).mean() < 0.01
    assert np.linalg.norm(mean_ab(out) - mean_ab(astronaut)) < 3


def test_white_balance_keeps_a_brown_coffee_brown(coffee):
    out = tone.white_balance(coffee, 1.0)
    assert np.abs(out - coffee).mean() < 0.02
    assert np.all(mean_ab(out) > 0.8 * mean_ab(coffee))


def test_white_balance_does_not_grey_a_blue_sky(astronaut):
    # 70 % smooth blue sky above a strip of an ordinary photo.
    rows = np.linspace(0.0, 1.0, 358, dtype=np.float32)[:, None]
    sky = np.stack([0.35 + 0.2 * rows, 0.55 + 0.15 * rows, 0.9 + 0.05 * rows], axis=-1) * np.ones((1, 512, 1))
    sky = sky + np.random.default_rng(0).normal(0.0, 0.01, sky.shape)
    image = np.clip(np.concatenate([sky, astronaut[: 512 - 358]]), 0, 1).astype(np.float32)
    sky_blue = mean_ab(image[:358])[1]
    edge = mean_ab(tone.white_balance(image, 1.0)[:358])[1]
    world = mean_ab(tone.white_balance(image, 1.0, method="grey_world")[:358])[1]
    assert edge < 0.6 * sky_blue < 0  # still clearly blue (b* strongly negative)
    assert edge < world  # grey-edge is more robust than grey-world here


def blown_sky_under_tungsten(photo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``photo`` below a blown (white) sky, in warm light clipped at white; and the sky's mask."""
    scene = np.concatenate([np.ones((photo.shape[0] // 3, *photo.shape[1:]), np.float32), photo])
    sky = np.zeros(scene.shape[:2], bool)
    sky[: photo.shape[0] // 3] = True
    gains = np.float32([1.3, 1.0, 0.6]) / np.float32(0.2126 * 1.3 + 0.7152 + 0.0722 * 0.6)
    return linear_to_srgb(srgb_to_linear(scene) * gains).astype(np.float32), sky


def test_white_balance_keeps_blown_highlights_neutral(astronaut):
    cast, sky = blown_sky_under_tungsten(astronaut)
    a, b = rgb_to_lab(tone.white_balance(cast, 1.0))[sky][:, 1:].mean(axis=0)
    # Luminance-keeping gains alone pull the clipped red down: a* about -20 (cyan).
    assert abs(a) < 3 and abs(b) < 6


def test_white_balance_with_given_gains_maps_every_photo_alike(astronaut, coffee):
    gains = [0.8, 1.0, 1.5]
    both = np.concatenate([astronaut[:, :400], coffee[:, :400]])
    alone = tone.white_balance(astronaut[:, :400], 0.7, gains=gains)
    assert np.array_equal(tone.white_balance(both, 0.7, gains=gains)[:512], alone)
    # Only the ratios matter; without gains the estimate depends on the photo.
    assert np.allclose(tone.white_balance(astronaut[:, :400], 0.7, gains=[1.6, 2.0, 3.0]), alone, atol=1e-5)
    assert not np.allclose(tone.white_balance(both, 0.7)[:512], tone.white_balance(astronaut[:, :400], 0.7))


def test_white_balance_rejects_bad_gains(astronaut):
    with pytest.raises(ValueError, match="gains"):
        tone.white_balance(astronaut, 1.0, gains=[1.0, 0.0, 1.0])


def test_white_balance_rejects_unknown_method(astronaut):
    with pytest.raises(ValueError, match="method"):
        tone.white_balance(astronaut, 1.0, method="magic")
