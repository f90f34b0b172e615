"""Load and save images without surprises.

:func:`load_image` turns a path, encoded bytes, a ``PIL.Image``, a numpy array
or a :class:`Picture` into a :class:`Picture`: the colour channels as an
``H x W x C`` array (C = 1 or 3; uint8, uint16, or float32 in [0, 1]) plus a
separate alpha plane and the metadata worth carrying to the output.
:func:`save_image` writes one back, atomically.

Decisions, in one place:

- **Orientation.** The EXIF orientation is applied on load, with
  ``PIL.ImageOps.exif_transpose`` semantics, so pixels are upright. The EXIF
  carried to the output is the source's, byte for byte, except that the
  orientation tag is set to 1; EXIF whose orientation cannot be reset is
  dropped rather than risk rotating the output twice. EXIF is carried from
  JPEG, PNG and WebP sources (a TIFF's own tags describe its layout and are
  not carried).
- **Colour management.** 8-bit colour images with an embedded profile that
  is not sRGB are converted to sRGB on load (LittleCMS, perceptual intent)
  and the profile is dropped: from then on every 8-bit colour pixel is sRGB,
  which is what the ops assume. 16-bit and float images, and greyscale
  images, keep their profile untouched and their pixels unconverted
  (converting would cost precision or channels); the profile is written to
  the output. CMYK is always converted to RGB, through its profile when it
  has one. Every conversion is recorded in :attr:`Picture.notes`.
- **Bit depth.** 16-bit PNG and TIFF stay 16-bit, colour and grey. Pillow
  reduces 16-bit colour to 8 bits, so such PNGs are decoded by libpng through
  OpenCV, and such TIFFs by tifffile (or libtiff through OpenCV for the LZW
  and JPEG compressions tifffile cannot undo on its own). 32-bit float TIFFs
  load as float32 clipped to [0, 1]. Saving keeps 16 bits for PNG and TIFF
  and float32 for TIFF; other formats get 8 bits, rounded.
- **Size limit.** ``max_pixels`` is checked from the header before any pixel
  is decoded. While a load runs, Pillow's own decompression-bomb limit
  (``Image.MAX_IMAGE_PIXELS``) is lifted so that ours alone decides; it is
  restored when no load is running.
- **Formats without alpha.** JPEG cannot hold transparency (and Pillow's BMP
  writer drops it), so saving an image with alpha as JPEG or BMP flattens it
  onto white and records that in the notes.
- **Atomic writes.** Output goes to a temporary file in the target's
  directory, is flushed to disk, then renamed over the target. On any
  failure the temporary file is removed and an existing target is left
  exactly as it was. A symlink at the target is replaced, not written
  through, so saving never modifies a file other than the one named.
"""

from __future__ import annotations

import io
import os
import secrets
import stat
import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from types import EllipsisType
from typing import BinaryIO

import cv2
import numpy as np
from PIL import Image, ImageCms, TiffImagePlugin, UnidentifiedImageError

from retouch.errors import InputError

DEFAULT_MAX_PIXELS = 200_000_000

#: Output formats by file extension.
SAVE_FORMATS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".gif": "GIF",
}

_BIT_DEPTHS = {np.dtype(np.uint8): 8, np.dtype(np.uint16): 16, np.dtype(np.float32): 32}
_EXIF_PREFIX = b"Exif\x00\x00"
_ORIENTATION_TAG = 0x0112
_ORIENTATIONS = {
    2: ("mirrored", lambda a: cv2.flip(a, 1)),
    3: ("rotated 180°", lambda a: cv2.rotate(a, cv2.ROTATE_180)),
    4: ("flipped vertically", lambda a: cv2.flip(a, 0)),
    5: ("transposed", cv2.transpose),
    6: ("rotated 90° clockwise", lambda a: cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE)),
    7: ("transversed", lambda a: cv2.flip(cv2.transpose(a), -1)),
    8: ("rotated 90° counter-clockwise", lambda a: cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE)),
}
# EXIF tags written into a TIFF's own directory: the descriptive ones that libtiff accepts there.
# (Pillow's libtiff writer cannot write EXIF sub-directories.)
_TIFF_EXIF_TAGS = frozenset({270, 271, 272, 274, 282, 283, 296, 305, 306, 315, 33432})
# Bytes that occur in text (printable ASCII, common control characters, UTF-8 sequences).
_TEXT_BYTES = bytes([7, 8, 9, 10, 12, 13, 27]) + bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100))


@dataclass
class Picture:
    """An image as the engine sees it: colour channels, alpha, and what to carry to the output.

    Parameters
    ----------
    pixels : ndarray
        ``H x W x C`` colour channels, C in {1, 3}; uint8, uint16, or float32 in [0, 1].
    alpha : ndarray or None
        ``H x W`` alpha plane in the same dtype as `pixels` (straight, not premultiplied).
    exif : bytes, optional
        Raw EXIF (with the ``Exif\\0\\0`` prefix) to write to the output; orientation is already 1.
    icc_profile : bytes, optional
        Colour profile of `pixels`, set only when it is carried through untouched (16-bit, float
        and greyscale images); 8-bit colour pixels are sRGB and carry none.
    format : str, optional
        Pillow's name for the source format ("JPEG", "PNG", ...).
    mode : str, optional
        The source's Pillow mode ("P", "CMYK", "I;16", ...).
    source : Path, optional
        The file the picture came from.
    notes : list of str
        What loading (and saving) had to do, in words for the user.
    """

    pixels: np.ndarray
    alpha: np.ndarray | None
    exif: bytes | None = None
    icc_profile: bytes | None = None
    format: str | None = None
    mode: str | None = None
    source: Path | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.pixels.ndim != 3 or self.pixels.shape[2] not in (1, 3):
            raise ValueError(f"Picture.pixels must be H x W x 1 or H x W x 3, got shape {self.pixels.shape}")
        if self.pixels.dtype not in _BIT_DEPTHS:
            raise ValueError(f"Picture.pixels must be uint8, uint16 or float32, got {self.pixels.dtype}")
        if self.alpha is not None and (
            self.alpha.shape != self.pixels.shape[:2] or self.alpha.dtype != self.pixels.dtype
        ):
            raise ValueError(
                f"Picture.alpha must be {self.pixels.shape[:2]} {self.pixels.dtype}, "
                f"got {self.alpha.shape} {self.alpha.dtype}"
            )

    @property
    def height(self) -> int:
        return self.pixels.shape[0]

    @property
    def width(self) -> int:
        return self.pixels.shape[1]

    @property
    def channels(self) -> int:
        """Colour channels (1 or 3), not counting alpha."""
        return self.pixels.shape[2]

    @property
    def has_alpha(self) -> bool:
        return self.alpha is not None

    @property
    def bit_depth(self) -> int:
        """Bits per sample: 8 (uint8), 16 (uint16) or 32 (float32)."""
        return _BIT_DEPTHS[self.pixels.dtype]

    @property
    def megapixels(self) -> float:
        return self.height * self.width / 1e6

    def with_pixels(self, pixels: np.ndarray, alpha: np.ndarray | EllipsisType | None = ...) -> Picture:
        """Return a copy of the metadata with new arrays.

        Parameters
        ----------
        pixels : ndarray
            The new ``H x W x C`` colour channels.
        alpha : ndarray or None, optional
            The new alpha plane; by default the current one is kept, which requires `pixels` to
            have the same height, width and dtype.

        Returns
        -------
        Picture
            A new picture; the notes list is copied, not shared.
        """
        return replace(
            self, pixels=pixels, alpha=self.alpha if alpha is ... else alpha, notes=list(self.notes)
        )


def load_image(
    source: str | os.PathLike | bytes | Image.Image | np.ndarray | Picture,
    *,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    copy: bool = True,
) -> Picture:
    """Load an image into a :class:`Picture`: upright, and sRGB where it is 8-bit colour.

    Parameters
    ----------
    source : path, bytes, PIL.Image.Image, ndarray or Picture
        A file; its encoded bytes; a Pillow image (taken as Pillow represents it); an array
        (``H x W`` or ``H x W x 1/2/3/4``, uint8, uint16, or float in [0, 1], the last of 2 or
        4 channels being alpha); or a Picture, returned as is. The source is never modified.
    max_pixels : int or None, optional
        Refuse images with more pixels than this, checked before decoding; None for no limit.
    copy : bool, optional
        For array sources: copy the pixels so that the picture and the caller's array cannot
        change under each other. Callers that never write to either (the engine) pass False
        and save a full-size copy.

    Returns
    -------
    Picture
        Pixels, alpha and the metadata to carry; ``notes`` says what was converted.

    Raises
    ------
    InputError
        With a one-line message naming the file and the problem: missing, empty, not an
        image, truncated or corrupt, unsupported, or over `max_pixels`.

    Examples
    --------
    >>> import numpy as np
    >>> picture = load_image(np.zeros((4, 6, 4), np.uint8))
    >>> picture.pixels.shape, picture.has_alpha
    ((4, 6, 3), True)
    """
    if isinstance(source, Picture):
        return source
    if isinstance(source, np.ndarray):
        return _from_array(source, max_pixels, copy=copy)
    if isinstance(source, Image.Image):
        with _PILLOW_LIMIT_LIFTED:
            return _from_pil(source, "image", max_pixels, encoded=None)
    if isinstance(source, bytes | bytearray | memoryview):
        return _from_encoded(_Encoded("image data", None, bytes(source)), max_pixels)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        name = os.fspath(source)
        if not path.exists():
            raise InputError(f"{name}: no such file")
        if path.is_dir():
            raise InputError(f"{name}: is a directory, not an image file")
        if path.stat().st_size == 0:
            raise InputError(f"{name}: file is empty (0 bytes)")
        return _from_encoded(_Encoded(name, path, None), max_pixels)
    raise InputError(f"cannot load an image from a {type(source).__name__}")


def to_pil(picture: Picture) -> Image.Image:
    """Convert to a Pillow image, for display or for Pillow-based code.

    8-bit pictures become ``L``, ``LA``, ``RGB`` or ``RGBA``, and 16-bit grey without alpha
    becomes ``I;16``. Pillow has no mode for the rest (16-bit colour, float), so those are
    rounded to 8 bits. EXIF and a carried ICC profile go in ``info``.

    Parameters
    ----------
    picture : Picture

    Returns
    -------
    PIL.Image.Image
    """
    if picture.bit_depth == 16 and picture.channels == 1 and not picture.has_alpha:
        image = Image.fromarray(picture.pixels[..., 0])
    else:
        image = Image.fromarray(_to_uint8(to_array(picture)))
    if picture.exif:
        image.info["exif"] = picture.exif
    if picture.icc_profile:
        image.info["icc_profile"] = picture.icc_profile
    return image


def to_array(picture: Picture) -> np.ndarray:
    """Return the picture as one array in its own dtype, alpha stacked last.

    Parameters
    ----------
    picture : Picture

    Returns
    -------
    ndarray
        ``H x W`` for grey without alpha (a view of ``picture.pixels``), otherwise
        ``H x W x 2/3/4``.
    """
    return _stack(picture.pixels, picture.alpha)


def save_image(
    picture: Picture, path: str | os.PathLike, *, quality: int = 92, overwrite: bool = True
) -> Path:
    """Write a picture atomically, in the format its extension names.

    PNG and TIFF keep 16 bits, TIFF keeps float32 (PNG stores float as 16-bit); JPEG, WebP, BMP
    and GIF get 8 bits, rounded. JPEG and BMP keep no alpha, so transparent pictures are flattened
    onto white. EXIF and a carried ICC profile are written where the format holds them (JPEG, PNG,
    WebP, TIFF; EXIF is left out of 16-bit and float colour TIFFs). What the format forced is
    appended to ``picture.notes``.

    Parameters
    ----------
    picture : Picture
        What to write.
    path : path-like
        The target; its extension picks the format (see ``SAVE_FORMATS``). Its directory must
        exist.
    quality : int, optional
        JPEG and WebP quality, 1-100. From 90 up, JPEG keeps full colour resolution (4:4:4).
    overwrite : bool, optional
        If False, refuse to replace an existing file.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    InputError
        Unknown extension, missing directory, an existing target with ``overwrite=False``,
        quality out of range, or the file system refusing the write. The target is left as it
        was in every case.
    """
    path = Path(path)
    name = os.fspath(path)
    fmt = SAVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(SAVE_FORMATS)
        raise InputError(
            f"{name}: unknown image extension {path.suffix or '(none)'!r}; use one of {supported}"
        )
    if not 1 <= quality <= 100:
        raise InputError(f"quality must be between 1 and 100, got {quality}")
    if not path.parent.is_dir():
        raise InputError(f"{name}: directory {os.fspath(path.parent)} does not exist")
    if path.is_dir():
        raise InputError(f"{name}: is a directory")
    if not overwrite and os.path.lexists(path):
        raise InputError(f"{name}: already exists; choose another name or allow overwriting")

    notes: list[str] = []
    pixels, alpha = _fit_to_format(picture.pixels, picture.alpha, fmt, notes)
    icc = _matching_profile(picture.icc_profile, grey=pixels.shape[2] == 1, notes=notes)
    if pixels.dtype == np.uint8 or (pixels.shape[2] == 1 and alpha is None):
        write = _pillow_writer(pixels, alpha, fmt, quality, picture.exif, icc, notes)
    elif fmt == "PNG":
        write = _png_writer(pixels, alpha, picture.exif, icc)
    else:
        write = _tiff_writer(pixels, alpha, icc)
        if picture.exif:
            notes.append(f"left out EXIF, which is not written to {picture.bit_depth}-bit colour TIFFs")
    try:
        _write_atomically(path, write)
    except OSError as error:
        raise InputError(f"{name}: cannot write ({error.strerror or error})") from error
    picture.notes.extend(note for note in notes if note not in picture.notes)
    return path


def backup_path(path: str | os.PathLike) -> Path:
    """Where ``--in-place`` keeps the original: ``name.orig.ext``, or ``name.orig-N.ext`` if taken.

    Parameters
    ----------
    path : path-like
        The file about to be replaced.

    Returns
    -------
    Path
        A path next to `path` that does not exist yet.

    Examples
    --------
    >>> backup_path("/nonexistent/photo.jpg").name
    'photo.orig.jpg'
    """
    path = Path(path)
    candidate = path.with_name(f"{path.stem}.orig{path.suffix}")
    counter = 1
    while os.path.lexists(candidate):
        candidate = path.with_name(f"{path.stem}.orig-{counter}{path.suffix}")
        counter += 1
    return candidate


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether `a` and `b` name the same existing file, through symlinks, relative paths and hard links.

    Parameters
    ----------
    a, b : path-like

    Returns
    -------
    bool
        False when either does not exist.
    """
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


# --- loading -------------------------------------------------------------------------------------


@dataclass
class _Encoded:
    """An encoded image, in a file or in memory; ``name`` is what messages call it."""

    name: str
    path: Path | None
    data: bytes | None

    def open(self) -> BinaryIO:
        return self.path.open("rb") if self.path is not None else io.BytesIO(self.data)

    def read(self) -> bytes:
        return self.path.read_bytes() if self.path is not None else self.data


class _PillowLimitLifted:
    """Lifts ``Image.MAX_IMAGE_PIXELS`` while any load runs, so that ``max_pixels`` alone decides.

    Pillow checks its limit on open and again while decoding some formats (TIFF, GIF frames).
    Counting the loads in progress keeps concurrent loads from restoring it under each other.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._saved: int | None = None

    def __enter__(self) -> None:
        with self._lock:
            if self._active == 0:
                self._saved = Image.MAX_IMAGE_PIXELS
                Image.MAX_IMAGE_PIXELS = None
            self._active += 1

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0:
                Image.MAX_IMAGE_PIXELS = self._saved


_PILLOW_LIMIT_LIFTED = _PillowLimitLifted()


def _from_encoded(encoded: _Encoded, max_pixels: int | None) -> Picture:
    try:
        with _PILLOW_LIMIT_LIFTED, encoded.open() as stream:
            try:
                image = Image.open(stream)
            except UnidentifiedImageError:
                stream.seek(0)
                head = stream.read(1024)
                if head[:4] not in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
                    raise InputError(f"{encoded.name}: {_describe_unreadable(head)}") from None
                picture = _from_high_bit_tiff(encoded, None, max_pixels)  # e.g. float colour
            except OSError as error:
                if error.errno is not None:  # the file system's, not the decoder's
                    raise
                raise InputError(f"{encoded.name}: {_describe_decode_error(error)}") from error
            else:
                with image:
                    picture = _from_pil(image, encoded.name, max_pixels, encoded=encoded)
    except OSError as error:
        raise InputError(f"{encoded.name}: cannot read ({error.strerror or error})") from error
    picture.source = encoded.path
    return picture


def _from_pil(image: Image.Image, name: str, max_pixels: int | None, *, encoded: _Encoded | None) -> Picture:
    _check_size(name, image.size, max_pixels)
    rawmode = None if encoded is None else _high_bit_rawmode(image)
    if rawmode is not None:
        if image.format == "TIFF":
            return _from_high_bit_tiff(encoded, image.mode, max_pixels)
        return _from_high_bit_png(encoded, image, grey_alpha=rawmode.startswith("LA"))
    notes = _frame_notes(getattr(image, "n_frames", 1))
    try:
        orientation = image.getexif().get(_ORIENTATION_TAG, 1)
        image.load()
        # Pillow's TIFF loader applies the orientation itself; the rest is left to us.
        pending = image.getexif().get(_ORIENTATION_TAG, 1)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error) as error:
        raise InputError(f"{name}: {_describe_decode_error(error)}") from error
    exif = image.info.get("exif")
    working, icc = _to_working_mode(image, name, image.info.get("icc_profile") or None, notes)
    array = _orient(_pil_to_array(working, notes), pending)
    pixels, alpha = _split_channels(array)
    _note_orientation(orientation, notes)
    return Picture(
        pixels,
        alpha,
        exif=_carried_exif(exif, orientation, notes),
        icc_profile=icc,
        format=image.format,
        mode=image.mode,
        notes=notes,
    )


def _from_high_bit_png(encoded: _Encoded, image: Image.Image, *, grey_alpha: bool) -> Picture:
    """16-bit colour and grey+alpha PNG, decoded by libpng through OpenCV."""
    exif = image.info.get("exif")
    # Only an eXIf chunk before the pixels is seen: PngImageFile.getexif() would decode the whole
    # image (at 8 bits) to look for one after them.
    orientation = 1 if exif is None else _exif_orientation(exif)
    array = cv2.imdecode(np.frombuffer(encoded.read(), np.uint8), cv2.IMREAD_UNCHANGED)
    if array is None or array.dtype != np.uint16:
        raise InputError(f"{encoded.name}: image data is truncated or corrupt")
    if array.ndim == 3:
        array = cv2.cvtColor(array, cv2.COLOR_BGR2RGB if array.shape[2] == 3 else cv2.COLOR_BGRA2RGBA)
    if grey_alpha:  # libpng hands it over as RGBA
        array = array[..., [0, 3]]
    notes: list[str] = []
    pixels, alpha = _split_channels(_orient(array, orientation))
    _note_orientation(orientation, notes)
    return Picture(
        pixels,
        alpha,
        exif=_carried_exif(exif, orientation, notes),
        icc_profile=_kept_profile(image.info.get("icc_profile"), "16-bit image", notes),
        format="PNG",
        mode=image.mode,
        notes=notes,
    )


def _from_high_bit_tiff(encoded: _Encoded, mode: str | None, max_pixels: int | None) -> Picture:
    """16-bit and float TIFFs, which Pillow decodes to 8 bits or cannot open.

    tifffile reads them exactly; libtiff (through OpenCV) decodes the compressions tifffile
    cannot without extra packages (LZW, JPEG).
    """
    import tifffile  # a scikit-image dependency; only high-bit TIFFs need it

    name = encoded.name
    try:
        with encoded.open() as stream, tifffile.TiffFile(stream) as tiff:
            page = tiff.pages.first
            _check_size(name, (page.imagewidth, page.imagelength), max_pixels)
            notes = _frame_notes(len(tiff.pages))
            samples = {tifffile.PHOTOMETRIC.MINISBLACK: (1, 2), tifffile.PHOTOMETRIC.RGB: (3, 4)}
            if page.samplesperpixel not in samples.get(page.photometric, ()):
                raise InputError(
                    f"{name}: TIFF with {page.samplesperpixel} samples per pixel "
                    f"({page.photometric.name}) is not supported"
                )
            orientation = page.tags.valueof(_ORIENTATION_TAG, 1)
            icc = page.tags.valueof(TiffImagePlugin.ICCPROFILE)
            if page.compression in tifffile.TIFF.DECOMPRESSORS:
                array = page.asarray()
                if page.planarconfig == tifffile.PLANARCONFIG.SEPARATE:
                    array = np.moveaxis(array, 0, -1)
            else:
                array = _decode_tiff_with_opencv(encoded, page.dtype, page.samplesperpixel)
    except InputError:
        raise
    except (ValueError, OSError, EOFError, IndexError, struct.error, zlib.error) as error:
        raise InputError(f"{name}: {_describe_decode_error(error)}") from error
    if array.dtype.kind == "f":
        array = _clip_float(array.astype(np.float32, copy=False), notes)
    elif array.dtype not in _BIT_DEPTHS:
        raise InputError(f"{name}: TIFF samples of type {array.dtype} are not supported")
    pixels, alpha = _split_channels(_orient(array, orientation))
    _note_orientation(orientation, notes)
    return Picture(
        pixels,
        alpha,
        icc_profile=_kept_profile(icc, f"{_BIT_DEPTHS[pixels.dtype]}-bit image", notes),
        format="TIFF",
        mode=mode,
        notes=notes,
    )


def _decode_tiff_with_opencv(encoded: _Encoded, dtype: np.dtype, samples: int) -> np.ndarray:
    array = cv2.imdecode(np.frombuffer(encoded.read(), np.uint8), cv2.IMREAD_UNCHANGED)
    if array is None:
        raise InputError(f"{encoded.name}: image data is truncated or corrupt")
    channels = 1 if array.ndim == 2 else array.shape[2]
    if array.dtype != dtype or channels != samples:
        # libtiff falls back to 8-bit RGBA for layouts OpenCV does not handle (16-bit grey+alpha).
        raise InputError(
            f"{encoded.name}: cannot decode this compressed {samples}-sample {dtype} TIFF; "
            "save it uncompressed or with deflate (zip) compression"
        )
    if channels >= 3:
        array = cv2.cvtColor(array, cv2.COLOR_BGR2RGB if channels == 3 else cv2.COLOR_BGRA2RGBA)
    return array


def _from_array(source: np.ndarray, max_pixels: int | None, *, copy: bool) -> Picture:
    array = source
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[2] not in (1, 2, 3, 4) or 0 in array.shape:
        raise InputError(f"array: shape {array.shape} is not an image; expected H x W or H x W x 1/2/3/4")
    if array.dtype.kind == "f":
        if not np.isfinite(array).all() or array.min() < -1e-6 or array.max() > 1 + 1e-6:
            raise InputError("array: float images must hold finite values in [0, 1]")
        array = np.clip(array, 0.0, 1.0, dtype=np.float32)
    elif array.dtype not in _BIT_DEPTHS:
        raise InputError(
            f"array: dtype {array.dtype} is not supported; use uint8, uint16, or float in [0, 1]"
        )
    _check_size("array", (array.shape[1], array.shape[0]), max_pixels)
    # Unless copy=False, neither the picture nor the caller's array may change under the other.
    pixels, alpha = _split_channels(array, own=copy)
    return Picture(pixels, alpha)


def _check_size(name: str, size: tuple[int, int], max_pixels: int | None) -> None:
    width, height = size
    if max_pixels is not None and width * height > max_pixels:
        raise InputError(
            f"{name}: {_megapixels(width * height)} MP ({width} x {height}) exceeds the "
            f"{max_pixels / 1e6:g} MP limit; raise it with --max-pixels"
        )


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1e6:.1f}" if pixels >= 100_000 else f"{pixels / 1e6:.2g}"


def _high_bit_rawmode(image: Image.Image) -> str | None:
    """The raw sample layout of a 16-bit colour or grey+alpha PNG/TIFF, which Pillow decodes to 8 bits."""
    if image.format not in ("PNG", "TIFF") or not image.tile:
        return None
    args = image.tile[0].args
    rawmode = args if isinstance(args, str) else args[0]
    return rawmode if rawmode.split(";")[0] in ("RGB", "RGBA", "LA") and ";16" in rawmode else None


def _exif_orientation(exif: bytes) -> int:
    tags = Image.Exif()
    tags.load(exif)
    return tags.get(_ORIENTATION_TAG, 1)


def _frame_notes(frames: int) -> list[str]:
    return [f"the file holds {frames} frames; used the first"] if frames > 1 else []


def _to_working_mode(
    image: Image.Image, name: str, icc: bytes | None, notes: list[str]
) -> tuple[Image.Image, bytes | None]:
    """Bring a decoded image to L, LA, RGB, RGBA or a numeric grey mode, and settle its ICC profile."""
    mode = image.mode
    if mode.startswith("I;16") or mode == "I":
        return image, _kept_profile(icc, "16-bit image", notes)
    if mode == "F":
        return image, _kept_profile(icc, "float image", notes)
    if mode == "CMYK":
        image, icc = _cmyk_to_rgb(image, icc, notes), None
    alpha = image.has_transparency_data
    target = ("LA" if alpha else "L") if mode in ("1", "L", "LA", "La") else ("RGBA" if alpha else "RGB")
    if image.mode != target:
        try:
            image = image.convert(target)
        except ValueError as error:
            raise InputError(f"{name}: colour mode {mode} is not supported") from error
    if target in ("L", "LA"):
        return image, _kept_profile(icc, "greyscale image", notes)
    return _convert_to_srgb(image, icc, notes), None


def _cmyk_to_rgb(image: Image.Image, icc: bytes | None, notes: list[str]) -> Image.Image:
    profile = _open_profile(icc)
    if profile is not None:
        try:
            rgb = ImageCms.profileToProfile(image, profile, _srgb_profile(), outputMode="RGB")
        except ImageCms.PyCMSError:
            pass
        else:
            notes.append(f"converted CMYK to sRGB through its {_profile_name(profile)} ICC profile")
            return rgb
    notes.append("converted CMYK to RGB without a colour profile; colours are approximate")
    return image.convert("RGB")


def _convert_to_srgb(image: Image.Image, icc: bytes | None, notes: list[str]) -> Image.Image:
    if icc is None:
        return image
    profile = _open_profile(icc)
    if profile is None:
        notes.append("ignored an unreadable ICC profile")
        return image
    name = _profile_name(profile)
    if "srgb" in name.lower():
        return image
    try:
        converted = ImageCms.profileToProfile(image, profile, _srgb_profile(), outputMode=image.mode)
    except ImageCms.PyCMSError:
        notes.append(f"ignored the {name} ICC profile, which does not fit a {image.mode} image")
        return image
    notes.append(f"converted {name} ICC profile to sRGB")
    return converted


def _kept_profile(icc: bytes | None, why: str, notes: list[str]) -> bytes | None:
    if not icc:
        return None
    profile = _open_profile(icc)
    if profile is None:
        notes.append("ignored an unreadable ICC profile")
        return None
    notes.append(f"kept the {_profile_name(profile)} ICC profile untouched ({why})")
    return icc


def _open_profile(icc: bytes | None) -> ImageCms.ImageCmsProfile | None:
    if not icc:
        return None
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except (ImageCms.PyCMSError, OSError, TypeError, ValueError):
        return None


def _profile_name(profile: ImageCms.ImageCmsProfile) -> str:
    try:
        return ImageCms.getProfileDescription(profile).strip() or "unnamed"
    except ImageCms.PyCMSError:
        return "unnamed"


@cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _pil_to_array(image: Image.Image, notes: list[str]) -> np.ndarray:
    array = np.asarray(image)
    if image.mode.startswith("I;16"):
        return array.astype(np.uint16)  # also makes big-endian I;16B native
    if image.mode == "I":
        if array.min() < 0 or array.max() > 65535:
            notes.append("clipped 32-bit integer samples to the 16-bit range")
        return np.clip(array, 0, 65535).astype(np.uint16)
    if image.mode == "F":
        return _clip_float(array.astype(np.float32), notes)
    return array


def _clip_float(array: np.ndarray, notes: list[str]) -> np.ndarray:
    if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
        notes.append("clipped float samples to [0, 1]")
        return np.clip(np.nan_to_num(array), 0.0, 1.0)
    return array


def _orient(array: np.ndarray, orientation: int) -> np.ndarray:
    if orientation not in _ORIENTATIONS:
        return array
    return _ORIENTATIONS[orientation][1](np.ascontiguousarray(array))


def _note_orientation(orientation: int, notes: list[str]) -> None:
    if orientation in _ORIENTATIONS:
        notes.append(f"applied EXIF orientation {orientation} ({_ORIENTATIONS[orientation][0]})")


def _split_channels(array: np.ndarray, *, own: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Split ``H x W [x C]`` into contiguous ``H x W x 1|3`` colour and ``H x W`` alpha.

    With ``own`` (the default) both are arrays of their own; without it, a
    contiguous input is returned as a view instead of copied.
    """
    if array.ndim == 2:
        array = array[..., None]
    channels = array.shape[2]
    alpha = array[..., -1] if channels in (2, 4) else None
    colour = array[..., :1] if channels == 2 else array[..., :3]
    owned = ["C_CONTIGUOUS", "WRITEABLE", "OWNDATA"] if own else ["C_CONTIGUOUS"]
    if alpha is not None:
        alpha = np.require(alpha, requirements=owned)
    return np.require(colour, requirements=owned), alpha


def _carried_exif(raw: bytes | None, orientation: int, notes: list[str]) -> bytes | None:
    if not raw:
        return None
    exif = raw if raw.startswith(_EXIF_PREFIX) else _EXIF_PREFIX + raw
    if orientation not in _ORIENTATIONS:
        return exif
    reset = _reset_orientation(exif)
    if reset is None:
        notes.append("left out EXIF whose orientation tag could not be reset")
    return reset


def _reset_orientation(exif: bytes) -> bytes | None:
    """Set IFD0's orientation to 1, leaving every other byte alone; None if the EXIF is malformed."""
    start = len(_EXIF_PREFIX)
    order = {b"II": "<", b"MM": ">"}.get(exif[start : start + 2])
    if order is None:
        return None
    try:
        (ifd,) = struct.unpack_from(order + "I", exif, start + 4)
        (count,) = struct.unpack_from(order + "H", exif, start + ifd)
        for index in range(count):
            entry = start + ifd + 2 + 12 * index
            tag, kind = struct.unpack_from(order + "HH", exif, entry)
            if tag == _ORIENTATION_TAG:
                if kind != 3:  # SHORT, as the standard requires
                    return None
                patched = bytearray(exif)
                struct.pack_into(order + "H", patched, entry + 8, 1)
                return bytes(patched)
    except struct.error:
        return None
    return exif  # the orientation came from XMP or TIFF tags; this EXIF has none to reset


def _describe_unreadable(head: bytes) -> str:
    for magic, fmt in ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"), (b"GIF8", "GIF")):
        if head.startswith(magic):
            return f"{fmt} header is truncated or corrupt"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WebP header is truncated or corrupt"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1"):
        return "HEIC/HEIF images cannot be read; convert it to JPEG or PNG first"
    if head.startswith(b"%PDF"):
        return "not an image file (looks like a PDF document)"
    start = head.lstrip()[:64].lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return "not an image file (looks like an HTML page)"
    if b"<svg" in head.lower():
        return "SVG is a vector format and cannot be read; convert it to PNG first"
    if b"\x00" not in head and len(head.translate(None, _TEXT_BYTES)) <= len(head) // 20:
        return "not an image file (looks like text)"
    return "not an image file, or in a format that cannot be read"


def _describe_decode_error(error: Exception) -> str:
    if isinstance(error, EOFError) or "truncated" in str(error).lower():
        return "image data is truncated (the file is incomplete)"
    return f"image data is corrupt ({error})"


# --- saving --------------------------------------------------------------------------------------


def _fit_to_format(
    pixels: np.ndarray, alpha: np.ndarray | None, fmt: str, notes: list[str]
) -> tuple[np.ndarray, np.ndarray | None]:
    """Adapt channels and bit depth to what `fmt` (and the writer used for it) can hold."""
    if fmt in ("JPEG", "BMP") and alpha is not None:
        pixels, alpha = _flatten_on_white(pixels, alpha), None
        notes.append(f"flattened transparency onto white ({fmt} keeps no alpha)")
    depth = _BIT_DEPTHS[pixels.dtype]
    if fmt == "PNG" and depth == 32:
        pixels, alpha = _float_to_uint16(pixels), None if alpha is None else _float_to_uint16(alpha)
        notes.append("stored the float image as 16-bit PNG")
    elif fmt not in ("PNG", "TIFF") and depth != 8:
        pixels, alpha = _to_uint8(pixels), None if alpha is None else _to_uint8(alpha)
        notes.append(f"rounded {depth}-bit samples to 8 bits ({fmt} holds 8)")
    if pixels.shape[2] == 1 and (
        fmt == "WEBP"  # WebP has no grey
        or (alpha is not None and (fmt == "GIF" or (fmt == "PNG" and pixels.dtype == np.uint16)))
    ):
        # Neither Pillow (GIF, 16-bit PNG) nor OpenCV (PNG) writes grey with alpha there.
        pixels = np.repeat(pixels, 3, axis=2)
        if alpha is not None:
            notes.append(f"stored grey with alpha as RGBA ({fmt})")
    if fmt == "GIF" and pixels.shape[2] == 3:
        notes.append("reduced to 256 colours (GIF)")
    return pixels, alpha


def _flatten_on_white(pixels: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    peak = _peak(pixels.dtype)
    weight = alpha.astype(np.float32)[..., None] * np.float32(1 / peak)
    flat = pixels.astype(np.float32) * weight + np.float32(peak) * (1 - weight)
    return flat if pixels.dtype == np.float32 else np.rint(flat).astype(pixels.dtype)


def _peak(dtype: np.dtype) -> float:
    return {8: 255.0, 16: 65535.0, 32: 1.0}[_BIT_DEPTHS[np.dtype(dtype)]]


def _to_uint8(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    scaled = cv2.convertScaleAbs(np.ascontiguousarray(array), alpha=255 / _peak(array.dtype))
    return scaled.reshape(array.shape)


def _float_to_uint16(array: np.ndarray) -> np.ndarray:
    return np.rint(array * np.float32(65535)).astype(np.uint16)


def _stack(pixels: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    if alpha is None:
        return pixels[..., 0] if pixels.shape[2] == 1 else pixels
    return np.concatenate([pixels, alpha[..., None]], axis=2)


def _matching_profile(icc: bytes | None, *, grey: bool, notes: list[str]) -> bytes | None:
    """The carried profile, if its colour space (ICC header bytes 16-20) fits the output channels."""
    if icc is None or icc[16:20] == (b"GRAY" if grey else b"RGB "):
        return icc
    notes.append("left out the ICC profile, which does not match the output's colour channels")
    return None


def _pillow_writer(
    pixels: np.ndarray,
    alpha: np.ndarray | None,
    fmt: str,
    quality: int,
    exif: bytes | None,
    icc: bytes | None,
    notes: list[str],
) -> Callable[[BinaryIO], None]:
    # uint8 as L/LA/RGB/RGBA; single-channel uint16 and float32 as I;16 and F, at full precision.
    image = Image.fromarray(_stack(pixels, alpha))
    options: dict[str, object] = {}
    if fmt in ("JPEG", "WEBP"):
        options["quality"] = quality
    if fmt == "JPEG":
        options["subsampling"] = 0 if quality >= 90 else 2
    if fmt == "TIFF":
        options["compression"] = "tiff_adobe_deflate"
    if exif and fmt in ("JPEG", "PNG", "WEBP"):
        options["exif"] = exif
    elif exif and fmt == "TIFF":
        tags = Image.Exif()
        tags.load(exif)
        left_out = set(tags) - _TIFF_EXIF_TAGS
        for tag in left_out:
            del tags[tag]
        if left_out:
            notes.append("wrote only the descriptive EXIF tags (camera, date, author) to the TIFF")
        options["exif"] = tags
    if icc and fmt in ("JPEG", "PNG", "WEBP", "TIFF"):
        options["icc_profile"] = icc
    return lambda stream: image.save(stream, format=fmt, **options)


def _png_writer(
    pixels: np.ndarray, alpha: np.ndarray | None, exif: bytes | None, icc: bytes | None
) -> Callable[[BinaryIO], None]:
    """16-bit colour PNG through OpenCV, with the metadata chunks Pillow would have written."""
    array = _stack(pixels, alpha)
    bgr = cv2.cvtColor(array, cv2.COLOR_RGB2BGR if alpha is None else cv2.COLOR_RGBA2BGRA)
    ok, encoded = cv2.imencode(".png", bgr)
    if not ok:
        raise InputError(f"OpenCV could not encode a {array.shape} {array.dtype} PNG")
    chunks = []
    if icc:
        chunks.append((b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(icc)))
    if exif:
        chunks.append((b"eXIf", exif.removeprefix(_EXIF_PREFIX)))
    data = _insert_png_chunks(encoded.tobytes(), chunks)
    return lambda stream: stream.write(data)


def _insert_png_chunks(png: bytes, chunks: list[tuple[bytes, bytes]]) -> bytes:
    """Insert chunks just before the first IDAT, where iCCP and eXIf must be."""
    position = 8
    while png[position + 4 : position + 8] != b"IDAT":
        (length,) = struct.unpack_from(">I", png, position)
        position += 12 + length
    extra = b"".join(
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        for kind, data in chunks
    )
    return png[:position] + extra + png[position:]


def _tiff_writer(
    pixels: np.ndarray, alpha: np.ndarray | None, icc: bytes | None
) -> Callable[[BinaryIO], None]:
    """16-bit and float colour (or grey+alpha) TIFF, which Pillow has no mode for."""
    import tifffile

    buffer = io.BytesIO()  # tifffile needs a named file or a buffer, not a bare descriptor
    tifffile.imwrite(
        buffer,
        _stack(pixels, alpha),
        photometric="rgb" if pixels.shape[2] == 3 else "minisblack",
        extrasamples=("unassalpha",) if alpha is not None else None,
        # Fast deflate in strips that compress in parallel, as OpenCV's PNG default; the
        # horizontal predictor shrinks 16-bit photos by about a quarter (tifffile cannot apply
        # the float one without imagecodecs).
        compression="zlib",
        compressionargs={"level": 1},
        predictor=pixels.dtype == np.uint16,
        rowsperstrip=64,
        iccprofile=icc,
        metadata=None,
    )
    return lambda stream: stream.write(buffer.getbuffer())


def _write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write through a temporary file in the same directory, then rename it over `path`."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # 0o666 lets the umask decide the new file's permissions, as for any other new file.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        if path.is_file() and not path.is_symlink():
            os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename durable. Some systems cannot sync a directory; the data itself is synced."""
    if os.name != "posix":
        return
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
