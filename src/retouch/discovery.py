"""Import every public submodule of a package, so decorators in them register."""

from __future__ import annotations

import importlib
import pkgutil


def import_submodules(package_name: str, skip: tuple[str, ...] = ()) -> None:
    """Import ``package_name.<module>`` for each module not starting with ``_``."""
    package = importlib.import_module(package_name)
    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_") and module.name not in skip:
            importlib.import_module(f"{package_name}.{module.name}")
