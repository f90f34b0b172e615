"""Loading and saving: modes, bit depths, orientation, colour profiles, limits, atomic writes.

Every input is generated in ``tmp_path``; every file load goes through :func:`load`, which also
checks that the input file is byte-identical afterwards, whether the load succeeded or not.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile
from helpers import png_bytes, png_from_chunks
from PIL import Image, ImageCms, ImageFile, ImageOps
from skimage import data

from retouch import io as rio
from retouch.errors import InputError
from retouch.io import (
    DEFAULT_MAX_PIXELS,
    Picture,
    backup_path,
    load_image,
    same_file,
    save_image,
    to_array,
    to_pil,
)

ORIENTATION = 0x0112
EXIF_IFD = 0x8769
DATE_TIME_ORIGINAL = 0x9003


def load(path: Path, **options) -> Picture:
    """load_image(path), asserting the file is byte-identical afterwards (also when it raises)."""
    before = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    try:
        return load_image(path, **options)
    finally:
        after = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        assert after == before, f"load_image modified {path}"


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return np.ascontiguousarray(data.astronaut()[40:200:2, 120:360:2])  # 80 x 120, face and suit


@pytest.fixture(scope="module")
def camera16() -> np.ndarray:
    """16-bit grey with every low byte in use, so an 8-bit detour would show."""
    camera = data.camera()[::4, ::4].astype(np.uint16)
    noise = np.random.default_rng(1).integers(0, 256, camera.shape, dtype=np.uint16)
    return camera * 256 + noise


@pytest.fixture(scope="module")
def coffee16() -> np.ndarray:
    coffee = data.coffee()[::4, ::4].astype(np.uint16)
    noise = np.random.default_rng(2).integers(0, 256, coffee.shape, dtype=np.uint16)
    return coffee * 256 + noise


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def iccp_chunk(profile: bytes) -> tuple[bytes, bytes]:
    return b"iCCP", b"test profile\x00\x00" + zlib.compress(profile)


def s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


D50 = (0.9642, 1.0, 0.8249)
# Adobe RGB (1998) primaries adapted to D50, and its 2.2 (563/256) tone curve.
ADOBE_RGB = ((0.60974, 0.31111, 0.01947), (0.20528, 0.62567, 0.06087), (0.14919, 0.06322, 0.74457))
ADOBE_GAMMA = 563 / 256
SRGB_D50 = ((0.43607, 0.22249, 0.01392), (0.38515, 0.71687, 0.09708), (0.14307, 0.06061, 0.71410))


def icc_profile(
    description: str, primaries=ADOBE_RGB, gamma: float = ADOBE_GAMMA, grey: bool = False
) -> bytes:
    """A minimal ICC v2 display profile (matrix/TRC, or grey TRC), built byte by byte."""
    text = description.encode() + b"\x00"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(4 + 4 + 2 + 1 + 67)
    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, round(gamma * 256))
    xyz = [b"XYZ " + bytes(4) + b"".join(s15(v) for v in primary) for primary in primaries]
    white = b"XYZ " + bytes(4) + b"".join(s15(v) for v in D50)
    if grey:
        tags = [(b"desc", desc), (b"wtpt", white), (b"kTRC", curve)]
    else:
        tags = [(b"desc", desc), (b"wtpt", white), (b"rXYZ", xyz[0]), (b"gXYZ", xyz[1]), (b"bXYZ", xyz[2])]
        tags += [(b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    offset = 128 + 4 + 12 * len(tags)
    table, body = struct.pack(">I", len(tags)), b""
    for signature, payload in tags:
        payload += bytes(-len(payload) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(payload))
        body += payload
    space = b"GRAY" if grey else b"RGB "
    header = struct.pack(">I", offset + len(body)) + bytes(4) + bytes([2, 0x10, 0, 0]) + b"mntr" + space
    header += b"XYZ " + bytes(12) + b"acsp" + bytes(24) + bytes(4) + b"".join(s15(v) for v in D50) + bytes(48)
    assert len(header) == 128
    return header + table + body


def exif_bytes(orientation: int | None, *, with_date: bool = True) -> bytes:
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    exif[0x010F] = "Retouch Test Camera"
    if with_date:
        exif.get_ifd(EXIF_IFD)[DATE_TIME_ORIGINAL] = "2021:05:01 12:34:56"
    return exif.tobytes()


# --- refusing bad input, clearly -----------------------------------------------------------------


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match=r"nope\.jpg: no such file"):
        load_image(tmp_path / "nope.jpg")
    with pytest.raises(InputError, match="is a directory"):
        load_image(tmp_path)


def test_zero_byte_file(tmp_path):
    path = write(tmp_path / "empty.jpg", b"")
    with pytest.raises(InputError, match=r"empty\.jpg: file is empty \(0 bytes\)") as caught:
        load(path)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"hello, this is a note about my holiday photos\n" * 20, r"not an image file \(looks like text\)"),
        (
            b"<!DOCTYPE html><html><body>404 Not Found</body></html>",
            r"not an image file \(looks like an HTML",
        ),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", r"not an image file \(looks like a PDF"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC/HEIF"),
        (bytes(np.random.default_rng(0).integers(0, 256, 300, dtype=np.uint8)), "not an image file"),
    ],
    ids=["text", "html", "pdf", "heic", "binary"],
)
def test_not_an_image(tmp_path, content, expected):
    path = write(tmp_path / "photo.jpg", content)
    with pytest.raises(InputError, match=r"photo\.jpg: " + expected):
        load(path)


def test_truncated_jpeg(tmp_path, astronaut):
    full = encode(Image.fromarray(astronaut), "JPEG", quality=90)
    path = write(tmp_path / "cut.jpg", full[: len(full) // 2])
    with pytest.raises(InputError, match=r"cut\.jpg: image data is truncated"):
        load(path)
    path = write(tmp_path / "stub.jpg", full[:40])  # not even a whole header
    with pytest.raises(InputError, match=r"stub\.jpg: .*truncated"):
        load(path)
    assert not ImageFile.LOAD_TRUNCATED_IMAGES  # refused, not silently padded with grey


@pytest.mark.parametrize("depth", [8, 16])
def test_truncated_png(tmp_path, coffee16, depth):
    full = png_bytes(coffee16 if depth == 16 else (coffee16 >> 8).astype(np.uint8))
    path = write(tmp_path / "cut.png", full[: len(full) * 2 // 3])
    with pytest.raises(InputError, match=r"cut\.png: image data is truncated"):
        load(path)


def test_huge_png_header_fails_fast_before_decoding(tmp_path):
    # A few hundred bytes whose header claims 50 000 x 50 000 RGB: 7.5 GB if anyone decoded it.
    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
    chunks = [(b"IHDR", header), (b"IDAT", zlib.compress(bytes(1000))), (b"IEND", b"")]
    path = write(tmp_path / "big.png", png_from_chunks(chunks))
    message = r"big\.png: 2500\.0 MP \(50000 x 50000\) exceeds the 200 MP limit; raise it with --max-pixels"
    with pytest.raises(InputError, match=message):
        load(path)
    with pytest.raises(InputError, match="exceeds the 200 MP limit"):
        load_image(path.read_bytes())


def test_max_pixels_is_configurable_and_rules_over_pillows_limit(tmp_path, astronaut, monkeypatch):
    path = write(tmp_path / "small.png", encode(Image.fromarray(astronaut), "PNG"))  # 120 x 80
    with pytest.raises(InputError, match=r"0\.0096 MP \(120 x 80\) exceeds the 0\.0095 MP limit"):
        load(path, max_pixels=9_500)
    assert load(path, max_pixels=9_600).megapixels == pytest.approx(0.0096)
    assert load(path, max_pixels=None).width == 120
    with pytest.raises(InputError, match="exceeds"):
        load_image(astronaut, max_pixels=100)
    # Pillow's own decompression-bomb limit neither applies during our load nor stays lifted after it.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    assert load(path).height == 80
    assert Image.MAX_IMAGE_PIXELS == 1000
    assert DEFAULT_MAX_PIXELS == 200_000_000


# --- modes ---------------------------------------------------------------------------------------


def test_grey_and_grey_alpha(tmp_path, astronaut):
    grey = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    ramp = np.tile(np.linspace(0, 255, grey.shape[1]).astype(np.uint8), (grey.shape[0], 1))
    picture = load(write(tmp_path / "l.png", png_bytes(grey)))
    assert (picture.pixels.shape, picture.alpha, picture.mode) == ((80, 120, 1), None, "L")
    np.testing.assert_array_equal(picture.pixels[..., 0], grey)
    picture = load(write(tmp_path / "la.png", png_bytes(np.dstack([grey, ramp]))))
    assert picture.channels == 1 and picture.mode == "LA"
    np.testing.assert_array_equal(picture.alpha, ramp)


def test_one_bit_image_loads_as_grey(tmp_path, astronaut):
    bilevel = Image.fromarray(astronaut).convert("1")
    picture = load(write(tmp_path / "fax.png", encode(bilevel, "PNG")))
    assert picture.mode == "1" and picture.pixels.dtype == np.uint8 and picture.channels == 1
    assert set(np.unique(picture.pixels)) == {0, 255}


def test_palette_png_with_transparency_becomes_rgba(tmp_path):
    indices = np.arange(48, dtype=np.uint8).reshape(6, 8) % 4
    palette = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]
    image = Image.fromarray(indices, mode="P")
    image.putpalette(palette)
    picture = load(write(tmp_path / "p.png", encode(image, "PNG", transparency=bytes([255, 128, 0, 255]))))
    assert picture.mode == "P" and picture.channels == 3
    np.testing.assert_array_equal(picture.alpha, np.array([255, 128, 0, 255], np.uint8)[indices])
    np.testing.assert_array_equal(picture.pixels, np.array(palette, np.uint8).reshape(4, 3)[indices])
    # A single transparent index (GIF style) works the same way.
    picture = load(write(tmp_path / "p1.png", encode(image, "PNG", transparency=2)))
    np.testing.assert_array_equal(picture.alpha, np.where(indices == 2, 0, 255))
    # Without transparency a palette image is plain RGB.
    assert load(write(tmp_path / "p2.png", encode(image, "PNG"))).alpha is None


def test_cmyk_jpeg_becomes_rgb(tmp_path, astronaut):
    path = write(
        tmp_path / "cmyk.jpg", encode(Image.fromarray(astronaut).convert("CMYK"), "JPEG", quality=95)
    )
    picture = load(path)
    assert picture.mode == "CMYK" and picture.pixels.shape == (80, 120, 3)
    assert np.abs(picture.pixels.astype(int) - astronaut).mean() < 3
    assert any("CMYK" in note for note in picture.notes)


def test_animated_gif_uses_first_frame(tmp_path):
    frames = [Image.new("RGB", (10, 8), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    picture = load(path)
    np.testing.assert_array_equal(picture.pixels[0, 0], [255, 0, 0])
    assert "the file holds 3 frames; used the first" in picture.notes


# --- bit depth -----------------------------------------------------------------------------------


@pytest.mark.parametrize("out_ext", [".tif", ".png"])
def test_16bit_grey_tiff_round_trip(tmp_path, camera16, out_ext):
    source = tmp_path / "grey16.tif"
    Image.fromarray(camera16).save(source)
    picture = load(source)
    assert picture.pixels.dtype == np.uint16 and picture.channels == 1 and picture.bit_depth == 16
    np.testing.assert_array_equal(picture.pixels[..., 0], camera16)
    out = save_image(picture, tmp_path / f"out{out_ext}")
    np.testing.assert_array_equal(load(out).pixels[..., 0], camera16)


@pytest.mark.parametrize("out_ext", [".png", ".tif"])
def test_16bit_rgb_png_round_trip(tmp_path, coffee16, out_ext):
    picture = load(write(tmp_path / "rgb16.png", png_bytes(coffee16)))
    assert picture.pixels.dtype == np.uint16 and picture.mode == "RGB"
    np.testing.assert_array_equal(picture.pixels, coffee16)
    out = save_image(picture, tmp_path / f"out{out_ext}")
    np.testing.assert_array_equal(load(out).pixels, coffee16)
    # An independent decoder reads the same 16-bit values.
    np.testing.assert_array_equal(cv2.imread(str(out), cv2.IMREAD_UNCHANGED)[..., ::-1], coffee16)


def test_16bit_colour_tiff_with_lzw_is_read_through_libtiff(tmp_path, coffee16):
    ok, encoded = cv2.imencode(".tif", coffee16[..., ::-1].copy())  # OpenCV compresses TIFF with LZW
    assert ok
    picture = load(write(tmp_path / "lzw.tif", encoded.tobytes()))
    np.testing.assert_array_equal(picture.pixels, coffee16)


@pytest.mark.parametrize("channels", [2, 4])
@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_16bit_alpha_round_trip(tmp_path, coffee16, channels, ext):
    colour = coffee16 if channels == 4 else coffee16[..., 1:2]
    alpha = np.linspace(0, 65535, coffee16.shape[1]).astype(np.uint16)[None, :].repeat(coffee16.shape[0], 0)
    stacked = np.dstack([colour, alpha])
    if ext == ".png":
        source = write(tmp_path / "in.png", png_bytes(stacked))
    else:
        source = tmp_path / "in.tif"
        tifffile.imwrite(
            source, stacked, photometric="rgb" if channels == 4 else "minisblack", extrasamples=[2]
        )
    picture = load(source)
    assert picture.pixels.dtype == np.uint16 and picture.channels == channels - 1
    np.testing.assert_array_equal(to_array(picture), stacked)
    again = load(save_image(picture, tmp_path / f"out{ext}"))
    np.testing.assert_array_equal(again.alpha, alpha)
    np.testing.assert_array_equal(again.pixels[..., :1] if channels == 2 else again.pixels, colour)


def test_float_tiff_loads_as_float32_and_round_trips(tmp_path):
    rng = np.random.default_rng(3)
    colour = rng.random((20, 30, 3), dtype=np.float32)
    tifffile.imwrite(tmp_path / "rgb.tif", colour * 1.2 - 0.1, photometric="rgb")  # out of [0, 1]
    picture = load(tmp_path / "rgb.tif")
    assert picture.pixels.dtype == np.float32 and picture.bit_depth == 32
    np.testing.assert_allclose(picture.pixels, np.clip(colour * 1.2 - 0.1, 0, 1))
    assert "clipped float samples to [0, 1]" in picture.notes
    np.testing.assert_array_equal(load(save_image(picture, tmp_path / "out.tif")).pixels, picture.pixels)
    grey = Image.fromarray(colour[..., 0])  # mode F
    grey.save(tmp_path / "grey.tif")
    picture = load(tmp_path / "grey.tif")
    assert picture.mode == "F" and picture.pixels.dtype == np.float32
    np.testing.assert_array_equal(
        load(save_image(picture, tmp_path / "g.tif")).pixels[..., 0], colour[..., 0]
    )
    as_png = load(save_image(picture, tmp_path / "g.png"))
    assert as_png.pixels.dtype == np.uint16
    np.testing.assert_array_equal(as_png.pixels[..., 0], np.rint(colour[..., 0] * 65535).astype(np.uint16))


def test_16bit_to_8bit_formats_rounds(tmp_path, coffee16):
    picture = Picture(coffee16, None)
    save_image(picture, tmp_path / "out.webp", quality=100)
    assert any("rounded 16-bit samples to 8 bits" in note for note in picture.notes)
    save_image(picture, tmp_path / "out.bmp")
    expected = np.rint(coffee16 / 257).astype(np.uint8)
    np.testing.assert_array_equal(load(tmp_path / "out.bmp").pixels, expected)


# --- orientation ---------------------------------------------------------------------------------


def test_exif_orientation_6_jpeg(tmp_path, astronaut):
    source = write(tmp_path / "phone.jpg", encode(Image.fromarray(astronaut), "JPEG", exif=exif_bytes(6)))
    picture = load(source)
    assert picture.pixels.shape == (120, 80, 3)  # 90° clockwise: the stored 120 x 80 stands upright
    with Image.open(source) as original:
        np.testing.assert_array_equal(picture.pixels, np.asarray(ImageOps.exif_transpose(original)))
    assert "applied EXIF orientation 6 (rotated 90° clockwise)" in picture.notes
    # The output says orientation 1, keeps the rest of the EXIF, and shows the same upright pixels.
    out = save_image(picture, tmp_path / "out.jpg", quality=95)
    with Image.open(out) as saved:
        exif = saved.getexif()
        assert exif[ORIENTATION] == 1
        assert exif[0x010F] == "Retouch Test Camera"
        assert exif.get_ifd(EXIF_IFD)[DATE_TIME_ORIGINAL] == "2021:05:01 12:34:56"
        assert saved.size == (80, 120)
    assert np.abs(load(out).pixels.astype(int) - picture.pixels).mean() < 2
    for ext in (".png", ".webp", ".tif"):
        with Image.open(save_image(picture, tmp_path / f"out{ext}")) as saved:
            exif = saved.getexif()
            assert exif.get(ORIENTATION, 1) == 1 and exif[0x010F] == "Retouch Test Camera", ext
            assert saved.size == (80, 120)
    # Only the orientation value changed in the carried EXIF.
    with Image.open(source) as original:
        raw = original.info["exif"]
    assert len(picture.exif) == len(raw) and sum(a != b for a, b in zip(picture.exif, raw, strict=True)) == 1


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_matches_pillow(tmp_path, orientation):
    pixels = np.random.default_rng(orientation).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    path = write(tmp_path / "o.png", encode(Image.fromarray(pixels), "PNG", exif=exif_bytes(orientation)))
    picture = load(path)
    with Image.open(path) as original:
        np.testing.assert_array_equal(picture.pixels, np.asarray(ImageOps.exif_transpose(original)))
    exif = Image.Exif()
    exif.load(picture.exif)
    assert exif[ORIENTATION] == 1


def test_orientation_of_16bit_png_and_of_tiff(tmp_path, coffee16):
    png = png_bytes(coffee16, chunks=((b"eXIf", exif_bytes(8)[6:]),))
    picture = load(write(tmp_path / "o.png", png))
    np.testing.assert_array_equal(picture.pixels, np.rot90(coffee16))  # 8: 90° counter-clockwise
    with Image.open(save_image(picture, tmp_path / "out.png")) as saved:  # eXIf written by hand
        assert saved.getexif()[ORIENTATION] == 1 and saved.getexif()[0x010F] == "Retouch Test Camera"
    tifffile.imwrite(tmp_path / "o.tif", coffee16, photometric="rgb", extratags=[(ORIENTATION, "H", 1, 3)])
    np.testing.assert_array_equal(load(tmp_path / "o.tif").pixels, coffee16[::-1, ::-1])
    # Pillow turns 8-bit TIFFs upright itself while decoding; it must not happen twice.
    eight = (coffee16 >> 8).astype(np.uint8)
    tags = Image.Exif()
    tags[ORIENTATION] = 6
    Image.fromarray(eight).save(tmp_path / "o8.tif", exif=tags)
    picture = load(tmp_path / "o8.tif")
    np.testing.assert_array_equal(picture.pixels, np.rot90(eight, -1))
    assert "applied EXIF orientation 6 (rotated 90° clockwise)" in picture.notes


# --- colour profiles -----------------------------------------------------------------------------


def expected_adobe_to_srgb(values: np.ndarray) -> np.ndarray:
    """Adobe RGB -> XYZ (D50) -> sRGB, computed independently of LittleCMS."""
    linear = (values / 255.0) ** ADOBE_GAMMA
    xyz = linear @ np.array(ADOBE_RGB)
    srgb_linear = np.clip(xyz @ np.linalg.inv(np.array(SRGB_D50)), 0, 1)
    encoded = np.where(
        srgb_linear <= 0.0031308, 12.92 * srgb_linear, 1.055 * srgb_linear ** (1 / 2.4) - 0.055
    )
    return encoded * 255


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])  # the PNG has alpha
def test_adobe_rgb_8bit_is_converted_to_srgb(tmp_path, fmt):
    colours = np.array([[128, 128, 128], [200, 60, 50], [60, 150, 90], [70, 90, 180], [230, 220, 40]])
    pixels = np.repeat(colours[None], 4, axis=0).astype(np.uint8)
    alpha = np.full(pixels.shape[:2], 200, np.uint8)
    image = Image.fromarray(np.dstack([pixels, alpha]) if fmt == "PNG" else pixels)
    profile = icc_profile("Adobe RGB (1998)")
    path = write(tmp_path / f"adobe.{fmt.lower()}", encode(image, fmt, quality=100, icc_profile=profile))
    picture = load(path)
    assert "converted Adobe RGB (1998) ICC profile to sRGB" in picture.notes
    assert picture.icc_profile is None
    if fmt == "PNG":
        np.testing.assert_array_equal(picture.alpha, alpha)
    with Image.open(path) as stored:
        source = np.asarray(stored.convert("RGB"))[1].astype(float)  # as decoded, before conversion
    got = picture.pixels[1].astype(float)
    np.testing.assert_allclose(got, expected_adobe_to_srgb(source), atol=2.5)
    # Adobe RGB has a wider gamut: the saturated red gets more saturated in sRGB numbers.
    assert got[1, 0] - got[1, 1] > source[1, 0] - source[1, 1] + 10


def test_srgb_profile_is_a_no_op(tmp_path, astronaut):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    picture = load(write(tmp_path / "srgb.png", encode(Image.fromarray(astronaut), "PNG", icc_profile=srgb)))
    np.testing.assert_array_equal(picture.pixels, astronaut)
    assert picture.notes == [] and picture.icc_profile is None


@pytest.mark.parametrize("out_ext", [".png", ".tif"])
def test_16bit_profile_is_carried_through_untouched(tmp_path, coffee16, out_ext):
    profile = icc_profile("Adobe RGB (1998)")
    picture = load(write(tmp_path / "adobe16.png", png_bytes(coffee16, chunks=(iccp_chunk(profile),))))
    np.testing.assert_array_equal(picture.pixels, coffee16)  # not converted
    assert picture.icc_profile == profile
    assert "kept the Adobe RGB (1998) ICC profile untouched (16-bit image)" in picture.notes
    out = save_image(picture, tmp_path / f"out{out_ext}")
    with Image.open(out) as saved:
        assert saved.info["icc_profile"] == profile
    again = load(out)
    assert again.icc_profile == profile
    np.testing.assert_array_equal(again.pixels, coffee16)


def test_grey_profile_kept_and_dropped_when_output_turns_colour(tmp_path, camera16):
    profile = icc_profile("Gray Gamma 2.2", grey=True)
    grey8 = (camera16 >> 8).astype(np.uint8)
    picture = load(write(tmp_path / "g.png", png_bytes(grey8, chunks=(iccp_chunk(profile),))))
    np.testing.assert_array_equal(picture.pixels[..., 0], grey8)
    assert picture.icc_profile == profile
    with Image.open(save_image(picture, tmp_path / "g.jpg")) as saved:
        assert saved.info["icc_profile"] == profile
    colour = picture.with_pixels(np.repeat(picture.pixels, 3, axis=2))
    with Image.open(save_image(colour, tmp_path / "c.png")) as saved:
        assert "icc_profile" not in saved.info
    assert any("does not match" in note for note in colour.notes)


# --- alpha and other formats ----------------------------------------------------------------------


@pytest.mark.parametrize("ext", [".png", ".tif", ".webp", ".gif"])
def test_8bit_alpha_round_trip(tmp_path, astronaut, ext):
    alpha = np.zeros(astronaut.shape[:2], np.uint8)
    alpha[:, 40:] = 255
    picture = load_image(np.dstack([astronaut, alpha]))
    again = load(save_image(picture, tmp_path / f"out{ext}", quality=100))
    np.testing.assert_array_equal(again.alpha, alpha)
    if ext in (".png", ".tif"):
        np.testing.assert_array_equal(again.pixels, astronaut)


@pytest.mark.parametrize("ext", [".jpg", ".bmp"])
def test_jpeg_and_bmp_flatten_alpha_onto_white(tmp_path, ext):
    pixels = np.zeros((16, 16, 3), np.uint8)
    alpha = np.zeros((16, 16), np.uint8)
    alpha[:, 8:] = 255
    picture = Picture(pixels, alpha)
    saved = load(save_image(picture, tmp_path / f"flat{ext}", quality=100))
    assert saved.alpha is None
    assert saved.pixels[:, :6].min() >= 250 and saved.pixels[:, 10:].max() <= 5  # white, black
    assert any(note.startswith("flattened transparency onto white") for note in picture.notes)


def test_jpeg_quality_option(tmp_path, astronaut):
    picture = Picture(astronaut, None)
    small = save_image(picture, tmp_path / "q30.jpg", quality=30).stat().st_size
    large = save_image(picture, tmp_path / "q95.jpeg", quality=95).stat().st_size
    assert small < large
    with pytest.raises(InputError, match="quality"):
        save_image(picture, tmp_path / "q.jpg", quality=0)


# --- other sources --------------------------------------------------------------------------------


def test_array_sources(astronaut):
    grey = load_image(astronaut[..., 0])
    assert grey.pixels.shape == (80, 120, 1) and grey.alpha is None
    assert not np.shares_memory(grey.pixels, astronaut)
    rgba = load_image(np.dstack([astronaut, astronaut[..., 0]]))
    assert rgba.channels == 3 and np.array_equal(rgba.alpha, astronaut[..., 0])
    la = load_image(astronaut[..., :2])
    assert la.channels == 1 and np.array_equal(la.alpha, astronaut[..., 1])
    rgb = load_image(astronaut)
    assert not np.shares_memory(rgb.pixels, astronaut) and np.array_equal(rgb.pixels, astronaut)
    floats = load_image(astronaut / 255.0)
    assert floats.pixels.dtype == np.float32 and floats.bit_depth == 32
    assert load_image(astronaut.astype(np.uint16) * 257).bit_depth == 16


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((4, 4), np.int64), "dtype int64 is not supported"),
        (np.zeros((4, 4), bool), "dtype bool is not supported"),
        (np.full((4, 4), 1.5), r"float images must hold finite values in \[0, 1\]"),
        (np.full((4, 4), np.nan, np.float32), "finite"),
        (np.zeros((4, 4, 5), np.uint8), "shape"),
        (np.zeros(4, np.uint8), "shape"),
    ],
)
def test_bad_arrays(array, message):
    with pytest.raises(InputError, match=message):
        load_image(array)


def test_pil_bytes_and_picture_sources(tmp_path, astronaut):
    image = Image.fromarray(astronaut).convert("P")
    from_pil = load_image(image)
    np.testing.assert_array_equal(from_pil.pixels, np.asarray(image.convert("RGB")))
    assert from_pil.mode == "P" and from_pil.source is None
    encoded = encode(Image.fromarray(astronaut), "PNG")
    from_bytes = load_image(encoded)
    np.testing.assert_array_equal(from_bytes.pixels, astronaut)
    assert from_bytes.format == "PNG" and from_bytes.source is None
    path = write(tmp_path / "a.png", encoded)
    assert load(path).source == path
    assert load_image(from_bytes) is from_bytes
    with pytest.raises(InputError, match="cannot load an image from a list"):
        load_image([1, 2, 3])


def test_to_pil_and_to_array(coffee16, camera16):
    rgb16 = Picture(coffee16, None)
    assert to_pil(rgb16).mode == "RGB"
    np.testing.assert_array_equal(np.asarray(to_pil(rgb16)), np.rint(coffee16 / 257).astype(np.uint8))
    assert to_pil(Picture(camera16[..., None], None)).mode == "I;16"
    alpha8 = np.full(camera16.shape, 255, np.uint8)
    grey_alpha = Picture((camera16 >> 8).astype(np.uint8)[..., None], alpha8)
    assert to_pil(grey_alpha).mode == "LA" and to_array(grey_alpha).shape == (*camera16.shape, 2)
    assert to_array(Picture(camera16[..., None], None)).shape == camera16.shape
    rgba = Picture(coffee16, np.zeros(coffee16.shape[:2], np.uint16))
    assert to_pil(rgba).mode == "RGBA" and to_array(rgba).dtype == np.uint16


def test_picture_properties_and_with_pixels(astronaut):
    picture = Picture(astronaut, np.zeros((80, 120), np.uint8), exif=b"Exif\x00\x00", notes=["loaded"])
    assert (picture.height, picture.width, picture.channels, picture.has_alpha) == (80, 120, 3, True)
    assert picture.bit_depth == 8 and picture.megapixels == pytest.approx(0.0096)
    brighter = picture.with_pixels(astronaut // 2 + 100)
    assert brighter.alpha is picture.alpha and brighter.exif == picture.exif
    brighter.notes.append("brightened")
    assert picture.notes == ["loaded"]
    cropped = picture.with_pixels(astronaut[:10], alpha=None)
    assert cropped.height == 10 and cropped.alpha is None
    with pytest.raises(ValueError, match="alpha"):
        picture.with_pixels(astronaut[:10])
    with pytest.raises(ValueError, match="H x W x 1 or H x W x 3"):
        Picture(astronaut[..., :2], None)


# --- atomic saving -------------------------------------------------------------------------------


def test_save_leaves_no_temporary_files_and_respects_umask(tmp_path, astronaut):
    target = save_image(Picture(astronaut, None), tmp_path / "out.png")
    assert sorted(os.listdir(tmp_path)) == ["out.png"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    target.chmod(0o640)  # replacing a file keeps its permissions
    save_image(Picture(astronaut, None), target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@pytest.mark.parametrize("failure", ["encoder", "disk"])
def test_failed_save_leaves_existing_target_untouched(tmp_path, astronaut, monkeypatch, failure):
    target = write(tmp_path / "keep.png", encode(Image.fromarray(astronaut), "PNG"))
    before = target.read_bytes()
    if failure == "encoder":

        def broken_save(*args, **kwargs):
            raise RuntimeError("encoder exploded")

        monkeypatch.setattr(Image.Image, "save", broken_save)
        expected = pytest.raises(RuntimeError, match="encoder exploded")
    else:

        def full_disk(descriptor):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(rio.os, "fsync", full_disk)
        expected = pytest.raises(InputError, match=r"keep\.png: cannot write \(No space left on device\)")
    with expected:
        save_image(Picture(255 - astronaut, None), target)
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.png"]


def test_save_refusals(tmp_path, astronaut):
    picture = Picture(astronaut, None)
    existing = write(tmp_path / "there.png", b"precious")
    with pytest.raises(InputError, match=r"there\.png: already exists"):
        save_image(picture, existing, overwrite=False)
    assert existing.read_bytes() == b"precious"
    with pytest.raises(InputError, match=r"directory .*missing does not exist"):
        save_image(picture, tmp_path / "missing" / "out.png")
    with pytest.raises(InputError, match=r"unknown image extension '\.xyz'; use one of \.jpg, .*\.png"):
        save_image(picture, tmp_path / "out.xyz")
    with pytest.raises(InputError, match="unknown image extension '\\(none\\)'"):
        save_image(picture, tmp_path / "out")
    assert sorted(os.listdir(tmp_path)) == ["there.png"]


def test_save_replaces_a_symlink_instead_of_writing_through_it(tmp_path, astronaut):
    original = write(tmp_path / "original.png", encode(Image.fromarray(astronaut), "PNG"))
    link = tmp_path / "link.png"
    link.symlink_to(original)
    save_image(Picture(255 - astronaut, None), link)
    assert not link.is_symlink()
    np.testing.assert_array_equal(load(original).pixels, astronaut)


# --- paths ---------------------------------------------------------------------------------------


def test_backup_path(tmp_path):
    photo = tmp_path / "photo.jpg"
    assert backup_path(photo) == tmp_path / "photo.orig.jpg"
    write(tmp_path / "photo.orig.jpg", b"x")
    assert backup_path(photo) == tmp_path / "photo.orig-1.jpg"
    write(tmp_path / "photo.orig-1.jpg", b"x")
    assert backup_path(photo) == tmp_path / "photo.orig-2.jpg"
    assert backup_path(tmp_path / "README") == tmp_path / "README.orig"


def test_same_file(tmp_path, monkeypatch):
    photo = write(tmp_path / "photo.jpg", b"x")
    (tmp_path / "sub").mkdir()
    link = tmp_path / "sub" / "link.jpg"
    link.symlink_to(photo)
    monkeypatch.chdir(tmp_path / "sub")
    assert same_file(photo, "../photo.jpg")
    assert same_file(photo, "link.jpg")
    assert same_file(link, photo)
    assert not same_file(photo, "missing.jpg")
    assert not same_file(tmp_path / "missing.jpg", photo)
    other = write(tmp_path / "other.jpg", b"x")
    assert not same_file(photo, other)
