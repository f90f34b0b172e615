"""Colour-space helpers shared by ops, regions and measurements.

All functions take float arrays of sRGB-encoded values in [0, 1] unless the
name says otherwise, and never modify their input. :func:`lookup` applies
tone curves sampled into tables to float images.
"""

from __future__ import annotations

import cv2
import numpy as np

# Rec. 709 / sRGB luma weights, applied to gamma-encoded values (Y').
LUMA_WEIGHTS = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def _float_array(x: np.ndarray | float) -> np.ndarray:
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.inexact) else x.astype(np.float64)


def srgb_to_linear(x: np.ndarray | float) -> np.ndarray:
    """Decode sRGB values in [0, 1] to linear light (IEC 61966-2-1).

    Works in the input's float precision (integers are taken as float64),
    with one output array as the only full-size allocation: the power curve
    is evaluated in place and the linear toe written over the darkest values.

    Parameters
    ----------
    x : array_like
        Encoded values.

    Returns
    -------
    ndarray
        Linear-light values, float32 for float32 input, float64 for float64,
        integer or scalar input.

    Examples
    --------
    >>> float(srgb_to_linear(0.5))
    0.21404114048223255
    """
    x = _float_array(x)
    out = np.maximum(x, 0.04045, out=np.empty_like(x))
    out += 0.055
    out /= 1.055
    np.power(out, 2.4, out=out)
    np.divide(x, 12.92, out=out, where=x <= 0.04045)
    return out


def linear_to_srgb(x: np.ndarray | float) -> np.ndarray:
    """Encode linear-light values as sRGB, clipping them to [0, 1] first.

    The inverse of :func:`srgb_to_linear`, computed the same way (in place,
    in the input's float precision).

    Parameters
    ----------
    x : array_like
        Linear-light values.

    Returns
    -------
    ndarray
        Encoded values in [0, 1], float32 for float32 input, else float64.

    Examples
    --------
    >>> round(float(linear_to_srgb(srgb_to_linear(0.3))), 12)
    0.3
    """
    x = _float_array(x)
    clipped = np.clip(x, 0.0, 1.0, out=np.empty_like(x))
    out = np.maximum(clipped, 0.0031308, out=np.empty_like(x))
    np.power(out, 1 / 2.4, out=out)
    out *= 1.055
    out -= 0.055
    np.multiply(clipped, 12.92, out=out, where=clipped <= 0.0031308)
    return out


def lookup(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] through a curve sampled at ``N`` evenly spaced levels.

    Each value takes the nearest of the ``N <= 65536`` samples at
    ``linspace(0, 1, N)``: far faster than evaluating a curve made of powers
    element by element, and with 65536 samples the error is at most the
    curve's slope times 8e-6. Values outside [0, 1] take the end samples.

    Parameters
    ----------
    values : ndarray of float
        Values to map, any shape ``S``.
    table : (N,) or (N, K) array
        Curve samples; a second axis gives ``K`` outputs per value (a colour
        per grey level, say).

    Returns
    -------
    array of shape ``S`` or ``S + (K,)`` and the table's dtype.

    Examples
    --------
    >>> table = np.linspace(0.0, 1.0, 65536) ** 2
    >>> round(float(lookup(np.array([0.5]), table)[0]), 4)
    0.25
    """
    size = table.shape[0]
    index = values * np.float32(size - 1)
    index += np.float32(0.5)
    np.clip(index, 0, size - 1, out=index)
    return table[index.astype(np.uint16)]


def white_level(dtype: np.dtype) -> float:
    """The value of full white for an image dtype: its maximum for integers, 1 for floats."""
    return float(np.iinfo(dtype).max) if np.issubdtype(dtype, np.integer) else 1.0


def luma(image: np.ndarray) -> np.ndarray:
    """Luma Y' (Rec. 709 weights on encoded values) of an ``H x W x C`` image.

    A single-channel image is returned as ``H x W`` unchanged in value.
    """
    if image.ndim == 2:
        return image
    if image.shape[2] == 1:
        return image[..., 0]
    return cv2.transform(image[..., :3], LUMA_WEIGHTS[None, :].astype(np.float64)).reshape(image.shape[:2])


def rgb_to_lab(image: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of a float32 sRGB image; L in [0, 100]."""
    return cv2.cvtColor(np.ascontiguousarray(image, dtype=np.float32), cv2.COLOR_RGB2Lab)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rgb_to_lab`, clipped to [0, 1]."""
    rgb = cv2.cvtColor(np.ascontiguousarray(lab, dtype=np.float32), cv2.COLOR_Lab2RGB)
    return np.clip(rgb, 0.0, 1.0)


def rgb_to_hsv(image: np.ndarray) -> np.ndarray:
    """HSV of a float32 sRGB image: H in degrees [0, 360), S and V in [0, 1]."""
    return cv2.cvtColor(np.ascontiguousarray(image, dtype=np.float32), cv2.COLOR_RGB2HSV)


def saturation(image: np.ndarray) -> np.ndarray:
    """HSV saturation (max - min) / max of a float RGB image, ``H x W``."""
    # Reducing over a length-3 last axis is slow in numpy; three planes are not.
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    mx = np.maximum(np.maximum(r, g), b)
    mn = np.minimum(np.minimum(r, g), b)
    return np.where(mx > 1e-6, (mx - mn) / np.maximum(mx, 1e-6), 0.0).astype(np.float32)
