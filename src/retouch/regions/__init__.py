"""Regions: providers that turn a region name into a soft mask.

A region name is one of :data:`REGION_NAMES`, or ``color:<name>``, or
``mask:<path>``. A provider is a function registered with :func:`region`::

    @region("shadows")
    def shadows_mask(image, arg, context):
        ...

It receives the image as float32 ``H x W x 3`` sRGB in [0, 1], the text after
the colon (``None`` for plain names) and a :class:`RegionContext`, and returns
a float32 ``H x W`` mask in [0, 1] with soft, feathered edges. Modules in this
package are discovered automatically.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from retouch.discovery import import_submodules
from retouch.errors import InputError

REGION_NAMES = (
    "faces",
    "people",
    "foreground",
    "background",
    "sky",
    "shadows",
    "highlights",
    "text",
    "mask",
)
REGION_PREFIXES = ("color", "mask")

Provider = Callable[[np.ndarray, "str | None", "RegionContext"], np.ndarray]

_PROVIDERS: dict[str, Provider] = {}
_loaded = False


@dataclass
class RegionContext:
    """What a provider may need beyond the pixels.

    Parameters
    ----------
    mask : ndarray or None
        A mask handed to the API directly (``region="mask"``).
    base_dir : Path
        Directory that relative ``mask:<path>`` names are resolved against.
    notes : list of str
        Providers append what they did that a person should know
        (e.g. "mask resized from 256x256 to 512x512").
    """

    mask: Any = None
    base_dir: Path = field(default_factory=Path.cwd)
    notes: list[str] = field(default_factory=list)


def region(name: str) -> Callable[[Provider], Provider]:
    """Register the decorated function as the provider of region ``name``."""

    def register(func: Provider) -> Provider:
        if name in _PROVIDERS:
            raise ValueError(f"region {name!r} has two providers")
        _PROVIDERS[name] = func
        return func

    return register


def _load_all() -> None:
    global _loaded
    if not _loaded:
        import_submodules("retouch.regions")
        _loaded = True


def split_region_name(name: str) -> tuple[str, str | None]:
    """``"color:red"`` → ``("color", "red")``; ``"sky"`` → ``("sky", None)``."""
    key, sep, arg = name.partition(":")
    return key.strip().lower(), (arg.strip() if sep else None)


def check_region_name(name: Any) -> None:
    """Raise ``ValueError`` (a readable reason) when ``name`` is not a region name."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{name!r} must be a non-empty string")
    key, arg = split_region_name(name)
    if arg is not None:
        if key not in REGION_PREFIXES:
            raise ValueError(f"{name!r}: prefix must be one of {', '.join(p + ':' for p in REGION_PREFIXES)}")
        if not arg:
            raise ValueError(f"{name!r} needs a value after the colon")
        return
    if key not in REGION_NAMES:
        raise ValueError(
            f"{name!r} is unknown; use one of {', '.join(REGION_NAMES)}, color:<name> or mask:<path>"
        )


def available_regions() -> list[str]:
    """Region names (and prefixes, with a colon) that have a provider here."""
    _load_all()
    return sorted(k + ":" if k in REGION_PREFIXES and k != "mask" else k for k in _PROVIDERS)


def resolve_region(image: np.ndarray, name: str, context: RegionContext | None = None) -> np.ndarray:
    """Soft mask of region ``name`` for a float32 RGB image.

    Raises
    ------
    ValueError
        If the name is malformed or no provider for it is installed.
    """
    check_region_name(name)
    _load_all()
    key, arg = split_region_name(name)
    provider = _PROVIDERS.get(key)
    if provider is None:
        raise ValueError(
            f"region {name!r} is not available in this version; available: {', '.join(available_regions())}"
        )
    mask = provider(image, arg, context or RegionContext())
    return np.clip(mask.astype(np.float32, copy=False), 0.0, 1.0)


def mask_path_arg(arg: str, context: RegionContext) -> Path:
    """Resolve the path of a ``mask:<path>`` region against the context."""
    path = Path(os.path.expanduser(arg))
    return path if path.is_absolute() else context.base_dir / path


def region_mask(image: Any, name: str, *, mask: Any = None) -> np.ndarray:
    """Soft mask of the region ``name`` in an image.

    Parameters
    ----------
    image : path, bytes, PIL.Image, ndarray or Picture
        The image.
    name : str
        A region name (``sky``, ``shadows``, ``color:red``, ``mask:m.png``...).
    mask : optional
        The user mask for the plain region name ``"mask"``.

    Returns
    -------
    (H, W) float32 ndarray in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((4, 4, 3), np.uint8); img[:, 2:] = 255
    >>> region_mask(img, "highlights")[0].round(2).tolist()
    [0.0, 0.0, 1.0, 1.0]
    """
    from retouch.analyze import to_rgb_float
    from retouch.io import load_image

    picture = load_image(image)
    base_dir = picture.source.parent if picture.source else Path.cwd()
    try:
        return resolve_region(to_rgb_float(picture.pixels), name, RegionContext(mask=mask, base_dir=base_dir))
    except ValueError as exc:
        raise InputError(f"region {exc}") from None
