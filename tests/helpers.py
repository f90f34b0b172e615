"""Test inputs written byte by byte, independent of the libraries under test."""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np
import pytest


def png_bytes(array: np.ndarray, *, chunks: tuple[tuple[bytes, bytes], ...] = ()) -> bytes:
    """A PNG written by hand (8 or 16 bits, 1-4 channels), independent of Pillow and OpenCV."""
    array = array if array.ndim == 3 else array[..., None]
    height, width, channels = array.shape
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    depth = 16 if array.dtype == np.uint16 else 8
    rows = array.astype(">u2" if depth == 16 else np.uint8).reshape(height, -1).view(np.uint8)
    raw = np.concatenate([np.zeros((height, 1), np.uint8), rows], axis=1).tobytes()  # filter 0 per row
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return png_from_chunks([(b"IHDR", header), *chunks, (b"IDAT", zlib.compress(raw)), (b"IEND", b"")])


def png_from_chunks(chunks: list[tuple[bytes, bytes]]) -> bytes:
    body = b"".join(
        struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        for kind, payload in chunks
    )
    return b"\x89PNG\r\n\x1a\n" + body


def needs(reason: str, *, allow_module_level: bool = False) -> None:
    """Skip a test whose system dependency is missing here; in CI (which installs it) fail instead.

    ``.ci/run`` installs Chromium, Debian's opencv-data and the llama.cpp server extra,
    so a skip there would hide a broken setup rather than a missing optional tool.
    """
    if os.environ.get("CI"):
        pytest.fail(f"CI must provide this: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=allow_module_level)
