"""Labelled test scenes made from packaged photos: skies over real ground, rendered text.

Used by ``tests/test_understand.py`` and ``bench/understand.py``.

Sky scenes
    A synthetic sky (clear blue, blue with clouds, overcast grey, sunset; a
    vertical gradient as real skies have, clouds from band-limited noise,
    mild sensor noise) above a horizon line of one of three shapes (rolling
    hills, a city skyline of rectangular buildings, a line of tree crowns).
    Below the line is real photographic texture from scikit-image (grass,
    gravel, brick, the cat, the coffee table, the astronaut), tinted where
    the source is grey. The label is exact: a pixel is sky when it lies
    above the horizon line.
Text
    Lines rendered with Pillow's bundled font and the DejaVu fonts found
    under ``/usr/share/fonts`` (when installed), black on white.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from skimage import data

SKIES = ("clear", "clouds", "overcast", "sunset")
HORIZONS = ("hills", "city", "trees")
GROUNDS = ("grass", "gravel", "brick", "chelsea", "coffee", "astronaut")
_TINTS = {"grass": (0.45, 0.7, 0.3), "gravel": (0.75, 0.7, 0.6), "brick": (0.85, 0.5, 0.4)}

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "DejaVuSans-Bold.ttf")


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """Band-limited noise in [0, 1] with features about ``scale`` pixels across."""
    noise = rng.standard_normal(shape).astype(np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), scale)
    noise -= noise.min()
    return noise / max(float(noise.max()), 1e-6)


def _sky(rng: np.random.Generator, kind: str, h: int, w: int) -> np.ndarray:
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]  # 0 at the zenith, 1 at the horizon
    if kind == "overcast":
        top, bottom = np.float32([0.7, 0.72, 0.75]), np.float32([0.88, 0.88, 0.9])
    elif kind == "sunset":
        top, bottom = np.float32([0.45, 0.35, 0.6]), np.float32([0.98, 0.65, 0.35])
    else:
        top, bottom = np.float32([0.25, 0.45, 0.85]), np.float32([0.7, 0.82, 0.95])
    sky = top * (1 - t) + bottom * t
    sky = np.broadcast_to(sky, (h, w, 3)).copy()
    if kind in ("clouds", "overcast"):
        cover = _smooth_noise(rng, (h, w), 0.05 * w) * 0.7 + _smooth_noise(rng, (h, w), 0.015 * w) * 0.3
        threshold = 0.5 if kind == "clouds" else 0.3
        amount = np.clip((cover - threshold) / 0.25, 0, 1)[..., None]
        cloud = np.float32([0.97, 0.97, 0.98]) if kind == "clouds" else np.float32([0.62, 0.63, 0.66])
        sky = sky * (1 - amount) + cloud * amount
    return sky


def _horizon(rng: np.random.Generator, kind: str, h: int, w: int) -> np.ndarray:
    """Row of the horizon line in every column."""
    base = rng.uniform(0.4, 0.6) * h
    if kind == "hills":
        return base + (_smooth_noise(rng, (1, w), 0.08 * w)[0] - 0.5) * 0.3 * h
    line = np.full(w, base, np.float32)
    if kind == "city":
        x = 0
        while x < w:
            width = int(rng.integers(w // 20, w // 6))
            line[x : x + width] = base - rng.uniform(0.0, 0.3) * h
            x += width + int(rng.integers(0, w // 30))
        return line
    x = 0
    while x < w:  # tree crowns: half-discs of varied size
        radius = int(rng.integers(w // 40, w // 12))
        xs = np.arange(max(0, x - radius), min(w, x + radius))
        crown = base - 0.1 * h - np.sqrt(np.maximum(radius**2 - (xs - x) ** 2, 0))
        line[xs] = np.minimum(line[xs], crown)
        x += int(radius * rng.uniform(0.8, 1.6))
    return line + (_smooth_noise(rng, (1, w), 2.0)[0] - 0.5) * 0.02 * h


def _ground(name: str, h: int, w: int) -> np.ndarray:
    photo = getattr(data, name)()
    if name == "astronaut":
        photo = photo[256:]
    rgb = photo.astype(np.float32) / 255
    if rgb.ndim == 2:
        rgb = rgb[..., None] * np.float32(_TINTS[name])
    scale = max(h / rgb.shape[0], w / rgb.shape[1])
    rgb = cv2.resize(rgb, (max(w, round(rgb.shape[1] * scale)), max(h, round(rgb.shape[0] * scale))))
    return rgb[:h, :w]


def sky_scene(seed: int, h: int = 384, w: int = 512) -> tuple[np.ndarray, np.ndarray, str]:
    """One labelled scene: uint8 RGB image, bool sky label, and a name saying what it is."""
    rng = np.random.default_rng(seed)
    sky_kind = SKIES[seed % len(SKIES)]
    horizon_kind = HORIZONS[(seed // len(SKIES)) % len(HORIZONS)]
    ground_name = GROUNDS[seed % len(GROUNDS)]
    line = _horizon(rng, horizon_kind, h, w)
    label = np.arange(h, dtype=np.float32)[:, None] < line[None, :]
    # Anti-aliased edge, as a camera would record it.
    coverage = np.clip(line[None, :] - np.arange(h, dtype=np.float32)[:, None], 0, 1)[..., None]
    ground = _ground(ground_name, h, w)
    if horizon_kind == "city":
        ground = ground * 0.8
    image = _sky(rng, sky_kind, h, w) * coverage + ground * (1 - coverage)
    image += rng.normal(0, 1.5 / 255, image.shape).astype(np.float32)
    image = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    return image, label, f"{sky_kind} sky, {horizon_kind}, {ground_name}"


def available_fonts() -> dict[str, ImageFont.FreeTypeFont | None]:
    """Font name → loader key: Pillow's bundled font, plus the DejaVu fonts installed here."""
    fonts: dict[str, ImageFont.FreeTypeFont | None] = {"pillow-default": None}
    for file in FONT_FILES:
        if (DEJAVU / file).is_file():
            fonts[file.removesuffix(".ttf")] = None
    return fonts


def load_font(name: str, size: int) -> ImageFont.FreeTypeFont:
    if name == "pillow-default":
        return ImageFont.load_default(size)
    return ImageFont.truetype(str(DEJAVU / f"{name}.ttf"), size)


def text_image(font_name: str, lines: list[tuple[str, int]]) -> np.ndarray:
    """Black lines of text (each with its own size in px) on white, one under another."""
    fonts = [load_font(font_name, size) for _, size in lines]
    widths = [font.getbbox(text)[2] for (text, _), font in zip(lines, fonts, strict=True)]
    margin = max(size for _, size in lines)
    height = sum(2 * size for _, size in lines) + 2 * margin
    canvas = Image.new("RGB", (max(widths) + 2 * margin, height), "white")
    draw = ImageDraw.Draw(canvas)
    y = margin
    for (text, size), font in zip(lines, fonts, strict=True):
        draw.text((margin, y), text, fill="black", font=font)
        y += 2 * size
    return np.asarray(canvas)
