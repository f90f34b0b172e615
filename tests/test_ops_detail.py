"""Detail ops: sharpen (strip processing, halo control), blur, pixelate."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from skimage import data

from retouch.ops import detail
from retouch.ops.registry import PIXEL, get_spec

DETAIL_OPS = ("sharpen", "blur", "pixelate")


@pytest.fixture(scope="module")
def camera() -> np.ndarray:
    return data.camera()[..., None]


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return data.astronaut()


def as_dtype(image: np.ndarray, dtype: type) -> np.ndarray:
    if dtype == np.uint16:
        return image.astype(np.uint16) * 257
    if dtype == np.float32:
        return image.astype(np.float32) / 255
    return image


def sharpness(image: np.ndarray) -> float:
    """Variance of the Laplacian of the first channel, on the 8-bit scale."""
    plane = image[..., 0].astype(np.float64)
    if image.dtype == np.float32:
        plane *= 255
    elif image.dtype == np.uint16:
        plane /= 257
    return float(cv2.Laplacian(plane, cv2.CV_64F).var())


@pytest.mark.parametrize("name", DETAIL_OPS)
def test_specs(name: str) -> None:
    spec = get_spec(name)
    assert spec.kind == PIXEL and spec.native_dtypes and spec.family == "detail"
    assert 8 <= len(spec.examples) <= 15
    assert spec.amount is not None and spec.amount.neutral == 0


@pytest.mark.parametrize("name", DETAIL_OPS)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_neutral_is_exact_and_dtype_is_kept(name: str, dtype: type, astronaut: np.ndarray) -> None:
    image = as_dtype(astronaut, dtype)
    func = get_spec(name).func
    same = func(image, 0.0)
    assert same.dtype == image.dtype and np.array_equal(same, image) and same is not image
    out = func(image, get_spec(name).amount.default)
    assert out.dtype == image.dtype and out.shape == image.shape
    assert not np.array_equal(out, image)


@pytest.mark.parametrize("name", DETAIL_OPS)
def test_single_channel_keeps_its_shape(name: str, camera: np.ndarray) -> None:
    out = get_spec(name).func(camera, 0.5)
    assert out.shape == camera.shape and out.dtype == np.uint8


def test_sharpen_sharpness_grows_with_amount(astronaut: np.ndarray) -> None:
    values = [sharpness(detail.sharpen(astronaut, a)) for a in (0.0, 0.3, 0.6, 1.0, 2.0, 3.0)]
    assert all(b > a for a, b in itertools.pairwise(values))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_sharpen_in_strips_equals_one_strip(dtype: type, astronaut: np.ndarray) -> None:
    image = as_dtype(astronaut, dtype)
    for params in ({}, {"radius": 2.5, "threshold": 0.02, "halo": 0.5}, {"halo": 0.0}):
        whole = detail.sharpen(image, 1.2, rows=image.shape[0], **params)
        for rows in (37, 100):
            assert np.array_equal(detail.sharpen(image, 1.2, rows=rows, **params), whole)


def step_edge(dtype: type = np.uint8) -> np.ndarray:
    image = np.full((64, 64, 1), 60, np.uint8)
    image[:, 32:] = 180
    return as_dtype(image, dtype)


def test_halo_control_reduces_overshoot_at_a_step() -> None:
    image = step_edge()

    def overshoot(halo: float) -> int:
        out = detail.sharpen(image, 2.0, radius=2.0, halo=halo).astype(int)
        return max(out.max() - 180, 60 - out.min())

    values = [overshoot(h) for h in (0.0, 0.5, 0.7, 1.0)]
    assert values[0] > 30
    assert all(b < a for a, b in itertools.pairwise(values[:3]))
    assert values[3] == 0


def test_halo_one_still_sharpens_inside_the_local_range() -> None:
    soft_edge = cv2.GaussianBlur(step_edge()[..., 0], (0, 0), 2.0)[..., None]
    out = detail.sharpen(soft_edge, 2.0, radius=2.0, halo=1.0)
    assert sharpness(out) > 1.5 * sharpness(soft_edge)
    low = cv2.erode(soft_edge, np.ones((3, 3), np.uint8))[..., None]
    high = cv2.dilate(soft_edge, np.ones((3, 3), np.uint8))[..., None]
    assert np.all((out >= low) & (out <= high))


def test_sharpen_threshold_leaves_fine_noise_alone() -> None:
    rng = np.random.default_rng(0)
    noisy_flat = np.clip(0.5 + rng.normal(0, 0.004, (64, 64, 3)), 0, 1).astype(np.float32)
    assert not np.array_equal(detail.sharpen(noisy_flat, 2.0, threshold=0.0), noisy_flat)
    assert np.array_equal(detail.sharpen(noisy_flat, 2.0, threshold=0.05), noisy_flat)


def test_sharpen_default_radius_scales_with_image_size() -> None:
    assert detail.default_sharpen_radius((300, 400)) == pytest.approx(0.8)
    assert detail.default_sharpen_radius((4000, 6000)) == pytest.approx(0.8 * np.sqrt(24), rel=1e-6)


def test_blur_sharpness_drops_with_amount(astronaut: np.ndarray) -> None:
    values = [sharpness(detail.blur(astronaut, a)) for a in (0.0, 0.05, 0.1, 0.3, 0.6, 1.0)]
    assert all(b < a for a, b in itertools.pairwise(values))


@pytest.mark.parametrize("kind", ["gaussian", "lens", "motion"])
def test_blur_kinds_soften_and_keep_flat_areas(kind: str, astronaut: np.ndarray) -> None:
    out = detail.blur(astronaut, 0.3, kind=kind)
    assert sharpness(out) < 0.2 * sharpness(astronaut)
    # Mirrored borders: a flat image stays flat right up to its edges.
    flat = np.full((40, 60, 3), 0.25, np.float32)
    np.testing.assert_allclose(detail.blur(flat, 0.5, kind=kind, sigma=6.0), flat, atol=1e-5)


def test_wide_gaussian_on_a_shrunken_copy_matches_a_true_gaussian(astronaut: np.ndarray) -> None:
    image = astronaut.astype(np.float32) / 255
    reference = cv2.GaussianBlur(image, (0, 0), 20.0, borderType=cv2.BORDER_REFLECT)
    out = detail.blur(image, 1.0, sigma=20.0)
    assert np.abs(out - reference).max() < 2 / 255


def test_sigma_param_overrides_amount(astronaut: np.ndarray) -> None:
    assert np.array_equal(detail.blur(astronaut, 0.1, sigma=3.0), detail.blur(astronaut, 0.9, sigma=3.0))


def test_motion_blur_follows_its_angle(astronaut: np.ndarray) -> None:
    def gradient_energy(image: np.ndarray) -> tuple[float, float]:
        g = image[..., 1].astype(np.float32)
        return float(np.abs(np.diff(g, axis=1)).mean()), float(np.abs(np.diff(g, axis=0)).mean())

    horizontal_x, horizontal_y = gradient_energy(detail.blur(astronaut, 0.6, kind="motion", angle=0))
    vertical_x, vertical_y = gradient_energy(detail.blur(astronaut, 0.6, kind="motion", angle=90))
    # Streaks along the motion wipe out changes in that direction far more than across it.
    assert horizontal_x < 0.6 * vertical_x
    assert vertical_y < 0.6 * horizontal_y


def test_lens_blur_turns_a_point_into_a_disc() -> None:
    point = np.zeros((81, 81, 1), np.float32)
    point[40, 40] = 1.0
    disc = detail.blur(point, 1.0, kind="lens", sigma=5.0)[..., 0]  # disk radius 10 px
    gauss = detail.blur(point, 1.0, kind="gaussian", sigma=5.0)[..., 0]
    # A disc is flat inside and ends abruptly; a Gaussian falls off smoothly.
    assert disc[40, 40] == pytest.approx(disc[40, 46], rel=0.05)
    assert disc[40, 53] < 0.01 * disc[40, 40]
    assert gauss[40, 46] < 0.6 * gauss[40, 40]


def test_blur_rejects_unknown_kind(astronaut: np.ndarray) -> None:
    with pytest.raises(ValueError, match="kind"):
        detail.blur(astronaut, 0.3, kind="radial")


def test_pixelate_blocks_are_flat_means() -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    out = detail.pixelate(image, 1.0, block=8)
    blocks = out.reshape(6, 8, 8, 8, 3)
    assert np.all(blocks == blocks[:, :1, :, :1])
    means = image.reshape(6, 8, 8, 8, 3).astype(np.float64).mean(axis=(1, 3))
    assert np.abs(blocks[:, 0, :, 0] - means).max() <= 0.5 + 1e-9


def test_pixelate_centres_the_grid_on_odd_sizes() -> None:
    image = np.random.default_rng(2).random((50, 37, 3), dtype=np.float32)
    out = detail.pixelate(image, 1.0, block=10)
    assert out.shape == image.shape
    # 50 rows are 5 whole blocks; 37 columns take 4 blocks, the 3 missing columns shared out
    # as 1 on the left and 2 on the right.
    assert np.all(out[:10] == out[:1]) and not np.all(out[:11] == out[:1])
    assert np.all(out[:, :9] == out[:, :1]) and not np.all(out[:, :10] == out[:, :1])
    assert np.all(out[:, -8:] == out[:, -1:]) and not np.all(out[:, -9:] == out[:, -1:])


def test_pixelate_block_size_grows_with_amount(astronaut: np.ndarray) -> None:
    def distinct_rows(image: np.ndarray) -> int:
        return int(np.count_nonzero(np.any(np.diff(image.astype(int), axis=0) != 0, axis=(1, 2)))) + 1

    counts = [distinct_rows(detail.pixelate(astronaut, a)) for a in (0.05, 0.1, 0.3, 1.0)]
    assert all(b < a for a, b in itertools.pairwise(counts))
    # Block = round(amount * diagonal / 25): 724 px diagonal at amount 1 gives 29 px blocks.
    assert counts[-1] == int(np.ceil(512 / 29))


def test_pixelate_block_one_is_identity(astronaut: np.ndarray) -> None:
    assert np.array_equal(detail.pixelate(astronaut, 0.5, block=1), astronaut)


def test_regional_blur_does_not_bleed_the_subject_into_the_background():
    from retouch.ops.detail import blur

    image = np.zeros((96, 96, 3), np.uint8)
    yy, xx = np.mgrid[:96, :96]
    subject = (yy - 48) ** 2 + (xx - 48) ** 2 < 20**2
    image[subject] = 255
    image[::7] = np.where(subject[::7, :, None], 255, 60)  # background texture to blur away
    background = (~subject).astype(np.float32)
    out = blur(image, 1.0, sigma=6.0, mask=background)
    ring = ~subject & ((yy - 48) ** 2 + (xx - 48) ** 2 < 24**2)
    assert out[ring].max() < 60  # no white glow around the subject
    assert np.array_equal(out[subject], image[subject])
    assert out[~subject].std() < image[~subject].std() / 2
