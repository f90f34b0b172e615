"""Text-to-image: a prompt in, a new picture out, from a local diffusion model.

No diffusion weights ship in a package, so the model is the user's: a folder
written by diffusers' ``save_pretrained`` (it holds ``model_index.json``), or a
Hugging Face hub id already in the local cache (``~/.cache/huggingface/hub``).
It is given as ``model=`` / ``--model`` or by ``RETOUCH_DIFFUSION_MODEL``.
Nothing is ever downloaded. Needs the ``generate`` extra
(``pip install 'retouch[generate]'``: torch, diffusers, transformers).

The pipeline runs on the CPU in float32 and stays loaded for the next call
with the same model. The same prompt, settings and seed give the same image.
"""

from __future__ import annotations

import inspect
import json
import os
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from retouch.errors import InputError

MODEL_ENV = "RETOUCH_DIFFUSION_MODEL"
INSTALL_HINT = "pip install 'retouch[generate]'"
#: Sides are kept to multiples of this: the VAE of every Stable Diffusion model downsamples by 8.
SIDE_STEP = 8
MAX_SIDE = 4096
MAX_STEPS = 1000
_HUB_ID = re.compile(r"[\w.-]+/[\w.-]+")

Progress = Callable[[int, int, str], None]


def generate(
    prompt: str,
    *,
    model: str | os.PathLike | None = None,
    width: int = 512,
    height: int = 512,
    steps: int = 25,
    guidance: float = 7.5,
    seed: int = 0,
    negative_prompt: str | None = None,
    progress: Progress | None = None,
) -> Any:
    """Make an image from a text prompt with a local diffusers text-to-image pipeline.

    Parameters
    ----------
    prompt : str
        What the picture should show.
    model : path-like or str, optional
        A diffusers pipeline folder, or a hub id in the local Hugging Face cache;
        by default ``$RETOUCH_DIFFUSION_MODEL``.
    width, height : int, optional
        Size in pixels, multiples of 8. Stable Diffusion 1.x is trained at 512.
    steps : int, optional
        Denoising steps: more is slower and usually cleaner.
    guidance : float, optional
        Classifier-free guidance scale: how strictly to follow the prompt (1 turns it off).
    seed : int, optional
        Seeds the starting noise: the same seed and settings give the same image.
    negative_prompt : str, optional
        What the picture should not show.
    progress : callable, optional
        Called as ``progress(done, total, description)`` after each step.

    Returns
    -------
    PIL.Image.Image
        An RGB image of ``width`` x ``height``.

    Raises
    ------
    InputError
        No model configured, a folder that is not a diffusers text-to-image pipeline,
        torch/diffusers not installed, or a bad setting.

    Example
    -------
    >>> image = generate("a lighthouse at dusk", model="/models/sd-1.5", steps=20)  # doctest: +SKIP
    >>> image.save("lighthouse.png")  # doctest: +SKIP
    """
    _check_settings(prompt, width, height, steps, guidance, seed)
    folder = _resolve(_model_source(model))
    torch = _libraries()[0]
    pipeline = _pipeline(folder)
    options: dict[str, Any] = {
        "width": width,
        "height": height,
        "num_inference_steps": steps,
        "guidance_scale": guidance,
        "generator": torch.Generator(device="cpu").manual_seed(seed),
        "output_type": "pil",
    }
    if negative_prompt:
        options["negative_prompt"] = negative_prompt
    if progress is not None and "callback_on_step_end" in inspect.signature(pipeline.__call__).parameters:
        options["callback_on_step_end"] = _step_reporter(progress, steps)
    with torch.inference_mode():
        image = pipeline(prompt, **options).images[0]
    return image.convert("RGB")


def _check_settings(prompt: str, width: int, height: int, steps: int, guidance: float, seed: int) -> None:
    if not isinstance(prompt, str) or not prompt.strip():
        raise InputError("the prompt is empty: say what the picture should show")
    for name, side in (("width", width), ("height", height)):
        if not SIDE_STEP <= side <= MAX_SIDE or side % SIDE_STEP:
            raise InputError(f"{name} {side} must be a multiple of {SIDE_STEP}, {SIDE_STEP} to {MAX_SIDE}")
    if not 1 <= steps <= MAX_STEPS:
        raise InputError(f"steps {steps} must be from 1 to {MAX_STEPS}")
    if not guidance >= 0:
        raise InputError(f"guidance {guidance} must be 0 or more")
    if not 0 <= seed < 2**63:
        raise InputError(f"seed {seed} must be from 0 to 2**63 - 1")


def _model_source(model: str | os.PathLike | None) -> str:
    source = model if model is not None else os.environ.get(MODEL_ENV, "")
    if not str(source).strip():
        raise InputError(
            "no text-to-image model configured: set RETOUCH_DIFFUSION_MODEL=/path/to/model "
            "(a diffusers folder or a cached hub id) or pass --model (model= in Python)"
        )
    return os.path.expanduser(os.fspath(source))


def _libraries() -> tuple[Any, Any]:
    try:
        import diffusers
        import torch
    except ImportError:
        raise InputError(f"text-to-image needs torch and diffusers: {INSTALL_HINT}") from None
    return torch, diffusers


def _resolve(source: str) -> str:
    """Return the local pipeline folder that ``source`` (a path or a cached hub id) names."""
    path = Path(source)
    if path.is_file():
        raise InputError(
            f"{source}: is a file; give a diffusers pipeline folder (with model_index.json), as written by "
            "save_pretrained (single-file checkpoints convert with diffusers' from_single_file)"
        )
    if not path.is_dir():
        path = _cached_snapshot(source)
    if not (path / "model_index.json").is_file():
        raise InputError(f"{source}: not a diffusers pipeline folder (no model_index.json)")
    return str(path.resolve())


def hub_cache_dir() -> Path:
    """The local Hugging Face hub cache.

    ``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else ``~/.cache/huggingface/hub``.
    """
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface"
    return Path(home) / "hub"


def _cached_snapshot(source: str) -> Path:
    """The folder of a hub id already in the local cache, read from the cache layout (never a download)."""
    not_found = (
        f"{source}: no such folder, and no model of that name in the local Hugging Face cache; "
        f"Retouch never downloads weights: fetch it first (hf download {source}) or give a folder"
    )
    if not _HUB_ID.fullmatch(source):
        raise InputError(not_found)
    repo = hub_cache_dir() / ("models--" + source.replace("/", "--"))
    try:
        revision = (repo / "refs" / "main").read_text(encoding="utf-8").strip()
    except OSError:
        raise InputError(not_found) from None
    snapshot = repo / "snapshots" / revision
    if not snapshot.is_dir():
        raise InputError(not_found)
    return snapshot


@lru_cache(maxsize=1)
def _pipeline(folder: str) -> Any:
    """Load (once per folder) the pipeline in float32 on the CPU, with its per-step bar off."""
    torch, diffusers = _libraries()
    try:
        pipeline = diffusers.DiffusionPipeline.from_pretrained(
            folder, dtype=torch.float32, local_files_only=True, **_absent_safety_parts(folder)
        )
    # A user's folder can fail to load in many ways (missing weights, unknown classes, bad configs);
    # each is bad input, reported in one line rather than a traceback.
    except Exception as exc:
        raise InputError(f"{folder}: could not load the diffusers pipeline: {exc}") from None
    accepts = inspect.signature(pipeline.__call__).parameters
    # Image-to-image and inpainting pipelines take a prompt too, but an image instead of a size.
    if not {"prompt", "width", "height"} <= accepts.keys() or "image" in accepts:
        raise InputError(f"{folder}: {type(pipeline).__name__} is not a text-to-image pipeline")
    pipeline.to("cpu")
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


def _absent_safety_parts(folder: str) -> dict[str, None]:
    """Safety components the index names but the folder lacks, to load as None.

    Many shared Stable Diffusion folders drop the safety checker's weights yet keep
    its entry in model_index.json, which would make loading fail; a checker that
    is present is always kept.
    """
    try:
        index = json.loads((Path(folder) / "model_index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{folder}: unreadable model_index.json: {exc}") from None
    absent = {}
    for part in ("safety_checker", "feature_extractor"):
        entry = index.get(part)
        if isinstance(entry, list) and entry and entry[0] and not (Path(folder) / part).is_dir():
            absent[part] = None
    return absent


def _step_reporter(progress: Progress, total: int) -> Callable[..., dict[str, Any]]:
    def report(pipeline: Any, step: int, timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
        progress(step + 1, total, "denoising")
        return tensors

    return report
