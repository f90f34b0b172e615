"""The outcome of running a plan: the image, the plan that made it, a report."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from retouch.errors import InputError
from retouch.io import Picture, backup_path, same_file, save_image, to_array, to_pil

if TYPE_CHECKING:
    from PIL import Image

    from retouch.plans import Plan


@dataclass
class Result:
    """An edited image with the plan that was run and a report of what changed.

    Attributes
    ----------
    picture : Picture
        The output pixels, alpha and carried metadata.
    plan : Plan
        The plan as run (amounts filled in with defaults).
    report : dict
        ``input``/``output`` sizes, ``before``/``after`` measurements,
        ``steps`` (each with its time in ms), ``notes`` and ``total_ms``.
    previews : list of ndarray
        A small uint8 RGB preview after each step (or fused group of steps).
    """

    picture: Picture
    plan: Plan
    report: dict[str, Any]
    previews: list[np.ndarray] = field(default_factory=list)

    @property
    def image(self) -> Image.Image:
        """The output as a ``PIL.Image`` (16-bit colour is shown as 8-bit)."""
        return to_pil(self.picture)

    @property
    def array(self) -> np.ndarray:
        """The output as an array in the input's dtype, alpha stacked last."""
        return to_array(self.picture)

    def save(
        self,
        path: str | os.PathLike[str],
        *,
        quality: int = 92,
        overwrite: bool = True,
        in_place: bool = False,
    ) -> Path:
        """Write the output atomically; the format comes from the extension.

        Writing over the file the image was loaded from is refused unless
        ``in_place=True``, in which case the original is first copied to
        ``name.orig.ext`` (see :func:`retouch.io.backup_path`).

        Returns
        -------
        Path
            The path written.
        """
        source = self.picture.source
        if source is not None and same_file(source, path):
            if not in_place:
                raise InputError(
                    f"{os.fspath(path)}: refusing to overwrite the input image; "
                    "choose another output or pass --in-place (keeps a backup)"
                )
            backup = backup_path(source)
            shutil.copy2(source, backup)
            self.report.setdefault("notes", []).append(f"original kept as {backup.name}")
        return save_image(self.picture, path, quality=quality, overwrite=overwrite)
