"""The command line: exit codes, messages, and never touching the input."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import png_bytes, png_from_chunks
from PIL import Image
from skimage import data

from retouch.cli import main

EXAMPLE_PLAN = Path(__file__).resolve().parents[1] / "examples" / "vivid.json"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def photo(tmp_path) -> Path:
    path = tmp_path / "photo.jpg"
    Image.fromarray(data.chelsea()[::2, ::2]).save(path, quality=90)
    return path


@pytest.fixture
def plan_file(tmp_path) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"steps": [{"op": "brightness", "amount": 0.2}, {"op": "sharpen"}]}))
    return path


def test_apply_writes_the_result_and_prints_the_plan(capsys, tmp_path, photo, plan_file):
    before = digest(photo)
    code, out, err = run(
        capsys, "apply", photo, plan_file, "-o", tmp_path / "out.png", "--report", tmp_path / "r.json"
    )
    assert code == 0, err
    assert "1. brightness +0.20" in out and "2. sharpen +0.60" in out
    assert np.asarray(Image.open(tmp_path / "out.png")).mean() > np.asarray(Image.open(photo)).mean()
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["after"]["mean_luminance"] > report["before"]["mean_luminance"]
    assert digest(photo) == before


def test_the_readme_example_runs_on_a_packaged_sample(capsys, tmp_path):
    code, out, err = run(
        capsys, "apply", "sample:astronaut", EXAMPLE_PLAN, "-o", tmp_path / "a.jpg", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["report"]["output"]["width"] == 512
    assert Image.open(tmp_path / "a.jpg").size == (512, 512)


def test_output_equal_to_input_is_refused_unless_in_place(capsys, photo, plan_file):
    before = digest(photo)
    code, _, err = run(capsys, "apply", photo, plan_file, "-o", photo)
    assert code == 2 and "refusing to overwrite the input" in err
    assert digest(photo) == before
    code, _, err = run(capsys, "apply", photo, plan_file, "--in-place")
    assert code == 0, err
    assert digest(photo.with_name("photo.orig.jpg")) == before
    assert digest(photo) != before


def huge_png_header() -> bytes:
    """A PNG whose header claims 50 000 x 50 000 pixels, with almost no data."""
    small = png_bytes(np.zeros((1, 1), np.uint8))
    ihdr = (50000).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    return png_from_chunks([(b"IHDR", ihdr), (b"IDAT", small[-24:-12]), (b"IEND", b"")])


def truncated_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buffer, "JPEG")
    return buffer.getvalue()[:5000]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.jpg", b"", "empty"),
        ("truncated.jpg", truncated_jpeg(), "truncated"),
        ("notes.jpg", b"these are my holiday notes\n" * 20, "not an image"),
        ("huge.png", huge_png_header(), "exceeds the 200 MP limit"),
    ],
)
def test_bad_images_exit_2_with_one_line_and_stay_untouched(
    capsys, tmp_path, plan_file, name, content, message
):
    path = tmp_path / name
    path.write_bytes(content)
    before = digest(path)
    code, _, err = run(capsys, "apply", path, plan_file, "-o", tmp_path / "out.png")
    assert code == 2
    assert message in err and name in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert digest(path) == before
    assert not (tmp_path / "out.png").exists()


def odd_inputs(tmp_path: Path) -> dict[str, Path]:
    rgb = data.astronaut()[::4, ::4]
    files = {}
    cmyk = tmp_path / "cmyk.jpg"
    Image.fromarray(rgb).convert("CMYK").save(cmyk)
    files["cmyk"] = cmyk
    palette = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    palette.info["transparency"] = 0
    palette.save(tmp_path / "palette.png", transparency=0)
    files["palette"] = tmp_path / "palette.png"
    grey16 = tmp_path / "grey16.tif"
    Image.fromarray(data.camera()[::4, ::4].astype(np.uint16) * 257).save(grey16)
    files["grey16"] = grey16
    rotated = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(rgb[:, :100]).save(rotated, exif=exif)
    files["rotated"] = rotated
    return files


def test_odd_but_valid_inputs_give_correct_results(capsys, tmp_path, plan_file):
    files = odd_inputs(tmp_path)
    digests = {k: digest(p) for k, p in files.items()}
    for kind, path in files.items():
        suffix = ".tif" if kind == "grey16" else ".png"
        out = tmp_path / f"{kind}-out{suffix}"
        code, _, err = run(capsys, "apply", path, plan_file, "-o", out)
        assert code == 0, (kind, err)
        result = Image.open(out)
        if kind == "palette":
            assert result.mode == "RGBA" and np.asarray(result)[..., 3].min() == 0
        if kind == "grey16":
            assert result.mode.startswith("I;16")
        if kind == "rotated":
            assert result.size == (128, 100)
    assert {k: digest(p) for k, p in files.items()} == digests


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ({"steps": [{"op": "teleport"}]}, "unknown op 'teleport'"),
        ({"steps": [{"op": "saturation", "amount": 3}]}, "amount 3 is out of range [-1, 1]"),
        ({"steps": [{"op": "blur", "region": "mask:no-such-mask.png"}]}, "no-such-mask.png"),
    ],
)
def test_bad_plans_exit_2(capsys, tmp_path, photo, plan, message):
    plan_path = tmp_path / "bad.json"
    plan_path.write_text(json.dumps(plan))
    before = digest(photo)
    code, _, err = run(capsys, "apply", photo, plan_path, "-o", tmp_path / "out.png")
    assert code == 2 and message in err, err
    assert digest(photo) == before


def test_ops_info_and_schema(capsys, photo):
    code, out, _ = run(capsys, "ops", "--json")
    assert code == 0 and {"brightness", "stylize", "rotate"} <= {op["name"] for op in json.loads(out)}
    code, out, _ = run(capsys, "info", photo, "--json")
    info = json.loads(out)
    assert code == 0 and (info["width"], info["height"]) == (226, 150)
    assert set(info["measurements"]) >= {"noise_sigma", "sharpness"}
    code, out, _ = run(capsys, "plan", "--schema")
    assert code == 0 and json.loads(out)["title"] == "Retouch plan"


def test_usage_errors_exit_2_and_help_works(capsys):
    assert run(capsys, "apply")[0] == 2
    assert run(capsys, "frobnicate")[0] == 2
    for command in ("apply", "ops", "info", "plan"):
        code, out, _ = run(capsys, command, "--help")
        assert code == 0 and "Usage" in out


def test_console_script_entry_point(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "retouch.cli", "info", "sample:camera"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and "512" in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "retouch.cli", "info", str(tmp_path / "nothing.png")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and proc.stderr.startswith("error:") and "Traceback" not in proc.stderr
