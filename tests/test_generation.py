"""Text-to-image: a tiny, randomly initialised Stable Diffusion pipeline built here from configs.

No weights can be downloaded, so the pipeline is real diffusers code with small random
networks; it tests loading, settings, determinism and errors, not picture quality.
"""

from __future__ import annotations

import json
import shutil
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from retouch.cli import main
from retouch.errors import InputError
from retouch.generation import generate

SIZE = 64
NEEDS_EXTRA = "needs the generate extra: pip install 'retouch[generate]'"
WORDS = ("a", "red", "blue", "cat", "dog", "photo", "of", "the", "sky")


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image).astype(np.int16)


def write_clip_vocabulary(folder: Path) -> None:
    """A byte-pair vocabulary in CLIP's files: single letters plus merges that build WORDS."""
    tokens = ["<|startoftext|>", "<|endoftext|>"]
    tokens += [*string.ascii_lowercase, *(c + "</w>" for c in string.ascii_lowercase)]
    merges = []
    for word in WORDS:
        parts = [*word[:-1], word[-1] + "</w>"]
        while len(parts) > 1:
            merges.append(f"{parts[0]} {parts[1]}")
            parts = [parts[0] + parts[1], *parts[2:]]
            tokens.append(parts[0])
    folder.mkdir(parents=True)
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(dict.fromkeys(tokens))}))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(dict.fromkeys(merges)) + "\n")


def tiny_pipeline(folder: Path, *, with_safety_checker: bool = False) -> Path:
    """Build a small Stable Diffusion pipeline with random weights and save it to ``folder``."""
    torch = pytest.importorskip("torch", reason=NEEDS_EXTRA)
    diffusers = pytest.importorskip("diffusers", reason=NEEDS_EXTRA)
    transformers = pytest.importorskip("transformers", reason=NEEDS_EXTRA)

    write_clip_vocabulary(folder / "vocab")
    tokenizer = transformers.CLIPTokenizer.from_pretrained(folder / "vocab", model_max_length=16)
    torch.manual_seed(0)
    text_config = transformers.CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=37,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=16,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    unet = diffusers.UNet2DConditionModel(
        sample_size=SIZE // 4,
        block_out_channels=(16, 32),
        layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=4,
        norm_num_groups=8,
    )
    # Two VAE levels downsample by 2, not 8; diffusers reads the factor from the VAE's config.
    vae = diffusers.AutoencoderKL(
        block_out_channels=(8, 16),
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        latent_channels=4,
        norm_num_groups=8,
    )
    scheduler = diffusers.DDIMScheduler(
        beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012, clip_sample=False, steps_offset=1
    )
    safety = {"safety_checker": None, "feature_extractor": None, "requires_safety_checker": False}
    if with_safety_checker:
        from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker

        vision = {"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 1}
        vision |= {"num_attention_heads": 4, "image_size": 32, "patch_size": 8}
        clip = transformers.CLIPConfig(
            text_config=text_config.to_dict(), vision_config=vision, projection_dim=16
        )
        safety = {
            "safety_checker": StableDiffusionSafetyChecker(clip),
            "feature_extractor": transformers.CLIPImageProcessor(size={"shortest_edge": 32}, crop_size=32),
            "requires_safety_checker": True,
        }
    pipeline = diffusers.StableDiffusionPipeline(
        vae=vae,
        text_encoder=transformers.CLIPTextModel(text_config),
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        **safety,
    )
    pipeline.save_pretrained(folder / "pipeline")
    return folder / "pipeline"


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Iterator[Path]:
    torch = pytest.importorskip("torch", reason=NEEDS_EXTRA)
    # On tensors this small, handing work between threads costs more than the arithmetic.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield tiny_pipeline(tmp_path_factory.mktemp("tiny-sd"))
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def cat(model) -> Image.Image:
    return generate("a red cat", model=model, width=SIZE, height=SIZE, steps=2, seed=1)


def test_an_rgb_image_of_the_asked_size(cat):
    assert isinstance(cat, Image.Image) and cat.mode == "RGB" and cat.size == (SIZE, SIZE)
    array = np.asarray(cat)
    assert array.dtype == np.uint8 and array.shape == (SIZE, SIZE, 3)
    assert array.std() > 1  # a picture, not a flat fill


def test_same_seed_same_image_and_the_environment_names_the_model(monkeypatch, model, cat):
    monkeypatch.setenv("RETOUCH_DIFFUSION_MODEL", str(model))
    again = generate("a red cat", width=SIZE, height=SIZE, steps=2, seed=1)
    assert np.array_equal(np.asarray(again), np.asarray(cat))


@pytest.mark.parametrize(
    ("prompt", "seed", "negative"),
    [("a red cat", 2, None), ("a blue dog", 1, None), ("a red cat", 1, "the sky")],
    ids=["seed", "prompt", "negative prompt"],
)
def test_another_seed_prompt_or_negative_prompt_gives_another_image(model, cat, prompt, seed, negative):
    other = generate(
        prompt, model=model, width=SIZE, height=SIZE, steps=2, seed=seed, negative_prompt=negative
    )
    assert np.abs(pixels(other) - pixels(cat)).mean() > 0.5


def test_the_cli_writes_the_image_the_api_makes(capsys, tmp_path, model, cat):
    out = tmp_path / "cat.png"
    args = ("--model", model, "--width", SIZE, "--height", SIZE, "--steps", 2, "--seed", 1)
    code, stdout, err = run(capsys, "generate", "a red cat", "-o", out, *args)
    assert code == 0, err
    assert f"Wrote {out}: {SIZE}x{SIZE}, 2 steps, seed 1" in stdout
    assert np.array_equal(np.asarray(Image.open(out)), np.asarray(cat))


def test_progress_is_reported_after_each_step(model):
    calls = []
    generate("a cat", model=model, width=SIZE, height=SIZE, steps=2, progress=lambda *a: calls.append(a))
    assert calls == [(1, 2, "denoising"), (2, 2, "denoising")]


def test_a_hub_id_is_found_in_the_local_cache_only(monkeypatch, tmp_path, model, cat):
    cache = tmp_path / "hub"
    snapshot = cache / "models--someone--tiny-sd" / "snapshots" / "0123abc"
    shutil.copytree(model, snapshot)
    (cache / "models--someone--tiny-sd" / "refs").mkdir()
    (cache / "models--someone--tiny-sd" / "refs" / "main").write_text("0123abc")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    image = generate("a red cat", model="someone/tiny-sd", width=SIZE, height=SIZE, steps=2, seed=1)
    assert np.array_equal(np.asarray(image), np.asarray(cat))
    with pytest.raises(InputError, match="no model of that name in the local Hugging Face cache"):
        generate("a red cat", model="someone/not-downloaded")


def test_a_safety_checker_in_the_folder_is_kept(tmp_path):
    from retouch.generation import _pipeline

    folder = tiny_pipeline(tmp_path, with_safety_checker=True)
    assert type(_pipeline(str(folder)).safety_checker).__name__ == "StableDiffusionSafetyChecker"


def test_a_safety_checker_named_but_missing_is_left_out(tmp_path, model):
    from retouch.generation import _pipeline

    folder = tmp_path / "pruned"
    shutil.copytree(model, folder)
    index = json.loads((folder / "model_index.json").read_text())
    index["safety_checker"] = ["stable_diffusion", "StableDiffusionSafetyChecker"]
    index["feature_extractor"] = ["transformers", "CLIPImageProcessor"]
    (folder / "model_index.json").write_text(json.dumps(index))
    assert _pipeline(str(folder)).safety_checker is None


def test_a_pipeline_that_is_not_text_to_image_is_refused(tmp_path):
    diffusers = pytest.importorskip("diffusers", reason=NEEDS_EXTRA)
    unet = diffusers.UNet2DModel(
        sample_size=8,
        block_out_channels=(8, 16),
        layers_per_block=1,
        norm_num_groups=8,
        down_block_types=("DownBlock2D",) * 2,
        up_block_types=("UpBlock2D",) * 2,
    )
    diffusers.DDPMPipeline(unet=unet, scheduler=diffusers.DDPMScheduler()).save_pretrained(tmp_path)
    with pytest.raises(InputError, match="DDPMPipeline is not a text-to-image pipeline"):
        generate("a cat", model=tmp_path)


# Error paths below need neither torch nor diffusers.


def test_no_model_configured_says_how_to_set_one(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("RETOUCH_DIFFUSION_MODEL", raising=False)
    with pytest.raises(InputError, match=r"RETOUCH_DIFFUSION_MODEL=/path/to/model .*--model"):
        generate("a cat")
    code, _, err = run(capsys, "generate", "a cat", "-o", tmp_path / "out.png")
    assert code == 2 and "no text-to-image model configured" in err
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "not a diffusers pipeline folder"),
        ("missing", "no such folder"),
        ("model.safetensors", "is a file"),
    ],
    ids=["folder without model_index.json", "missing folder", "single file"],
)
def test_a_model_that_is_not_a_pipeline_folder_is_refused(capsys, tmp_path, name, message):
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    target = tmp_path / name
    with pytest.raises(InputError, match=message):
        generate("a cat", model=target)
    code, _, err = run(capsys, "generate", "a cat", "--model", target, "-o", tmp_path / "out.png")
    assert code == 2 and message in err


def test_missing_packages_say_which_extra_to_install(monkeypatch, capsys, tmp_path):
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionPipeline"}))
    monkeypatch.setitem(sys.modules, "diffusers", None)  # makes `import diffusers` raise ImportError
    with pytest.raises(InputError, match=r"pip install 'retouch\[generate\]'"):
        generate("a cat", model=tmp_path)
    code, _, err = run(capsys, "generate", "a cat", "--model", tmp_path, "-o", tmp_path / "out.png")
    assert code == 2 and "torch and diffusers" in err


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"width": 60}, "width 60 must be a multiple of 8"),
        ({"height": 0}, "height 0 must be a multiple of 8"),
        ({"steps": 0}, "steps 0"),
        ({"guidance": -1.0}, "guidance -1.0"),
        ({"seed": -1}, "seed -1"),
    ],
)
def test_bad_settings_are_refused_before_any_loading(settings, message):
    with pytest.raises(InputError, match=message):
        generate("a cat", model="/nowhere", **settings)
    with pytest.raises(InputError, match="prompt is empty"):
        generate("  ", model="/nowhere")


def test_the_cli_refuses_an_output_it_cannot_write_before_generating(capsys, tmp_path):
    code, _, err = run(capsys, "generate", "a cat", "--model", tmp_path, "-o", tmp_path / "no" / "x.png")
    assert code == 2 and "does not exist" in err
    code, _, err = run(capsys, "generate", "a cat", "--model", tmp_path, "-o", tmp_path / "x.txt")
    assert code == 2 and "unknown image extension" in err


def test_importing_retouch_loads_no_torch():
    code = (
        "import sys, retouch; retouch.generate; "
        "assert not {'torch', 'diffusers', 'transformers'} & set(sys.modules), 'heavy import'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
