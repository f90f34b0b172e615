"""``color:<name>``: soft masks selecting a named hue (or white/black/grey)."""

from __future__ import annotations

import numpy as np

from retouch.colorspace import rgb_to_hsv
from retouch.ramps import smoothstep
from retouch.regions import RegionContext, region

# Hue centre and half-width in degrees; widths overlap so that every hue
# belongs to some name.
HUES = {
    "red": (0.0, 25.0),
    "orange": (30.0, 20.0),
    "yellow": (58.0, 22.0),
    "green": (115.0, 45.0),
    "cyan": (180.0, 25.0),
    "blue": (220.0, 35.0),
    "purple": (270.0, 30.0),
    "magenta": (305.0, 25.0),
    "pink": (330.0, 25.0),
}
ALIASES = {"aqua": "cyan", "teal": "cyan", "violet": "purple", "gray": "grey", "skin": "orange"}
NEUTRALS = ("white", "black", "grey")
COLOR_NAMES = tuple(HUES) + NEUTRALS


def _hue_weight(hue: np.ndarray, centre: float, half_width: float) -> np.ndarray:
    distance = np.abs((hue - centre + 180.0) % 360.0 - 180.0)
    return 1.0 - smoothstep(0.5 * half_width, half_width, distance)


@region("color")
def color_mask(image: np.ndarray, arg: str | None, context: RegionContext) -> np.ndarray:
    """Pixels of colour ``arg`` (e.g. ``red``, ``blues``, ``white``).

    Chromatic names weight by hue closeness and fade out for unsaturated or
    very dark pixels, so a "reds" selection does not catch grey walls.
    """
    name = (arg or "").lower().strip()
    name = ALIASES.get(name, name)
    if name not in HUES and name not in NEUTRALS and name.endswith("s"):
        name = ALIASES.get(name[:-1], name[:-1])
    hsv = rgb_to_hsv(image if image.shape[2] == 3 else np.repeat(image, 3, axis=2))
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    if name in HUES:
        centre, half = HUES[name]
        return _hue_weight(hue, centre, half) * smoothstep(0.12, 0.3, sat) * smoothstep(0.08, 0.2, val)
    if name == "white":
        return smoothstep(0.75, 0.9, val) * (1.0 - smoothstep(0.1, 0.25, sat))
    if name == "black":
        return 1.0 - smoothstep(0.12, 0.25, val)
    if name == "grey":
        return (
            (1.0 - smoothstep(0.08, 0.2, sat))
            * smoothstep(0.12, 0.25, val)
            * (1.0 - smoothstep(0.75, 0.9, val))
        )
    raise ValueError(f"color:{arg} is not a colour name; use one of {', '.join(COLOR_NAMES)}")
