"""Operations, one module per family; see :mod:`retouch.ops.registry`."""

from retouch.ops.registry import GEOMETRY, PIXEL, POINT, Amount, OpSpec, Param, all_specs, get_spec, op

__all__ = ["GEOMETRY", "PIXEL", "POINT", "Amount", "OpSpec", "Param", "all_specs", "get_spec", "op"]
