"""The Python API behind ``retouch.apply``; front ends call these."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from retouch.engine import Progress, run_plan
from retouch.errors import PlanValidationError
from retouch.plans import Plan
from retouch.result import Result


def as_plan(plan: Plan | dict[str, Any] | list[Any] | str | os.PathLike[str]) -> Plan:
    """Accept a Plan, its dict (or bare step list), JSON text or a plan file path."""
    if isinstance(plan, Plan):
        plan.validate()
        return plan
    if isinstance(plan, dict | list):
        return Plan.from_dict(plan)
    if isinstance(plan, str) and plan.lstrip().startswith(("{", "[")):
        return Plan.from_json(plan)
    if isinstance(plan, str | os.PathLike):
        return Plan.load(Path(plan))
    raise PlanValidationError(f"cannot read a plan from {type(plan).__name__}")


def apply(
    image: Any,
    plan: Plan | dict[str, Any] | list[Any] | str | os.PathLike[str],
    *,
    mask: Any = None,
    progress: Progress | None = None,
    max_pixels: int | None = None,
) -> Result:
    """Run a plan on an image.

    Parameters
    ----------
    image : path, bytes, PIL.Image, ndarray or Picture
        RGB, RGBA, L or LA; uint8, uint16 or float in [0, 1]. Never modified.
    plan : Plan, dict, list, JSON text or path
        The steps; validated before anything runs.
    mask : path, PIL.Image or ndarray, optional
        The mask for steps whose region is ``"mask"`` (nonzero = selected).
    progress : callable, optional
        ``progress(done, total, description)``.
    max_pixels : int, optional
        Pixel-count limit (default 200 MP).

    Returns
    -------
    Result
        ``.image`` (PIL), ``.array``, ``.save(path)``, ``.report``, ``.plan``.

    Examples
    --------
    >>> import numpy as np, retouch
    >>> img = np.full((8, 8, 3), 100, np.uint8)
    >>> out = retouch.apply(img, {"steps": [{"op": "brightness", "amount": 0.3}]})
    >>> int(out.array[0, 0, 0]) > 100
    True
    """
    return run_plan(image, as_plan(plan), mask=mask, progress=progress, max_pixels=max_pixels)


def edit(
    image: Any,
    instruction: str | Plan | dict[str, Any] | list[Any],
    *,
    planner: str = "default",
    mask: Any = None,
    progress: Progress | None = None,
    max_pixels: int | None = None,
) -> Result:
    """Plan an instruction (or take a ready plan) and run it on an image.

    Parameters
    ----------
    image : path, bytes, PIL.Image, ndarray or Picture
        RGB, RGBA, L or LA; uint8, uint16 or float in [0, 1]. Never modified.
    instruction : str, Plan, dict or list
        Plain-language text ("too dark, and blur the background"), or a plan.
    planner : str
        Which planner reads text (see :func:`retouch.plan`).
    mask, progress, max_pixels
        As for :func:`apply`.

    Returns
    -------
    Result
        ``.plan`` is the plan as run; ``.report["instruction"]`` the text.

    Raises
    ------
    PlanError
        When the text maps to no image operation.

    Examples
    --------
    >>> import numpy as np, retouch
    >>> img = np.full((8, 8, 3), 100, np.uint8)
    >>> out = retouch.edit(img, "make it brighter")
    >>> int(out.array[0, 0, 0]) > 100
    True
    """
    if isinstance(instruction, str) and not instruction.lstrip().startswith(("{", "[")):
        from retouch.planner import plan as make_plan

        steps = make_plan(instruction, planner=planner)
    else:
        steps = as_plan(instruction)
    result = run_plan(image, steps, mask=mask, progress=progress, max_pixels=max_pixels)
    if isinstance(instruction, str):
        result.report["instruction"] = instruction
    return result
