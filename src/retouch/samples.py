"""Sample photos that ship inside scikit-image, usable offline as ``sample:<name>``."""

from __future__ import annotations

import numpy as np

from retouch.errors import InputError

SAMPLES = (
    "astronaut",
    "camera",
    "chelsea",
    "coffee",
    "rocket",
    "retina",
    "hubble_deep_field",
    "page",
    "text",
)
PREFIX = "sample:"


def is_sample(name: object) -> bool:
    """Whether ``name`` is a ``sample:<name>`` reference."""
    return isinstance(name, str) and name.startswith(PREFIX)


def load_sample(name: str) -> np.ndarray:
    """The packaged photo ``name`` (with or without the ``sample:`` prefix) as a uint8 array.

    Examples
    --------
    >>> load_sample("sample:astronaut").shape
    (512, 512, 3)
    """
    key = name.removeprefix(PREFIX)
    if key not in SAMPLES:
        raise InputError(f"{name}: unknown sample; choose one of {', '.join(SAMPLES)}")
    from skimage import data

    return np.ascontiguousarray(getattr(data, key)())
