"""Every registered op keeps the registry's promises, run through the engine."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PIL import Image
from skimage import data

import retouch
from retouch.analyze import measure
from retouch.ops.registry import GEOMETRY, all_specs, get_spec

SPECS = all_specs()
CANONICAL = (
    "brightness",
    "contrast",
    "shadows",
    "highlights",
    "local_contrast",
    "dehaze",
    "white_balance",
    "temperature",
    "tint",
    "saturation",
    "vibrance",
    "hue",
    "grayscale",
    "sepia",
    "color_transfer",
    "sharpen",
    "blur",
    "pixelate",
    "vignette",
    "crop",
    "resize",
    "rotate",
    "flip",
    "stylize",
)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return np.ascontiguousarray(data.coffee()[::3, ::3])


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("ref") / "reference.png"
    Image.fromarray(data.astronaut()[::4, ::4]).save(path)
    return str(path)


def required_params(name: str, reference: str) -> dict:
    return {"color_transfer": {"reference": reference}}.get(name, {})


def test_canonical_ops_are_registered():
    assert set(CANONICAL) <= {s.name for s in SPECS}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_spec_is_complete(spec):
    assert spec.description and spec.description.endswith(".")
    assert len(spec.examples) >= 5, "the planner needs example phrasings"
    assert len(set(spec.examples)) == len(spec.examples)
    if spec.amount is not None:
        assert spec.amount.minimum <= spec.amount.neutral <= spec.amount.maximum


@pytest.mark.parametrize("spec", [s for s in SPECS if s.amount is not None], ids=lambda s: s.name)
def test_neutral_amount_is_the_identity(spec, photo, reference):
    step = {"op": spec.name, "amount": spec.amount.neutral, "params": required_params(spec.name, reference)}
    out = retouch.apply(photo, {"steps": [step]}).array
    assert np.array_equal(out, photo)


def corner_luminance(image: np.ndarray) -> float:
    return float(image[:10, :10].mean() + image[-10:, -10:].mean())


MEASURES = {
    "brightness": lambda im: measure(im)["mean_luminance"],
    "exposure": lambda im: measure(im)["mean_luminance"],
    "gamma": lambda im: measure(im)["mean_luminance"],
    "shadows": lambda im: measure(im)["mean_luminance"],
    "highlights": lambda im: measure(im)["mean_luminance"],
    "contrast": lambda im: measure(im)["rms_contrast"],
    "local_contrast": lambda im: measure(im)["sharpness"],
    "saturation": lambda im: measure(im)["mean_saturation"],
    "vibrance": lambda im: measure(im)["mean_saturation"],
    "temperature": lambda im: float(im[..., 0].astype(float).mean() - im[..., 2].astype(float).mean()),
    "tint": lambda im: float(im[..., [0, 2]].astype(float).mean() - im[..., 1].astype(float).mean()),
    "sharpen": lambda im: measure(im)["sharpness"],
    "blur": lambda im: -measure(im)["sharpness"],
    "grayscale": lambda im: -measure(im)["mean_saturation"],
    "vignette": corner_luminance,
}


@pytest.mark.parametrize("name", sorted(MEASURES))
def test_amount_is_monotonic(name, photo):
    spec = get_spec(name)
    lo, hi = spec.amount.minimum, spec.amount.maximum
    amounts = np.linspace(lo, hi, 5) if lo < spec.amount.neutral else np.linspace(lo, hi, 4)
    values = [
        MEASURES[name](retouch.apply(photo, {"steps": [{"op": name, "amount": float(a)}]}).array)
        for a in amounts
    ]
    assert all(b > a for a, b in itertools.pairwise(values)), values


@pytest.mark.parametrize("spec", [s for s in SPECS if s.kind != GEOMETRY], ids=lambda s: s.name)
def test_every_pixel_op_keeps_alpha_and_dtype(spec, photo, reference):
    rgba = np.dstack([photo, np.full(photo.shape[:2], 77, np.uint8)]).astype(np.uint16) * 257
    params = {"levels": {"black": 0.1}}.get(spec.name, required_params(spec.name, reference))
    step = {"op": spec.name, "params": params}
    mask = None
    if spec.requires_region:
        mask = np.zeros(photo.shape[:2], np.uint8)
        mask[20:30, 20:30] = 255
        step["region"] = "mask"
    out = retouch.apply(rgba, {"steps": [step]}, mask=mask).array
    assert out.dtype == np.uint16 and out.shape == rgba.shape
    assert np.all(out[..., 3] == 77 * 257)
