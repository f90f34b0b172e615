"""Who and what is in front: person segmentation and a salient-subject fallback.

People come from MediaPipe's selfie-segmentation model (256 x 256, run by
OpenCV; the file ships in ``retouch/models/mediapipe``). The model also
marks cats, cups and other foreground objects as "person", so its mask is
kept only where it is connected to a face that :mod:`retouch.faces` found.
Every person gets a second, closer look: the model runs again on a crop
around each face, framed the way it was trained (head and torso filling
the window).

Scenes without people fall back to the salient subject: colours unlike the
image border, weighted towards the centre, seed GrabCut, whose cut is then
cleaned to its main parts.

Both coarse masks are refined at full resolution by a guided filter steered
by the image, so the mask edge follows hair and outlines instead of the
model's 256-pixel grid; a background blurred through it does not halo.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import cv2
import numpy as np
from skimage.graph import MCP_Geometric

from retouch.analyze import downscale
from retouch.faces import MODEL_DIR, MODEL_LOCK, Face, find_faces, rgb_uint8
from retouch.filters import guided_filter, image_diagonal, resized
from retouch.ramps import smoothstep

_SELFIE_INPUT = 256
# Coarse masks are computed at most this size; the refinement brings them to full resolution.
_WORK_SIDE = 1024
_SALIENCY_SIDE = 256
# The guided filter fits its coefficients on a copy about this size (edges stay full size).
_REFINE_FIT_SIDE = 2048
# Lab colour difference per pixel below which a step toward the border is free.
_JUST_VISIBLE = 2.0


@cache
def _selfie_net() -> cv2.dnn.Net:
    return cv2.dnn.readNetFromTFLite(str(MODEL_DIR / "selfie_segmentation.tflite"))


def selfie_probability(image: np.ndarray) -> np.ndarray:
    """The selfie model's person probability for a uint8 RGB image, resized back to the image's size.

    The raw model, squeezed to 256 x 256: no face check, no edge refinement
    (see :func:`person_mask` for those).

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB.

    Returns
    -------
    (H, W) float32 array in [0, 1]
    """
    blob = cv2.dnn.blobFromImage(image, 1 / 255.0, (_SELFIE_INPUT, _SELFIE_INPUT))
    with MODEL_LOCK:
        net = _selfie_net()
        net.setInput(blob)
        probability = net.forward()[0, 0]
    return cv2.resize(probability, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)


def _frame_probability(image: np.ndarray) -> np.ndarray:
    """Selfie model over the whole frame: one pass, or overlapping squares for panoramas.

    The model squeezes its input to a square; beyond 3:2 that distorts people
    enough to lose them, so long frames are covered by squares that overlap
    by half and the most confident answer wins.
    """
    height, width = image.shape[:2]
    short, long = min(height, width), max(height, width)
    if long <= 1.5 * short:
        return selfie_probability(image)
    probability = np.zeros((height, width), np.float32)
    starts = np.linspace(0, long - short, int(np.ceil((long - short) / (short / 2))) + 1).round().astype(int)
    for start in starts:
        window = np.s_[:, start : start + short] if width > height else np.s_[start : start + short, :]
        np.maximum(probability[window], selfie_probability(image[window]), out=probability[window])
    return probability


def _person_crop(face: Face, height: int, width: int) -> tuple[slice, slice]:
    """Rows and columns framing a face's person as the model's training selfies do: head and torso.

    6 face-widths wide and 8 tall from one face-width above the face. Of six
    framings tried on the labelled set of ``bench/regions.py`` (5 to 8 wide,
    5 to 11 tall), this one gave the best IoU (median 0.96 against 0.92 for
    the whole frame alone).
    """
    size = max(face.box[2] - face.box[0], face.box[3] - face.box[1])
    centre_x = (face.box[0] + face.box[2]) / 2
    top = face.box[1] - 1.0 * size
    x1, x2 = int(max(0, centre_x - 3.0 * size)), int(min(width, centre_x + 3.0 * size))
    y1, y2 = int(max(0, top)), int(min(height, top + 8.0 * size))
    return slice(y1, y2), slice(x1, x2)


def _people_probability(image: np.ndarray, faces: list[Face]) -> np.ndarray:
    """Person probability, kept only on the regions joined to a face.

    Around each face the model looks again at the person framed as in its
    training data, and that closer look replaces the whole-frame answer
    there: in the whole frame a small person is a few model pixels, and a
    person beside a cup or a cat merges with it.
    """
    height, width = image.shape[:2]
    probability = _frame_probability(image)
    closer = np.zeros_like(probability)
    framed = np.zeros(probability.shape, bool)
    for face in faces:
        rows, cols = _person_crop(face, height, width)
        np.maximum(closer[rows, cols], selfie_probability(image[rows, cols]), out=closer[rows, cols])
        framed[rows, cols] = True
    probability = np.where(framed, closer, probability)
    count, labels = cv2.connectedComponents((probability > 0.5).astype(np.uint8), connectivity=8)
    keep = np.zeros(count, bool)
    for face in faces:
        x1, y1, x2, y2 = np.clip(face.box, 0, [width, height, width, height]).astype(int)
        keep[np.unique(labels[y1 : y2 + 1, x1 : x2 + 1])] = True
    keep[0] = False
    people = keep[labels].astype(np.uint8)
    # The model's soft edge is where the refinement looks for the outline: keep it around kept parts.
    margin = max(3, round(0.01 * image_diagonal(people.shape)))
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1,) * 2)
    near = cv2.dilate(people, disk)
    # Away from the outline the model's doubt (a shiny visor, a flat badge) is not a real edge.
    core = np.maximum(cv2.erode(people, disk).astype(np.float32), _small_holes(people))
    return np.maximum(probability * near, core)


def _small_holes(mask: np.ndarray) -> np.ndarray:
    """Enclosed gaps in a 0/1 mask smaller than 1 % of the image, as float32 0/1.

    The model leaves blotches of doubt on shiny or flat parts of clothing
    (a helmet visor, a badge); a gap that small and fully surrounded is part
    of the person, while a big enclosed area (between an arm and the body)
    is left to the model.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(1 - mask, connectivity=4)
    touches = np.zeros(count, bool)
    touches[np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))] = True
    small = (stats[:, cv2.CC_STAT_AREA] < 0.01 * mask.size) & ~touches
    return small[labels].astype(np.float32)


def refine_mask(image: np.ndarray, coarse: np.ndarray) -> np.ndarray:
    """Bring a coarse soft mask to the image's resolution, its edges following the image's.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        The full-resolution image, RGB.
    coarse : (h, w) float32 array
        Mask in [0, 1] at any resolution with the same aspect ratio.

    Returns
    -------
    (H, W) float32 array in [0, 1]

    Examples
    --------
    >>> img = np.zeros((64, 64, 3), np.uint8); img[:, 32:] = 255
    >>> m = np.zeros((16, 16), np.float32); m[:, 8:] = 1
    >>> refine_mask(img, m)[0, [20, 44]].round(2).tolist()
    [0.0, 1.0]
    """
    height, width = image.shape[:2]
    mask = resized(coarse.astype(np.float32), width, height)
    guide = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    guide *= 1 / 255
    # A window as wide as the upsampled model pixel lets the filter move the edge onto the
    # image's own edge; the small eps keeps it on strands of hair rather than smoothing over them.
    # The fit runs at about the coarse mask's resolution, the edges come from the full-size guide.
    radius = max(2.0, 1.5 * max(height, width) / max(coarse.shape))
    subsample = max(1, round(max(height, width) / _REFINE_FIT_SIDE))
    refined = guided_filter(guide, mask, radius, 1e-3, subsample=subsample)
    np.clip(refined, 0.0, 1.0, out=refined)
    # Erring inward: a mask that spills onto the background shows as a sharp rim round a subject
    # whose background is blurred, while one that stops short softens only a pixel of outline.
    # (On astronaut's hand-checked label this halves the mean signed error along the outline.)
    return smoothstep(0.3, 0.95, refined)


def person_mask(image: Any, faces: list[Face] | None = None) -> np.ndarray:
    """Soft mask of the people in a photo (everyone whose face is visible).

    Parameters
    ----------
    image : path, PIL.Image, ndarray or Picture
        The photo.
    faces : list of :class:`retouch.faces.Face`, optional
        Faces already found in it (in its pixels); found here when omitted.

    Returns
    -------
    (H, W) float32 array in [0, 1]; all zero when there is no face.

    Examples
    --------
    >>> from skimage import data
    >>> mask = person_mask(data.astronaut())
    >>> 0.4 < float(mask.mean()) < 0.7
    True
    """
    rgb = rgb_uint8(image)
    faces = find_faces(rgb) if faces is None else faces
    if not faces:
        return np.zeros(rgb.shape[:2], np.float32)
    small = downscale(rgb, _WORK_SIDE)
    ratio = small.shape[1] / rgb.shape[1]
    scaled = [Face(f.score, f.presence, f.box * ratio, f.keypoints * ratio, f.mesh * ratio) for f in faces]
    return refine_mask(rgb, _people_probability(small, scaled))


def _border_distance(image: np.ndarray) -> np.ndarray:
    """Geodesic saliency: the least colour change a path must cross to reach the image border.

    Background is what the border connects to through smooth regions (sky
    gradients, out-of-focus tables); a subject is walled off by its outline.
    Steps below a just-visible colour difference cost (almost) nothing, so
    slow gradients and fine texture do not build up distance. Normalised so
    its 99th percentile is 1.
    """
    height, width = image.shape[:2]
    lab = cv2.cvtColor(cv2.GaussianBlur(image, (0, 0), 1.5), cv2.COLOR_RGB2LAB).astype(np.float32)
    # Sobel's 3x3 kernel sums 8 differences; /8 gives colour change per pixel in Lab units.
    gx = cv2.Sobel(lab, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(lab, cv2.CV_32F, 0, 1, ksize=3) / 8
    cost = np.maximum(np.sqrt((gx**2 + gy**2).sum(axis=2)) - _JUST_VISIBLE, 0.0) + 0.05
    border = np.zeros((height, width), bool)
    border[[0, -1]], border[:, [0, -1]] = True, True
    distance, _ = MCP_Geometric(cost).find_costs(np.argwhere(border))
    return (distance / max(float(np.percentile(distance, 99)), 1e-6)).astype(np.float32)


def _salient_coarse(image: np.ndarray) -> np.ndarray:
    """Hard mask (float32, 0/1) of the salient subject of a small uint8 RGB image; zeros if none."""
    height, width = image.shape[:2]
    saliency = np.clip(_border_distance(image), 0.0, 1.0)
    # Sure where saliency is clear either way; GrabCut's colour models decide the uncertain middle.
    seeds = np.select(
        [saliency < 0.04, saliency < 0.2, saliency < 0.5],
        [cv2.GC_BGD, cv2.GC_PR_BGD, cv2.GC_PR_FGD],
        cv2.GC_FGD,
    ).astype(np.uint8)
    if not (seeds == cv2.GC_FGD).any():
        return np.zeros((height, width), np.float32)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), seeds, None, bgd, fgd, 4, cv2.GC_INIT_WITH_MASK)
    cut = np.isin(seeds, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    # Keep the parts that hold the most saliency: GrabCut also picks stray specks of subject colour.
    count, labels = cv2.connectedComponents(cut, connectivity=8)
    if count <= 1:
        return np.zeros((height, width), np.float32)
    weight = np.bincount(labels.ravel(), weights=saliency.ravel(), minlength=count)
    weight[0] = 0
    kept = weight >= 0.2 * weight.max()
    return kept[labels].astype(np.float32)


def salient_mask(image: Any) -> np.ndarray:
    """Soft mask of the main subject of a photo, for scenes without people.

    Parameters
    ----------
    image : path, PIL.Image, ndarray or Picture
        The photo.

    Returns
    -------
    (H, W) float32 array in [0, 1]

    Examples
    --------
    >>> from skimage import data
    >>> mask = salient_mask(data.coffee())
    >>> bool(mask[200, 300] > 0.5), bool(mask[10, 10] < 0.5)
    (True, True)
    """
    rgb = rgb_uint8(image)
    coarse = _salient_coarse(downscale(rgb, _SALIENCY_SIDE))
    return refine_mask(rgb, coarse)
