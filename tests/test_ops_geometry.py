"""Geometry ops: crop, resize, rotate, flip."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage import data

from retouch.ops import geometry
from retouch.ops.geometry import crop, flip, inscribed_size, interest_map, parse_aspect, resize, rotate
from retouch.ops.registry import GEOMETRY, get_spec


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return data.astronaut()


@pytest.fixture(scope="module")
def coffee() -> np.ndarray:
    return data.coffee()


@pytest.fixture(scope="module")
def rgba(coffee: np.ndarray) -> np.ndarray:
    alpha = np.full((*coffee.shape[:2], 1), 255, np.uint8)
    return np.concatenate([coffee, alpha], axis=2)


def as_dtype(image_u8: np.ndarray, dtype: type) -> np.ndarray:
    if dtype == np.uint8:
        return image_u8.copy()
    if dtype == np.uint16:
        return image_u8.astype(np.uint16) * 257
    return image_u8.astype(np.float32) / 255


@pytest.mark.parametrize("name", ["crop", "resize", "rotate", "flip"])
def test_specs(name: str) -> None:
    spec = get_spec(name)
    assert spec.kind == GEOMETRY and spec.family == "geometry"
    assert spec.native_dtypes and not spec.regional
    assert 8 <= len(spec.examples) <= 15
    assert (spec.amount is None) == (name != "rotate")


# ----------------------------------------------------------------------------- rotate


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_quarter_turns_are_lossless(coffee: np.ndarray, dtype: type, channels: int) -> None:
    stacked = np.concatenate([coffee, coffee[..., :1]], axis=2)[..., :channels]
    image = as_dtype(stacked, dtype)
    out = image
    for _ in range(4):
        out = rotate(out, 90)
        assert out.dtype == image.dtype and out.shape[2] == channels
    np.testing.assert_array_equal(out, image)
    np.testing.assert_array_equal(rotate(rotate(image, 90), -90), image)
    np.testing.assert_array_equal(rotate(image, 180), image[::-1, ::-1])
    np.testing.assert_array_equal(rotate(image, 360), image)
    np.testing.assert_array_equal(rotate(image, 0.0), image)


def test_positive_angle_is_counter_clockwise(coffee: np.ndarray) -> None:
    # A quarter turn counter-clockwise brings the top-right corner to the top-left.
    turned = rotate(coffee, 90)
    assert turned.shape == (coffee.shape[1], coffee.shape[0], 3)
    np.testing.assert_array_equal(turned[0, 0], coffee[0, -1])
    np.testing.assert_array_equal(rotate(coffee, -90)[0, 0], coffee[-1, 0])
    # The resampling path uses the same convention as the lossless one.
    almost = rotate(coffee, 89.99999)
    inner = (slice(2, -2), slice(2, -2))
    assert np.abs(almost[inner].astype(int) - turned[inner].astype(int)).max() <= 1


def test_expand_canvas_holds_the_whole_image(coffee: np.ndarray) -> None:
    height, width = coffee.shape[:2]
    for angle in (30.0, -12.5, 135.0):
        out = rotate(coffee, angle)
        c, s = abs(math.cos(math.radians(angle))), abs(math.sin(math.radians(angle)))
        assert out.shape[1] == math.ceil(width * c + height * s - 0.01)
        assert out.shape[0] == math.ceil(width * s + height * c - 0.01)
    # Uncovered corners get the fill colour (white by default, any colour on request).
    out = rotate(coffee, 30)
    np.testing.assert_array_equal(out[0, 0], [255, 255, 255])
    red = rotate(coffee, 30, fill=(1.0, 0.0, 0.0))
    np.testing.assert_array_equal(red[0, 0], [255, 0, 0])
    # No content is lost: the mean colour of the rotated picture matches the original's.
    mask = np.any(rotate(np.zeros_like(coffee), 30, fill=(1.0, 1.0, 1.0)) == 0, axis=2)
    assert np.abs(out[mask].mean(axis=0) - coffee.reshape(-1, 3).mean(axis=0)).max() < 2.0


def test_crop_fit_leaves_no_fill_in_corners() -> None:
    grey = np.full((300, 451, 3), 0.4, np.float32)
    for angle in (3.0, -7.0, 30.0, 45.0, 100.0):
        out = rotate(grey, angle, fit="crop", fill=(1.0, 0.0, 1.0))
        np.testing.assert_allclose(out, 0.4, atol=1e-5)
        expected = inscribed_size(451, 300, angle)
        assert abs(out.shape[1] - expected[0]) <= 1 and abs(out.shape[0] - expected[1]) <= 1


def test_crop_fit_on_a_photo(coffee: np.ndarray) -> None:
    out = rotate(coffee, 5, fit="crop")
    # Corners carry picture content (brown wood), not the white fill.
    for corner in (out[0, 0], out[0, -1], out[-1, 0], out[-1, -1]):
        assert 255 - int(corner.min()) > 100
    kept = rotate(coffee, 5, fit="crop", keep_aspect=True)
    assert abs(kept.shape[1] - 1.5 * kept.shape[0]) <= 1.5
    assert kept.shape[0] * kept.shape[1] <= out.shape[0] * out.shape[1]
    assert rotate(coffee, 5, fit="same").shape == coffee.shape


def test_inscribed_rectangle_is_largest() -> None:
    # The rectangle fits and no rectangle of another aspect that fits has more area.
    for width, height, angle in ((600, 400, 10.0), (600, 100, 30.0), (100, 100, 45.0), (300, 900, 70.0)):
        w, h = inscribed_size(width, height, angle)
        c, s = abs(math.cos(math.radians(angle))), abs(math.sin(math.radians(angle)))
        assert w * c + h * s <= width + 1e-6 and w * s + h * c <= height + 1e-6
        for ratio in np.linspace(0.05, 20, 400):
            k = min(width / (ratio * c + s), height / (ratio * s + c))
            assert (k * ratio) * k <= w * h * (1 + 1e-6)


@pytest.mark.parametrize("channels", [2, 4])
def test_alpha_corners_are_transparent(channels: int) -> None:
    image = np.empty((120, 200, channels), np.uint8)
    image[..., :-1] = (200, 100, 50)[: channels - 1]
    image[..., -1] = 255
    out = rotate(image, 25)
    assert out.shape[2] == channels and out.dtype == np.uint8
    assert out[0, 0, -1] == 0 and out[-1, -1, -1] == 0
    assert out[out.shape[0] // 2, out.shape[1] // 2, -1] == 255
    # Premultiplied resampling: partly covered edge pixels keep the picture's colour, not the fill's.
    partial = (out[..., -1] > 20) & (out[..., -1] < 235)
    assert partial.sum() > 100
    assert np.abs(out[partial][:, :-1].astype(int) - image[0, 0, :-1]).max() <= 3


def test_rotate_float_stays_in_range(astronaut: np.ndarray) -> None:
    out = rotate(astronaut.astype(np.float32) / 255, 17, fit="same")
    assert out.dtype == np.float32 and out.min() >= 0.0 and out.max() <= 1.0


def test_rotate_rejects_bad_params(coffee: np.ndarray) -> None:
    with pytest.raises(ValueError, match="fit"):
        rotate(coffee, 10, fit="zoom")
    with pytest.raises(ValueError, match="fill"):
        rotate(coffee, 10, fill=(2.0, 0.0, 0.0))


# ----------------------------------------------------------------------------- crop


def test_crop_box_in_pixels_and_fractions(coffee: np.ndarray) -> None:
    np.testing.assert_array_equal(crop(coffee, box=[10, 20, 100, 50]), coffee[20:70, 10:110])
    np.testing.assert_array_equal(crop(coffee, box=[0.25, 0.5, 0.5, 0.25]), coffee[200:300, 150:450])
    out = crop(coffee, box=[0, 0, 1, 1])
    np.testing.assert_array_equal(out, coffee)
    assert not np.shares_memory(out, coffee)


@pytest.mark.parametrize("aspect", ["16:9", "1:1", "4:5", "3:2", "9:16", "square", "2.35"])
def test_crop_aspect_is_exact(astronaut: np.ndarray, coffee: np.ndarray, aspect: str) -> None:
    ratio = parse_aspect(aspect)
    for image in (astronaut, coffee):
        for anchor in ("center", "content"):
            out = crop(image, aspect=aspect, anchor=anchor)
            h, w = out.shape[:2]
            assert abs(w - ratio * h) <= 1
            # The largest such window: it spans the whole image on one axis.
            assert w == image.shape[1] or h == image.shape[0]


def test_crop_aspect_inside_box(coffee: np.ndarray) -> None:
    out = crop(coffee, box=[100, 50, 300, 200], aspect="1:1")
    np.testing.assert_array_equal(out, coffee[50:250, 150:350])


def test_crop_center_is_centred(coffee: np.ndarray) -> None:
    np.testing.assert_array_equal(crop(coffee, aspect="1:1"), coffee[:, 100:500])


def test_content_anchor_finds_the_bright_object() -> None:
    rng = np.random.default_rng(1)
    image = (rng.normal(0.2, 0.03, (240, 720, 3))).clip(0, 1).astype(np.float32)
    yy, xx = np.mgrid[:240, :720]
    image[(yy - 120) ** 2 + (xx - 620) ** 2 < 30**2] = 0.95
    out = crop(image, aspect="1:1", anchor="content")
    assert out.shape == (240, 240, 3)
    # The whole disc is inside the window; a centred crop would miss it.
    assert np.isclose((out > 0.9).all(axis=2).sum(), (image > 0.9).all(axis=2).sum())
    assert not (crop(image, aspect="1:1") > 0.9).any()
    interest = interest_map(image)
    peak = np.unravel_index(np.argmax(interest), interest.shape)
    assert peak[1] / interest.shape[1] > 0.75


def test_content_anchor_keeps_the_face(astronaut: np.ndarray) -> None:
    # The astronaut's face sits at rows ~60..170; a wide crop must keep it.
    out = crop(astronaut, aspect="16:9", anchor="content")
    top = int(np.flatnonzero((astronaut == out[0]).all(axis=(1, 2)))[0])
    assert top <= 40 and top + out.shape[0] >= 190


def test_crop_errors_name_the_param(coffee: np.ndarray) -> None:
    with pytest.raises(ValueError, match="box"):
        crop(coffee, box=[500, 0, 200, 100])
    with pytest.raises(ValueError, match="box"):
        crop(coffee, box=[10, 10, 0, 100])
    with pytest.raises(ValueError, match="box"):
        crop(coffee, box=[10, 10, 100])
    with pytest.raises(ValueError, match="aspect"):
        crop(coffee, aspect="wide-ish")
    with pytest.raises(ValueError, match="aspect"):
        crop(coffee, aspect="0:3")
    with pytest.raises(ValueError, match="box"):
        crop(coffee)


def test_parse_aspect() -> None:
    assert parse_aspect("16:9") == pytest.approx(16 / 9)
    assert parse_aspect("4x5") == pytest.approx(0.8)
    assert parse_aspect("3/2") == pytest.approx(1.5)
    assert parse_aspect(" Square ") == 1.0
    assert parse_aspect(1.5) == 1.5


# ----------------------------------------------------------------------------- resize


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_resize_keeps_aspect_and_dtype(coffee: np.ndarray, dtype: type) -> None:
    image = as_dtype(coffee, dtype)
    small = resize(image, width=300)
    assert small.shape == (200, 300, 3) and small.dtype == image.dtype
    assert resize(image, height=100).shape == (100, 150, 3)
    assert resize(image, width=123, height=45).shape == (45, 123, 3)
    big = resize(image, scale=2.5)
    assert big.shape == (1000, 1500, 3) and big.dtype == image.dtype
    if dtype == np.float32:
        assert big.min() >= 0.0 and big.max() <= 1.0
    # Area averaging preserves the mean brightness when shrinking.
    scale = 255.0 if dtype == np.uint8 else 65535.0 if dtype == np.uint16 else 1.0
    assert abs(small.mean() / scale - image.mean() / scale) < 0.005


def test_resize_max_side_never_enlarges(coffee: np.ndarray) -> None:
    assert resize(coffee, max_side=300).shape == (200, 300, 3)
    np.testing.assert_array_equal(resize(coffee, max_side=5000), coffee)
    assert resize(coffee, scale=4, max_side=1200).shape == (800, 1200, 3)


def test_resize_alpha_does_not_bleed_hidden_colour(rgba: np.ndarray) -> None:
    image = rgba.copy()
    image[:, :300, :3] = (255, 0, 255)  # hidden magenta under fully transparent pixels
    image[:, :300, 3] = 0
    out = resize(image, scale=0.25)
    visible = out[..., 3] > 0
    # Edge pixels that are partly covered show the photo's colour, not magenta.
    edge = out[:, 75:77]
    assert visible.any() and not np.any((edge[..., 0] > 200) & (edge[..., 1] < 50) & (edge[..., 3] > 0))


def test_resize_errors(coffee: np.ndarray) -> None:
    with pytest.raises(ValueError, match="width, height, scale or max_side"):
        resize(coffee)
    with pytest.raises(ValueError, match="at least 1 px"):
        resize(coffee, scale=0.001)
    with pytest.raises(ValueError, match="at most"):
        resize(coffee, width=200_000)
    with pytest.raises(ValueError, match="scale"):
        resize(coffee, scale=2, width=100)


# ----------------------------------------------------------------------------- flip


@pytest.mark.parametrize("direction", ["horizontal", "vertical", "both"])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_flip_twice_is_identity(coffee: np.ndarray, direction: str, channels: int) -> None:
    image = np.concatenate([coffee, coffee[..., :1]], axis=2)[..., :channels]
    once = flip(image, direction=direction)
    assert once.shape == image.shape and once.flags.c_contiguous
    np.testing.assert_array_equal(flip(once, direction=direction), image)


def test_flip_directions(coffee: np.ndarray) -> None:
    np.testing.assert_array_equal(flip(coffee), coffee[:, ::-1])
    np.testing.assert_array_equal(flip(coffee, direction="vertical"), coffee[::-1])
    np.testing.assert_array_equal(flip(coffee, direction="both"), rotate(coffee, 180))
    with pytest.raises(ValueError, match="direction"):
        flip(coffee, direction="sideways")


def test_ops_do_not_modify_input(astronaut: np.ndarray) -> None:
    before = astronaut.copy()
    for func, kwargs in (
        (rotate, {"amount": 33}),
        (rotate, {"amount": 90}),
        (crop, {"aspect": "1:1", "anchor": "content"}),
        (resize, {"scale": 0.5}),
        (flip, {}),
    ):
        func(astronaut, **kwargs)
    np.testing.assert_array_equal(astronaut, before)
    assert geometry.MAX_SIDE == 100_000
