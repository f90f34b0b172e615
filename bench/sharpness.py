"""Deblurring and upscaling benchmark (issue 4).

Deblur: five scikit-image photos (centre crops of at most 512 x 512) are
blurred synthetically (Gaussian sigma 1.5 and 3, a defocus disk of radius 3,
a 9 px linear motion at 30 degrees), with and without mild noise (sigma 2 on
0-255), then restored. Retouch's ``deblur`` estimates the blur itself
(``kind="auto"``); scikit-image's Richardson-Lucy (30 iterations) and its
Wiener filter (balance 0.01) are given the true point-spread function and
a mirror-padded image (they pad with zeros themselves, which costs them
several dB at the borders).
Reported: PSNR gain over the blurred input. Target: Retouch's mean gain is
positive for every blur.

Upscale: each photo is shrunk by area averaging (x2 and x4) and enlarged back
by Retouch's ``upscale``, OpenCV (bicubic, Lanczos-4) and Pillow (bicubic,
Lanczos). Reported: PSNR / SSIM against the original, and edge sharpness (mean
gradient magnitude on the original's Canny edges, relative to the original's).
Targets: Retouch's mean PSNR beats all four at both factors, and its edges
are sharper than Lanczos's.

    .venv/bin/python bench/sharpness.py            # both, about a minute
    .venv/bin/python bench/sharpness.py --only upscale
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

import cv2
import numpy as np
from PIL import Image
from skimage import data
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from skimage.restoration import richardson_lucy, wiener

from retouch.deconvolve import Blur
from retouch.ops.restore import deblur, upscale

PHOTOS = ("astronaut", "coffee", "chelsea", "camera", "rocket")
BLURS = (Blur("gaussian", 1.5), Blur("gaussian", 3.0), Blur("defocus", 3.0), Blur("motion", 9.0, 30.0))
NOISE = 2.0
CROP = 512


def load(name: str) -> np.ndarray:
    """A float RGB (or grey, H x W x 1) crop in [0, 1]."""
    image = getattr(data, name)()
    if image.ndim == 2:
        image = image[..., None]
    y0, x0 = max(0, (image.shape[0] - CROP) // 2), max(0, (image.shape[1] - CROP) // 2)
    return np.ascontiguousarray(image[y0 : y0 + CROP, x0 : x0 + CROP, :3]).astype(np.float32) / 255


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return peak_signal_noise_ratio(a, np.clip(b, 0, 1), data_range=1.0)


def per_channel(func, image: np.ndarray, pad: int) -> np.ndarray:
    """``func`` on each channel, mirrored by ``pad`` px first (scikit-image pads with zeros otherwise)."""
    out = []
    for c in range(image.shape[2]):
        plane = np.pad(image[..., c], pad, mode="symmetric")
        out.append(func(plane)[pad:-pad, pad:-pad])
    return np.dstack(out)


def bench_deblur() -> bool:
    print("deblur: mean PSNR gain over the blurred input (dB), 5 photos; others are told the true PSF")
    ok = True
    for blur in BLURS:
        kernel = blur.kernel()
        for noise in (0.0, NOISE):
            gains: dict[str, list[float]] = {"retouch": [], "skimage-rl": [], "skimage-wiener": []}
            seconds = 0.0
            for index, name in enumerate(PHOTOS):
                sharp = load(name)
                soft = cv2.filter2D(sharp, -1, kernel.astype(np.float32), borderType=cv2.BORDER_REFLECT)
                soft = soft.reshape(sharp.shape)
                if noise:
                    rng = np.random.default_rng(index)
                    soft = np.clip(soft + rng.normal(0, noise / 255, soft.shape), 0, 1).astype(np.float32)
                base = psnr(sharp, soft)
                start = time.perf_counter()
                ours = deblur(soft, 1.0)
                seconds += time.perf_counter() - start
                gains["retouch"].append(psnr(sharp, ours) - base)
                pad = 2 * max(kernel.shape)
                rl = per_channel(partial(richardson_lucy, psf=kernel, num_iter=30, clip=True), soft, pad)
                gains["skimage-rl"].append(psnr(sharp, rl) - base)
                wf = per_channel(partial(wiener, psf=kernel, balance=0.01, clip=True), soft, pad)
                gains["skimage-wiener"].append(psnr(sharp, wf) - base)
            mean = {tool: statistics.mean(v) for tool, v in gains.items()}
            met = mean["retouch"] > 0
            ok &= met
            label = f"{blur.kind} {blur.size:g}" + (f" @{blur.angle:g}deg" if blur.kind == "motion" else "")
            print(
                f"  {label:18s} noise {noise:g}: "
                + "  ".join(f"{tool} {value:+5.2f}" for tool, value in mean.items())
                + f"  (retouch {seconds / len(PHOTOS):.2f} s/photo; per photo "
                + " ".join(f"{g:+.1f}" for g in gains["retouch"])
                + f")  gain > 0: {'met' if met else 'NOT MET'}"
            )
    return ok


def edge_sharpness(reference: np.ndarray, image: np.ndarray) -> float:
    """Mean gradient magnitude of ``image`` on the reference's edges, relative to the reference's."""
    grey_ref = cv2.cvtColor(reference, cv2.COLOR_RGB2GRAY) if reference.shape[2] == 3 else reference[..., 0]
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.shape[2] == 3 else image[..., 0]
    edges = cv2.Canny((grey_ref * 255).astype(np.uint8), 60, 150) > 0

    def magnitude(x: np.ndarray) -> np.ndarray:
        return np.hypot(cv2.Sobel(x, cv2.CV_32F, 1, 0), cv2.Sobel(x, cv2.CV_32F, 0, 1))

    return float(magnitude(grey)[edges].mean() / magnitude(grey_ref)[edges].mean())


def upscalers(small: np.ndarray, factor: int, size: tuple[int, int]) -> dict[str, Callable[[], np.ndarray]]:
    """Each competitor, as a function that enlarges the uint8 image ``small`` to ``size`` (w, h)."""
    pil = Image.fromarray(small[..., 0] if small.shape[2] == 1 else small)
    return {
        "retouch": partial(upscale, small, factor=factor),
        "cv2-cubic": partial(cv2.resize, small, size, interpolation=cv2.INTER_CUBIC),
        "cv2-lanczos": partial(cv2.resize, small, size, interpolation=cv2.INTER_LANCZOS4),
        "pil-bicubic": lambda: np.asarray(pil.resize(size, Image.Resampling.BICUBIC)),
        "pil-lanczos": lambda: np.asarray(pil.resize(size, Image.Resampling.LANCZOS)),
    }


def bench_upscale() -> bool:
    ok = True
    for factor in (2, 4):
        scores: dict[str, list[tuple[float, float, float, float]]] = {}
        for name in PHOTOS:
            original = load(name)
            height, width = (original.shape[0] // factor) * factor, (original.shape[1] // factor) * factor
            original = np.ascontiguousarray(original[:height, :width])
            as_uint8 = np.rint(original * 255).astype(np.uint8)
            small = cv2.resize(as_uint8, (width // factor, height // factor), interpolation=cv2.INTER_AREA)
            small = small.reshape(height // factor, width // factor, -1)
            candidates = upscalers(small, factor, (width, height))
            for tool, func in candidates.items():
                start = time.perf_counter()
                out = func().reshape(height, width, -1)
                seconds = time.perf_counter() - start
                result = out.astype(np.float32) / 255
                scores.setdefault(tool, []).append(
                    (
                        psnr(original, result),
                        structural_similarity(original, result, data_range=1.0, channel_axis=-1),
                        edge_sharpness(original, result),
                        seconds,
                    )
                )
        print(f"\nupscale x{factor}: mean over {len(PHOTOS)} photos")
        means = {
            tool: [statistics.mean(v[i] for v in rows) for i in range(4)] for tool, rows in scores.items()
        }
        for tool, (p, s, e, t) in means.items():
            print(f"  {tool:12s} PSNR {p:6.2f} dB  SSIM {s:.4f}  edge sharpness {e:.3f}  {1000 * t:7.1f} ms")
        beats = all(means["retouch"][0] > m[0] for tool, m in means.items() if tool != "retouch")
        sharper = means["retouch"][2] > means["cv2-lanczos"][2]
        print(f"  target PSNR above bicubic and Lanczos (OpenCV, Pillow): {'met' if beats else 'NOT MET'}")
        print(f"  target edges sharper than Lanczos: {'met' if sharper else 'NOT MET'}")
        ok &= beats and sharper
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("deblur", "upscale"))
    args = parser.parse_args()
    results = []
    if args.only in (None, "deblur"):
        results.append(bench_deblur())
    if args.only in (None, "upscale"):
        results.append(bench_upscale())
    print("\nall targets met" if all(results) else "\nsome targets NOT MET")


if __name__ == "__main__":
    main()
