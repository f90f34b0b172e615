"""auto_enhance: each degradation is repaired, good photos are left alone, the loop reports itself."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data
from skimage.color import rgb2lab
from skimage.metrics import peak_signal_noise_ratio

import retouch
from retouch.analyze import to_float
from retouch.cli import main
from retouch.ops import tone
from retouch.ops.registry import MACRO, get_spec

BENCH = Path(__file__).resolve().parents[1] / "bench" / "auto_enhance.py"


def load_bench():
    """The benchmark module, whose degradations the tests reuse."""
    spec = importlib.util.spec_from_file_location("bench_auto_enhance", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = load_bench()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(peak_signal_noise_ratio(a, b, data_range=255))


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return np.ascontiguousarray(data.astronaut()[::2, ::2])


@pytest.fixture(scope="module")
def dark(astronaut) -> np.ndarray:
    return bench.degrade(astronaut, "under")


@pytest.fixture(scope="module")
def dark_result(dark):
    return retouch.auto_enhance(dark)


def test_auto_enhance_is_a_macro_op():
    spec = get_spec("auto_enhance")
    assert spec.kind == MACRO and spec.amount.neutral == 0 and spec.amount.default == 1


@pytest.fixture(scope="module")
def restored(astronaut) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each degradation of the astronaut, and what auto_enhance makes of it."""
    out = {}
    for kind in bench.DEGRADATIONS:
        degraded = bench.degrade(astronaut, kind)
        out[kind] = degraded, retouch.auto_enhance(degraded).array
    return out


@pytest.mark.parametrize("kind", sorted(bench.DEGRADATIONS))
def test_each_degradation_is_improved(astronaut, restored, kind):
    degraded, result = restored[kind]
    assert psnr(astronaut, result) > psnr(astronaut, degraded) + 3.0


def face_lab(image: np.ndarray) -> np.ndarray:
    """Mean CIE Lab of the astronaut's face (cheeks, nose and mouth) in the half-size photo."""
    return rgb2lab(image[35:70, 100:135]).reshape(-1, 3).mean(axis=0)


@pytest.mark.parametrize("kind", sorted(bench.DEGRADATIONS))
def test_skin_tones_move_back_towards_the_original(astronaut, restored, kind):
    degraded, result = restored[kind]
    original, before, after = face_lab(astronaut), face_lab(degraded), face_lab(result)
    # Noise leaves the mean colour of the face where it was; then it must stay there.
    assert np.linalg.norm(after - original) < max(np.linalg.norm(before - original), 1.5)
    if kind != "haze":  # a hazy face is grey: its hue means little
        hue = np.degrees(np.arctan2(after[2], after[1]) - np.arctan2(original[2], original[1]))
        assert abs(hue) < 12


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "rocket"])
def test_a_good_photo_comes_back_nearly_unchanged(name):
    photo = getattr(data, name)()
    result = retouch.auto_enhance(photo)
    assert result.array.dtype == photo.dtype and result.array.shape == photo.shape
    assert np.array_equal(result.array, photo) or psnr(photo, result.array) >= 35
    assert result.report["stopped"]


def test_rounds_report_plans_measurements_and_why_they_stopped(dark_result):
    rounds = dark_result.report["rounds"]
    assert rounds and dark_result.report["stopped"]
    first = rounds[0]
    assert first["round"] == 1 and first["kept"]
    assert first["plan"] and all(step["why"] for step in first["decisions"])
    assert first["before"]["white_point"] < first["after"]["white_point"]
    assert "white_point" in first["out_of_target_before"]
    assert first["out_of_target_after"] == {} or first["improvement"] > 0
    ops = [step["op"] for step in dark_result.plan.to_dict()["steps"]]
    assert ops and "auto_enhance" not in ops  # the plan is the concrete steps that ran


def test_the_plan_replays_to_the_same_output(dark, dark_result):
    replayed = retouch.apply(dark, dark_result.plan.to_dict()).array
    assert np.abs(replayed.astype(int) - dark_result.array.astype(int)).max() <= 1


@pytest.fixture(scope="module")
def blown_sky(astronaut) -> tuple[np.ndarray, slice]:
    """The astronaut below a blown (white) sky, in tungsten light clipped at white; and the sky rows."""
    rows = astronaut.shape[0] // 3
    scene = np.concatenate([np.full((rows, *astronaut.shape[1:]), 255, np.uint8), astronaut])
    return bench.relight(scene, bench.TUNGSTEN_XY), slice(0, rows)


def test_a_blown_sky_in_tungsten_light_comes_back_neutral_not_cyan(blown_sky):
    cast, sky = blown_sky
    result = retouch.auto_enhance(cast)
    red, green, blue = result.array[sky].reshape(-1, 3).mean(axis=0)
    # Luminance-keeping gains alone pulled the clipped red channel some 40 levels under green.
    assert red >= green - 2 and red >= blue
    a_before, b_before = rgb2lab(cast[sky]).reshape(-1, 3).mean(axis=0)[1:]
    a_after, b_after = rgb2lab(result.array[sky]).reshape(-1, 3).mean(axis=0)[1:]
    assert np.hypot(a_after, b_after) < 0.4 * np.hypot(a_before, b_before)
    assert a_after > a_before - 1  # not pushed towards green


def test_the_plan_records_the_measured_white_balance_gains(blown_sky, astronaut):
    result = retouch.auto_enhance(blown_sky[0])
    balance = next(step for step in result.plan.to_dict()["steps"] if step["op"] == "white_balance")
    red, green, blue = balance["params"]["gains"]
    assert blue > green > red  # tungsten light is short of blue
    # Replayed on another photo, the step applies those gains, not a new estimate of that photo.
    other = bench.relight(astronaut, bench.FLUORESCENT_XY)
    replayed = retouch.apply(other, {"steps": [balance]}).array
    estimated = retouch.apply(other, {"steps": [{**balance, "params": {}}]}).array
    expected = tone.white_balance(to_float(other), balance["amount"], gains=balance["params"]["gains"])
    assert np.abs(replayed.astype(int) - np.rint(expected * 255).astype(int)).max() <= 1
    assert np.abs(replayed.astype(int) - estimated.astype(int)).max() > 5


def test_the_macro_step_reports_its_expansion(dark):
    result = retouch.apply(dark, {"steps": [{"op": "auto_enhance"}]})
    macro = result.report["steps"][0]
    assert macro["op"] == "auto_enhance" and macro["expanded"]
    assert macro["details"]["rounds"] and macro["details"]["stopped"]
    assert all(record.get("macro") == 1 for record in result.report["steps"][1:])


def test_strength_scales_the_correction(dark, dark_result):
    none = retouch.auto_enhance(dark, strength=0.0)
    assert np.array_equal(none.array, dark) and len(none.plan) == 0
    half = retouch.auto_enhance(dark, strength=0.5).array.astype(float)
    full = dark_result.array.astype(float)
    assert dark.mean() < half.mean() < full.mean()


def test_noise_is_decided_at_full_resolution():
    # 24 MP would be slow here; 4 MP is enough for the proxy to be 2x smaller than the photo.
    large = np.asarray(Image.fromarray(data.coffee()).resize((2400, 1600), Image.Resampling.BICUBIC))
    noisy = bench.add_noise(large, np.random.default_rng(0), sigma=8)
    expansion = get_spec("auto_enhance").func(to_float(noisy), 1.0)
    denoise = [step for step in expansion.steps if step.op == "denoise"]
    assert expansion.details["proxy"]["scale"] > 1.9
    assert len(denoise) == 1 and denoise[0].params["sigma"] == pytest.approx(8, rel=0.15)


def test_grey_and_16_bit_photos_are_handled(astronaut):
    grey = bench.degrade(astronaut, "low_contrast")[..., 1]
    out = retouch.auto_enhance(grey).array
    assert out.shape == grey.shape and out.std() > grey.std() * 2
    sixteen = bench.degrade(astronaut, "under").astype(np.uint16) * 257
    out16 = retouch.auto_enhance(sixteen).array
    assert out16.dtype == np.uint16 and out16.mean() > sixteen.mean() * 1.2


def test_denoise_improves_psnr_on_a_noisy_photo():
    photo = data.chelsea()
    noisy = bench.add_noise(photo, np.random.default_rng(1))
    clean = retouch.denoise(noisy)
    assert clean.dtype == np.uint8 and clean.shape == photo.shape
    assert psnr(photo, clean) > psnr(photo, noisy) + 4
    assert retouch.estimate_noise(clean) < 3
    assert np.array_equal(retouch.denoise(noisy, amount=0.0), noisy)


def test_denoise_with_a_given_sigma_is_gentler_for_a_smaller_sigma():
    noisy = bench.add_noise(data.rocket(), np.random.default_rng(2))
    weak, strong = retouch.denoise(noisy, sigma=4), retouch.denoise(noisy, sigma=12)
    assert retouch.estimate_noise(strong) < retouch.estimate_noise(weak) < retouch.estimate_noise(noisy)


# --------------------------------------------------------------------------- CLI


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_auto_writes_the_result_and_the_report(capsys, tmp_path, dark):
    source = tmp_path / "dark.png"
    Image.fromarray(dark).save(source)
    before = digest(source)
    code, out, err = run(capsys, "auto", source, "-o", tmp_path / "out.png", "--report", tmp_path / "r.json")
    assert code == 0, err
    assert "Round 1" in out and "Stopped:" in out and "levels" in out
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["rounds"] and report["stopped"]
    assert np.asarray(Image.open(tmp_path / "out.png")).mean() > dark.mean() * 1.2
    assert digest(source) == before


def test_cli_auto_refuses_to_overwrite_its_input(capsys, tmp_path, dark):
    source = tmp_path / "dark.png"
    Image.fromarray(dark).save(source)
    before = digest(source)
    code, _, err = run(capsys, "auto", source, "-o", source)
    assert code == 2 and "refusing to overwrite" in err
    assert digest(source) == before
    code, _, _ = run(capsys, "auto", source)
    assert code == 2
