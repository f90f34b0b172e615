"""Quality of the restoration ops on real photos: denoise, deblur, upscale (small crops, fast)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data
from skimage.metrics import peak_signal_noise_ratio

import retouch
from retouch.deconvolve import Blur, estimate_blur
from retouch.ops.restore import deblur, denoise_image, upscale


def _psnr(reference: np.ndarray, image: np.ndarray) -> float:
    return peak_signal_noise_ratio(reference, image, data_range=1.0)


@pytest.fixture(scope="module")
def astronaut_crop() -> np.ndarray:
    return data.astronaut()[40:168, 180:308].astype(np.float32) / 255


def _noisy(clean: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(clean + rng.normal(0, sigma / 255, clean.shape), 0, 1).astype(np.float32)


def test_denoise_gains_and_beats_opencv_nl_means(astronaut_crop):
    noisy = _noisy(astronaut_crop, 25)
    ours = retouch.denoise((noisy * 255).round().astype(np.uint8)).astype(np.float32) / 255
    opencv = cv2.fastNlMeansDenoisingColored((noisy * 255).round().astype(np.uint8), None, 25, 25, 7, 21)
    gain = _psnr(astronaut_crop, ours) - _psnr(astronaut_crop, noisy)
    assert gain >= 6.0
    assert _psnr(astronaut_crop, ours) > _psnr(astronaut_crop, opencv.astype(np.float32) / 255) + 1.0


@pytest.mark.parametrize("quality", ["best", "fast"])
def test_denoise_qualities_both_help_and_best_is_better(astronaut_crop, quality):
    noisy = _noisy(astronaut_crop, 15)
    out = denoise_image(noisy, 1.0, sigma=15, quality=quality)
    assert _psnr(astronaut_crop, out) > _psnr(astronaut_crop, noisy) + 5.0
    if quality == "best":
        fast = denoise_image(noisy, 1.0, sigma=15, quality="fast")
        assert _psnr(astronaut_crop, out) > _psnr(astronaut_crop, fast)


def test_denoise_amount_zero_and_clean_image_are_left_alone(astronaut_crop):
    assert np.array_equal(denoise_image(astronaut_crop, 0.0, sigma=20), astronaut_crop)
    flat = np.full((32, 32, 3), 0.5, np.float32)
    assert np.array_equal(denoise_image(flat, 1.0), flat)


@pytest.mark.parametrize("sigma", [10, 25, 50])
def test_estimate_noise_is_within_15_percent(sigma):
    clean = data.astronaut()[:256, 128:384].astype(np.float64)
    rng = np.random.default_rng(1)
    noisy = np.clip(clean + rng.normal(0, sigma, clean.shape), 0, 255).astype(np.uint8)
    assert retouch.estimate_noise(noisy) == pytest.approx(sigma, rel=0.15)


def _blurred(blur: Blur, noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    sharp = data.camera()[128:384, 128:384].astype(np.float32)[..., None] / 255
    soft = cv2.filter2D(sharp, -1, blur.kernel().astype(np.float32), borderType=cv2.BORDER_REFLECT)[..., None]
    return sharp, _noisy(soft, noise, seed=2) if noise else soft


@pytest.mark.parametrize(
    "blur, noise",
    [(Blur("gaussian", 1.5), 0.0), (Blur("gaussian", 3.0), 0.0), (Blur("gaussian", 1.5), 2.0)],
)
def test_deblur_raises_psnr_on_gaussian_blur(blur, noise):
    sharp, soft = _blurred(blur, noise)
    out = deblur(soft, 1.0)
    assert _psnr(sharp, out) > _psnr(sharp, soft) + 1.0


def test_deblur_with_explicit_defocus_and_motion_params():
    for blur in (Blur("defocus", 3.0), Blur("motion", 9.0, 30.0)):
        sharp, soft = _blurred(blur)
        out = deblur(soft, 1.0, kind=blur.kind, sigma=blur.size, angle=blur.angle)
        assert _psnr(sharp, out) > _psnr(sharp, soft) + 1.0


def test_blur_estimates():
    _, soft = _blurred(Blur("gaussian", 2.0))
    estimate = estimate_blur(soft[..., 0])
    assert estimate.kind == "gaussian" and estimate.size == pytest.approx(2.0, abs=0.6)
    _, streaked = _blurred(Blur("motion", 11.0, 0.0))
    motion = estimate_blur(streaked[..., 0])
    assert motion.kind == "motion" and motion.size == pytest.approx(11.0, abs=1.5)
    assert min(motion.angle, 180 - motion.angle) < 10


@pytest.mark.parametrize("factor", [2, 4])
def test_upscale_beats_bicubic_and_lanczos(factor):
    big = data.astronaut()[:256, 128:384]
    small = cv2.resize(big, (256 // factor, 256 // factor), interpolation=cv2.INTER_AREA)
    ours = upscale(small, factor=factor)
    assert ours.shape == big.shape and ours.dtype == np.uint8
    for interpolation in (cv2.INTER_CUBIC, cv2.INTER_LANCZOS4):
        other = cv2.resize(small, (256, 256), interpolation=interpolation)
        assert peak_signal_noise_ratio(big, ours) > peak_signal_noise_ratio(big, other)


@pytest.mark.parametrize(
    "step",
    [
        {"op": "denoise", "params": {"sigma": 8}},
        {"op": "denoise", "params": {"quality": "fast"}},
        {"op": "deblur", "params": {"sigma": 1.0}},
        {"op": "upscale", "params": {"factor": 2}},
    ],
)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_dtype_shape_and_alpha_are_kept(step, dtype):
    rng = np.random.default_rng(3)
    top = np.iinfo(dtype).max
    image = (rng.random((40, 50, 4)) * top).astype(dtype)
    image[..., 3] = np.linspace(0, top, 50).astype(dtype)[None, :]
    out = retouch.apply(image, {"steps": [step]}).array
    factor = 2 if step["op"] == "upscale" else 1
    assert out.dtype == dtype and out.shape == (40 * factor, 50 * factor, 4)
    if factor == 1:
        assert np.array_equal(out[..., 3], image[..., 3])


def test_upscale_rejects_a_bad_factor():
    with pytest.raises(ValueError, match="between 1 and 8"):
        upscale(np.zeros((4, 4, 3), np.uint8), factor=0.5)


def _grey_print_with(draw, seed: int = 0, side: int = 320) -> tuple[np.ndarray, np.ndarray]:
    """A flat grainy grey print with bright 2 px lines drawn by ``draw(canvas)``, and their mask."""
    rng = np.random.default_rng(seed)
    lines = np.zeros((side, side), np.uint8)
    draw(lines)
    grey = 0.45 + rng.normal(0, 0.02, lines.shape) + 0.3 * lines / 255
    return np.clip(grey, 0, 1).astype(np.float32), lines > 128


def test_a_curving_scratch_is_found_along_its_whole_length():
    from retouch.scratches import detect_damage

    # A 70-degree arc: its orientation drifts across several orientation bands.
    grey, truth = _grey_print_with(lambda c: cv2.ellipse(c, (160, 420), (300, 300), 0, 235, 305, 255, 2))
    scratches, _ = detect_damage(grey)
    assert (scratches & truth).sum() >= 0.97 * truth.sum()
    assert (
        scratches & ~cv2.dilate(truth.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    ).sum() < 50


def test_a_truss_of_short_bars_is_not_a_scratch():
    from retouch.scratches import detect_damage

    def truss(canvas: np.ndarray) -> None:
        for y in range(10, 290, 28):
            cv2.line(canvas, (150, y), (164, y + 14), 255, 2)
            cv2.line(canvas, (164, y + 14), (150, y + 28), 255, 2)

    grey, truth = _grey_print_with(truss, seed=1)
    scratches, _ = detect_damage(grey)
    assert (scratches & truth).sum() < 0.1 * truth.sum()


def test_long_scratches_crossing_at_a_shallow_angle_are_both_found():
    from retouch.scratches import detect_damage

    def cross(canvas: np.ndarray) -> None:
        # 22 degrees apart: where they cross, their orientations join them into one X-shaped component.
        cv2.line(canvas, (20, 260), (620, 380), 255, 2)
        cv2.line(canvas, (20, 380), (620, 260), 255, 2)

    grey, truth = _grey_print_with(cross, side=640)
    scratches, _ = detect_damage(grey)
    assert (scratches & truth).sum() >= 0.9 * truth.sum()


def test_tree_ensemble_sums_the_leaves_each_sample_reaches():
    from retouch.boosted_trees import TreeEnsemble

    # One stump on feature 1 (node 0 splits, nodes 1 and 2 are leaves pointing to themselves).
    stump = {
        "feature": np.array([[1, 0, 0]]),
        "threshold": np.array([[0.5, 0.0, 0.0]]),
        "left": np.array([[1, 1, 2]]),
        "right": np.array([[2, 1, 2]]),
        "value": np.array([[0.0, -1.0, 2.0]]),
        "base": np.float64(0.25),
        "cut": np.array([0.0, 1.0]),
        "names": np.array(["a", "b"]),
        "depth": np.int64(1),
    }
    model = TreeEnsemble(stump)
    features = np.array([[9.0, 0.5], [9.0, 0.6]])
    np.testing.assert_allclose(model.score(features), [-0.75, 2.25])
    assert model.accepts(features, np.array([0, 1])).tolist() == [False, True]


def _toned(grey: np.ndarray) -> np.ndarray:
    """A grey picture (0-1) as a sepia-toned colour scan, uint8."""
    return (np.clip(grey[..., None] * np.array([1.07, 0.96, 0.78]), 0, 1) * 255).astype(np.uint8)


def _judged(image: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each label map of candidate lines in a colour scan, with the classifier's verdict per label."""
    from retouch.damage_evidence import background_residual, damage_planes
    from retouch.scratches import _scratch_mask, line_model

    grey, chroma = damage_planes(image)
    collected: list = []
    _scratch_mask(grey, *background_residual(grey), chroma, collect=collected)
    judged = []
    for labels, eligible, features in collected:
        rules = (features[:, -1] > 0) & eligible
        judged.append((labels, line_model().accepts(features, rules.astype(int)) & eligible))
    return judged


def test_the_shipped_line_classifier_accepts_a_scratch_and_rejects_text(monkeypatch):
    from retouch import scratches
    from retouch.scratches import LINE_FEATURES, damage_planes, detect_damage, line_model

    assert line_model().names == LINE_FEATURES
    # A dark 3 px scratch across a grainy toned print: its candidate component is judged damage.
    rng = np.random.default_rng(3)
    truth = np.zeros((320, 320), np.uint8)
    cv2.line(truth, (20, 40), (300, 250), 255, 3)
    grey = 0.55 + rng.normal(0, 0.02, truth.shape) - 0.45 * truth / 255
    found = sum((accepted[labels] & (truth > 0)).sum() for labels, accepted in _judged(_toned(grey)))
    assert found >= 0.8 * (truth > 0).sum()
    # Letters are dark strokes too: the hand-set tests take many for scratches, the classifier far fewer.
    # (The segmenter takes out more of them still; its part is off here, in both runs.)
    page = damage_planes(_toned(data.text() / 255))
    shipped = detect_damage(*page)[0].sum()
    for name, value in (
        ("LEARNED_RESCUE", 2.0),
        ("LEARNED_ALONE", 2.0),
        ("LEARNED_DOUBT", 0.0),
        ("LEARNED_SPREAD", 0.0),
        ("LEARNED_DENIAL", -1.0),
    ):
        monkeypatch.setattr(scratches, name, value)
    with_model = detect_damage(*page)[0].sum()
    assert shipped < with_model

    class RulesOnly:
        """A stand-in classifier that says what the hand-set tests say (their verdict is the last feature)."""

        cut = np.zeros(2)

        def score(self, features: np.ndarray) -> np.ndarray:
            return np.where(features[:, -1] > 0, 1.0, -1.0)

    monkeypatch.setattr(scratches, "line_model", RulesOnly)
    with_rules = detect_damage(*page)[0].sum()
    assert with_model < 0.5 * with_rules


def test_the_shipped_speck_classifier_takes_dirt_and_leaves_printed_dots():
    from retouch.specks import SPECK_FEATURES, detect_dust, speck_model

    assert speck_model().names == SPECK_FEATURES
    rng = np.random.default_rng(5)
    h, w = 300, 400
    grey = np.tile(np.linspace(0.3, 0.75, w), (h, 1)) + cv2.GaussianBlur(
        rng.normal(0, 0.025, (h, w)), (0, 0), 0.6
    )
    xs, ys = rng.integers(20, w - 20, 40), rng.integers(20, h - 20, 40)
    centres = [(int(x), int(y)) for x, y in zip(xs, ys, strict=True)]
    printed, dirt = np.zeros((h, w), np.uint8), np.zeros((h, w), np.uint8)
    for i, centre in enumerate(centres):
        cv2.circle(printed if i % 2 else dirt, centre, 2, 255, -1)
    # Printed dots are part of the picture: as dark as its darkest tone, toned with it.
    grey = np.where(printed > 0, 0.3, grey)
    scan = _toned(np.clip(grey, 0, 1)).astype(np.float32)
    # Dirt lies on the print: near black, neutral.
    scan[dirt > 0] = 12.0
    found = detect_dust(scan.astype(np.uint8))
    assert (found & (dirt > 0)).sum() >= 0.8 * (dirt > 0).sum()
    assert (found & (printed > 0)).sum() <= 0.2 * (printed > 0).sum()
