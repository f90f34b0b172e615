"""The op registry: every operation is one function plus one :class:`OpSpec`.

An op module declares its ops with the :func:`op` decorator::

    @op(
        "brightness",
        kind=POINT,
        description="Brighten or darken the midtones without clipping.",
        amount=Amount(-1.0, 1.0, neutral=0.0, default=0.25),
        examples=("make it brighter", "too dark", "darken it a bit"),
    )
    def brightness(x, amount):
        ...

Three kinds of op exist, and they differ in what the function receives:

``POINT``
    A tone curve. ``func(x, amount, **params)`` gets a float64 1-D array of
    values in [0, 1] and returns the mapped values (same shape), or an
    ``(N, 3)`` array of per-channel curves when the spec has
    ``per_channel=True``. The engine turns curves into lookup tables and fuses
    consecutive global point ops into one pass on integer images.
``PIXEL``
    ``func(image, amount, **params)`` gets an ``H x W x C`` array (C = 1 or 3,
    C = 3 when ``color=True``) and returns a new array of the same shape and
    dtype. Unless ``native_dtypes=True`` the image is float32 in [0, 1];
    with it, the function accepts uint8, uint16 and float32 as they come.
    The function must not modify its input. When ``uses_mask=True`` the
    function also receives ``mask=`` (float32 ``H x W`` in [0, 1]) and the
    engine does not blend its result through the region.
``GEOMETRY``
    ``func(image, amount, **params)`` changes the pixel grid. It gets the
    colour channels and alpha stacked (``H x W x C``, C in 1..4) in the
    image's own dtype and returns the transformed array. Geometry ops never
    take a region.
``MACRO``
    ``func(image, amount, **params)`` looks at the image (float32
    ``H x W x 3`` in [0, 1]) and returns an :class:`Expansion`: the concrete
    steps to run and what it found. The engine validates and runs those
    steps like any others and reports them under the macro's step, so a
    macro never touches pixels itself and its result can be replayed.

Modules under :mod:`retouch.ops` are discovered automatically: adding an op
means writing one function and one spec, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from retouch.discovery import import_submodules

POINT = "point"
PIXEL = "pixel"
GEOMETRY = "geometry"
MACRO = "macro"
ANALYSIS = "analysis"
KINDS = (POINT, PIXEL, GEOMETRY, MACRO, ANALYSIS)

PARAM_TYPES = ("number", "integer", "string", "boolean", "choice", "numbers", "path")


@dataclass
class Expansion:
    """What a macro op decided: concrete steps (``retouch.plans.Step``) and why.

    ``details`` is JSON-ready data for the report (measurements, rounds,
    reasons for stopping).
    """

    steps: list[Any]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Amount:
    """The principal strength of an op.

    Parameters
    ----------
    minimum, maximum : float
        Allowed range (inclusive).
    neutral : float
        The value at which the op is the identity.
    default : float
        The value used when a step names the op without a strength
        ("sharpen it").
    unit : str
        What a unit of amount means, for people reading the catalogue.
    """

    minimum: float
    maximum: float
    neutral: float
    default: float
    unit: str = ""

    def __post_init__(self) -> None:
        if not self.minimum <= self.neutral <= self.maximum:
            raise ValueError("neutral amount must lie inside the range")
        if not self.minimum <= self.default <= self.maximum:
            raise ValueError("default amount must lie inside the range")


@dataclass(frozen=True)
class Param:
    """An extra, named parameter of an op.

    ``type`` is one of ``number``, ``integer``, ``string``, ``boolean``,
    ``choice`` (one of ``choices``), ``numbers`` (a list of numbers, with
    ``length`` items when given) or ``path`` (a file the user supplies).
    """

    name: str
    type: str
    default: Any = None
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    length: int | None = None

    def __post_init__(self) -> None:
        if self.type not in PARAM_TYPES:
            raise ValueError(f"unknown param type {self.type!r}")
        if self.type == "choice" and not self.choices:
            raise ValueError(f"choice param {self.name!r} needs choices")


@dataclass(frozen=True)
class OpSpec:
    """Everything the planner, the validator and the engine know of one op."""

    name: str
    kind: str
    func: Callable[..., Any]
    description: str
    family: str
    amount: Amount | None = None
    params: tuple[Param, ...] = ()
    examples: tuple[str, ...] = ()
    color: bool = False
    native_dtypes: bool = False
    per_channel: bool = False
    uses_mask: bool = False
    requires_region: bool = False
    param_index: dict[str, Param] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"op {self.name!r}: unknown kind {self.kind!r}")
        object.__setattr__(self, "param_index", {p.name: p for p in self.params})

    @property
    def regional(self) -> bool:
        """Whether a step of this op may be restricted to a region."""
        return self.kind not in (GEOMETRY, MACRO, ANALYSIS)

    def defaults(self) -> dict[str, Any]:
        """Default values of all params that have one."""
        return {p.name: p.default for p in self.params if p.default is not None}


_REGISTRY: dict[str, OpSpec] = {}
_loaded = False


def op(
    name: str,
    *,
    kind: str,
    description: str,
    amount: Amount | None = None,
    params: Sequence[Param] = (),
    examples: Sequence[str] = (),
    color: bool = False,
    native_dtypes: bool = False,
    per_channel: bool = False,
    uses_mask: bool = False,
    requires_region: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the op ``name``.

    The function is returned unchanged, so it stays callable on arrays.
    """

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY:
            raise ValueError(f"op {name!r} is registered twice")
        family = func.__module__.rsplit(".", 1)[-1]
        _REGISTRY[name] = OpSpec(
            name=name,
            kind=kind,
            func=func,
            description=description,
            family=family,
            amount=amount,
            params=tuple(params),
            examples=tuple(examples),
            color=color,
            native_dtypes=native_dtypes or kind == GEOMETRY,
            per_channel=per_channel,
            uses_mask=uses_mask,
            requires_region=requires_region,
        )
        return func

    return register


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    import_submodules("retouch.ops", skip=("registry",))
    _loaded = True


def get_spec(name: str) -> OpSpec:
    """Return the spec of op ``name``; raises ``KeyError`` if there is none."""
    _load_all()
    return _REGISTRY[name]


def all_specs() -> list[OpSpec]:
    """All registered ops, sorted by family then name."""
    _load_all()
    return sorted(_REGISTRY.values(), key=lambda s: (s.family, s.name))


def op_names() -> list[str]:
    """Names of all registered ops, sorted."""
    _load_all()
    return sorted(_REGISTRY)
