"""The engine: runs a validated Plan on pixels.

Steps run in order. Consecutive global point ops (tone curves) are composed
into one lookup table and applied in a single pass, so integer images stay
integer and five curves cost about as much as one. Regions resolve to soft
masks through :mod:`retouch.regions`, and an op's result is blended through
its mask. Every step records its time and a small preview.

Precision: 8-bit images stay 8-bit through lookup tables and ops that work
on integers natively; the first op that needs floating point promotes the
working image to 16 bits, which it keeps until the end, so a chain of float
ops does not re-quantise to 256 levels between steps. The output has the
input's bit depth.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from retouch.analyze import MAX_VALUE, convert_dtype, downscale, measure, to_float, to_rgb_float
from retouch.errors import InputError, PlanValidationError
from retouch.io import Picture, load_image
from retouch.ops.registry import ANALYSIS, GEOMETRY, MACRO, POINT, OpSpec, get_spec
from retouch.plans import Plan, Step
from retouch.regions import RegionContext, resolve_region
from retouch.result import Result

PREVIEW_SIDE = 256
Progress = Callable[[int, int, str], None]


def compose_curves(steps: list[Step], values: np.ndarray, channels: int) -> np.ndarray:
    """Run ``values`` (float64, 1-D) through the point-op curves of ``steps``.

    Returns an ``(N,)`` array, or ``(N, channels)`` once a per-channel curve
    (white balance gains, temperature) has been applied.
    """
    out = values
    for step in steps:
        spec = get_spec(step.op)
        params = {**spec.defaults(), **step.params}
        if out.ndim == 1 and not spec.per_channel:
            out = spec.func(out, step.amount, **params)
        elif out.ndim == 1:
            out = spec.func(out, step.amount, **params)[:, :channels]
        elif spec.per_channel:
            out = np.stack(
                [spec.func(out[:, c], step.amount, **params)[:, c] for c in range(channels)], axis=1
            )
        else:
            out = np.stack([spec.func(out[:, c], step.amount, **params) for c in range(channels)], axis=1)
    return np.clip(out, 0.0, 1.0)


def apply_point_ops(pixels: np.ndarray, steps: list[Step], *, in_place: bool = False) -> np.ndarray:
    """Apply consecutive point-op curves to an image in one pass.

    Integer images go through one lookup table (256 or 65536 entries);
    float images are mapped exactly, curve by curve. With ``in_place`` an
    integer image is overwritten instead of copied.
    """
    channels = pixels.shape[2]
    if pixels.dtype == np.float32:
        flat = pixels.reshape(-1, channels).astype(np.float64)
        if channels == 1:
            return compose_curves(steps, flat[:, 0], 1).reshape(pixels.shape).astype(np.float32)
        cols = [compose_curves(steps, flat[:, c], channels) for c in range(channels)]
        out = np.stack([col if col.ndim == 1 else col[:, c] for c, col in enumerate(cols)], axis=1)
        return out.reshape(pixels.shape).astype(np.float32)
    top = MAX_VALUE[pixels.dtype]
    lut = np.rint(compose_curves(steps, np.arange(top + 1) / top, channels) * top).astype(pixels.dtype)
    if pixels.dtype == np.uint8:
        table = lut.reshape(256, 1, -1) if lut.ndim == 2 else lut.reshape(256, 1)
        if table.shape[2:] == (channels,) or table.ndim == 2:
            table = table if table.ndim == 2 or channels > 1 else table[..., :1]
            out = cv2.LUT(pixels, table, dst=pixels) if in_place else cv2.LUT(pixels, table)
            return out.reshape(pixels.shape)
    out = pixels if in_place else np.empty_like(pixels)
    if lut.ndim == 1:
        return np.take(lut, pixels, out=out)
    for c in range(channels):
        out[..., c] = lut[:, c][pixels[..., c]]
    return out


def _point_groups(steps: list[Step]) -> Iterator[list[tuple[int, Step]]]:
    """Split steps into runs: consecutive global point ops together, others alone."""
    group: list[tuple[int, Step]] = []
    for index, step in enumerate(steps):
        if get_spec(step.op).kind == POINT and step.region is None:
            group.append((index, step))
            continue
        if group:
            yield group
            group = []
        yield [(index, step)]
    if group:
        yield group


class _Working:
    """The image being edited: colour channels and alpha in one working dtype."""

    def __init__(self, picture: Picture) -> None:
        self._source = picture.pixels
        self.pixels = picture.pixels
        self.alpha = picture.alpha

    @property
    def owned(self) -> bool:
        """Whether the pixels are the engine's own (not the input's), so may be overwritten."""
        return not np.may_share_memory(self.pixels, self._source)

    def promote_to_color(self) -> None:
        if self.pixels.shape[2] == 1:
            self.pixels = np.repeat(self.pixels, 3, axis=2)

    def set_float_result(self, result: np.ndarray) -> None:
        """Store a float op's result, promoting 8-bit work to 16 bits."""
        dtype = np.float32 if self.pixels.dtype == np.float32 else np.uint16
        self.pixels = convert_dtype(np.clip(result, 0.0, 1.0), dtype)
        if self.alpha is not None:
            self.alpha = convert_dtype(self.alpha, dtype)

    def stacked(self) -> np.ndarray:
        if self.alpha is None:
            return self.pixels
        return np.concatenate([self.pixels, self.alpha[..., None]], axis=2)

    def unstack(self, array: np.ndarray, colour_channels: int) -> None:
        if array.ndim == 2:
            array = array[..., None]
        self.pixels = np.ascontiguousarray(array[..., :colour_channels])
        # A geometry op may add an alpha plane (remove_background) as well as carry one.
        has_alpha = array.shape[2] > colour_channels
        self.alpha = np.ascontiguousarray(array[..., colour_channels]) if has_alpha else None


def _preview(pixels: np.ndarray) -> np.ndarray:
    # Previews are glanced at, not measured: skipping to about twice the
    # preview size before averaging reads a fraction of a large image.
    step = max(1, max(pixels.shape[:2]) // (2 * PREVIEW_SIDE))
    small = convert_dtype(downscale(pixels[::step, ::step], PREVIEW_SIDE), np.uint8)
    return small if small.shape[2] == 3 else np.repeat(small, 3, axis=2)


def _run_pixel_step(work: _Working, spec: OpSpec, step: Step, context: RegionContext) -> None:
    params = {**spec.defaults(), **step.params}
    mask = None
    if step.region is not None:
        try:
            mask = resolve_region(to_rgb_float(work.pixels), step.region, context)
        except ValueError as exc:
            raise InputError(f"{spec.name}: {exc}") from None
        if spec.uses_mask:
            params["mask"] = mask
            mask = None
        elif float(mask.max()) <= 0.0:
            context.notes.append(f"{spec.name}: region {step.region!r} is empty here; step skipped")
            return
    if spec.kind == POINT:
        edited = apply_point_ops(work.pixels, [step])
        native = True
    else:
        native = spec.native_dtypes
        source = work.pixels if native else to_float(work.pixels)
        try:
            edited = spec.func(source, step.amount, **params)
        except ValueError as exc:
            raise InputError(f"{spec.name}: {exc}") from None
    if mask is None:
        if native:
            work.pixels = edited
        else:
            work.set_float_result(edited)
        return
    before = to_float(work.pixels)
    after = to_float(edited) if native else edited
    blended = before + mask[..., None] * (after - before)
    if native and work.pixels.dtype != np.float32:
        work.pixels = convert_dtype(np.clip(blended, 0.0, 1.0), work.pixels.dtype)
    else:
        work.set_float_result(blended)


def _run_geometry_step(work: _Working, spec: OpSpec, step: Step) -> None:
    params = {**spec.defaults(), **step.params}
    channels = work.pixels.shape[2]
    try:
        out = spec.func(work.stacked(), step.amount, **params)
    except ValueError as exc:
        raise InputError(f"{spec.name}: {exc}") from None
    work.unstack(out, channels)


class _Runner:
    """Runs steps on a working image, recording times, previews and what ran."""

    def __init__(
        self,
        picture: Picture,
        context: RegionContext,
        *,
        previews: bool,
        progress: Progress | None,
    ) -> None:
        self.picture = picture
        self.work = _Working(picture)
        self.context = context
        self.want_previews = previews
        self.progress = progress
        self.records: list[dict[str, Any]] = []
        self.previews: list[np.ndarray] = []
        self.executed: list[Step] = []
        self.analysis: list[dict[str, Any]] = []

    def run(self, steps: list[Step], macro: int | None = None) -> None:
        """Run ``steps``; ``macro`` is the index of the macro step they expand."""
        for group in _point_groups(steps):
            first_index, first = group[0]
            if self.progress and macro is None:
                self.progress(first_index, len(steps), first.describe())
            spec = get_spec(first.op)
            if spec.kind == MACRO:
                self._expand(first_index + 1, spec, first)
                continue
            if spec.kind == ANALYSIS:
                self._analyse(first_index + 1, spec, first)
                continue
            t0 = time.perf_counter()
            self._run_group(spec, group)
            elapsed_ms = round((time.perf_counter() - t0) * 1000, 2)
            for index, step in group:
                record = {"index": index + 1, **step.to_dict(), "ms": elapsed_ms}
                if len(group) > 1:
                    record["fused_with"] = [i + 1 for i, _ in group if i != index]
                if macro is not None:
                    record["macro"] = macro
                self.records.append(record)
                self.executed.append(step)
            if self.want_previews:
                self.previews.append(_preview(self.work.pixels))

    def _run_group(self, spec: OpSpec, group: list[tuple[int, Step]]) -> None:
        work, first = self.work, group[0][1]
        if any(get_spec(s.op).color for _, s in group):
            work.promote_to_color()
        if spec.kind == GEOMETRY:
            _run_geometry_step(work, spec, first)
        elif len(group) > 1 or (spec.kind == POINT and first.region is None):
            work.pixels = apply_point_ops(work.pixels, [s for _, s in group], in_place=work.owned)
        else:
            _run_pixel_step(work, spec, first, self.context)

    def _expand(self, number: int, spec: OpSpec, step: Step) -> None:
        t0 = time.perf_counter()
        params = {**spec.defaults(), **step.params}
        expansion = spec.func(to_rgb_float(self.work.pixels), step.amount, **params)
        steps = list(expansion.steps)
        try:
            Plan(steps).validate()
        except PlanValidationError as exc:
            raise InputError(f"{spec.name} expanded to an invalid plan: {exc}") from None
        self.records.append(
            {
                "index": number,
                **step.to_dict(),
                "ms": round((time.perf_counter() - t0) * 1000, 2),
                "expanded": [s.to_dict() for s in steps],
                "details": expansion.details,
            }
        )
        self.run(steps, macro=number)

    def _analyse(self, number: int, spec: OpSpec, step: Step) -> None:
        t0 = time.perf_counter()
        params = {**spec.defaults(), **step.params}
        picture = self.picture.with_pixels(self.work.pixels, alpha=self.work.alpha)
        answer = spec.func(picture, step.amount, **params)
        self.analysis.append({"index": number, "op": spec.name, "result": answer})
        self.records.append(
            {"index": number, **step.to_dict(), "ms": round((time.perf_counter() - t0) * 1000, 2)}
        )
        self.executed.append(step)


def run_plan(
    image: Any,
    plan: Plan,
    *,
    mask: Any = None,
    base_dir: str | Path | None = None,
    previews: bool = True,
    progress: Progress | None = None,
    max_pixels: int | None = None,
) -> Result:
    """Run a validated plan on an image.

    Parameters
    ----------
    image : path, bytes, PIL.Image, ndarray or Picture
        The input; never modified.
    plan : Plan
        The steps to run (validated again here).
    mask : path, PIL.Image or ndarray, optional
        The mask used by steps whose region is ``"mask"``.
    base_dir : path, optional
        Directory for relative ``mask:<path>`` regions (default: the image's
        directory, else the current directory).
    previews : bool
        Record a small preview after each step.
    progress : callable, optional
        Called as ``progress(done, total, description)`` before each step
        and once at the end.
    max_pixels : int or None
        Pixel-count limit for loading (default 200 MP; None: no limit).

    Returns
    -------
    Result
    """
    kwargs = {} if max_pixels is None else {"max_pixels": max_pixels}
    # Ops never write to their input, so an array source need not be copied.
    picture = load_image(image, copy=False, **kwargs)
    plan.validate()
    if base_dir is None:
        base_dir = picture.source.parent if picture.source else Path.cwd()
    context = RegionContext(mask=mask, base_dir=Path(base_dir), notes=list(picture.notes))
    started = time.perf_counter()
    before = measure(picture.pixels)
    runner = _Runner(picture, context, previews=previews, progress=progress)
    runner.run(plan.steps)
    if progress:
        progress(len(plan.steps), len(plan.steps), "done")
    work = runner.work
    out_pixels = convert_dtype(work.pixels, picture.pixels.dtype)
    out_alpha = None if work.alpha is None else convert_dtype(work.alpha, picture.pixels.dtype)
    output = picture.with_pixels(out_pixels, alpha=out_alpha)
    report = {
        "input": {
            "width": picture.width,
            "height": picture.height,
            "channels": picture.channels,
            "alpha": picture.has_alpha,
            "bit_depth": picture.bit_depth,
            "format": picture.format,
            "mode": picture.mode,
        },
        "output": {"width": output.width, "height": output.height, "channels": output.channels},
        "before": before,
        "after": measure(out_pixels),
        "steps": runner.records,
        "analysis": runner.analysis,
        "notes": context.notes,
        "total_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    return Result(picture=output, plan=Plan(runner.executed), report=report, previews=runner.previews)
