"""The Plan: the typed, validated contract between words and pixels.

A plan is a list of steps ``{op, amount, region, params}``. It is JSON, can
be written by hand, saved and replayed, and is always validated against the
op registry before the engine runs it; nothing in a plan is ever executed as
code.

Examples
--------
>>> from retouch.plans import Plan
>>> p = Plan.from_dict({"steps": [{"op": "brightness", "amount": 0.2}]})
>>> p.to_dict()
{'steps': [{'op': 'brightness', 'amount': 0.2, 'region': None, 'params': {}}]}
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

from retouch.errors import PlanValidationError
from retouch.ops.registry import Amount, OpSpec, Param, all_specs, get_spec, op_names
from retouch.regions import REGION_NAMES, check_region_name

STEP_KEYS = ("op", "amount", "region", "params")


@dataclass
class Step:
    """One operation of a plan.

    Parameters
    ----------
    op : str
        Registered op name (``retouch ops`` lists them).
    amount : float or None
        The op's principal strength; ``None`` means the op's default.
    region : str or None
        Where to apply it; ``None`` is the whole image.
    params : dict
        Extra op parameters.
    source : str or None
        The words of the instruction this step came from (planner output).
    confidence : float or None
        The planner's confidence in this step, in [0, 1].
    """

    op: str
    amount: float | None = None
    region: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The step in the Plan's JSON shape (the four contract keys only)."""
        return {"op": self.op, "amount": self.amount, "region": self.region, "params": dict(self.params)}

    def describe(self) -> str:
        """One readable line, e.g. ``contrast +0.30 on sky (radius=2)``."""
        parts = [self.op]
        if self.amount is not None:
            parts.append(f"{self.amount:+.2f}")
        if self.region:
            parts.append(f"on {self.region}")
        if self.params:
            parts.append("(" + ", ".join(f"{k}={v}" for k, v in self.params.items()) + ")")
        return " ".join(parts)


@dataclass
class Plan:
    """An ordered list of :class:`Step` objects."""

    steps: list[Step] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{"steps": [{"op", "amount", "region", "params"}, ...]}``."""
        return {"steps": [s.to_dict() for s in self.steps]}

    def to_json(self, indent: int | None = 2) -> str:
        """The plan as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Any) -> Plan:
        """Build and validate a plan from its dict form.

        Raises
        ------
        PlanValidationError
            Naming the step, the field and what is allowed.
        """
        if isinstance(data, list):
            data = {"steps": data}
        if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
            raise PlanValidationError('a plan must be an object with a "steps" list')
        unknown = set(data) - {"steps"}
        if unknown:
            raise PlanValidationError(f"unknown plan field(s): {', '.join(sorted(unknown))}")
        steps = [_step_from_dict(i, raw) for i, raw in enumerate(data["steps"], start=1)]
        plan = cls(steps)
        plan.validate()
        return plan

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Parse JSON text and validate it (see :meth:`from_dict`)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PlanValidationError(f"plan is not valid JSON: {exc.msg} at line {exc.lineno}") from None
        return cls.from_dict(data)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Plan:
        """Read and validate a plan file."""
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise PlanValidationError(f"{os.fspath(path)}: cannot read plan ({_reason(exc)})") from None
        try:
            return cls.from_json(text)
        except PlanValidationError as exc:
            raise PlanValidationError(f"{os.fspath(path)}: {exc}") from None

    def validate(self) -> None:
        """Check every step against the registry; normalise values in place."""
        for index, step in enumerate(self.steps, start=1):
            _validate_step(index, step)

    def describe(self) -> list[str]:
        """Readable lines, one per step, numbered."""
        return [f"{i}. {s.describe()}" for i, s in enumerate(self.steps, start=1)]

    def __len__(self) -> int:
        return len(self.steps)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def _step_from_dict(index: int, raw: Any) -> Step:
    if not isinstance(raw, dict):
        raise PlanValidationError(f"step {index}: must be an object with an 'op' field")
    unknown = set(raw) - set(STEP_KEYS) - {"source", "confidence"}
    if unknown:
        raise PlanValidationError(f"step {index}: unknown field(s) {', '.join(sorted(unknown))}")
    if "op" not in raw:
        raise PlanValidationError(f"step {index}: missing 'op'")
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise PlanValidationError(f"step {index}: 'params' must be an object")
    return Step(
        op=raw["op"],
        amount=raw.get("amount"),
        region=raw.get("region"),
        params=dict(params),
        source=raw.get("source"),
        confidence=raw.get("confidence"),
    )


def _validate_step(index: int, step: Step) -> None:
    where = f"step {index}"
    if not isinstance(step.op, str):
        raise PlanValidationError(f"{where}: 'op' must be a string")
    try:
        spec = get_spec(step.op)
    except KeyError:
        raise PlanValidationError(
            f"{where}: unknown op {step.op!r}; known ops: {', '.join(op_names())}"
        ) from None
    where = f"step {index} ({spec.name})"
    step.amount = _check_amount(where, spec, step.amount)
    if step.region is not None:
        if not spec.regional:
            raise PlanValidationError(f"{where}: a {spec.kind} op cannot take a region")
        try:
            check_region_name(step.region)
        except ValueError as exc:
            raise PlanValidationError(f"{where}: region {exc}") from None
    elif spec.requires_region:
        raise PlanValidationError(f"{where}: needs a region, e.g. 'mask:path/to/mask.png' or 'text'")
    for name, value in list(step.params.items()):
        param = spec.param_index.get(name)
        if param is None:
            allowed = ", ".join(spec.param_index) or "none"
            raise PlanValidationError(f"{where}: unknown param {name!r} (allowed: {allowed})")
        step.params[name] = _check_param(f"{where}: param {name!r}", param, value)


def _check_amount(where: str, spec: OpSpec, amount: Any) -> float | None:
    if spec.amount is None:
        if amount is not None:
            raise PlanValidationError(f"{where}: takes no amount (use params: {', '.join(spec.param_index)})")
        return None
    if amount is None:
        return spec.amount.default
    if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount):
        raise PlanValidationError(f"{where}: amount must be a number, got {amount!r}")
    rng = spec.amount
    if not rng.minimum <= amount <= rng.maximum:
        raise PlanValidationError(
            f"{where}: amount {amount:g} is out of range [{rng.minimum:g}, {rng.maximum:g}]"
            f" (neutral {rng.neutral:g})"
        )
    return float(amount)


def _check_param(where: str, param: Param, value: Any) -> Any:
    kind = param.type
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise PlanValidationError(f"{where} must be a number, got {value!r}")
        if kind == "integer":
            if value != int(value):
                raise PlanValidationError(f"{where} must be a whole number, got {value!r}")
            value = int(value)
        _check_range(where, param, value)
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise PlanValidationError(f"{where} must be true or false, got {value!r}")
        return value
    if kind == "choice":
        if value not in param.choices:
            raise PlanValidationError(f"{where} must be one of {', '.join(param.choices)}; got {value!r}")
        return value
    if kind == "numbers":
        if not isinstance(value, list | tuple) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value
        ):
            raise PlanValidationError(f"{where} must be a list of numbers, got {value!r}")
        if param.length is not None and len(value) != param.length:
            raise PlanValidationError(f"{where} must have {param.length} numbers, got {len(value)}")
        for v in value:
            _check_range(where, param, v)
        return [float(v) for v in value]
    if not isinstance(value, str) or not value:
        raise PlanValidationError(f"{where} must be a non-empty string, got {value!r}")
    return value


def _check_range(where: str, param: Param, value: float) -> None:
    lo, hi = param.minimum, param.maximum
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        lo_s = "-inf" if lo is None else f"{lo:g}"
        hi_s = "inf" if hi is None else f"{hi:g}"
        raise PlanValidationError(f"{where} = {value:g} is out of range [{lo_s}, {hi_s}]")


def _amount_schema(rng: Amount) -> dict[str, Any]:
    return {
        "type": ["number", "null"],
        "minimum": rng.minimum,
        "maximum": rng.maximum,
        "default": rng.default,
        "description": f"neutral {rng.neutral:g}" + (f"; unit: {rng.unit}" if rng.unit else ""),
    }


def _param_schema(param: Param) -> dict[str, Any]:
    base: dict[str, Any]
    if param.type == "choice":
        base = {"type": "string", "enum": list(param.choices)}
    elif param.type == "numbers":
        base = {"type": "array", "items": {"type": "number"}}
        if param.length is not None:
            base["minItems"] = base["maxItems"] = param.length
    elif param.type == "path":
        base = {"type": "string"}
    else:
        base = {"type": param.type}
    for key, value in (("minimum", param.minimum), ("maximum", param.maximum)):
        if value is not None:
            (base["items"] if param.type == "numbers" else base)[key] = value
    if param.default is not None:
        base["default"] = param.default
    if param.description:
        base["description"] = param.description
    return base


def _step_schema(spec: OpSpec) -> dict[str, Any]:
    properties: dict[str, Any] = {"op": {"const": spec.name, "description": spec.description}}
    properties["amount"] = _amount_schema(spec.amount) if spec.amount else {"type": "null"}
    properties["region"] = (
        {"type": ["string", "null"], "description": "a region name, color:<name> or mask:<path>"}
        if spec.regional
        else {"type": "null"}
    )
    properties["params"] = {
        "type": "object",
        "properties": {p.name: _param_schema(p) for p in spec.params},
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": properties,
        "required": ["op"],
        "additionalProperties": False,
    }


def plan_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a Plan, generated from the op registry."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Retouch plan",
        "type": "object",
        "properties": {
            "steps": {"type": "array", "items": {"oneOf": [_step_schema(s) for s in all_specs()]}}
        },
        "required": ["steps"],
        "additionalProperties": False,
        "$defs": {"regions": {"enum": list(REGION_NAMES)}},
    }
