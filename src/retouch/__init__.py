"""Retouch: restore, edit, understand and generate images from plain language.

The public API; heavy modules load on first use so ``import retouch`` is fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from retouch.errors import InputError, PlanError, PlanValidationError, RetouchError

__version__ = "0.1.0"

_LAZY = {
    "apply": "retouch.api",
    "edit": "retouch.api",
    "run_batch": "retouch.batch",
    "plan": "retouch.planner",
    "Plan": "retouch.plans",
    "Step": "retouch.plans",
    "plan_schema": "retouch.plans",
    "Result": "retouch.result",
    "Picture": "retouch.io",
    "load_image": "retouch.io",
    "save_image": "retouch.io",
    "measure": "retouch.analyze",
    "estimate_noise": "retouch.analyze",
    "denoise": "retouch.ops.restore",
    "inpaint": "retouch.inpainting",
    "auto_enhance": "retouch.enhance",
    "region_mask": "retouch.regions",
    "describe": "retouch.understand",
    "answer": "retouch.understand",
    "read_text": "retouch.reading",
    "restore": "retouch.restoration",
    "detect_scratches": "retouch.scratches",
    "generate": "retouch.generation",
}

__all__ = ["InputError", "PlanError", "PlanValidationError", "RetouchError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'retouch' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
