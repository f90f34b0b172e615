"""Issue 5 benchmark (understanding): OCR exactness, ``describe`` time, sky-mask IoU.

OCR
    Three lines of text ("OPEN 24 HOURS", "Quick brown fox, 1987", "Exit
    only") rendered black on white at one size per image (12 to 96 px) in
    every font found: Pillow's bundled font and the DejaVu Sans, Serif, Sans
    Mono and Sans Bold fonts under /usr/share/fonts. A line counts when the
    text read is exactly the text rendered. Tools: Retouch ``read_text``
    (rapidocr's PP-OCR models, detector at a 1280 px longer side) and
    rapidocr 3.10 with its default settings (the same models, detector at a
    736 px *shorter* side); ``tesseract`` too when installed.
describe
    ``retouch.describe`` on 1 MP images (astronaut upscaled to 1155 x 866;
    the same with a sign pasted on it; describe reads text on a 640 px
    copy): median wall time of 3 after a warm-up, with the process CPU time
    beside it (all threads; the CPU here is shared, so wall time grows with
    the load average, which is printed).
Sky
    The labelled set of ``tests/scenes.py``: 48 scenes, a synthetic sky
    (clear, clouds, overcast, sunset) above a horizon line (hills, city
    skyline, tree crowns) with real photo texture below (scikit-image's
    grass, gravel, brick, cat, coffee, astronaut). The label is exact: sky
    is what lies above the horizon line that built the scene. Seeds 0-23
    were looked at while the sky finder was tuned; seeds 100-123 are a
    held-out set of the same kinds, reported separately. Two real
    photos with sky, camera and rocket, are labelled approximately by
    flood fill from the top edge (OpenCV floodFill, floating range of 3
    and 2 levels per channel) and checked by eye: the labels leak a little
    into bright buildings at the horizon. Photos without sky (astronaut,
    coffee, chelsea, hubble_deep_field, immunohistochemistry, retina) should
    give an empty mask. IoU of mask > 0.5 against the label. Baseline: the
    Otsu-bright areas connected to the top edge.

Targets (issue 5): OCR exact on rendered text in several fonts and sizes;
``describe`` < 1 s on 1 MP without learned backends; sky IoU >= 0.9.

Run::

    .venv/bin/python bench/understand.py            # all
    .venv/bin/python bench/understand.py --save /tmp/understand   # also write mask overlays
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

import cv2
import numpy as np
from PIL import Image
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from scenes import available_fonts, sky_scene, text_image

from retouch.analyze import to_rgb_float
from retouch.reading import read_text
from retouch.regions.sky import sky_matte
from retouch.understand import describe

OCR_LINES = ("OPEN 24 HOURS", "Quick brown fox, 1987", "Exit only")
OCR_SIZES = (12, 16, 24, 36, 56, 96)
SKY_SEEDS = {"tuning": range(24), "held out": range(100, 124)}
NO_SKY = ("astronaut", "coffee", "chelsea", "hubble_deep_field", "immunohistochemistry", "retina")


def mark(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def rapidocr_default() -> callable:
    from rapidocr import RapidOCR

    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    engine = RapidOCR(params={"Global.log_level": "error"})

    def run(image: np.ndarray) -> list[str]:
        output = engine(np.ascontiguousarray(image[..., ::-1]))
        return [] if output.txts is None else [t.strip() for t in output.txts]

    return run


def tesseract(image: np.ndarray) -> list[str]:
    path = Path("/tmp/_bench_ocr.png")
    Image.fromarray(image).save(path)
    out = subprocess.run(["tesseract", str(path), "-", "--psm", "6"], capture_output=True, text=True)
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


def bench_ocr() -> bool:
    tools = {"retouch": lambda image: [line["text"] for line in read_text(image)], "rapidocr-defaults": None}
    tools["rapidocr-defaults"] = rapidocr_default()
    if shutil.which("tesseract"):
        tools["tesseract"] = tesseract
    fonts = sorted(available_fonts())
    cases = [
        (font, size, text_image(font, [(line, size) for line in OCR_LINES]))
        for font in fonts
        for size in OCR_SIZES
    ]
    print(f"\n== OCR: {len(fonts)} fonts x {len(OCR_SIZES)} sizes x {len(OCR_LINES)} lines ==")
    print(f"fonts: {', '.join(fonts)}; sizes (px): {', '.join(map(str, OCR_SIZES))}")
    print(f"{'tool':<20} {'exact lines':>12} {'median ms/image':>16}  misses (font, size: read)")
    exact_retouch = 0
    for name, tool in tools.items():
        exact, times, misses = 0, [], []
        for font, size, image in cases:
            t0 = time.perf_counter()
            lines = tool(image)
            times.append(time.perf_counter() - t0)
            hits = sum(line in lines for line in OCR_LINES)
            exact += hits
            if hits < len(OCR_LINES):
                misses.append(f"{font} {size}: {lines}")
        total = len(cases) * len(OCR_LINES)
        if name == "retouch":
            exact_retouch = exact
        print(f"{name:<20} {exact:>5}/{total:<6} {1000 * median(times):>16.0f}  {'; '.join(misses[:4])}")
    total = len(cases) * len(OCR_LINES)
    ok = exact_retouch == total
    print(f"target OCR exact on all rendered lines: {exact_retouch}/{total} -> {mark(ok)}")
    return ok


def bench_describe() -> bool:
    photo = cv2.resize(data.astronaut(), (1155, 866), interpolation=cv2.INTER_CUBIC)
    signed = photo.copy()
    sign = text_image("pillow-default", [("NO PARKING", 40)])
    signed[600 : 600 + sign.shape[0], 650 : 650 + sign.shape[1]] = sign
    load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    print(f"\n== describe on 1 MP (1155x866), median of 3; {load} ==")
    print(f"{'input':<28} {'wall s':>8} {'CPU s':>8}  text read")
    worst = 0.0
    for name, image, kwargs in (
        ("photo", photo, {}),
        ("photo, read=False", photo, {"read": False}),
        ("photo with a sign", signed, {}),
    ):
        describe(image, **kwargs)  # warm-up: model loading is not part of a description
        walls, cpus = [], []
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            report = describe(image, **kwargs)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        worst = max(worst, median(walls))
        texts = [line["text"] for line in report["text"]]
        print(f"{name:<28} {median(walls):>8.3f} {median(cpus):>8.3f}  {texts}")
    ok = worst < 1.0
    print(f"target describe < 1 s on 1 MP: slowest median {worst:.3f} s -> {mark(ok)}")
    return ok


def flood_label(rgb: np.ndarray, tolerance: int) -> np.ndarray:
    """Approximate sky label: flood fill from every 8th pixel of the top row, floating range."""
    image = cv2.GaussianBlur(rgb, (0, 0), 1.0)
    h, w = image.shape[:2]
    mask = np.zeros((h + 2, w + 2), np.uint8)
    flags = cv2.FLOODFILL_MASK_ONLY | (255 << 8) | 8
    for x in range(0, w, 8):
        if mask[1, x + 1] == 0:
            cv2.floodFill(image, mask, (x, 0), (0, 0, 0), (tolerance,) * 3, (tolerance,) * 3, flags)
    return mask[1:-1, 1:-1] > 0


def otsu_top(rgb: np.ndarray) -> np.ndarray:
    """Baseline: bright (Otsu) areas connected to the top edge."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    _, bright = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    _, labels = cv2.connectedComponents(bright)
    top = np.setdiff1d(np.unique(labels[0]), [0])
    return np.isin(labels, top)


def iou(selected: np.ndarray, label: np.ndarray) -> float:
    return float((selected & label).sum() / max((selected | label).sum(), 1))


def bench_sky(save: Path | None) -> bool:
    count = sum(len(seeds) for seeds in SKY_SEEDS.values())
    print(f"\n== sky: {count} labelled scenes (tests/scenes.py), 2 flood-labelled photos, ", end="")
    print(f"{len(NO_SKY)} photos without sky ==")
    print(f"{'scene':<40} {'retouch IoU':>12} {'baseline IoU':>13} {'ms':>6}")
    means, times = {}, []
    for group, seeds in SKY_SEEDS.items():
        ious, baselines = [], []
        for seed in seeds:
            image, label, name = sky_scene(seed)
            t0 = time.perf_counter()
            mask = sky_matte(to_rgb_float(image))
            times.append(time.perf_counter() - t0)
            ious.append(iou(mask > 0.5, label))
            baselines.append(iou(otsu_top(image), label))
            print(f"{seed:>3} {name:<36} {ious[-1]:>12.3f} {baselines[-1]:>13.3f} {1000 * times[-1]:>6.0f}")
            if save:
                overlay = np.concatenate(
                    [image, np.repeat((mask[..., None] * 255).astype(np.uint8), 3, 2)], 1
                )
                Image.fromarray(overlay).save(save / f"sky_scene_{seed:03d}.png")
        means[group] = float(np.mean(ious))
        summary = f"mean IoU {means[group]:.3f} (min {min(ious):.3f}); baseline {np.mean(baselines):.3f}"
        print(f"    {group}: {summary}")
    for name, tolerance in (("camera", 3), ("rocket", 2)):
        photo = getattr(data, name)()
        photo = photo if photo.ndim == 3 else np.repeat(photo[..., None], 3, 2)
        label = flood_label(photo, tolerance)
        mask = sky_matte(to_rgb_float(photo))
        ours, baseline = iou(mask > 0.5, label), iou(otsu_top(photo), label)
        print(f"    {name + ' (approximate label)':<36} {ours:>12.3f} {baseline:>13.3f}")
    empty = {name: float(sky_matte(to_rgb_float(getattr(data, name)())).mean()) for name in NO_SKY}
    print("mean mask on photos without sky: " + ", ".join(f"{k} {v:.3f}" for k, v in empty.items()))
    print(f"median time per scene (512x384): {1000 * median(times):.0f} ms")
    ok = min(means.values()) >= 0.9 and max(empty.values()) < 0.01
    print(f"target sky IoU >= 0.9 (mean, each set) and ~0 without sky: {mark(ok)}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--save", type=Path, help="write sky mask overlays here")
    args = parser.parse_args()
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
    results = {
        "OCR exact": bench_ocr(),
        "describe < 1 s": bench_describe(),
        "sky IoU >= 0.9": bench_sky(args.save),
    }
    print("\n== targets ==")
    for name, ok in results.items():
        print(f"{name:<20} {mark(ok)}")


if __name__ == "__main__":
    main()
