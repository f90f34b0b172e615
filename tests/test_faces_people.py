"""Faces, people, foreground and background: detection, masks, the op, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

import retouch
from retouch.cli import main
from retouch.errors import InputError
from retouch.faces import detect_faces
from retouch.ops.registry import ANALYSIS, get_spec
from retouch.segmentation import person_mask, salient_mask

LABEL = Path(__file__).parent / "data" / "astronaut_person.png"
# Astronaut's face, hairline to chin and ear to ear, read off the photo by eye.
ASTRONAUT_FACE = (180, 70, 275, 180)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def box_iou(box: list[int], truth: tuple[int, int, int, int]) -> float:
    x, y, w, h = box
    ix = max(0, min(x + w, truth[2]) - max(x, truth[0]))
    iy = max(0, min(y + h, truth[3]) - max(y, truth[1]))
    union = w * h + (truth[2] - truth[0]) * (truth[3] - truth[1]) - ix * iy
    return ix * iy / union


def lfw_face(index: int, size: int) -> np.ndarray:
    """One of scikit-image's 25 x 25 LFW face crops, enlarged to ``size`` px, as RGB uint8."""
    grey = cv2.resize((data.lfw_subset()[index] * 255).astype(np.uint8), (size, size), cv2.INTER_CUBIC)
    return np.repeat(grey[..., None], 3, axis=2)


@pytest.fixture(scope="module")
def astronaut_faces() -> list[dict]:
    return detect_faces(data.astronaut())


def test_astronaut_has_one_face_around_the_real_one(astronaut_faces):
    assert len(astronaut_faces) == 1
    face = astronaut_faces[0]
    assert face["score"] > 0.8
    assert box_iou(face["box"], ASTRONAUT_FACE) > 0.6
    assert all(isinstance(v, int) for v in face["box"])
    right_eye, left_eye, nose, mouth = face["landmarks"][:4]
    assert right_eye[0] < nose[0] < left_eye[0]  # the subject's right eye is on the image's left
    assert max(right_eye[1], left_eye[1]) < nose[1] < mouth[1]


def test_lfw_faces_are_found_and_lfw_non_faces_are_not():
    found = sum(len(detect_faces(lfw_face(i, 100))) == 1 for i in range(0, 100, 10))
    false = sum(len(detect_faces(lfw_face(i, 100))) for i in range(100, 200, 10))
    assert found >= 9
    assert false == 0


def test_faces_of_several_sizes_pasted_on_a_photo_are_all_found():
    canvas = cv2.resize(data.coffee(), (900, 600), interpolation=cv2.INTER_LINEAR)
    truths = []
    for index, (x, y, size) in zip((3, 41, 77), ((40, 60, 48), (200, 300, 120), (560, 80, 260)), strict=True):
        canvas[y : y + size, x : x + size] = lfw_face(index, size)
        truths.append((x, y, x + size, y + size))
    head = data.astronaut()[40:220, 150:310]  # the astronaut's head with hair and some background
    canvas[380:560, 700:860] = head
    truths.append((700 + 30, 380 + 34, 700 + 125, 380 + 140))
    faces = detect_faces(canvas)
    assert len(faces) == len(truths)
    for truth in truths:
        assert max(box_iou(f["box"], truth) for f in faces) > 0.4, truth


@pytest.mark.parametrize("name", ["coffee", "chelsea", "rocket", "brick"])
def test_no_faces_in_photos_without_people(name):
    # chelsea is a cat: a cat's face is not a human face.
    assert detect_faces(getattr(data, name)()) == []


def test_min_score_out_of_range_is_an_input_error():
    with pytest.raises(InputError, match="min_score"):
        detect_faces(data.astronaut(), min_score=1.5)


def test_person_mask_matches_the_hand_checked_label():
    label = np.asarray(Image.open(LABEL)) > 127
    mask = person_mask(data.astronaut())
    assert mask.dtype == np.float32 and mask.shape == label.shape
    assert iou(mask > 0.5, label) > 0.93


def test_no_people_without_faces():
    assert not person_mask(data.chelsea()).any()


def test_salient_subject_of_a_photo_without_people():
    mask = salient_mask(data.coffee())
    assert mask[170:230, 250:350].mean() > 0.9  # the cup
    assert mask[:40, :40].mean() < 0.05 and mask[-40:, -40:].mean() < 0.05  # table corners


@pytest.fixture(scope="module")
def regions() -> dict[str, np.ndarray]:
    image = data.astronaut()[:400, 40:500]  # not square: catches swapped axes
    names = ("faces", "people", "foreground", "background")
    return {name: retouch.region_mask(image, name) for name in names}


@pytest.mark.parametrize("name", ["faces", "people", "foreground", "background"])
def test_region_masks_are_soft_float_masks_of_the_image_size(regions, name):
    mask = regions[name]
    assert mask.dtype == np.float32 and mask.shape == (400, 460)
    assert mask.min() >= 0.0 and mask.max() <= 1.0
    soft = ((mask > 0.02) & (mask < 0.98)).mean()
    assert 0 < soft < 0.1  # a feathered edge, not a blur over everything


def test_faces_region_follows_the_face_and_background_complements_foreground(regions):
    faces = regions["faces"]
    assert faces[125, 188] > 0.99  # between the eyes and the mouth
    assert faces[30, 188] < 0.01 and faces[125, 80] < 0.01  # above the hair, the background beside
    assert regions["people"][125, 188] > 0.99 and regions["people"][100, 400] < 0.01
    np.testing.assert_allclose(regions["foreground"] + regions["background"], 1.0, atol=1e-6)


def test_faces_region_is_empty_without_faces():
    assert not retouch.region_mask(data.rocket(), "faces").any()


def test_blurring_the_background_keeps_the_person_sharp():
    image = data.astronaut()
    out = retouch.apply(image, {"steps": [{"op": "blur", "amount": 0.6, "region": "background"}]}).array
    label = np.asarray(Image.open(LABEL)) > 127
    inside = cv2.erode(label.astype(np.uint8), np.ones((15, 15))) > 0
    outside = cv2.dilate(label.astype(np.uint8), np.ones((15, 15))) == 0
    change = np.abs(out.astype(int) - image.astype(int)).mean(axis=2)
    assert change[inside].mean() < 1.0
    assert change[outside].mean() > 5.0


def test_detect_faces_op_reports_faces():
    assert get_spec("detect_faces").kind == ANALYSIS
    result = retouch.apply(data.astronaut(), {"steps": [{"op": "detect_faces"}]})
    answer = result.report["analysis"][0]["result"]
    assert answer["count"] == 1 and len(answer["faces"]) == 1
    np.testing.assert_array_equal(result.array, data.astronaut())


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_mask_writes_the_region_and_its_overlay(tmp_path, capsys):
    source = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(source)
    code, out, _ = run(capsys, "mask", source, "faces", "-o", tmp_path / "faces.png")
    assert code == 0 and "faces" in out
    mask = np.asarray(Image.open(tmp_path / "faces.png"))
    assert mask.shape == (512, 512) and mask[125, 228] > 250 and mask[30, 228] < 5
    code, _, _ = run(capsys, "mask", source, "background", "--overlay", "-o", tmp_path / "bg.jpg")
    overlay = np.asarray(Image.open(tmp_path / "bg.jpg"))
    assert code == 0 and overlay.shape == (512, 512, 3)
    assert abs(int(overlay[125, 228, 1]) - int(data.astronaut()[125, 228, 1])) < 12  # the face untinted


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sample:astronaut", "nonsense"), "unknown"),
        (("missing.png", "faces"), "missing.png"),
        (("sample:astronaut", "faces", "-o", "no/such/dir/m.png"), "does not exist"),
    ],
)
def test_cli_mask_bad_input_exits_2(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    if "-o" not in args:
        args = (*args, "-o", "m.png")
    code, _, err = run(capsys, "mask", *args)
    assert code == 2 and message in err
    assert not (tmp_path / "m.png").exists()


def test_cli_mask_refuses_to_overwrite_its_input(tmp_path, capsys):
    source = tmp_path / "a.png"
    Image.fromarray(data.astronaut()).save(source)
    before = source.read_bytes()
    code, _, err = run(capsys, "mask", source, "faces", "-o", source)
    assert code == 2 and "overwrite" in err
    assert source.read_bytes() == before


def test_cli_faces_json(capsys):
    code, out, _ = run(capsys, "faces", "sample:astronaut", "--json")
    answer = json.loads(out)
    assert code == 0 and answer["count"] == 1 and len(answer["faces"][0]["box"]) == 4
