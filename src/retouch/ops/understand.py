"""Understanding ops: ``describe`` (facts, a summary, answers) and ``ocr`` (the text in it)."""

from __future__ import annotations

from typing import Any

from retouch.io import Picture
from retouch.ops.registry import ANALYSIS, Param, op
from retouch.reading import read_text
from retouch.understand import describe as describe_picture


@op(
    "describe",
    kind=ANALYSIS,
    description="Describe the photo: content, faces, text, exposure, colour, noise, blur and quality.",
    params=(
        Param("question", "string", description="A question to answer from the description."),
        Param("read", "boolean", default=True, description="Also read any text in it (slower)."),
    ),
    examples=(
        "what's in this picture?",
        "describe this photo",
        "tell me about this image",
        "is it blurry?",
        "is it noisy?",
        "how good is this photo?",
        "is it too dark?",
        "is the photo in focus",
        "what colours are in this picture",
        "is the horizon straight?",
        "analyse this image",
        "what can you tell me about this shot",
        "is this picture overexposed",
        "rate the quality of this photo",
    ),
)
def describe(
    picture: Picture, amount: float | None = None, question: str | None = None, read: bool = True
) -> dict[str, Any]:
    """The :func:`retouch.understand.describe` report (with ``answer`` when a question is given)."""
    return describe_picture(picture, read=read, question=question)


@op(
    "ocr",
    kind=ANALYSIS,
    description="Read the text in the photo: each line with its box and confidence.",
    params=(
        Param(
            "min_score",
            "number",
            default=0.5,
            description="Recognition confidence below which a line is dropped.",
            minimum=0.0,
            maximum=1.0,
        ),
    ),
    examples=(
        "what does the sign say?",
        "read the text",
        "what's written here",
        "extract the text from this image",
        "transcribe the words in the photo",
        "ocr this",
        "copy the text out of this screenshot",
        "what does it say",
        "read the label for me",
        "get the text from this picture",
        "what's the writing on the board",
        "read the words on the poster",
    ),
)
def ocr(picture: Picture, amount: float | None = None, min_score: float = 0.5) -> dict[str, Any]:
    """``{"lines": [{"text", "box": [x, y, w, h], "score"}, ...], "text": all lines joined}``."""
    lines = read_text(picture, min_score=min_score)
    return {"lines": lines, "text": "\n".join(line["text"] for line in lines)}
