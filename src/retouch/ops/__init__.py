"""Operations, one module per family; see :mod:`retouch.ops.registry`."""

from retouch.ops.registry import (
    GEOMETRY,
    MACRO,
    PIXEL,
    POINT,
    Amount,
    Expansion,
    OpSpec,
    Param,
    all_specs,
    get_spec,
    op,
)

__all__ = [
    "GEOMETRY",
    "MACRO",
    "PIXEL",
    "POINT",
    "Amount",
    "Expansion",
    "OpSpec",
    "Param",
    "all_specs",
    "get_spec",
    "op",
]
