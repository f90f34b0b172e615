"""Issue 2 benchmark: a chain of global edits on a 24 MP photo, Retouch against the usual tools.

The chain is brightness +10 %, contrast x1.2, saturation x1.3, gamma 0.9 and an
unsharp mask. Each tool runs it in its own idiom, in the same run, on the same
uint8 RGB photo (a packaged scikit-image sample upscaled with bicubic
interpolation):

- Retouch: ``retouch.apply(array, plan)`` with brightness 0.1, contrast 0.2,
  saturation 0.3, gamma 0.9, sharpen 0.6 (its default radius);
- Pillow: ImageEnhance Brightness / Contrast / Color, a ``point`` table for
  gamma, ``ImageFilter.UnsharpMask``;
- OpenCV + numpy, written naively in float32;
- ImageMagick 6 ``convert``, file to file (uncompressed PPM in /tmp);
- libvips (pyvips) from memory, evaluated by ``write_to_memory``.

Every tool runs in its own subprocess, so that its memory is measured alone.

Definitions (also printed with the results)
-------------------------------------------
time
    Median wall time of ``--repeat`` runs, after one untimed warm-up run, with
    the input already decoded in memory (ImageMagick: the whole ``convert``
    command, which decodes and encodes PPM; a no-op ``convert in.ppm out.ppm``
    is timed as well so that its I/O can be subtracted).
peak extra RSS
    The highest resident memory of the tool's process during a run, minus its
    resident memory just before the run (input decoded, libraries loaded,
    warm-up done); the largest over the timed runs. The output counts. On
    Linux the peak is reset before each run (``/proc/self/clear_refs``).
    ImageMagick: peak RSS of the chain's ``convert`` minus that of the no-op
    ``convert``, both of which hold the decoded input.
xRSS
    Peak extra RSS divided by the decoded image's bytes (W x H x 3).

Run (see ``--help``)::

    .venv/bin/python bench/global_edits.py                      # 24 MP, 5 repeats
    .venv/bin/python bench/global_edits.py --megapixels 2 --repeat 3 --json /tmp/edits.json
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

import cv2
import numpy as np

# The chain, in each tool's own terms.
BRIGHTNESS = 1.1  # gain (Pillow, OpenCV, libvips, ImageMagick -evaluate)
CONTRAST = 1.2  # slope at mid-grey
SATURATION = 1.3  # chroma gain
GAMMA = 0.9  # y = x ** (1 / GAMMA), the convention of Retouch, Pillow, ImageMagick and libvips
SHARPEN = 0.6  # unsharp-mask amount; the sigma is Retouch's default for the image size
REC709 = np.array([0.2126, 0.7152, 0.0722])

RETOUCH_PLAN = {
    "steps": [
        {"op": "brightness", "amount": 0.1},
        {"op": "contrast", "amount": CONTRAST - 1.0},
        {"op": "saturation", "amount": SATURATION - 1.0},
        {"op": "gamma", "amount": GAMMA},
        {"op": "sharpen", "amount": SHARPEN},
    ]
}
# Global point ops only, so the engine fuses them into one lookup table.
FIVE_POINT_PLAN = {
    "steps": [
        {"op": "brightness", "amount": 0.1},
        {"op": "contrast", "amount": 0.2},
        {"op": "gamma", "amount": GAMMA},
        {"op": "levels", "params": {"black": 0.02, "white": 0.98}},
        {"op": "exposure", "amount": 0.3},
    ]
}
ONE_POINT_PLAN = {"steps": [{"op": "brightness", "amount": 0.1}]}

TOOLS = {
    "retouch": "Retouch",
    "pillow": "Pillow",
    "opencv": "OpenCV+numpy float32",
    "imagemagick": "ImageMagick (file->file)",
    "vips": "libvips (gaussblur unsharp)",
    "vips-sharpen": "libvips (sharpen op)",
}
# A tool's timed run and the conversion of its output to an array (untimed).
Prepared = tuple[Callable[[], Any], Callable[[Any], np.ndarray]]
SAMPLES = ("chelsea", "astronaut", "coffee", "rocket")
MB = 1e6


# --------------------------------------------------------------------------- memory


def _proc_status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            match = re.search(rf"^{field}:\s+(\d+) kB", fh.read(), re.MULTILINE)
    except OSError:
        return None
    return int(match.group(1)) if match else None


class PeakMemory:
    """Peak resident memory of this process above its level at :meth:`reset`.

    On Linux the kernel's high-water mark (VmHWM) is reset to the current RSS
    by writing 5 to ``/proc/self/clear_refs``. Elsewhere the lifetime peak
    (``ru_maxrss``) stands in, which can only overstate a run's peak.
    """

    def __init__(self) -> None:
        self.base = 0
        self.method = "VmHWM reset via /proc/self/clear_refs"
        try:
            self._reset_hwm()
        except OSError:
            self.method = "ru_maxrss (lifetime peak; may overstate)"

    @staticmethod
    def _reset_hwm() -> None:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")

    @staticmethod
    def _rss() -> int:
        kb = _proc_status_kb("VmRSS")
        if kb is not None:
            return kb * 1024
        import psutil  # only where /proc is missing

        return psutil.Process().memory_info().rss

    def _peak(self) -> int:
        kb = _proc_status_kb("VmHWM") if self.method.startswith("VmHWM") else None
        if kb is not None:
            return kb * 1024
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024

    def reset(self) -> None:
        if self.method.startswith("VmHWM"):
            self._reset_hwm()
        self.base = self._rss()

    def extra(self) -> int:
        """Peak RSS since :meth:`reset` minus the RSS at the reset, in bytes."""
        return max(0, self._peak() - self.base)

    def held(self) -> int:
        """RSS now minus the RSS at the reset, in bytes."""
        return self._rss() - self.base


# --------------------------------------------------------------------------- the tools


def saturation_matrix(gain: float) -> np.ndarray:
    """3 x 3 matrix that scales chroma by ``gain`` about Rec. 709 luma."""
    return gain * np.eye(3) + (1.0 - gain) * np.outer(np.ones(3), REC709)


def gamma_table() -> np.ndarray:
    """256-entry rounded gamma table, ``255 (i / 255) ** (1 / GAMMA)``."""
    return np.rint(255.0 * (np.arange(256) / 255.0) ** (1.0 / GAMMA)).astype(np.uint8)


def prepare_retouch(image: np.ndarray, cfg: dict[str, Any]) -> Prepared:
    import retouch

    return (lambda: retouch.apply(image, RETOUCH_PLAN)), (lambda result: result.array)


def prepare_pillow(image: np.ndarray, cfg: dict[str, Any]) -> Prepared:
    from PIL import Image, ImageEnhance, ImageFilter

    picture = Image.fromarray(image)
    table = gamma_table().tolist() * 3
    unsharp = ImageFilter.UnsharpMask(radius=cfg["sigma"], percent=round(SHARPEN * 100), threshold=0)

    def run() -> Image.Image:
        out = ImageEnhance.Brightness(picture).enhance(BRIGHTNESS)
        out = ImageEnhance.Contrast(out).enhance(CONTRAST)
        out = ImageEnhance.Color(out).enhance(SATURATION)
        out = out.point(table)
        return out.filter(unsharp)

    return run, np.asarray


def prepare_opencv(image: np.ndarray, cfg: dict[str, Any]) -> Prepared:
    # Written the way a script usually is: float32 throughout, one temporary per line.
    weights = REC709.astype(np.float32)

    def run() -> np.ndarray:
        f = image.astype(np.float32) / 255.0
        f = f * BRIGHTNESS
        f = (f - 0.5) * CONTRAST + 0.5
        y = (f * weights).sum(axis=2, keepdims=True)
        f = y + SATURATION * (f - y)
        f = np.clip(f, 0.0, 1.0)
        f = np.power(f, 1.0 / GAMMA)
        blurred = cv2.GaussianBlur(f, (0, 0), cfg["sigma"])
        f = f + SHARPEN * (f - blurred)
        return (np.clip(f, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)

    return run, np.asarray


def _prepare_vips(image: np.ndarray, cfg: dict[str, Any], own_sharpen: bool) -> Prepared:
    import pyvips

    pyvips.cache_set_max(0)  # otherwise the repeats are answered from libvips' operation cache
    height, width, bands = image.shape
    matrix = saturation_matrix(SATURATION).tolist()

    def run() -> bytes:
        x = pyvips.Image.new_from_memory(image.data, width, height, bands, "uchar")
        x = x.linear(BRIGHTNESS, 0.0)
        x = x.linear(CONTRAST, 127.5 * (1.0 - CONTRAST))
        x = x.recomb(matrix)
        x = (x + 0.5).cast("uchar")  # cast truncates and clips
        x = x.gamma(exponent=GAMMA)
        if own_sharpen:
            x = x.sharpen(sigma=cfg["sigma"])  # libvips' own: unsharp on L* in LabS, soft-limited
        else:
            blurred = x.gaussblur(cfg["sigma"])
            x = (x * (1.0 + SHARPEN) - blurred * SHARPEN + 0.5).cast("uchar")
        return x.write_to_memory()

    return run, lambda data: np.frombuffer(data, np.uint8).reshape(height, width, bands)


def prepare_vips(image: np.ndarray, cfg: dict[str, Any]) -> Prepared:
    return _prepare_vips(image, cfg, own_sharpen=False)


def prepare_vips_sharpen(image: np.ndarray, cfg: dict[str, Any]) -> Prepared:
    return _prepare_vips(image, cfg, own_sharpen=True)


IN_PROCESS = {
    "retouch": prepare_retouch,
    "pillow": prepare_pillow,
    "opencv": prepare_opencv,
    "vips": prepare_vips,
    "vips-sharpen": prepare_vips_sharpen,
}


def imagemagick_contrast_percent(slope: float) -> float:
    """``-brightness-contrast 0xC`` argument whose mid-grey slope is ``slope``.

    ImageMagick 6 uses ``slope = tan(pi / 4 * (1 + C / 100))`` about 0.5.
    """
    return 100.0 * (4.0 / math.pi * math.atan(slope) - 1.0)


def imagemagick_chain(sigma: float) -> list[str]:
    return [
        "-evaluate", "multiply", f"{BRIGHTNESS}",
        "-brightness-contrast", f"0x{imagemagick_contrast_percent(CONTRAST):.3f}",
        "-modulate", f"100,{SATURATION * 100:g}",  # HSL saturation
        "-gamma", f"{GAMMA}",
        "-unsharp", f"0x{sigma:.3f}+{SHARPEN}+0",
    ]  # fmt: skip


def find_imagemagick6() -> tuple[str, str] | None:
    """Path and version line of a real ImageMagick 6 ``convert``, or None.

    The versioned binary comes first: ``convert`` on PATH may be a wrapper
    script whose start-up would be timed too.
    """
    for name in ("convert-im6.q16", "convert-im6", "convert"):
        path = shutil.which(name)
        if path is None:
            continue
        try:
            text = subprocess.run([path, "-version"], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        first = text.splitlines()[0] if text else ""
        if "ImageMagick 6" in first:
            return os.path.realpath(path), first.removeprefix("Version: ").strip()
    return None


# --------------------------------------------------------------------------- workers (subprocesses)


def time_runs(
    run: Callable[[], Any], repeat: int, inspect: Callable[[Any], None] | None = None
) -> tuple[dict[str, Any], Any]:
    """One warm-up run, then ``repeat`` timed runs with their peak extra memory.

    ``inspect`` sees each timed run's output, outside the timing.
    """
    memory = PeakMemory()
    gc.collect()
    start = time.perf_counter()
    out = run()
    first = time.perf_counter() - start
    times, extras = [], []
    for _ in range(repeat):
        out = None
        gc.collect()
        memory.reset()
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
        extras.append(memory.extra())
        if inspect:
            inspect(out)
    stats = {
        "first_call_s": first,
        "times_s": times,
        "median_s": median(times),
        "min_s": min(times),
        "peak_extra_rss_bytes": max(extras),
        "memory_method": memory.method,
    }
    return stats, out


def profile_retouch(image: np.ndarray) -> dict[str, Any]:
    """Where one ``retouch.apply`` of the chain spends time and memory.

    The progress callback, called before each step (or fused group) and at
    the end, splits the run into segments: loading and the "before"
    measurements, each step with its preview, then the output
    and the "after" measurements. Memory is relative to the RSS at the start.
    """
    import retouch

    memory = PeakMemory()
    segments: list[dict[str, Any]] = []
    current = {"label": "load + measure(before)", "start": 0.0, "offset": 0}

    def close_segment(next_label: str) -> None:
        now = time.perf_counter()
        held = memory.held() + current["offset"]
        segments.append(
            {
                "segment": current["label"],
                "ms": round((now - current["start"]) * 1000, 1),
                "peak_above_start_mb": round((memory.extra() + current["offset"]) / MB, 1),
                "held_at_end_mb": round(held / MB, 1),
            }
        )
        memory.reset()
        current.update(label=next_label, start=time.perf_counter(), offset=held)

    def progress(done: int, total: int, description: str) -> None:
        close_segment(f"{description} (+ preview)" if done < total else "output + measure(after) + report")

    retouch.apply(image, RETOUCH_PLAN)  # warm-up: imports, tables
    gc.collect()
    memory.reset()
    current["start"] = time.perf_counter()
    result = retouch.apply(image, RETOUCH_PLAN, progress=progress)
    close_segment("")
    steps = RETOUCH_PLAN["steps"]
    for segment, record in zip(segments[1:], _group_starts(result.report["steps"]), strict=False):
        indices = sorted([record["index"], *record.get("fused_with", [])])
        segment["segment"] = " + ".join(steps[i - 1]["op"] for i in indices) + " (+ preview)"
        segment["step_ms"] = record["ms"]
    return {
        "segments": segments,
        "report_steps": result.report["steps"],
        "total_ms": result.report["total_ms"],
    }


def _group_starts(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first record of each fused group (fused steps share one time)."""
    seen: set[int] = set()
    starts = []
    for record in records:
        if record["index"] in seen:
            continue
        seen.update([record["index"], *record.get("fused_with", [])])
        starts.append(record)
    return starts


def worker_in_process(tool: str, workdir: Path, cfg: dict[str, Any]) -> dict[str, Any]:
    image = np.load(workdir / "input.npy")
    run, as_array = IN_PROCESS[tool](image, cfg)
    steps: dict[str, list[float]] = {}

    def record_steps(result: Any) -> None:
        for record in _group_starts(result.report["steps"]):
            steps.setdefault(record["op"], []).append(record["ms"])

    stats, out = time_runs(run, cfg["repeat"], record_steps if tool == "retouch" else None)
    np.save(workdir / f"{tool}.npy", np.ascontiguousarray(as_array(out)))
    if tool == "retouch":
        stats["step_median_ms"] = {op: median(ms) for op, ms in steps.items()}
        stats["profile"] = profile_retouch(image)
    return stats


def worker_fusion(workdir: Path, cfg: dict[str, Any]) -> dict[str, Any]:
    """Five fused global point ops against one, interleaved to share any drift in machine load."""
    import retouch

    image = np.load(workdir / "input.npy")
    plans = {"one": ONE_POINT_PLAN, "five": FIVE_POINT_PLAN}
    wall: dict[str, list[float]] = {"one": [], "five": []}
    step: dict[str, list[float]] = {"one": [], "five": []}
    for plan in plans.values():
        retouch.apply(image, plan)
    for _ in range(cfg["repeat"]):
        for name, plan in plans.items():
            gc.collect()
            start = time.perf_counter()
            result = retouch.apply(image, plan)
            wall[name].append(time.perf_counter() - start)
            step[name].append(result.report["steps"][0]["ms"] / 1000)
            fused = len(result.report["steps"][0].get("fused_with", [])) + 1
            if fused != len(plan["steps"]):
                raise RuntimeError(f"expected {len(plan['steps'])} fused steps, the engine fused {fused}")
    return {
        name: {
            "apply_median_s": median(wall[name]),
            "step_median_s": median(step[name]),
            "apply_s": wall[name],
        }
        for name in plans
    }


def _run_child(command: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (bytes) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        error = subprocess.run(command, capture_output=True, text=True).stderr.strip()
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}): {error}")
    peak = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
    return elapsed, peak


def worker_imagemagick(workdir: Path, cfg: dict[str, Any]) -> dict[str, Any]:
    found = find_imagemagick6()
    if found is None:
        raise RuntimeError("no ImageMagick 6 convert found (apt-get install imagemagick)")
    convert, version = found
    image = np.load(workdir / "input.npy")
    height, width, _ = image.shape
    source, target = workdir / "in.ppm", workdir / "imagemagick.ppm"
    with open(source, "wb") as fh:
        fh.write(f"P6\n{width} {height}\n255\n".encode())
        fh.write(image.tobytes())
    del image
    commands = {
        "noop": [convert, str(source), str(target)],
        "chain": [convert, str(source), *imagemagick_chain(cfg["sigma"]), str(target)],
    }
    runs: dict[str, list[tuple[float, int]]] = {"noop": [], "chain": []}
    for command in commands.values():
        _run_child(command)  # warm the page cache and the binary
    for _ in range(cfg["repeat"]):
        for name, command in commands.items():
            runs[name].append(_run_child(command))
    chain = [t for t, _ in runs["chain"]]
    noop = [t for t, _ in runs["noop"]]
    peak_chain = max(p for _, p in runs["chain"])
    peak_noop = max(p for _, p in runs["noop"])
    with open(target, "rb") as fh:  # the chain ran last
        header = fh.readline() + fh.readline() + fh.readline()
        if header.split() != [b"P6", str(width).encode(), str(height).encode(), b"255"]:
            raise RuntimeError(f"unexpected PPM header from convert: {header!r}")
        np.save(workdir / "imagemagick.npy", np.frombuffer(fh.read(), np.uint8).reshape(height, width, 3))
    return {
        "version": version,
        "binary": convert,
        "command": " ".join(commands["chain"]),
        "times_s": chain,
        "median_s": median(chain),
        "min_s": min(chain),
        "noop_times_s": noop,
        "noop_median_s": median(noop),
        "minus_io_median_s": median(chain) - median(noop),
        "peak_rss_bytes": peak_chain,
        "noop_peak_rss_bytes": peak_noop,
        "peak_extra_rss_bytes": max(0, peak_chain - peak_noop),
        "memory_method": "ru_maxrss of each convert (os.wait4): chain minus no-op",
    }


def worker_main(tool: str, workdir: Path) -> int:
    cfg = json.loads((workdir / "config.json").read_text())
    if tool == "imagemagick":
        stats = worker_imagemagick(workdir, cfg)
    elif tool == "fusion":
        stats = worker_fusion(workdir, cfg)
    else:
        stats = worker_in_process(tool, workdir, cfg)
    (workdir / f"{tool}.json").write_text(json.dumps(stats))
    return 0


# --------------------------------------------------------------------------- the parent


def make_input(megapixels: float, sample: str) -> np.ndarray:
    """A 3:2 uint8 RGB photo of about ``megapixels`` (24 -> 6000 x 4000), upscaled bicubically."""
    import skimage.data

    width = round(math.sqrt(megapixels * 1e6 * 1.5))
    height = round(width / 1.5)
    photo = getattr(skimage.data, sample)()
    return cv2.resize(photo, (width, height), interpolation=cv2.INTER_CUBIC)


def default_sharpen_sigma(shape: tuple[int, ...]) -> float:
    """Retouch's default unsharp-mask sigma for this image size, given to every tool."""
    from retouch.ops.detail import default_sharpen_radius

    return float(default_sharpen_radius(shape))


def run_worker(tool: str, workdir: Path) -> tuple[dict[str, Any] | None, str]:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", tool, "--workdir", str(workdir)]
    proc = subprocess.run(command, capture_output=True, text=True)
    result_file = workdir / f"{tool}.json"
    if proc.returncode != 0 or not result_file.exists():
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return None, lines[-1] if lines else f"exit status {proc.returncode}"
    return json.loads(result_file.read_text()), ""


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two uint8 images, in dB."""
    mse = float(np.mean((a.astype(np.float32) - b.astype(np.float32)) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(255.0**2 / mse)


def versions() -> dict[str, str]:
    import PIL

    found = {"python": platform.python_version(), "numpy": np.__version__, "opencv": cv2.__version__}
    found["pillow"] = PIL.__version__
    try:
        import pyvips

        found["pyvips"] = pyvips.__version__
        found["libvips"] = ".".join(str(pyvips.version(i)) for i in range(3))
    except ImportError:
        found["pyvips"] = "not installed"
    magick = find_imagemagick6()
    found["imagemagick"] = magick[1] if magick else "not found"
    return found


def target(name: str, ok: bool | None, detail: str) -> dict[str, Any]:
    return {"target": name, "met": ok, "detail": detail}


def check_targets(tools: dict[str, dict[str, Any]], fusion: dict[str, Any] | None, image_bytes: int) -> list:
    retouch = tools.get("retouch")
    found = []

    def time_of(tool: str) -> float | None:
        return tools[tool]["median_s"] if tool in tools else None

    rt = retouch["median_s"] if retouch else None
    vips = time_of("vips")
    pillow = time_of("pillow")
    found.append(
        target(
            "Retouch <= libvips wall time",
            None if rt is None or vips is None else rt <= vips,
            "skipped" if rt is None or vips is None else f"{rt:.3f} s vs {vips:.3f} s ({vips / rt:.2f}x)",
        )
    )
    found.append(
        target(
            "Retouch >= 5x faster than Pillow",
            None if rt is None or pillow is None else pillow / rt >= 5,
            "skipped" if rt is None or pillow is None else f"{pillow / rt:.2f}x",
        )
    )
    if retouch:
        ratio = retouch["peak_extra_rss_bytes"] / image_bytes
        found.append(
            target(
                "Retouch peak extra RSS <= 3x image bytes",
                ratio <= 3,
                f"{retouch['peak_extra_rss_bytes'] / MB:.0f} MB = {ratio:.2f}x",
            )
        )
    else:
        found.append(target("Retouch peak extra RSS <= 3x image bytes", None, "skipped"))
    if fusion:
        step_ratio = fusion["five"]["step_median_s"] / fusion["one"]["step_median_s"]
        apply_ratio = fusion["five"]["apply_median_s"] / fusion["one"]["apply_median_s"]
        found.append(
            target(
                "five fused point ops <= 1.3x one",
                step_ratio <= 1.3,
                f"engine step {fusion['five']['step_median_s'] * 1000:.1f} ms vs "
                f"{fusion['one']['step_median_s'] * 1000:.1f} ms = {step_ratio:.2f}x; whole apply "
                f"{fusion['five']['apply_median_s']:.3f} s vs {fusion['one']['apply_median_s']:.3f} s "
                f"= {apply_ratio:.2f}x",
            )
        )
    else:
        found.append(target("five fused point ops <= 1.3x one", None, "skipped"))
    return found


def print_report(results: dict[str, Any]) -> None:
    cfg, tools = results["config"], results["tools"]
    image_bytes = cfg["image_bytes"]
    print(
        f"\nGlobal edits on {cfg['width']} x {cfg['height']} ({cfg['width'] * cfg['height'] / 1e6:.1f} MP) "
        f"uint8 RGB, sample {cfg['sample']!r}; decoded image = {image_bytes / MB:.0f} MB; "
        f"unsharp sigma {cfg['sigma']:.2f} px; median of {cfg['repeat']} runs after a warm-up; "
        f"{results['environment']['cpus']} CPUs, load average {results['environment']['loadavg_start']} "
        f"-> {results['environment']['loadavg_end']}"
    )
    rt = tools.get("retouch", {}).get("median_s")
    header = f"{'tool':<30} {'median s':>9} {'x Retouch':>10} {'extra RSS MB':>13} {'xRSS':>6} {'PSNR dB':>8}"
    print(header)
    print("-" * len(header))
    rows = []
    for tool, label in TOOLS.items():
        if tool not in tools:
            continue
        stats = tools[tool]
        rows.append(
            (label, stats["median_s"], stats["peak_extra_rss_bytes"], results["psnr_vs_retouch"].get(tool))
        )
        if tool == "imagemagick":
            rows.append(("ImageMagick minus no-op I/O", stats["minus_io_median_s"], None, None))
    for label, seconds, extra, quality in rows:
        ratio = f"{seconds / rt:.2f}" if rt else "-"
        mem = f"{extra / MB:.0f}" if extra is not None else "-"
        mem_ratio = f"{extra / image_bytes:.2f}" if extra is not None else "-"
        psnr_text = "-" if quality is None else ("inf" if math.isinf(quality) else f"{quality:.1f}")
        print(f"{label:<30} {seconds:>9.3f} {ratio:>10} {mem:>13} {mem_ratio:>6} {psnr_text:>8}")
    for tool, error in results["failed"].items():
        print(f"{TOOLS.get(tool, tool):<30} FAILED: {error}")
    if "imagemagick" in tools:
        im = tools["imagemagick"]
        print(
            f"\nImageMagick ({im['version']}) times the whole convert command, so it includes"
            f" decoding and encoding uncompressed PPM:\n  chain {im['median_s']:.3f} s,"
            f" no-op `convert in.ppm out.ppm` {im['noop_median_s']:.3f} s;"
            f" peak RSS chain {im['peak_rss_bytes'] / MB:.0f} MB, no-op "
            f"{im['noop_peak_rss_bytes'] / MB:.0f} MB.\n  {im['command']}"
        )
    print(
        "\nx Retouch = tool time / Retouch time (> 1: Retouch is faster)."
        "\nextra RSS = peak resident memory of the tool's process during a run minus its RSS just before"
        "\nit (input decoded, warm-up done), output included (ImageMagick: chain minus no-op)."
        "\nxRSS = extra RSS / decoded image bytes. PSNR vs Retouch's output is informative only: the tools"
        "\ndefine the ops differently."
    )
    print("\nTargets")
    for item in results["targets"]:
        verdict = {True: "met", False: "NOT MET", None: "SKIPPED"}[item["met"]]
        print(f"  [{verdict}] {item['target']}: {item['detail']}")
    retouch = tools.get("retouch")
    if retouch:
        print("\nRetouch profile: one run split by its progress callback; MB above the RSS at its start")
        print(f"  {'segment':<44} {'ms':>8} {'step ms':>8} {'peak MB':>8} {'held MB':>8}")
        for seg in retouch["profile"]["segments"]:
            step_ms = f"{seg['step_ms']:.1f}" if "step_ms" in seg else "-"
            print(
                f"  {seg['segment']:<44} {seg['ms']:>8.1f} {step_ms:>8} {seg['peak_above_start_mb']:>8.0f}"
                f" {seg['held_at_end_mb']:>8.0f}"
            )
        segments = retouch["profile"]["segments"]
        previews = sum(seg["ms"] - seg["step_ms"] for seg in segments if "step_ms" in seg)
        medians = retouch["step_median_ms"]
        total = sum(medians.values())
        print(
            f"  median engine step ms over {cfg['repeat']} runs: "
            + ", ".join(f"{op} {ms:.0f}" for op, ms in medians.items())
            + f"; sum {total:.0f} of {retouch['median_s'] * 1000:.0f} ms wall.\n  In the profiled run:"
            f" previews and step bookkeeping {previews:.0f} ms,"
            f" load + measure(before) {segments[0]['ms']:.0f} ms,"
            f" output + measure(after) {segments[-1]['ms']:.0f} ms."
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megapixels", type=float, default=24.0, help="image size (default 24: 6000 x 4000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per tool (default 5)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this path")
    parser.add_argument("--sample", choices=SAMPLES, default="chelsea", help="skimage.data photo to upscale")
    parser.add_argument(
        "--tools", default=",".join(TOOLS), help=f"comma-separated subset of: {', '.join(TOOLS)}"
    )
    parser.add_argument("--no-fusion", action="store_true", help="skip the fused point-op comparison")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args.worker, args.workdir)
    if args.repeat < 1 or args.megapixels <= 0:
        parser.error("--repeat must be >= 1 and --megapixels > 0")
    selected = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(selected) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tool(s): {', '.join(sorted(unknown))}")

    image = make_input(args.megapixels, args.sample)
    height, width, _ = image.shape
    cfg = {
        "width": width,
        "height": height,
        "sample": args.sample,
        "repeat": args.repeat,
        "sigma": default_sharpen_sigma(image.shape),
        "image_bytes": image.nbytes,
        "retouch_plan": RETOUCH_PLAN,
        "five_point_plan": FIVE_POINT_PLAN,
        "one_point_plan": ONE_POINT_PLAN,
    }
    environment = {"cpus": os.cpu_count(), "platform": platform.platform(), "versions": versions()}
    environment["loadavg_start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    tools: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    fusion = None
    psnrs: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="retouch-bench-") as tmp:
        workdir = Path(tmp)
        np.save(workdir / "input.npy", image)
        (workdir / "config.json").write_text(json.dumps(cfg))
        jobs = [*selected, *([] if args.no_fusion or "retouch" not in selected else ["fusion"])]
        for tool in jobs:
            print(f"running {TOOLS.get(tool, 'Retouch fused point ops')} ...", file=sys.stderr, flush=True)
            stats, error = run_worker(tool, workdir)
            if stats is None:
                failed[tool] = error
            elif tool == "fusion":
                fusion = stats
            else:
                tools[tool] = stats
        if "retouch" in tools:
            reference = np.load(workdir / "retouch.npy")
            for tool in tools:
                if tool != "retouch":
                    psnrs[tool] = psnr(reference, np.load(workdir / f"{tool}.npy"))
    environment["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results = {
        "config": cfg,
        "environment": environment,
        "tools": tools,
        "failed": failed,
        "fusion": fusion,
        "psnr_vs_retouch": psnrs,
        "targets": check_targets(tools, fusion, image.nbytes),
    }
    print_report(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=float) + "\n")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
