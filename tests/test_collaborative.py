"""The BM3D-class collaborative filter (quality="best"): its transforms, block matching, tiling, quality."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data
from skimage.metrics import peak_signal_noise_ratio

from retouch import collaborative
from retouch.collaborative import (
    BLOCK,
    _block_spectra,
    _haar_forward,
    _haar_inverse,
    _match,
    _overlap_add,
    bior15_matrix,
    collaborative_denoise,
    profile_for,
)
from retouch.sliding_dct import dct_matrix


@pytest.fixture(scope="module")
def noisy_photo() -> tuple[np.ndarray, np.ndarray]:
    """A 160 x 160 luminance crop of astronaut and the same with white noise of sigma 25 / 255."""
    clean = data.astronaut()[100:260, 180:340].astype(np.float32).mean(axis=2)[..., None] / 255
    rng = np.random.default_rng(1)
    return clean, clean + rng.normal(0, 25 / 255, clean.shape).astype(np.float32)


@pytest.mark.filterwarnings("ignore:Level value:UserWarning")
def test_bior15_matrix_is_the_periodic_biorthogonal_wavelet():
    m = bior15_matrix(8)
    np.testing.assert_allclose(np.linalg.norm(m, axis=1), 1, rtol=1e-12)
    # The finest details are Haar differences of pixel pairs; the coarse rows see a smoothed signal.
    np.testing.assert_allclose(np.abs(m[4:]), np.kron(np.eye(4), [2**-0.5, 2**-0.5]), atol=1e-12)
    assert np.all(np.abs(m[2, 4:]) > 0.05)
    # Constant signals have only a DC coefficient; the transform is invertible and not orthogonal.
    np.testing.assert_allclose(m[1:] @ np.ones(8), 0, atol=1e-12)
    assert np.linalg.cond(m) < 3 and not np.allclose(m @ m.T, np.eye(8), atol=1e-3)
    import pywt  # test extra: the reference implementation of bior1.5

    reference = np.array(
        [np.concatenate(pywt.wavedec(e, "bior1.5", mode="periodization", level=3)) for e in np.eye(8)]
    ).T
    np.testing.assert_allclose(m, reference / np.linalg.norm(reference, axis=1, keepdims=True), atol=1e-12)


@pytest.mark.parametrize("wavelet", [False, True])
def test_block_spectra_are_the_2d_transform_of_every_block(wavelet):
    image = np.random.default_rng(0).random((2, 13, 11)).astype(np.float32)
    spectra = _block_spectra(image, wavelet)
    assert spectra.shape == (6, 4, 2, BLOCK * BLOCK)
    d = bior15_matrix(BLOCK) if wavelet else dct_matrix(BLOCK)
    for c, y, x in [(0, 0, 0), (1, 5, 3), (0, 2, 1)]:
        expected = d @ image[c, y : y + BLOCK, x : x + BLOCK] @ d.T
        np.testing.assert_allclose(spectra[y, x, c], expected.ravel(), atol=1e-5)


@pytest.mark.parametrize("wavelet", [False, True])
def test_overlap_add_of_unchanged_spectra_gives_the_image_back(wavelet):
    image = np.random.default_rng(0).random((3, 20, 17)).astype(np.float32)
    spectra = _block_spectra(image, wavelet)
    # Any positive weights (and skipped positions) give the image back where some block covers it.
    weights = np.random.default_rng(1).uniform(0.5, 2, spectra.shape[:3]).astype(np.float32)
    weights[3, 2, 1] = 0
    np.testing.assert_allclose(_overlap_add(spectra * weights[..., None], weights, wavelet), image, atol=1e-5)


@pytest.mark.parametrize("n", [1, 2, 8, 32])
def test_haar_is_orthonormal_and_inverted(n):
    group = np.random.default_rng(n).random((32, 192)).astype(np.float32)
    coef = np.empty_like(group)
    _haar_forward(group.copy(), n, coef)
    assert np.linalg.norm(coef[:n]) == pytest.approx(np.linalg.norm(group[:n]), rel=1e-5)
    np.testing.assert_allclose(coef[0], group[:n].sum(axis=0) / np.sqrt(n), rtol=1e-5)
    back = np.empty_like(group)
    _haar_inverse(coef, n, back)
    np.testing.assert_allclose(back[:n], group[:n], atol=1e-5)


def test_matching_finds_the_nearest_blocks_exactly():
    guide = np.random.default_rng(0).random((40, 40)).astype(np.float32)
    # Plant near-copies of the reference block so that the best matches are known.
    reference = guide[16:24, 16:24].copy()
    for k, (y, x) in enumerate([(2, 3), (30, 5), (9, 28)]):
        guide[y : y + BLOCK, x : x + BLOCK] = reference + 0.01 * (k + 1)
    ys, xs = np.empty(8, np.int64), np.empty(8, np.int64)
    dist, row = np.empty(8, np.float32), np.empty(2 * 19 + 1, np.float32)
    n = _match(guide, 16, 16, 19, 8, np.float32(1.0), ys, xs, dist, row)
    assert n == 8
    assert list(zip(ys[:4], xs[:4], strict=True)) == [(16, 16), (2, 3), (30, 5), (9, 28)]
    brute = sorted(
        float(np.square(guide[y : y + BLOCK, x : x + BLOCK] - reference).sum())
        for y in range(33)
        for x in range(33)
    )
    np.testing.assert_allclose(dist[:n], brute[:n], rtol=1e-4, atol=1e-6)
    # A strict distance limit leaves the reference and its planted copies (a power of two: 4).
    assert _match(guide, 16, 16, 19, 8, np.float32(0.002), ys, xs, dist, row) == 4


def test_denoising_a_photo_gains_over_9_db(noisy_photo):
    clean, noisy = noisy_photo
    out = collaborative_denoise(noisy, np.array([25 / 255]), profile_for("best", 25 / 255))
    gain = peak_signal_noise_ratio(clean, out, data_range=1) - peak_signal_noise_ratio(
        clean, noisy, data_range=1
    )
    assert gain > 9


def test_tiles_leave_no_seams(noisy_photo, monkeypatch):
    _, noisy = noisy_photo
    profile = profile_for("best", 25 / 255)
    whole = collaborative_denoise(noisy, np.array([25 / 255]), profile)
    monkeypatch.setattr(collaborative, "_TILE", 64)
    tiled = collaborative_denoise(noisy, np.array([25 / 255]), profile)
    # Only the reference grids differ (they start at each tile's corner): a tiny, seamless difference.
    assert peak_signal_noise_ratio(whole, tiled, data_range=1) > 40
    seams = np.abs(whole - tiled)[[63, 64, 127, 128]].mean()
    assert seams < 2 * np.abs(whole - tiled).mean() + 1e-3


@pytest.mark.parametrize("shape", [(5, 7, 1), (9, 30, 3), (1, 1, 3)])
def test_tiny_and_odd_images_keep_their_shape(shape):
    noisy = np.random.default_rng(0).random(shape).astype(np.float32)
    out = collaborative_denoise(noisy, np.full(shape[2], 0.1), profile_for("best", 0.1))
    assert out.shape == shape and np.isfinite(out).all()
