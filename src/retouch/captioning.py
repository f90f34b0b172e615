"""Learned describers: captions and free-form answers from a vision-language model.

Two backends, both optional and both configured by the user, since no such
weights ship in a package:

``openai``
    Any OpenAI-compatible chat-completions endpoint that accepts images
    (Ollama with llava / moondream / qwen-vl, llama.cpp's server, OpenAI).
    Configured by the environment: ``RETOUCH_VISION_BASE_URL`` (e.g.
    ``http://localhost:11434/v1``), ``RETOUCH_VISION_MODEL`` (e.g.
    ``llava``), optionally ``RETOUCH_VISION_API_KEY`` and
    ``RETOUCH_VISION_TIMEOUT`` (seconds, default 60).
``transformers``
    A local BLIP-class image-captioning model folder (as written by
    ``save_pretrained``: config, weights and processor files), given as
    ``model_dir`` or ``RETOUCH_CAPTION_MODEL_DIR``. Needs the ``vision``
    extra (``pip install 'retouch[vision]'``: torch and transformers).
"""

from __future__ import annotations

import base64
import io
import json
import os
import urllib.error
import urllib.request
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from retouch.errors import InputError

BACKENDS = ("openai", "transformers")
CAPTION_PROMPT = "Describe this photo in one or two sentences."
#: Images are sent no larger than this (longer side): vision models look at a few hundred pixels.
SEND_SIDE = 1024


def _png_data_url(rgb: np.ndarray) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _endpoint() -> tuple[str, str]:
    base_url = os.environ.get("RETOUCH_VISION_BASE_URL", "").rstrip("/")
    model = os.environ.get("RETOUCH_VISION_MODEL", "")
    if not base_url or not model:
        raise InputError(
            "the openai backend needs RETOUCH_VISION_BASE_URL (e.g. http://localhost:11434/v1 for Ollama) "
            "and RETOUCH_VISION_MODEL (e.g. llava) set in the environment"
        )
    return base_url, model


def _model_folder(model_dir: str | os.PathLike | None) -> str:
    folder = model_dir or os.environ.get("RETOUCH_CAPTION_MODEL_DIR")
    if not folder or not (Path(folder) / "config.json").is_file():
        raise InputError(
            "the transformers backend needs a captioning model folder (BLIP-class, saved with "
            "save_pretrained): pass model_dir= / --model-dir or set RETOUCH_CAPTION_MODEL_DIR"
            + (f"; {folder} has no config.json" if folder else "")
        )
    return str(folder)


def check_backend(backend: str, model_dir: str | os.PathLike | None = None) -> None:
    """Raise :class:`InputError` saying how to configure ``backend`` when it is unknown or not set up."""
    if backend == "openai":
        _endpoint()
    elif backend == "transformers":
        _model_folder(model_dir)
    else:
        raise InputError(f"unknown describe backend {backend!r}; use one of: {', '.join(BACKENDS)}")


def openai_caption(rgb: np.ndarray, question: str | None = None) -> dict[str, Any]:
    """Ask an OpenAI-compatible vision endpoint about a uint8 RGB image.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 array
    question : str, optional
        Asked instead of the default captioning prompt.

    Returns
    -------
    dict
        ``caption`` (the model's reply), ``model`` and ``backend``.

    Raises
    ------
    InputError
        When the endpoint is not configured, cannot be reached or answers
        with an error.
    """
    from retouch.analyze import downscale

    base_url, model = _endpoint()
    timeout = float(os.environ.get("RETOUCH_VISION_TIMEOUT", "60"))
    body = {
        "model": model,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": question or CAPTION_PROMPT},
                    {"type": "image_url", "image_url": {"url": _png_data_url(downscale(rgb, SEND_SIDE))}},
                ],
            }
        ],
        "temperature": 0,
    }
    headers = {"Content-Type": "application/json"}
    if key := os.environ.get("RETOUCH_VISION_API_KEY"):
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(
        f"{base_url}/chat/completions", data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            reply = json.load(response)
        text = reply["choices"][0]["message"]["content"]
    except urllib.error.HTTPError as exc:
        raise InputError(f"vision endpoint {base_url} answered HTTP {exc.code}: {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise InputError(f"cannot reach the vision endpoint {base_url}: {exc}") from None
    except (ValueError, KeyError, IndexError, TypeError):
        raise InputError(f"vision endpoint {base_url} did not answer in the chat-completions shape") from None
    if isinstance(text, list):  # some servers answer with content parts
        text = " ".join(part.get("text", "") for part in text if isinstance(part, dict))
    return {"caption": str(text).strip(), "model": model, "backend": "openai"}


@lru_cache(maxsize=2)
def _captioner(folder: str) -> tuple[Any, Any]:
    try:
        from transformers import AutoProcessor, BlipForConditionalGeneration
    except ImportError:
        raise InputError(
            "the transformers backend needs torch and transformers: pip install 'retouch[vision]'"
        ) from None
    processor = AutoProcessor.from_pretrained(folder)
    model = BlipForConditionalGeneration.from_pretrained(folder)
    model.eval()
    return processor, model


def transformers_caption(
    rgb: np.ndarray, model_dir: str | os.PathLike | None = None, question: str | None = None
) -> dict[str, Any]:
    """Caption a uint8 RGB image with a local BLIP-class model folder.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 array
    model_dir : path, optional
        The model folder; by default ``RETOUCH_CAPTION_MODEL_DIR``.
    question : str, optional
        Used as the caption's prefix (BLIP's conditional captioning).

    Returns
    -------
    dict
        ``caption``, ``model`` (the folder) and ``backend``.
    """
    folder = _model_folder(model_dir)
    from PIL import Image

    processor, model = _captioner(str(Path(folder).resolve()))
    import torch

    inputs = processor(images=Image.fromarray(rgb), text=question, return_tensors="pt")
    with torch.no_grad():
        tokens = model.generate(**inputs, max_new_tokens=30)
    caption = processor.decode(tokens[0], skip_special_tokens=True).strip()
    return {"caption": caption, "model": str(folder), "backend": "transformers"}


def learned_caption(
    rgb: np.ndarray, backend: str, *, question: str | None = None, model_dir: Any = None
) -> dict[str, Any]:
    """Caption (or answer ``question`` about) an image with the named backend."""
    check_backend(backend, model_dir)
    if backend == "openai":
        return openai_caption(rgb, question)
    return transformers_caption(rgb, model_dir, question)
