"""Understanding a photo: a structured description, a readable summary, and answers.

:func:`describe` gathers what Retouch can tell about an image without a
learned captioner: size, orientation and EXIF; the measurements of
:mod:`retouch.analyze` with a verdict for each (exposure, clipping,
contrast, colour cast, colourfulness, noise, blur); a BRISQUE quality score
(:mod:`retouch.quality`); faces (:mod:`retouch.faces`), people and sky
coverage; text (:mod:`retouch.reading`); dominant colours; horizon tilt.
With ``backend="openai"`` or ``"transformers"`` a vision-language model's
caption is merged in (:mod:`retouch.captioning`). :func:`answer` answers
simple questions from the same data.
"""

from __future__ import annotations

import re
from typing import Any

import cv2
import numpy as np

from retouch.analyze import TARGETS, assess, central_crop, downscale, sharpness, to_float, to_rgb_float
from retouch.colorspace import lab_to_rgb, luma, rgb_to_hsv, rgb_to_lab
from retouch.errors import InputError

#: Longer side of the copy that faces, sky, colours and the horizon are found on.
LOOK_SIDE = 1024
#: Longer side OCR reads at in :func:`describe` (text too small to read at
#: this size is rarely what a description is about; ``retouch.read_text``
#: reads at up to 2000 px).
READ_SIDE = 640
#: In a description, lines read with less confidence than this, and lone
#: characters (on photos mostly a round shape taken for "0" or "O"), are left out.
DESCRIBE_MIN_SCORE = 0.85
DOMINANT_COLOURS = 5


# --------------------------------------------------------------------------- EXIF


def exif_summary(exif: bytes | None) -> dict[str, Any]:
    """Camera, lens, date and exposure settings from raw EXIF bytes (empty dict without EXIF).

    Examples
    --------
    >>> from PIL import Image
    >>> tags = Image.Exif(); tags[0x010F] = "Canon"; tags[0x0110] = "EOS R5"
    >>> sorted(exif_summary(tags.tobytes()).items())
    [('Make', 'Canon'), ('Model', 'EOS R5')]
    """
    if not exif:
        return {}
    from PIL import ExifTags, Image

    tags = Image.Exif()
    tags.load(exif)
    wanted = ("Make", "Model", "DateTime", "Software", "Artist")
    summary = {ExifTags.TAGS.get(k, k): v for k, v in tags.items() if ExifTags.TAGS.get(k) in wanted}
    detail = tags.get_ifd(ExifTags.IFD.Exif)
    for key in ("ExposureTime", "FNumber", "ISOSpeedRatings", "FocalLength", "LensModel", "DateTimeOriginal"):
        tag = next((k for k, v in ExifTags.TAGS.items() if v == key), None)
        if tag in detail:
            value = detail[tag]
            summary[key] = float(value) if hasattr(value, "numerator") else value
    return {k: (v.strip("\x00 ") if isinstance(v, str) else v) for k, v in summary.items()}


def _exposure_settings(exif: dict[str, Any]) -> str:
    parts = []
    if t := exif.get("ExposureTime"):
        parts.append(f"1/{round(1 / t)} s" if t < 1 else f"{t:g} s")
    if f := exif.get("FNumber"):
        parts.append(f"f/{f:g}")
    if iso := exif.get("ISOSpeedRatings"):
        parts.append(f"ISO {iso}")
    if focal := exif.get("FocalLength"):
        parts.append(f"{focal:g} mm")
    return ", ".join(parts)


# --------------------------------------------------------------------------- scene content


def dominant_colours(image: np.ndarray, count: int = DOMINANT_COLOURS) -> list[dict[str, Any]]:
    """The main colours of a float RGB image: k-means in CIE Lab on a 64-px thumbnail.

    Returns
    -------
    list of dict
        Largest first: ``hex`` (``#rrggbb``), ``name`` (a plain colour word)
        and ``fraction`` of the picture.
    """
    small = downscale(image, 64)
    lab = rgb_to_lab(small).reshape(-1, 3)
    count = min(count, len(lab))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.5)
    # A fixed seed: the same picture is described with the same colours every time.
    cv2.setRNGSeed(7)
    _, labels, centres = cv2.kmeans(lab, count, None, criteria, 3, cv2.KMEANS_PP_CENTERS)
    fractions = np.bincount(labels.ravel(), minlength=count) / len(labels)
    rgb = lab_to_rgb(centres[None, :, :].astype(np.float32))[0]
    colours = []
    for index in np.argsort(-fractions):
        r, g, b = (round(255 * float(c)) for c in rgb[index])
        colours.append(
            {
                "hex": f"#{r:02x}{g:02x}{b:02x}",
                "name": colour_name(rgb[index]),
                "fraction": round(float(fractions[index]), 3),
            }
        )
    return colours


def colour_name(rgb: np.ndarray) -> str:
    """A plain word for one float RGB colour (the hue names of the ``color:`` region)."""
    from retouch.regions.color import HUES

    hue, sat, val = rgb_to_hsv(np.asarray(rgb, np.float32).reshape(1, 1, 3))[0, 0]
    if val < 0.15:
        return "black"
    if sat < 0.15:
        return "white" if val > 0.85 else "grey"
    distance = {name: abs((hue - centre + 180) % 360 - 180) for name, (centre, _) in HUES.items()}
    name = min(distance, key=distance.get)
    if name == "orange" and val < 0.6:
        return "brown"
    return name


def horizon_tilt(grey: np.ndarray) -> float | None:
    """Tilt in degrees of the dominant near-horizontal line (positive: rises to the right).

    Long straight edges within 20 degrees of horizontal are found with a
    probabilistic Hough transform on Canny edges; their length-weighted
    median angle is returned, or ``None`` when there is no such line.
    """
    u8 = np.round(np.clip(grey, 0, 1) * 255).astype(np.uint8)
    u8 = cv2.GaussianBlur(u8, (0, 0), 1.5)
    edges = cv2.Canny(u8, 40, 120)
    width = grey.shape[1]
    segments = cv2.HoughLinesP(
        edges, 1, np.pi / 360, threshold=max(20, width // 8), minLineLength=width // 3, maxLineGap=width // 50
    )
    if segments is None:
        return None
    x0, y0, x1, y1 = segments[:, 0, :].T.astype(np.float64)
    angles = np.degrees(np.arctan2(-(y1 - y0), x1 - x0))
    angles = (angles + 90) % 180 - 90  # a segment and its reverse are the same line
    lengths = np.hypot(x1 - x0, y1 - y0)
    near = np.abs(angles) <= 20
    if not near.any():
        return None
    order = np.argsort(angles[near])
    cumulative = np.cumsum(lengths[near][order])
    median = angles[near][order][np.searchsorted(cumulative, cumulative[-1] / 2)]
    return round(float(median), 2)


def _faces_and_people(rgb: np.ndarray) -> tuple[list[dict[str, Any]], float | None, list[str]]:
    try:
        from retouch.faces import find_faces
    except ImportError:
        return [], None, ["face detection is not available in this installation"]
    # find_faces (what detect_faces wraps) keeps the Face objects, so the
    # person mask can reuse them instead of detecting every face again.
    found = find_faces(rgb)
    faces = [face.to_dict(rgb.shape[1], rgb.shape[0]) for face in found]
    if not found:
        return faces, 0.0, []
    try:
        from retouch.segmentation import person_mask
    except ImportError:
        return faces, None, ["person segmentation is not available in this installation"]
    return faces, round(float(person_mask(rgb, faces=found).mean()), 4), []


# --------------------------------------------------------------------------- verdicts


def _verdicts(values: dict[str, float]) -> dict[str, str]:
    ev = values["exposure_ev"]
    exposure = "well exposed"
    if ev < TARGETS["exposure_ev"].low or values["shadow_clipping"] > TARGETS["shadow_clipping"].high:
        exposure = "too dark"
    elif (
        ev > TARGETS["exposure_ev"].high or values["highlight_clipping"] > TARGETS["highlight_clipping"].high
    ):
        exposure = "too bright"
    contrast = "normal contrast"
    if values["contrast_spread"] < TARGETS["contrast_spread"].low:
        contrast = "low contrast (flat)"
    elif values["rms_contrast"] > TARGETS["rms_contrast"].high:
        contrast = "high contrast"
    cast = "no clear colour cast"
    if values["cast"] > TARGETS["cast"].high:
        a, b = values["cast_a"], values["cast_b"]
        if abs(b) >= abs(a):
            cast = "a warm (yellow-orange) cast" if b > 0 else "a cool (blue) cast"
        else:
            cast = "a magenta cast" if a > 0 else "a green cast"
    colourfulness = values["colourfulness"]
    colour = (
        "black and white"
        if colourfulness < 2
        else "muted"
        if colourfulness < 15
        else "moderately colourful"
        if colourfulness < 59
        else "very colourful"
    )
    noise = values["noise"]
    noise_verdict = "clean" if noise <= TARGETS["noise"].high else "noisy" if noise <= 12 else "very noisy"
    blur = "blurry" if values["blur"] > TARGETS["blur"].high else "sharp"
    return {
        "exposure": exposure,
        "contrast": contrast,
        "colour_cast": cast,
        "colourfulness": colour,
        "noise": noise_verdict,
        "blur": blur,
    }


def _orientation(width: int, height: int) -> str:
    if abs(width - height) <= 0.02 * max(width, height):
        return "square"
    return "landscape" if width > height else "portrait"


def _quality_words(score: float) -> str:
    return "excellent" if score < 20 else "good" if score < 40 else "fair" if score < 60 else "poor"


# --------------------------------------------------------------------------- describe


def describe(
    image: Any,
    *,
    read: bool = True,
    backend: str | None = None,
    question: str | None = None,
    model_dir: Any = None,
) -> dict[str, Any]:
    """Describe a photo: structured facts and a readable paragraph.

    Parameters
    ----------
    image : path, bytes, PIL.Image, ndarray or Picture
        Any image :func:`retouch.load_image` reads.
    read : bool
        Run OCR (the slowest part, a few hundred ms); ``False`` skips it.
    backend : {None, "openai", "transformers"}
        A learned captioner to add a caption (see :mod:`retouch.captioning`).
    question : str, optional
        Also answer this question (``report["answer"]``); with a learned
        backend, questions the rules cannot answer go to the model.
    model_dir : path, optional
        Model folder for the ``transformers`` backend.

    Returns
    -------
    dict
        ``width``, ``height``, ``megapixels``, ``orientation``, ``exif``,
        ``exposure`` (``ev``, ``verdict``), ``clipping``, ``contrast``,
        ``colour_cast``, ``colourfulness``, ``noise_sigma``, ``sharpness``,
        ``blur``, ``quality`` (BRISQUE), ``faces`` (``box``, ``score``),
        ``people_coverage``, ``sky_coverage``, ``text`` (``text``, ``box``,
        ``score``), ``dominant_colours``, ``horizon_tilt``, ``notes`` and
        ``summary`` (str); ``caption`` with a backend; ``answer`` with a
        question.

    Examples
    --------
    >>> from skimage import data
    >>> report = describe(data.astronaut(), read=False)
    >>> report["width"], len(report["faces"]), report["blur"]["verdict"]
    (512, 1, 'sharp')
    """
    from retouch.io import load_image
    from retouch.quality import brisque_score
    from retouch.regions.sky import sky_matte

    if backend:
        from retouch.captioning import check_backend

        check_backend(backend, model_dir)  # before the work, so a missing setup fails at once
    picture = load_image(image)
    pixels = picture.pixels
    height, width = pixels.shape[:2]
    values = assess(pixels)
    verdicts = _verdicts(values)
    small = to_rgb_float(downscale(pixels, LOOK_SIDE))
    grey = luma(small).astype(np.float32)
    rgb8 = np.round(small * 255).astype(np.uint8)

    faces, people, notes = _faces_and_people(rgb8)
    scale = width / small.shape[1]
    faces = [
        {"box": [round(v * scale) for v in face["box"]], "score": round(float(face["score"]), 4)}
        for face in faces
    ]
    text = []
    if read:
        from retouch.reading import read_text

        # Read on a small copy: the detector's time grows with the pixels,
        # and the text a description is about is not tiny.
        lines = read_text(picture, max_side=READ_SIDE, min_score=DESCRIBE_MIN_SCORE)
        text = [line for line in lines if len(line["text"]) > 1]
    quality = brisque_score(downscale(grey, 512).astype(np.float64))
    exif = exif_summary(picture.exif)
    report: dict[str, Any] = {
        "width": width,
        "height": height,
        "megapixels": round(width * height / 1e6, 2),
        "orientation": _orientation(width, height),
        "grey": pixels.shape[2] == 1 or values["colourfulness"] < 2,
        "exif": exif,
        "exposure": {"ev": values["exposure_ev"], "verdict": verdicts["exposure"]},
        "clipping": {"shadows": values["shadow_clipping"], "highlights": values["highlight_clipping"]},
        "contrast": {
            "rms": values["rms_contrast"],
            "spread": values["contrast_spread"],
            "verdict": verdicts["contrast"],
        },
        "colour_cast": {
            "a": values["cast_a"],
            "b": values["cast_b"],
            "strength": values["cast"],
            "verdict": verdicts["colour_cast"],
        },
        "colourfulness": {"value": values["colourfulness"], "verdict": verdicts["colourfulness"]},
        "noise_sigma": values["noise"],
        "noise": {"sigma": values["noise"], "verdict": verdicts["noise"]},
        "sharpness": round(sharpness(luma(to_float(central_crop(pixels)))), 2),
        "blur": {"metric": values["blur"], "verdict": verdicts["blur"]},
        "quality": {
            "method": "BRISQUE (LIVE-trained SVR from opencv-data; 0 excellent .. 100 poor)",
            "brisque": None if quality is None else round(quality, 2),
            "verdict": None if quality is None else _quality_words(quality),
        },
        "faces": faces,
        "people_coverage": people,
        "sky_coverage": round(float(sky_matte(small).mean()), 4),
        "text": text,
        "dominant_colours": dominant_colours(small),
        "horizon_tilt": horizon_tilt(downscale(grey, 512)),
        "notes": notes + list(picture.notes),
    }
    if quality is None:
        report["notes"].append(
            "no BRISQUE score: install Debian's opencv-data (or set RETOUCH_BRISQUE_DIR) for its model"
        )
    if backend:
        from retouch.captioning import learned_caption

        report["caption"] = learned_caption(rgb8, backend, model_dir=model_dir)["caption"]
    report["summary"] = summarise(report)
    if question:
        report["answer"] = _answer_or_ask(report, question, rgb8, backend, model_dir)
    return report


def _answer_or_ask(
    report: dict[str, Any], question: str, rgb8: np.ndarray, backend: Any, model_dir: Any
) -> str:
    reply = answer_from_report(report, question)
    # A free-form question ("what is she wearing?") is the model's to answer when there is one.
    if backend and _topic(question) in (None, "summary"):
        from retouch.captioning import learned_caption

        return learned_caption(rgb8, backend, question=question, model_dir=model_dir)["caption"]
    return reply if reply is not None else _fallback(report)


def _count(n: int, word: str) -> str:
    return f"{'no' if n == 0 else 'one' if n == 1 else n} {word}{'' if n == 1 else 's'}"


def summarise(report: dict[str, Any]) -> str:
    """The readable paragraph of a :func:`describe` report."""
    kind = "black-and-white" if report["grey"] else "colour"
    sentences = [
        f"A {report['width']}x{report['height']} {kind} image ({report['orientation']}, "
        f"{report['megapixels']:g} MP)."
    ]
    if caption := report.get("caption"):
        sentences.append(caption.rstrip(".") + ".")
    content = [_count(len(report["faces"]), "face")]
    if report["people_coverage"]:
        content.append(f"people fill {report['people_coverage']:.0%} of the frame")
    if report["sky_coverage"] > 0.02:
        content.append(f"sky covers {report['sky_coverage']:.0%}")
    sentences.append("It shows " + ", ".join(content) + ".")
    if report["text"]:
        quoted = "; ".join(f'"{line["text"]}"' for line in report["text"][:6])
        sentences.append(f"Text reads {quoted}.")
    sentences.append(
        f"It is {report['exposure']['verdict']}, with {report['contrast']['verdict']} and "
        f"{report['colour_cast']['verdict']}; {report['colourfulness']['verdict']}."
    )
    sentences.append(
        f"It looks {report['blur']['verdict']} and {report['noise']['verdict']} "
        f"(noise sigma {report['noise_sigma']:.1f} of 255)."
    )
    if report["quality"]["brisque"] is not None:
        sentences.append(
            f"BRISQUE quality {report['quality']['brisque']:.0f} ({report['quality']['verdict']})."
        )
    colours = [c["name"] for c in report["dominant_colours"] if c["fraction"] >= 0.08]
    if colours:
        sentences.append("Main colours: " + ", ".join(dict.fromkeys(colours)) + ".")
    tilt = report["horizon_tilt"]
    if tilt is not None and abs(tilt) >= 1:
        sentences.append(f"The horizon is tilted by {tilt:+.1f} degrees.")
    exif = report["exif"]
    camera = " ".join(str(exif[k]) for k in ("Make", "Model") if exif.get(k))
    if camera or exif.get("DateTimeOriginal"):
        shot = f"Taken with {camera}" if camera else "Taken"
        if lens := exif.get("LensModel"):
            shot += f" ({lens})"
        if date := exif.get("DateTimeOriginal") or exif.get("DateTime"):
            shot += f" on {date}"
        if settings := _exposure_settings(exif):
            shot += f", {settings}"
        sentences.append(shot + ".")
    return " ".join(sentences)


# --------------------------------------------------------------------------- answers

_QUESTIONS: tuple[tuple[str, str], ...] = (
    (r"\b(faces?|people|persons?|anyone|somebody|someone)\b", "faces"),
    (r"\b(say|says|read|text|written|writing|sign|words?|caption|label)\b", "text"),
    (r"\b(blurr?y|blur|sharp|focus|focused|soft)\b", "blur"),
    (r"\b(nois[ey]|noise|grain|grainy)\b", "noise"),
    (r"\b(dark|bright|exposed|exposure|underexposed|overexposed|light)\b", "exposure"),
    (r"\b(cast|warm|cool|tint|white balance|yellow|blue tint)\b", "cast"),
    (r"\b(quality|good|bad|how good|score)\b", "quality"),
    (r"\b(sky)\b", "sky"),
    (r"\b(tilt|tilted|crooked|straight|level|horizon)\b", "tilt"),
    (r"\b(colou?rs?)\b", "colours"),
    (r"\b(contrast|flat)\b", "contrast"),
    (r"\b(size|big|resolution|dimensions|megapixels?)\b", "size"),
    (r"\b(camera|lens|iso|aperture|shutter|when|date|taken)\b", "exif"),
    (r"\b(what|describe|show|shows|picture|photo|image|about)\b", "summary"),
)


def _topic(question: str) -> str | None:
    q = question.lower()
    return next((topic for pattern, topic in _QUESTIONS if re.search(pattern, q)), None)


def answer_from_report(report: dict[str, Any], question: str) -> str | None:
    """Answer a simple question from a :func:`describe` report (``None`` if it is not understood)."""
    topic = _topic(question)
    if topic == "faces":
        n = len(report["faces"])
        return f"I see {_count(n, 'face')}." if n else "I see no faces."
    if topic == "text":
        if not report["text"]:
            return "I can't find any readable text."
        return "It says: " + " / ".join(line["text"] for line in report["text"])
    if topic == "blur":
        verdict = report["blur"]["verdict"]
        metric = report["blur"]["metric"]
        return (
            f"{'Yes, it looks blurry' if verdict == 'blurry' else 'No, it looks sharp'} (blur {metric:.2f})."
        )
    if topic == "noise":
        sigma, verdict = report["noise"]["sigma"], report["noise"]["verdict"]
        lead = "No, it looks clean" if verdict == "clean" else f"Yes, it is {verdict}"
        return f"{lead} (noise sigma {sigma:.1f} of 255)."
    if topic == "exposure":
        verdict = report["exposure"]["verdict"]
        return f"It is {verdict} (exposure {report['exposure']['ev']:+.1f} EV from mid-grey)."
    if topic == "cast":
        return f"It has {report['colour_cast']['verdict']}."
    if topic == "quality":
        quality = report["quality"]
        if quality["brisque"] is None:
            return (
                f"It is {report['blur']['verdict']}, {report['noise']['verdict']} and "
                f"{report['exposure']['verdict']} (no BRISQUE model installed for a score)."
            )
        return f"BRISQUE score {quality['brisque']:.0f} of 100: {quality['verdict']} (lower is better)."
    if topic == "sky":
        share = report["sky_coverage"]
        return f"Yes, sky covers about {share:.0%} of it." if share > 0.02 else "I see no sky."
    if topic == "tilt":
        tilt = report["horizon_tilt"]
        if tilt is None:
            return "I find no clear horizon line."
        return "It looks level." if abs(tilt) < 1 else f"It is tilted by {tilt:+.1f} degrees."
    if topic == "colours":
        return "Main colours: " + ", ".join(
            f"{c['name']} ({c['fraction']:.0%})" for c in report["dominant_colours"]
        )
    if topic == "contrast":
        return f"It has {report['contrast']['verdict']}."
    if topic == "size":
        return f"{report['width']}x{report['height']} pixels ({report['megapixels']:g} MP)."
    if topic == "exif":
        return report["summary"] if report["exif"] else "The file carries no camera (EXIF) data."
    if topic == "summary":
        return report["summary"]
    return None


def _fallback(report: dict[str, Any]) -> str:
    return (
        "I can answer about faces, text, blur, noise, exposure, colour, sky, tilt and quality; "
        "here is what I see: " + report["summary"]
    )


def answer(image: Any, question: str) -> str:
    """Answer a simple question about a photo ("how many faces?", "is it blurry?").

    Parameters
    ----------
    image : image or dict
        Any image :func:`retouch.load_image` reads, or a report from
        :func:`describe` (then nothing is measured again).
    question : str

    Returns
    -------
    str

    Examples
    --------
    >>> from skimage import data
    >>> answer(data.astronaut(), "how many faces are there?")
    'I see one face.'
    """
    if not isinstance(question, str) or not question.strip():
        raise InputError("the question is empty")
    topic = _topic(question)
    if isinstance(image, dict) and "summary" in image:
        report = image
    else:
        report = describe(image, read=topic in ("text", "summary", None))
    reply = answer_from_report(report, question)
    return reply if reply is not None else _fallback(report)
