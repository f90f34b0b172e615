"""Face detection with MediaPipe's BlazeFace (short range) model, run by OpenCV.

The model sees a 128 x 128 window and finds faces that fill roughly 15 %
to 60 % of it. Photos hold faces of any size, so the image is scanned
as a pyramid of overlapping square windows (the whole frame, then halves,
quarters ...), each window's 896 anchor predictions are decoded into boxes
and six keypoints, and the detections of all windows are merged by weighted
non-maximum suppression. Each candidate is then looked at again, centred
at the sizes the model sees best, and checked by a second model: MediaPipe's
face mesh, run on the upright, eye-levelled crop, says whether a face is
there (and gives the 468 points whose hull is the face's outline). The
reported score is the product of the two confidences; BlazeFace alone fires
on textures such as a star field, and the mesh model never agreed there.

The ``.tflite`` files ship in ``retouch/models/mediapipe`` (MediaPipe
0.10.21, Apache-2.0; see the NOTICE there) and run with OpenCV's TFLite
importer. They are loaded on first use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from retouch.analyze import downscale
from retouch.errors import InputError

MODEL_DIR = Path(__file__).parent / "models" / "mediapipe"
# A cv2.dnn.Net holds its input and activations: two threads must not run one at once.
MODEL_LOCK = threading.RLock()
LANDMARK_NAMES = ("right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear")

_INPUT = 128
# BlazeFace's SSD layout: a 16x16 grid with 2 anchors per cell (stride 8) and
# an 8x8 grid with 6 (three stride-16 layers of 2 anchors merged).
_GRIDS = ((16, 2), (8, 6))
# Face sizes (box width / window side) the model sees most reliably: most faces score best
# at 0.3, faces cropped tight to the chin and hairline (no hair, no neck) at 0.5.
_RELOOK_FRACTIONS = (0.3, 0.5)
# The scan's last level is the one whose windows a ``min_size`` face fills this much of.
_SMALLEST_FRACTION = 0.15
# Larger images are scanned shrunk to this longer side.
_MAX_SIDE = 2048
# Default smallest face: 1/40 of the longer side, but at least this many pixels.
_MIN_FACE_PX = 16
# Scan hits down to this fraction of ``min_score`` are looked at again: a small face at the
# edge of a window's range scores 0.2-0.3 there and 0.8 when centred at a good size.
_CANDIDATE = 0.4
_MESH_INPUT = 192
# Crops for the face-mesh check, as multiples of the box size (MediaPipe uses 1.5).
_MESH_CROPS = (1.5, 1.9)


@cache
def _face_net() -> cv2.dnn.Net:
    return cv2.dnn.readNetFromTFLite(str(MODEL_DIR / "face_detection_short_range.tflite"))


@cache
def _mesh_net() -> cv2.dnn.Net:
    return cv2.dnn.readNetFromTFLite(str(MODEL_DIR / "face_landmark.tflite"))


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -60.0, 60.0)))


@cache
def _anchor_centres() -> np.ndarray:
    """``(896, 2)`` anchor centres (x, y) in window units, in the model's output order."""
    centres = []
    for size, per_cell in _GRIDS:
        ys, xs = np.mgrid[0:size, 0:size]
        cell = np.stack([(xs + 0.5) / size, (ys + 0.5) / size], axis=-1).reshape(-1, 1, 2)
        centres.append(np.repeat(cell, per_cell, axis=1).reshape(-1, 2))
    return np.concatenate(centres).astype(np.float32)


def _window(image: np.ndarray, x0: float, y0: float, side: float) -> np.ndarray:
    """The square ``side`` window at (x0, y0) resampled to 128 px; outside the image is black."""
    scale = _INPUT / side
    height, width = image.shape[:2]
    left, top = max(0, int(np.floor(x0))), max(0, int(np.floor(y0)))
    right, bottom = min(width, int(np.ceil(x0 + side))), min(height, int(np.ceil(y0 + side)))
    window = np.zeros((_INPUT, _INPUT, 3), np.uint8)
    if right <= left or bottom <= top:
        return window
    crop = image[top:bottom, left:right]
    if scale < 0.5:
        # warpAffine does not area-average: shrink first so that small faces do not alias.
        size = (max(1, round((right - left) * scale)), max(1, round((bottom - top) * scale)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    affine = np.float32(
        [
            [_INPUT / side * (right - left) / crop.shape[1], 0, (left - x0) * scale],
            [0, _INPUT / side * (bottom - top) / crop.shape[0], (top - y0) * scale],
        ]
    )
    cv2.warpAffine(
        crop, affine, (_INPUT, _INPUT), dst=window, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT
    )
    return window


def _run_window(image: np.ndarray, x0: float, y0: float, side: float, min_score: float) -> np.ndarray:
    """Detections in one window as rows ``[score, x1, y1, x2, y2, kx0, ky0, ... kx5, ky5]`` (image px)."""
    blob = cv2.dnn.blobFromImage(_window(image, x0, y0, side), 1 / 127.5, mean=(127.5, 127.5, 127.5))
    with MODEL_LOCK:
        net = _face_net()
        net.setInput(blob)
        regressors, logits = net.forward(["regressors", "classificators"])
    scores = _sigmoid(logits[0, :, 0])
    keep = scores >= min_score
    if not keep.any():
        return np.empty((0, 17), np.float32)
    raw = regressors[0, keep] / _INPUT
    anchors = _anchor_centres()[keep]
    centre = raw[:, 0:2] + anchors
    half = raw[:, 2:4] / 2
    keypoints = raw[:, 4:16].reshape(-1, 6, 2) + anchors[:, None, :]
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    out = np.concatenate([boxes, keypoints.reshape(-1, 12)], axis=1) * side
    out[:, 0::2] += x0
    out[:, 1::2] += y0
    return np.concatenate([scores[keep, None], out], axis=1).astype(np.float32)


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x1 = np.maximum(box[0], boxes[:, 0])
    y1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[2], boxes[:, 2])
    y2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def _weighted_nms(detections: np.ndarray, threshold: float = 0.3) -> np.ndarray:
    """Merge overlapping detections into their score-weighted mean (BlazeFace's blending NMS).

    Plain NMS keeps one jittery box per face; averaging the overlapping
    predictions of neighbouring anchors and windows gives steadier boxes and
    keypoints. The merged score is the best one of the group.
    """
    order = np.argsort(-detections[:, 0])
    remaining = detections[order]
    merged = []
    while len(remaining):
        overlap = _iou(remaining[0, 1:5], remaining[:, 1:5]) > threshold
        group = remaining[overlap]
        weights = group[:, :1] / group[:, 0].sum()
        blended = (group[:, 1:] * weights).sum(axis=0)
        merged.append(np.concatenate([[group[0, 0]], blended]))
        remaining = remaining[~overlap]
    return np.array(merged, np.float32).reshape(-1, 17)


def _pyramid(height: int, width: int, min_size: float) -> list[tuple[float, float, float]]:
    """Windows ``(x0, y0, side)``: the frame padded to 1.5x, the frame, then halves, quarters ...

    Windows overlap by half so a face cut by one window is whole in the next.
    The pyramid stops at the window in which a ``min_size`` face is as small
    as the model still finds reliably.
    """
    longest = max(height, width)
    windows = [((width - 1.5 * longest) / 2, (height - 1.5 * longest) / 2, 1.5 * longest)]
    side = float(longest)
    while side * _SMALLEST_FRACTION >= min_size or len(windows) == 1:
        stride = side / 2
        nx = max(1, int(np.ceil((width - side) / stride)) + 1)
        ny = max(1, int(np.ceil((height - side) / stride)) + 1)
        xs = np.linspace(0, max(width - side, 0), nx) if nx > 1 else [(width - side) / 2]
        ys = np.linspace(0, max(height - side, 0), ny) if ny > 1 else [(height - side) / 2]
        windows += [(float(x), float(y), side) for y in ys for x in xs]
        side /= 2
    return windows


def _relook(image: np.ndarray, detection: np.ndarray, min_score: float) -> np.ndarray | None:
    """Look again with the face centred at the sizes the model sees best: a steadier box, or ``None``."""
    x1, y1, x2, y2 = detection[1:5]
    best = None
    for fraction in _RELOOK_FRACTIONS:
        side = max(x2 - x1, y2 - y1) / fraction
        again = _run_window(image, (x1 + x2 - side) / 2, (y1 + y2 - side) / 2, side, min_score)
        again = again[_iou(detection[1:5], again[:, 1:5]) > 0.5]
        if len(again):
            merged = _weighted_nms(again)[0]
            best = merged if best is None or merged[0] > best[0] else best
    return best


def _mesh(image: np.ndarray, detection: np.ndarray) -> tuple[float, np.ndarray]:
    """Face presence probability and the 468 mesh points (image px) of one detection.

    The face-mesh model is a second, independent opinion: it is trained to
    say whether its upright, eye-levelled crop holds a face at all. Its crop
    is the box enlarged 1.5x as MediaPipe does; a loose box from the
    detector can leave the face off-centre, so a wider crop gets a second
    chance and the more confident answer wins.
    """
    net = _mesh_net()
    x1, y1, x2, y2 = detection[1:5]
    (rx, ry), (lx, ly) = detection[5:7], detection[7:9]
    centre = ((x1 + x2) / 2, (y1 + y2) / 2)
    angle = float(np.degrees(np.arctan2(ly - ry, lx - rx)))
    best = (-1.0, np.empty((0, 2), np.float32))
    for enlarge in _MESH_CROPS:
        side = max(x2 - x1, y2 - y1) * enlarge
        affine = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, _MESH_INPUT / side)
        affine[:, 2] += _MESH_INPUT / 2 - np.asarray(centre)
        crop = cv2.warpAffine(image, affine, (_MESH_INPUT, _MESH_INPUT), flags=cv2.INTER_LINEAR)
        with MODEL_LOCK:
            net.setInput(cv2.dnn.blobFromImage(crop, 1 / 255.0))
            points, presence_logit = net.forward(["conv2d_21", "conv2d_31"])
        presence = float(_sigmoid(presence_logit.ravel()[:1])[0])
        if presence > best[0]:
            xy = points.reshape(-1, 3)[:, :2]
            back = cv2.invertAffineTransform(affine)
            best = (presence, (xy @ back[:, :2].T + back[:, 2]).astype(np.float32))
    return best


@dataclass
class Face:
    """One detected face, in image pixels.

    ``score`` is the detector's confidence times ``presence``, the face-mesh
    model's probability that its crop holds a face.
    ``box`` is ``[x1, y1, x2, y2]``; ``keypoints`` the six BlazeFace points
    (see :data:`LANDMARK_NAMES`); ``mesh`` the 468 face-mesh points, whose
    convex hull is the face's outline from forehead to chin.
    """

    score: float
    presence: float
    box: np.ndarray
    keypoints: np.ndarray
    mesh: np.ndarray

    def to_dict(self, width: int, height: int) -> dict[str, Any]:
        """``{"box": [x, y, w, h], "score", "landmarks"}`` with the box clipped to the image."""
        x1, y1 = max(0, round(float(self.box[0]))), max(0, round(float(self.box[1])))
        x2, y2 = min(width, round(float(self.box[2]))), min(height, round(float(self.box[3])))
        landmarks = [[round(float(x), 1), round(float(y), 1)] for x, y in self.keypoints]
        return {"box": [x1, y1, x2 - x1, y2 - y1], "score": round(self.score, 4), "landmarks": landmarks}


def find_faces(image: np.ndarray, *, min_score: float = 0.5, min_size: float | None = None) -> list[Face]:
    """Faces in an ``H x W x 3`` uint8 RGB image, most confident first (see :func:`detect_faces`)."""
    if not 0.0 < min_score < 1.0:
        raise InputError(f"min_score must be between 0 and 1, got {min_score}")
    width = image.shape[1]
    # Faces a few pixels wide at this size are beyond the model anyway; more pixels would only cost time.
    small = downscale(image, _MAX_SIDE)
    ratio = width / small.shape[1]
    if min_size is None:
        min_size = max(_MIN_FACE_PX, max(image.shape[:2]) / 40)
    windows = _pyramid(*small.shape[:2], min_size / ratio)
    # Candidates may score a little under the bar: the closer look decides.
    found = [_run_window(small, x0, y0, side, _CANDIDATE * min_score) for x0, y0, side in windows]
    candidates = _weighted_nms(np.concatenate(found))
    relooked = [r for r in (_relook(small, c, min_score) for c in candidates) if r is not None]
    faces: list[Face] = []
    for detection in _weighted_nms(np.array(relooked, np.float32).reshape(-1, 17)):
        # An ear or a cheek beside a stronger face is part of that head, not another face.
        if any(_covered(detection[1:5], face.box / ratio) > 0.3 for face in faces):
            continue
        presence, mesh = _mesh(small, detection)
        # Two models that must agree: a face-like pattern fools one of them now and then (a
        # logo on a rocket scored 0.59 x 0.81 here; real faces score >= 0.61 x 0.87).
        if detection[0] * presence >= min_score:
            coords = detection[1:] * ratio
            keypoints = coords[4:].reshape(6, 2)
            faces.append(Face(float(detection[0] * presence), presence, coords[:4], keypoints, mesh * ratio))
    # A face does not hold other faces: a big "face" around smaller ones is a pattern they make.
    faces = [face for face in faces if not any(_holds(face, other) for other in faces)]
    return sorted(faces, key=lambda face: -face.score)


def _holds(face: Face, other: Face) -> bool:
    """Whether ``other`` is less than half as wide as ``face`` and centred inside its box."""
    centre = (other.box[:2] + other.box[2:]) / 2
    inside = bool(np.all(centre > face.box[:2]) and np.all(centre < face.box[2:]))
    return inside and (other.box[2] - other.box[0]) < 0.5 * (face.box[2] - face.box[0])


def _covered(box: np.ndarray, other: np.ndarray) -> float:
    """Fraction of ``box``'s area that lies inside ``other``."""
    width = min(box[2], other[2]) - max(box[0], other[0])
    height = min(box[3], other[3]) - max(box[1], other[1])
    return float(max(width, 0) * max(height, 0) / max((box[2] - box[0]) * (box[3] - box[1]), 1e-9))


def detect_faces(
    image: Any, *, min_score: float = 0.5, min_size: float | None = None
) -> list[dict[str, Any]]:
    """Find human faces.

    Parameters
    ----------
    image : path, PIL.Image, ndarray or Picture
        The photo (any size; grey images are fine).
    min_score : float
        Confidence in (0, 1) below which a face is dropped: the detector's
        score times the face-mesh model's face presence.
    min_size : float, optional
        Width in pixels of the smallest face to look for; by default 1/40 of
        the image's longer side and at least 16. Smaller values find faces
        in crowds at the cost of time (the scan grows 4x per halving).

    Returns
    -------
    list of dict
        One per face, most confident first: ``box`` ``[x, y, w, h]`` (ints,
        image pixels, clipped to the image), ``score`` (float) and
        ``landmarks``: ``[x, y]`` of the right eye, left eye, nose tip, mouth
        centre, right ear and left ear (the subject's right and left;
        see :data:`LANDMARK_NAMES`).

    Examples
    --------
    >>> from skimage import data
    >>> faces = detect_faces(data.astronaut())
    >>> len(faces), faces[0]["score"] > 0.8
    (1, True)
    """
    rgb = rgb_uint8(image)
    height, width = rgb.shape[:2]
    faces = find_faces(rgb, min_score=min_score, min_size=min_size)
    return [face.to_dict(width, height) for face in faces]


def rgb_uint8(image: Any) -> np.ndarray:
    """Any image the API accepts (float32 RGB in [0, 1] included) as ``H x W x 3`` uint8 RGB."""
    from retouch.io import load_image

    pixels = load_image(image, max_pixels=None, copy=False).pixels
    if pixels.dtype == np.uint16:
        pixels = (pixels >> 8).astype(np.uint8)
    elif pixels.dtype != np.uint8:
        pixels = (np.clip(pixels, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    return pixels if pixels.shape[2] == 3 else np.repeat(pixels, 3, axis=2)
