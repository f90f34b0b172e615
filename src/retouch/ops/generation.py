"""Generation: a new picture from a prompt (a local diffusion model), or a seamless texture from this one.

``texture`` needs no learned model. ``generate`` replaces the picture with one
made from its prompt by :func:`retouch.generation.generate`; it needs the
``generate`` extra and a local diffusion pipeline, and says how to set them up
when they are missing.
"""

from __future__ import annotations

import numpy as np

from retouch.analyze import MAX_VALUE, convert_dtype
from retouch.ops.registry import GEOMETRY, Param, op


def periodic_component(channel: np.ndarray) -> np.ndarray:
    """The periodic part of a periodic-plus-smooth decomposition (Moisan, 2011).

    An image tiled edge to edge shows seams because its left and right (top
    and bottom) borders differ. Splitting it into a smooth image that carries
    exactly those border jumps and a periodic remainder, and keeping the
    remainder, removes the seams while leaving every texture detail in place:
    only a slowly varying shading is taken away. The smooth part solves a
    Poisson equation, done here exactly with one FFT.

    Parameters
    ----------
    channel : (H, W) float array

    Returns
    -------
    (H, W) float64 array
        Tiles without seams; same mean as the input.

    Examples
    --------
    >>> ramp = np.tile(np.linspace(0, 1, 32), (32, 1))
    >>> p = periodic_component(ramp)
    >>> bool(abs(p[:, 0] - p[:, -1]).max() < 0.1 < abs(ramp[:, 0] - ramp[:, -1]).max())
    True
    """
    u = channel.astype(np.float64)
    height, width = u.shape
    boundary = np.zeros_like(u)
    boundary[0, :] += u[-1, :] - u[0, :]
    boundary[-1, :] += u[0, :] - u[-1, :]
    boundary[:, 0] += u[:, -1] - u[:, 0]
    boundary[:, -1] += u[:, 0] - u[:, -1]
    q = np.cos(2 * np.pi * np.arange(height) / height)[:, None]
    r = np.cos(2 * np.pi * np.arange(width) / width)[None, :]
    denominator = 2 * q + 2 * r - 4
    denominator[0, 0] = 1.0  # the mean is kept: the smooth part has none
    smooth_hat = np.fft.fft2(boundary) / denominator
    smooth_hat[0, 0] = 0.0
    return u - np.real(np.fft.ifft2(smooth_hat))


@op(
    "texture",
    kind=GEOMETRY,
    description="Make a seamless, tileable texture from the image (optionally repeated to a larger size).",
    params=(
        Param("width", "integer", description="Output width in pixels (default: the image's).", minimum=8),
        Param("height", "integer", description="Output height in pixels (default: the image's).", minimum=8),
    ),
    examples=(
        "make a seamless tileable texture from this",
        "turn this into a repeating pattern",
        "make it tileable",
        "seamless texture please",
        "create a tiling background from this photo of bricks",
        "make this wood grain repeat without seams",
        "I need a seamless pattern for a game floor",
        "make the edges wrap around so it tiles",
        "tile this texture to 2048 by 2048",
        "remove the seams when this is repeated",
    ),
)
def texture(
    image: np.ndarray, amount: None = None, *, width: int | None = None, height: int | None = None
) -> np.ndarray:
    """Make ``image`` tile without seams, then repeat or crop it to the asked size.

    Each channel (alpha too) keeps its periodic component (see
    :func:`periodic_component`): the texture's detail is untouched, only a
    smooth shading that made opposite borders disagree is removed.

    Parameters
    ----------
    image : (H, W, C) array
        uint8, uint16 or float32; C = 1..4.
    amount : None
        The op has no strength.
    width, height : int, optional
        Output size; larger than the image repeats the tile, smaller crops it.

    Returns
    -------
    (height, width, C) array of the input's dtype.

    Examples
    --------
    >>> from skimage import data
    >>> tile = texture(data.brick()[..., None])
    >>> tile.shape, tile.dtype
    ((512, 512, 1), dtype('uint8'))
    """
    top = MAX_VALUE.get(image.dtype, 1.0)
    periodic = np.stack([periodic_component(image[..., c] / top) for c in range(image.shape[2])], axis=2)
    out_height, out_width = height or image.shape[0], width or image.shape[1]
    reps = (-(-out_height // image.shape[0]), -(-out_width // image.shape[1]), 1)
    tiled = np.tile(np.clip(periodic, 0.0, 1.0), reps)[:out_height, :out_width]
    if image.dtype == np.float32:
        return tiled.astype(np.float32)
    return np.rint(tiled * top).astype(image.dtype)


@op(
    "generate",
    kind=GEOMETRY,
    description="Make a new picture from a text prompt with a local diffusion model (replaces the image).",
    params=(
        Param("prompt", "string", description="What the picture should show."),
        Param("width", "integer", default=512, minimum=8, maximum=4096, description="Width (multiple of 8)."),
        Param(
            "height", "integer", default=512, minimum=8, maximum=4096, description="Height (multiple of 8)."
        ),
        Param("seed", "integer", default=0, minimum=0, description="Same seed, same picture."),
        Param("steps", "integer", default=25, minimum=1, maximum=1000, description="Denoising steps."),
    ),
    examples=(
        "generate an image of a cat on a skateboard",
        "create a picture of a sunset over the mountains",
        "draw me a lighthouse at dusk",
        "make a new image of a red sports car",
        "imagine a forest in the fog",
        "text to image: a bowl of ramen, studio lighting",
        "render a cozy cabin in the snow",
        "generate a photo of a golden retriever on the beach",
        "paint me a fantasy castle",
        "create an image from this prompt",
    ),
    color=True,
)
def generate(
    image: np.ndarray,
    amount: None = None,
    *,
    prompt: str | None = None,
    width: int = 512,
    height: int = 512,
    seed: int = 0,
    steps: int = 25,
) -> np.ndarray:
    """Replace the picture with one generated from ``prompt`` (see :func:`retouch.generation.generate`).

    The incoming picture only sets the output's dtype; a plan can go on to
    edit the new picture ("generate a cat, then make it black and white").

    Parameters
    ----------
    image : (H, W, C) array
        The current picture (uint8, uint16 or float32).
    amount : None
        The op has no strength.
    prompt : str
        What to show.
    width, height, seed, steps : int
        As for :func:`retouch.generation.generate`.

    Returns
    -------
    (height, width, 3) array of the input's dtype.
    """
    from retouch.generation import generate as text_to_image

    if not prompt:
        raise ValueError("needs a prompt: say what the picture should show")
    picture = text_to_image(prompt, width=width, height=height, seed=seed, steps=steps)
    return convert_dtype(np.asarray(picture.convert("RGB")), image.dtype)
