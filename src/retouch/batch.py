"""Batch processing: one instruction, planned once, run on many images — locally or on a Dask cluster.

The plan is made once (so every photo gets the same recipe, and a refusal
stops the batch before any work), then each image is loaded, edited and
saved in its own task. Inputs are never modified; outputs go to a separate
directory under the same file names, and an existing output is only replaced
when ``overwrite=True``. A file that cannot be read is reported and skipped;
the rest of the batch goes on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retouch.errors import InputError, RetouchError
from retouch.plans import Plan

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp")


@dataclass(frozen=True)
class BatchItem:
    """What happened to one input: ``output`` on success, ``error`` otherwise."""

    source: str
    output: str | None
    error: str | None
    seconds: float


def find_images(source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The image files of a directory (sorted, not recursive), or the given list of paths."""
    if isinstance(source, str | os.PathLike):
        folder = Path(source)
        if not folder.is_dir():
            raise InputError(f"{folder}: not a directory")
        return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    return [Path(p) for p in source]


def _edit_one(source: str, plan: dict[str, Any], output: str, quality: int, overwrite: bool) -> BatchItem:
    """Run the plan on one file; errors become part of the result, never an exception."""
    import time

    from retouch.api import apply

    started = time.perf_counter()
    try:
        if not overwrite and Path(output).exists():
            raise InputError(f"{output}: exists (pass overwrite=True / --overwrite to replace it)")
        apply(source, plan).save(output, quality=quality)
    except RetouchError as exc:
        return BatchItem(source, None, str(exc), time.perf_counter() - started)
    return BatchItem(source, output, None, time.perf_counter() - started)


def run_batch(
    source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    instruction: str | Plan | dict[str, Any],
    output_dir: str | os.PathLike[str],
    *,
    workers: int | None = None,
    scheduler: str | Any | None = None,
    planner: str = "default",
    quality: int = 92,
    overwrite: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[BatchItem]:
    """Edit every image of ``source`` with one instruction.

    Parameters
    ----------
    source : directory or list of paths
        The inputs; never modified.
    instruction : str, Plan or dict
        Plain-language text (planned once) or a plan.
    output_dir : path
        Where the results go, under the inputs' file names; created if missing.
        It may not be the input directory.
    workers : int, optional
        Local worker processes (default: the CPU count).
    scheduler : str or dask.distributed.Client, optional
        A Dask scheduler address (``tcp://host:8786``) or client: run on that
        cluster instead of local processes (needs ``retouch[batch]``).
    planner : str
        The planner that reads text.
    quality : int
        JPEG/WebP quality.
    overwrite : bool
        Replace outputs that already exist.
    progress : callable, optional
        ``progress(done, total, file name)`` as results arrive.

    Returns
    -------
    list of BatchItem
        One per input, in input order.

    Examples
    --------
    >>> import tempfile, numpy as np, retouch
    >>> from retouch.batch import run_batch
    >>> inputs, outputs = tempfile.mkdtemp(), tempfile.mkdtemp()
    >>> for name in ("a.png", "b.png"):
    ...     _ = retouch.save_image(retouch.load_image(np.full((8, 8, 3), 90, np.uint8)), f"{inputs}/{name}")
    >>> [item.error for item in run_batch(inputs, "make it brighter", outputs, workers=1)]
    [None, None]
    """
    from retouch.api import as_plan
    from retouch.planner import plan as make_plan

    files = find_images(source)
    if not files:
        raise InputError(f"{source}: no images ({', '.join(IMAGE_SUFFIXES)}) to process")
    out_dir = Path(output_dir)
    if any(f.parent.resolve() == out_dir.resolve() for f in files):
        raise InputError(f"{out_dir}: is where the inputs are; choose another output directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    steps = make_plan(instruction, planner=planner) if isinstance(instruction, str) else as_plan(instruction)
    plan = steps.to_dict()
    jobs = [(str(f), plan, str(out_dir / f.name), quality, overwrite) for f in files]
    results: list[BatchItem | None] = [None] * len(jobs)

    def record(index: int, item: BatchItem) -> None:
        results[index] = item
        if progress:
            progress(sum(r is not None for r in results), len(jobs), Path(item.source).name)

    if scheduler is not None:
        _run_on_dask(jobs, scheduler, record)
    elif workers == 1:
        for index, job in enumerate(jobs):
            record(index, _edit_one(*job))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_edit_one, *job) for job in jobs]
            for index, future in enumerate(futures):
                record(index, future.result())
    return [r for r in results if r is not None]


def _run_on_dask(
    jobs: list[tuple[Any, ...]], scheduler: str | Any, record: Callable[[int, BatchItem], None]
) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InputError(
            "a Dask scheduler needs dask's distributed package: pip install 'retouch[batch]'"
        ) from None
    try:
        client = scheduler if isinstance(scheduler, Client) else Client(scheduler, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        futures = {client.submit(_edit_one, *job, pure=False): index for index, job in enumerate(jobs)}
        for future in as_completed(futures):
            record(futures[future], future.result())
    finally:
        if client is not scheduler:
            client.close()
