"""Understanding ops about people: ``detect_faces``."""

from __future__ import annotations

from typing import Any

from retouch.faces import detect_faces as find_face_records
from retouch.io import Picture
from retouch.ops.registry import ANALYSIS, Param, op


@op(
    "detect_faces",
    kind=ANALYSIS,
    description="Find the faces in the photo: how many, where (boxes) and how sure.",
    params=(
        Param(
            "min_score",
            "number",
            default=0.5,
            description="Confidence below which a face is not reported.",
            minimum=0.05,
            maximum=0.99,
        ),
    ),
    examples=(
        "how many faces are there?",
        "find the faces",
        "are there any people in this photo?",
        "detect faces",
        "is anyone in the picture?",
        "where are the faces",
        "count the people",
        "show me where the faces are",
        "how many people are in this shot",
        "is there a person in this image",
        "locate everyone's face",
        "face detection",
    ),
)
def detect_faces(picture: Picture, amount: float | None = None, min_score: float = 0.5) -> dict[str, Any]:
    """``{"faces": [{"box": [x, y, w, h], "score", "landmarks"}, ...], "count": n, "summary": str}``."""
    faces = find_face_records(picture, min_score=min_score)
    where = "; ".join(f"{w}x{h} px at ({x}, {y})" for x, y, w, h in (face["box"] for face in faces))
    summary = f"{len(faces)} face{'' if len(faces) == 1 else 's'} found" + (f": {where}" if faces else "")
    return {"faces": faces, "count": len(faces), "summary": summary}
