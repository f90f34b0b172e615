"""Issue 5 benchmark, regions from words: faces and people (the sky has its own section or file).

Faces
-----
``retouch.faces.detect_faces`` against OpenCV's Haar cascade
(``haarcascade_frontalface_default``, ``detectMultiScale(grey, 1.1, 5)``,
what a user of OpenCV would reach for), on the same images in the same run:

- ``astronaut``: one face, its box read off the photo by eye;
- ``lfw faces``: scikit-image's 100 LFW face crops (25 x 25 grey), enlarged
  4x with bicubic interpolation, the face filling the frame as in a close-up;
- ``lfw non-faces``: the 100 non-face crops of the same set, enlarged alike
  (every detection is a false positive);
- ``composed``: packaged photos without people, scaled to 1024 px, with 4-6
  faces pasted on each at random sizes (LFW crops 32-220 px and the
  astronaut's head at 0.4-1.2x) and random places (seeded);
- ``composed B``, ``composed C``: the same recipe with other seeds. B was
  first run as a held-out set; its misses (small faces scoring low at the
  coarsest window) and false positive (a "face" made of a cup around pasted
  faces) led to two changes in :mod:`retouch.faces`, so it is no longer
  held out. C was made after those changes and never tuned on;
- ``no people``: 14 packaged photos with no human in them (a cat, a rocket,
  coffee, textures, a retina, coins, text ...) at their own size.

A detection finds a pasted face when their boxes overlap with IoU >= 0.3; each
face is found at most once; any other detection is a false positive.
Targets (issue 5): recall >= 0.95 with no false positive on every set.

People
------
``retouch.segmentation.person_mask`` against the model alone (MediaPipe's
selfie segmentation at 256 x 256, resized back and thresholded at 0.5, no
face gating and no edge refinement), on a labelled set:

- the ground truth for astronaut was labelled by hand-placed GrabCut seeds
  (rectangles and polygons for sure person / sure background, see
  :func:`label_astronaut_person`), checked by eye on an overlay and stored
  in ``tests/data/astronaut_person.png``; it includes the helmet she holds;
- the person cut out with that label is pasted (label as alpha, feathered
  by one pixel) onto 6 packaged photos without people, at 3 sizes (full
  frame height, 60 %, 35 %) and 2 horizontal places, standing on the bottom
  edge: the ground truth of each composite is the pasted alpha, exactly.

IoU is computed on masks thresholded at 0.5. Target: IoU >= 0.9 (the
median and the worst case are both printed; the target is on the median and
every image is listed in ``--verbose``). Times are medians of ``--repeat``
runs after a warm-up; tests never time anything.

Run::

    .venv/bin/python bench/regions.py                 # faces and people, 3 repeats
    .venv/bin/python bench/regions.py --only faces --repeat 1
    .venv/bin/python bench/regions.py --relabel       # rewrite the astronaut label
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

import cv2
import numpy as np
from skimage import data

from retouch.faces import detect_faces, rgb_uint8
from retouch.segmentation import person_mask, selfie_probability

ROOT = Path(__file__).resolve().parents[1]
LABEL = ROOT / "tests" / "data" / "astronaut_person.png"
ASTRONAUT_FACE = (180, 70, 275, 180)  # x1, y1, x2, y2, hairline to chin, ear to ear
# The astronaut's head cut for pasting, and the face box inside that cut.
HEAD_CUT = np.s_[40:220, 150:310]
HEAD_FACE = (30, 34, 125, 140)
NO_PEOPLE = (
    "coffee",
    "chelsea",
    "rocket",
    "brick",
    "grass",
    "gravel",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "clock",
    "coins",
    "moon",
    "text",
    "logo",
)
BACKGROUNDS = ("coffee", "rocket", "brick", "grass", "hubble_deep_field", "gravel", "immunohistochemistry")

Box = tuple[float, float, float, float]
FaceSet = list[tuple[np.ndarray, list[Box]]]


# ---------------------------------------------------------------- data


def photo(name: str) -> np.ndarray:
    return rgb_uint8(getattr(data, name)())


def lfw(index: int, size: int) -> np.ndarray:
    grey = cv2.resize((data.lfw_subset()[index] * 255).astype(np.uint8), (size, size), cv2.INTER_CUBIC)
    return np.repeat(grey[..., None], 3, axis=2)


def fit_long_side(image: np.ndarray, side: int) -> np.ndarray:
    scale = side / max(image.shape[:2])
    return cv2.resize(
        image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    )


def composed_faces(seed: int = 5) -> FaceSet:
    """Photos without people with faces pasted at random sizes and places (no overlaps)."""
    rng = np.random.default_rng(seed)
    head = photo("astronaut")[HEAD_CUT]
    images = []
    for name in (*BACKGROUNDS, "chelsea"):
        canvas = fit_long_side(photo(name), 1024).copy()
        height, width = canvas.shape[:2]
        taken: list[Box] = []
        truths: list[Box] = []
        for _ in range(int(rng.integers(4, 7))):
            for _attempt in range(50):
                if rng.random() < 0.3:
                    scale = rng.uniform(0.4, 1.2)
                    patch = cv2.resize(head, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                    face = tuple(v * scale for v in HEAD_FACE)
                else:
                    size = int(rng.integers(32, 221))
                    patch = lfw(int(rng.integers(0, 100)), size)
                    face = (0.0, 0.0, float(size), float(size))
                ph, pw = patch.shape[:2]
                x, y = int(rng.integers(0, width - pw)), int(rng.integers(0, height - ph))
                spot = (x - 8, y - 8, x + pw + 8, y + ph + 8)
                if all(box_iou(spot, other) == 0 for other in taken):
                    canvas[y : y + ph, x : x + pw] = patch
                    taken.append(spot)
                    truths.append((x + face[0], y + face[1], x + face[2], y + face[3]))
                    break
        images.append((canvas, truths))
    return images


def face_sets() -> dict[str, FaceSet]:
    return {
        "astronaut": [(photo("astronaut"), [ASTRONAUT_FACE])],
        "lfw faces (x4)": [(lfw(i, 100), [(0, 0, 100, 100)]) for i in range(100)],
        "lfw non-faces (x4)": [(lfw(i, 100), []) for i in range(100, 200)],
        "composed (1024 px)": composed_faces(),
        "composed B (seed 11)": composed_faces(seed=11),
        "composed C, held out": composed_faces(seed=23),
        "no people": [(photo(name), []) for name in NO_PEOPLE],
    }


def label_astronaut_person() -> np.ndarray:
    """The person in astronaut (with the helmet she holds), from GrabCut on hand-placed seeds."""
    image = photo("astronaut")
    seeds = np.full(image.shape[:2], cv2.GC_PR_BGD, np.uint8)
    outline = [[150, 40], [200, 15], [260, 20], [300, 60], [300, 140], [330, 190], [350, 240], [370, 300]]
    outline += [[400, 340], [460, 350], [500, 400], [511, 450], [511, 511], [20, 511], [25, 330], [60, 250]]
    outline += [[120, 190], [150, 150], [150, 100]]
    cv2.fillPoly(seeds, [np.array(outline)], cv2.GC_PR_FGD)
    for corner, opposite in (((215, 80), (240, 160)), ((180, 170), (260, 250)), ((80, 300), (330, 500))):
        cv2.rectangle(seeds, corner, opposite, cv2.GC_FGD, -1)
    cv2.rectangle(seeds, (300, 380), (480, 480), cv2.GC_FGD, -1)  # the helmet
    for corner, opposite in (
        ((0, 0), (120, 200)),
        ((0, 0), (511, 10)),
        ((320, 0), (511, 250)),
        ((0, 0), (8, 511)),
    ):
        cv2.rectangle(seeds, corner, opposite, cv2.GC_BGD, -1)
    table = [[372, 258], [511, 258], [511, 358], [490, 350], [460, 338], [420, 336], [385, 340], [372, 330]]
    cv2.fillPoly(seeds, [np.array(table)], cv2.GC_BGD)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(image[..., ::-1].copy(), seeds, None, bgd, fgd, 8, cv2.GC_INIT_WITH_MASK)
    return np.isin(seeds, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8) * 255


def person_set() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(name, image, truth)``: astronaut and the labelled person pasted on photos without people."""
    image = photo("astronaut")
    label = cv2.imread(str(LABEL), cv2.IMREAD_GRAYSCALE)
    alpha = cv2.GaussianBlur(label.astype(np.float32) / 255, (0, 0), 1.0)
    items = [("astronaut", image, label > 127)]
    for name in ("coffee", "rocket", "brick", "grass", "hubble_deep_field", "chelsea"):
        canvas = cv2.resize(photo(name), (768, 576), interpolation=cv2.INTER_CUBIC).astype(np.float32)
        for scale in (576 / 512, 0.6 * 576 / 512, 0.35 * 576 / 512):
            size = round(512 * scale)
            person = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)
            weight = cv2.resize(alpha, (size, size), interpolation=cv2.INTER_AREA)[..., None]
            for place in (0.15, 0.75):
                x = round(place * (768 - size))
                out, truth = canvas.copy(), np.zeros((576, 768), np.float32)
                region = np.s_[576 - size :, x : x + size]
                out[region] = person * weight + out[region] * (1 - weight)
                truth[region] = weight[..., 0]
                items.append((f"{name} {size}px @{place:.2f}", out.round().astype(np.uint8), truth > 0.5))
    return items


# ---------------------------------------------------------------- measures


def box_iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union if union > 0 else 0.0


def match(found: list[Box], truths: list[Box]) -> tuple[int, int]:
    """(faces found, false positives), greedily by IoU >= 0.3."""
    left = list(truths)
    hits = 0
    for box in found:
        best = max(left, key=lambda t: box_iou(box, t), default=None)
        if best is not None and box_iou(box, best) >= 0.3:
            left.remove(best)
            hits += 1
    return hits, len(found) - hits


def retouch_faces(image: np.ndarray) -> list[Box]:
    return [(x, y, x + w, y + h) for x, y, w, h in (f["box"] for f in detect_faces(image))]


_HAAR = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


def haar_faces(image: np.ndarray) -> list[Box]:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return [(x, y, x + w, y + h) for x, y, w, h in _HAAR.detectMultiScale(grey, 1.1, 5, minSize=(16, 16))]


def timed(func: Callable[[], Any], repeat: int) -> tuple[Any, float]:
    result = func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return result, median(times) if times else float("nan")


def mask_iou(mask: np.ndarray, truth: np.ndarray) -> float:
    return float((mask & truth).sum() / max((mask | truth).sum(), 1))


def selfie_only(image: np.ndarray) -> np.ndarray:
    return selfie_probability(image) > 0.5


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


# ---------------------------------------------------------------- sections


def bench_faces(repeat: int, verbose: bool) -> bool:
    print("Faces: recall (found / pasted), false positives, median time per image")
    print(f"{'set':<22}{'images':>7}{'faces':>7}  {'retouch':>24}  {'OpenCV Haar':>24}  target")
    all_met = True
    for name, items in face_sets().items():
        row = {}
        for tool, func in (("retouch", retouch_faces), ("haar", haar_faces)):
            hits = false = 0
            times = []
            for index, (image, truths) in enumerate(items):
                # Time a few images only: the sets with 100 crops would take long at every repeat.
                found, seconds = timed(lambda image=image, func=func: func(image), repeat if index < 5 else 0)
                h, f = match(found, truths)
                hits, false = hits + h, false + f
                times.append(seconds)
                if verbose and tool == "retouch" and (h < len(truths) or f):
                    print(f"    {name} #{index}: found {h}/{len(truths)}, {f} false: {found}")
            row[tool] = (hits, false, median(t for t in times if t == t))
        total = sum(len(t) for _, t in items)
        recall = row["retouch"][0] / total if total else 1.0
        met = recall >= 0.95 and row["retouch"][1] == 0
        all_met &= met
        cells = []
        for tool in ("retouch", "haar"):
            hits, false, seconds = row[tool]
            share = f"{hits / total:.3f}" if total else "  - "
            cells.append(f"{share} {false:>3} FP {1000 * seconds:>7.0f} ms")
        print(f"{name:<22}{len(items):>7}{total:>7}  {cells[0]:>24}  {cells[1]:>24}  {verdict(met)}")
    print("  target: recall >= 0.95 and 0 false positives on every set (retouch column)")
    return all_met


def bench_people(repeat: int, verbose: bool) -> bool:
    print("\nPeople: IoU with the labelled masks (threshold 0.5), median time per image")
    ours, model = [], []
    ours_time, model_time = [], []
    for index, (name, image, truth) in enumerate(person_set()):
        mask, seconds = timed(lambda image=image: person_mask(image), repeat if index < 4 else 0)
        raw, raw_seconds = timed(lambda image=image: selfie_only(image), repeat if index < 4 else 0)
        ours.append(mask_iou(mask > 0.5, truth))
        model.append(mask_iou(raw, truth))
        ours_time.append(seconds)
        model_time.append(raw_seconds)
        if verbose:
            print(f"    {name:<34} retouch {ours[-1]:.3f}   model alone {model[-1]:.3f}")
    met = median(ours) >= 0.9
    print(f"{'method':<44}{'median IoU':>11}{'worst':>8}{'time':>10}")
    for label, scores, times in (
        ("retouch.person_mask (faces, crops, refine)", ours, ours_time),
        ("selfie model alone (256 px, no gating)", model, model_time),
    ):
        seconds = median(t for t in times if t == t)
        print(f"{label:<44}{median(scores):>11.3f}{min(scores):>8.3f}{1000 * seconds:>8.0f} ms")
    print(f"  {len(ours)} images; target: IoU >= 0.9 (median): {verdict(met)}")
    return met


def bench_large(repeat: int) -> None:
    """Times on a 12 MP photo: the composed faces image enlarged."""
    image, _ = composed_faces()[0]
    big = cv2.resize(image, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    _, faces_s = timed(lambda: detect_faces(big), repeat)
    _, people_s = timed(lambda: person_mask(big), repeat)
    print(
        f"\n12 MP (4000 x 3000): detect_faces {faces_s:.2f} s, person_mask {people_s:.2f} s (incl. detection)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per image (after a warm-up)")
    parser.add_argument("--only", choices=("faces", "people"), help="run one section")
    parser.add_argument("--verbose", action="store_true", help="list misses and per-image IoU")
    parser.add_argument("--relabel", action="store_true", help=f"rewrite {LABEL.relative_to(ROOT)} and stop")
    args = parser.parse_args()
    if args.relabel:
        cv2.imwrite(str(LABEL), label_astronaut_person())
        print(f"wrote {LABEL}")
        return
    cv2.setNumThreads(2)
    if args.only in (None, "faces"):
        bench_faces(args.repeat, args.verbose)
    if args.only in (None, "people"):
        bench_people(args.repeat, args.verbose)
    if args.only is None:
        bench_large(max(1, args.repeat // 2))


if __name__ == "__main__":
    main()
