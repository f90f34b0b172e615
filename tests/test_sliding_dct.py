"""The fast block-DCT denoiser (quality="fast"): quality on a photo, edges, odd sizes."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data
from skimage.metrics import peak_signal_noise_ratio

from retouch.sliding_dct import sliding_dct_denoise


def _plain_reference(plane: np.ndarray, sigma: float) -> np.ndarray:
    """The same two passes written block by block in NumPy (slow; for small planes)."""
    from retouch.sliding_dct import _D, KAISER, THRESHOLD

    pad = 4
    rows, cols = plane.shape
    padded = np.pad(plane, ((pad, pad + (-(rows + 8)) % 4), (pad, pad + (-(cols + 8)) % 4)), mode="reflect")
    window = np.outer(KAISER, KAISER)
    estimate = None
    for wiener in (False, True):
        num = np.zeros_like(padded, dtype=np.float64)
        den = np.zeros_like(num)
        for y in range(0, padded.shape[0] - 7, 4):
            for x in range(0, padded.shape[1] - 7, 4):
                coef = _D @ padded[y : y + 8, x : x + 8] @ _D.T
                if wiener:
                    pilot = _D @ estimate[y : y + 8, x : x + 8] @ _D.T
                    gain = pilot**2 / (pilot**2 + sigma**2)
                    coef, weight = coef * gain, np.sum(gain**2)
                else:
                    keep = np.abs(coef) >= THRESHOLD * sigma
                    coef, weight = coef * keep, np.count_nonzero(keep)
                weight = 1.0 / max(weight, 1.0)
                num[y : y + 8, x : x + 8] += weight * window * (_D.T @ coef @ _D)
                den[y : y + 8, x : x + 8] += weight * window
        estimate = num / den
    return estimate[pad : pad + rows, pad : pad + cols]


def test_matches_the_blockwise_definition():
    rng = np.random.default_rng(3)
    # Wider than one chunk of blocks (256), so the chunk seams are covered too.
    clean = np.tile(data.camera()[100:133], (1, 3))[:, :1100].astype(np.float32) / 255
    noisy = clean + rng.normal(0, 0.06, clean.shape).astype(np.float32)
    fast = sliding_dct_denoise(noisy[..., None], np.array([0.06]))[..., 0]
    np.testing.assert_allclose(fast, _plain_reference(noisy, 0.06), atol=2e-5)


def test_removes_most_of_the_noise_on_a_photo():
    rng = np.random.default_rng(0)
    clean = data.astronaut()[100:260, 150:330].astype(np.float32) / 255
    noisy = clean + rng.normal(0, 12 / 255, clean.shape).astype(np.float32)
    out = sliding_dct_denoise(noisy, np.full(3, 12 / 255))
    gain = peak_signal_noise_ratio(clean, out, data_range=1) - peak_signal_noise_ratio(
        clean, noisy, data_range=1
    )
    assert gain > 6.0


def test_borders_and_chunk_seams_are_filtered_like_the_interior():
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:61, 0:1203].astype(np.float32)
    clean = (0.3 + 0.4 * np.sin(xx / 90) * np.cos(yy / 40))[..., None]
    noisy = clean + rng.normal(0, 0.05, clean.shape).astype(np.float32)
    error = np.abs(sliding_dct_denoise(noisy, np.array([0.05])) - clean)[..., 0]
    interior = error[8:-8, 8:-8].mean()
    assert interior < 0.3 * 0.05
    for edge in (error[:4], error[-4:], error[:, :4], error[:, -4:]):
        assert edge.mean() < 1.5 * interior
    # Polyphase column 256 (pixel 4 * 257 - 4) starts the second chunk of blocks.
    assert error[8:-8, 1016:1032].mean() < 1.2 * interior


@pytest.mark.parametrize("shape", [(1, 1, 3), (2, 3, 1), (5, 7, 3), (9, 13, 2), (31, 1030, 1)])
def test_any_size_keeps_its_shape_and_a_flat_image_stays_flat(shape):
    flat = np.full(shape, 0.6, np.float32)
    out = sliding_dct_denoise(flat, np.full(shape[2], 0.05))
    assert out.shape == shape and out.dtype == np.float32
    # Only the Wiener gain of the mean, 1 / (1 + sigma^2 / (64 mean^2)), moves a flat plane.
    np.testing.assert_allclose(out, 0.6, atol=2e-4)
