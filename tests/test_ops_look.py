"""Look ops: vignette and stylize."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from skimage import data

from retouch.colorspace import luma
from retouch.ops.look import stylize, vignette, vignette_falloff
from retouch.ops.registry import PIXEL, get_spec

STYLES = get_spec("stylize").param_index["style"].choices


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return data.astronaut().astype(np.float32) / 255


@pytest.fixture(scope="module")
def chelsea() -> np.ndarray:
    return data.chelsea().astype(np.float32) / 255


@pytest.fixture(scope="module")
def coffee() -> np.ndarray:
    return data.coffee().astype(np.float32) / 255


@pytest.fixture(scope="module")
def styled(astronaut: np.ndarray, chelsea: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
    """Every style on two photos, computed once for the module."""
    return {
        (name, style): stylize(image, 1.0, style=style)
        for name, image in (("astronaut", astronaut), ("chelsea", chelsea))
        for style in STYLES
    }


def band_energy(image: np.ndarray, sigma: float) -> float:
    """Variance of the detail between Gaussian scales ``sigma`` and ``2 * sigma`` of the grey image."""
    grey = np.ascontiguousarray(image.mean(axis=2))
    fine = cv2.GaussianBlur(grey, (0, 0), sigma)
    coarse = cv2.GaussianBlur(grey, (0, 0), 2 * sigma)
    return float(np.var(fine - coarse))


def unique_colours(image: np.ndarray) -> int:
    q = np.rint(image * 255).astype(np.int64).reshape(-1, 3)
    return len(np.unique((q[:, 0] << 16) | (q[:, 1] << 8) | q[:, 2]))


@pytest.mark.parametrize("name", ["vignette", "stylize"])
def test_specs(name: str) -> None:
    spec = get_spec(name)
    assert spec.kind == PIXEL and spec.family == "look"
    assert 8 <= len(spec.examples) <= 15
    assert spec.amount is not None and spec.amount.neutral == 0.0
    assert spec.color == (name == "stylize")


def test_styles_on_offer() -> None:
    assert {"pencil", "cartoon", "oil", "watercolor"} <= set(STYLES)


# ----------------------------------------------------------------------------- vignette


def test_vignette_neutral_is_identity(coffee: np.ndarray) -> None:
    out = vignette(coffee, 0.0)
    np.testing.assert_array_equal(out, coffee)
    assert out is not coffee


def test_vignette_darkens_corners_and_keeps_centre(chelsea: np.ndarray) -> None:
    before = chelsea.copy()
    out = vignette(chelsea, -0.5)
    np.testing.assert_array_equal(chelsea, before)
    assert out.dtype == np.float32 and out.shape == chelsea.shape
    h, w = chelsea.shape[:2]
    centre = (slice(h // 2 - 30, h // 2 + 30), slice(w // 2 - 45, w // 2 + 45))
    np.testing.assert_allclose(out[centre], chelsea[centre], atol=1e-5)
    corner = (slice(0, 30), slice(0, 45))
    assert out[corner].mean() < 0.8 * chelsea[corner].mean()
    # Hue is kept: the corner's channel ratios barely move.
    ratio_in = chelsea[corner].mean(axis=(0, 1)) / chelsea[corner].mean()
    ratio_out = out[corner].mean(axis=(0, 1)) / out[corner].mean()
    assert np.abs(ratio_in - ratio_out).max() < 0.05


def test_vignette_is_monotonic(coffee: np.ndarray) -> None:
    corner = (slice(0, 40), slice(0, 60))
    means = [float(vignette(coffee, a)[corner].mean()) for a in (-1.0, -0.6, -0.3, 0.0, 0.3, 0.6, 1.0)]
    assert all(a < b for a, b in itertools.pairwise(means))
    assert means[0] < 0.1 * float(coffee[corner].mean()) + 0.02
    assert means[-1] > 0.9


def test_vignette_shape_params() -> None:
    shape = (300, 600)
    base = vignette_falloff(shape)
    assert base.dtype == np.float32 and base.min() >= 0 and base.max() <= 1
    assert base[150, 300] == 0 and base[0, 0] > 0.99
    # Elliptical to the frame: the middles of the long and short edges get the same weight.
    assert abs(base[150, 0] - base[0, 300]) < 0.02
    # A higher midpoint confines the effect to the corners; less feather makes the ramp steeper.
    assert vignette_falloff(shape, midpoint=0.9)[150, 0] < base[150, 0]
    hard = vignette_falloff(shape, feather=0.0)
    assert np.mean((hard > 0.05) & (hard < 0.95)) < np.mean((base > 0.05) & (base < 0.95))
    # Round: a circle, so the short-edge middles are reached later than on the frame-shaped ellipse.
    round_ = vignette_falloff(shape, roundness=1.0)
    assert round_[150, 0] > round_[0, 300]
    # Rectangular: the edge middles darken more than with the ellipse.
    assert vignette_falloff(shape, roundness=-1.0)[150, 0] > base[150, 0]


def test_vignette_on_grey_image() -> None:
    camera = data.camera().astype(np.float32)[..., None] / 255
    out = vignette(camera, -0.4)
    assert out.shape == camera.shape and out[:20, :20].mean() < camera[:20, :20].mean()


# ----------------------------------------------------------------------------- stylize


@pytest.mark.parametrize("style", STYLES)
def test_stylize_neutral_is_identity(astronaut: np.ndarray, style: str) -> None:
    out = stylize(astronaut, 0.0, style=style)
    np.testing.assert_array_equal(out, astronaut)
    assert out is not astronaut


@pytest.mark.parametrize("style", STYLES)
def test_stylize_output_contract(
    astronaut: np.ndarray, styled: dict[tuple[str, str], np.ndarray], style: str
) -> None:
    before = astronaut.copy()
    half = stylize(astronaut, 0.5, style=style)
    np.testing.assert_array_equal(astronaut, before)
    full = styled["astronaut", style]
    for out in (half, full):
        assert out.shape == astronaut.shape and out.dtype == np.float32
        assert out.min() >= 0.0 and out.max() <= 1.0 and np.isfinite(out).all()
    # Deterministic, and the amount blends toward the full style.
    np.testing.assert_array_equal(stylize(astronaut, 1.0, style=style), full)
    np.testing.assert_allclose(half, 0.5 * (astronaut + full), atol=1e-5)
    assert np.abs(full - astronaut).mean() > 0.03


def test_pencil_is_grey_and_mostly_light(styled: dict[tuple[str, str], np.ndarray]) -> None:
    for name in ("astronaut", "chelsea"):
        out = styled[name, "pencil"]
        assert (out.max(axis=2) - out.min(axis=2)).max() <= 0.05
        grey = luma(out)
        assert np.median(grey) > 0.7
        # Lines are really drawn: a good share of dark graphite, not a washed-out page.
        assert np.mean(grey < 0.5) > 0.02


def test_color_pencil_keeps_colour_and_lightens(
    astronaut: np.ndarray, styled: dict[tuple[str, str], np.ndarray]
) -> None:
    out = styled["astronaut", "color_pencil"]
    pencil = styled["astronaut", "pencil"]
    chroma = (out.max(axis=2) - out.min(axis=2)).mean()
    assert chroma > 0.1 > (pencil.max(axis=2) - pencil.min(axis=2)).mean()
    assert np.median(luma(out)) > np.median(luma(astronaut))


def test_cartoon_flattens_colours(
    astronaut: np.ndarray, chelsea: np.ndarray, styled: dict[tuple[str, str], np.ndarray]
) -> None:
    for name, image in (("astronaut", astronaut), ("chelsea", chelsea)):
        out = styled[name, "cartoon"]
        assert unique_colours(out) < 0.35 * unique_colours(image)
        # Bold outlines: a visible share of near-black ink.
        assert np.mean(luma(out) < 0.08) > np.mean(luma(image) < 0.08)


def test_oil_smooths_noise_and_keeps_strong_edges() -> None:
    rng = np.random.default_rng(0)
    step = np.full((300, 400, 3), 0.25, np.float32)
    step[:, 200:] = 0.75
    noisy = np.clip(step + rng.normal(0, 0.05, step.shape).astype(np.float32), 0, 1)
    out = stylize(noisy, 1.0, style="oil")
    flat = (slice(40, 260), slice(30, 170))
    assert out[flat].std() < 0.6 * noisy[flat].std()
    assert abs(out[:, 20:180].mean() - 0.25) < 0.02 and abs(out[:, 220:380].mean() - 0.75) < 0.02
    # The edge stays a step: across it, the profile rises from the dark to the bright level within a few px.
    profile = out[40:260].mean(axis=(0, 2))
    assert profile[196] < 0.35 and profile[204] > 0.65


def test_oil_simplifies_photos(chelsea: np.ndarray, styled: dict[tuple[str, str], np.ndarray]) -> None:
    # Fine fur detail gives way to paint patches; painted strokes may add texture at the finest scale.
    assert band_energy(styled["chelsea", "oil"], 2.0) < band_energy(chelsea, 2.0)
    assert (styled["chelsea", "oil"].max(axis=2) - styled["chelsea", "oil"].min(axis=2)).mean() > (
        chelsea.max(axis=2) - chelsea.min(axis=2)
    ).mean()


def test_watercolor_is_smoother_and_lighter(
    astronaut: np.ndarray, chelsea: np.ndarray, coffee: np.ndarray, styled: dict[tuple[str, str], np.ndarray]
) -> None:
    outputs = {"astronaut": styled["astronaut", "watercolor"], "chelsea": styled["chelsea", "watercolor"]}
    outputs["coffee"] = stylize(coffee, 1.0, style="watercolor")
    for name, image in (("astronaut", astronaut), ("chelsea", chelsea), ("coffee", coffee)):
        out = outputs[name]
        for sigma in (1.0, 2.0):
            assert band_energy(out, sigma) < 0.8 * band_energy(image, sigma)
        assert luma(out).mean() > luma(image).mean()


def test_styles_look_the_same_at_any_size(astronaut: np.ndarray) -> None:
    # Radii follow the image size: a style on a 2x upscale, shrunk back, resembles the style on the original.
    big = np.clip(cv2.resize(astronaut, (1024, 1024), interpolation=cv2.INTER_CUBIC), 0, 1)
    for style in ("pencil", "watercolor"):
        small_style = stylize(astronaut, 1.0, style=style)
        big_style = cv2.resize(stylize(big, 1.0, style=style), (512, 512), interpolation=cv2.INTER_AREA)
        assert abs(luma(big_style).mean() - luma(small_style).mean()) < 0.03
        assert np.abs(cv2.GaussianBlur(big_style - small_style, (0, 0), 4)).mean() < 0.05


def test_stylize_rejects_unknown_style(astronaut: np.ndarray) -> None:
    with pytest.raises(ValueError, match="style"):
        stylize(astronaut, 1.0, style="cubism")


def test_grain_is_deterministic_and_spares_blacks_and_whites():
    from retouch.ops.look import grain

    ramp = np.tile(np.linspace(0, 1, 256, dtype=np.float32), (64, 1))
    image = np.repeat(ramp[..., None], 3, axis=2)
    out = grain(image, 0.8)
    assert np.array_equal(out, grain(image, 0.8))
    added = out - image
    assert added[:, 120:136].std() > 0.03
    assert np.abs(added[:, :2]).max() < 0.01 and np.abs(added[:, -2:]).max() < 0.01
    assert np.allclose(added[..., 0], added[..., 2])


def test_grain_planned_from_words():
    import retouch

    assert [s.op for s in retouch.plan("add some film grain").steps] == ["grain"]
    assert [s.op for s in retouch.plan("reduce the grain").steps] == ["denoise"]
