"""Colour-space helpers shared by ops, regions and measurements.

All functions take float arrays of sRGB-encoded values in [0, 1] unless the
name says otherwise, and never modify their input.
"""

from __future__ import annotations

import cv2
import numpy as np

# Rec. 709 / sRGB luma weights, applied to gamma-encoded values (Y').
LUMA_WEIGHTS = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """Decode sRGB values in [0, 1] to linear light (IEC 61966-2-1)."""
    x = np.asarray(x)
    return np.where(x <= 0.04045, x / 12.92, ((np.maximum(x, 0.04045) + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """Encode linear-light values in [0, 1] as sRGB."""
    x = np.clip(np.asarray(x), 0.0, 1.0)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.maximum(x, 0.0031308) ** (1 / 2.4) - 0.055)


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
    mx = image.max(axis=2)
    mn = image.min(axis=2)
    return np.where(mx > 1e-6, (mx - mn) / np.maximum(mx, 1e-6), 0.0).astype(np.float32)
