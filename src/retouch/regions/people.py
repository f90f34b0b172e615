"""``faces``, ``people``, ``foreground`` and ``background``: regions found by looking at who is there.

Faces come from :mod:`retouch.faces`; their mask is the outline of the
face mesh (forehead to chin, ear to ear), feathered, so "brighten the faces"
touches skin and not the wall beside it. People and the foreground come from
:mod:`retouch.segmentation`: the foreground is the people when there are
any, otherwise the salient subject; the background is the rest.
"""

from __future__ import annotations

import cv2
import numpy as np

from retouch.faces import Face, find_faces, rgb_uint8
from retouch.filters import gaussian
from retouch.regions import RegionContext, region
from retouch.segmentation import person_mask, salient_mask

# Fraction of a face's width over which its mask fades out (Gaussian sigma).
_FACE_FEATHER = 0.06


def face_outline_mask(shape: tuple[int, int], faces: list[Face]) -> np.ndarray:
    """Soft mask of the face outlines (convex hull of each face mesh) on an ``H x W`` grid.

    Parameters
    ----------
    shape : (H, W)
        Size of the image the faces were found in.
    faces : list of :class:`retouch.faces.Face`

    Returns
    -------
    (H, W) float32 array in [0, 1]
    """
    mask = np.zeros(shape, np.float32)
    for face in faces:
        hull = cv2.convexHull(face.mesh.astype(np.float32))
        single = np.zeros(shape, np.uint8)
        # fillConvexPoly takes fixed-point vertices: 4 fractional bits keep the outline sub-pixel.
        cv2.fillConvexPoly(single, np.round(hull * 16).astype(np.int32), 1, cv2.LINE_AA, shift=4)
        width = float(face.box[2] - face.box[0])
        np.maximum(mask, gaussian(single.astype(np.float32), max(1.0, _FACE_FEATHER * width)), out=mask)
    return mask


@region("faces")
def faces_region(image: np.ndarray, arg: str | None, context: RegionContext) -> np.ndarray:
    """Every face found, as the soft outline of its face mesh."""
    faces = find_faces(rgb_uint8(image))
    if not faces:
        context.notes.append("no faces found: the 'faces' region is empty")
    return face_outline_mask(image.shape[:2], faces)


@region("people")
def people_region(image: np.ndarray, arg: str | None, context: RegionContext) -> np.ndarray:
    """Everyone whose face is visible, from head to the edge of the body."""
    rgb = rgb_uint8(image)
    faces = find_faces(rgb)
    if not faces:
        context.notes.append("no faces found, so no people: the 'people' region is empty")
    return person_mask(rgb, faces)


def foreground(image: np.ndarray, context: RegionContext) -> np.ndarray:
    """People if any face is found, else the salient subject; says which in ``context.notes``."""
    rgb = rgb_uint8(image)
    faces = find_faces(rgb)
    if faces:
        context.notes.append(f"foreground: the {'person' if len(faces) == 1 else 'people'} in the photo")
        return person_mask(rgb, faces)
    context.notes.append("foreground: no people found, so the most salient subject")
    return salient_mask(rgb)


@region("foreground")
def foreground_region(image: np.ndarray, arg: str | None, context: RegionContext) -> np.ndarray:
    """The people, or the main subject when there are none."""
    return foreground(image, context)


@region("background")
def background_region(image: np.ndarray, arg: str | None, context: RegionContext) -> np.ndarray:
    """Everything but the foreground."""
    return 1.0 - foreground(image, context)
