"""Score a planner against a labelled instruction set (``tests/data/instructions.jsonl``).

Each case gives an instruction, its ``kind`` (``edit``, ``question``,
``refuse``) and the expected steps: op, direction sign and region, plus any
amount or params the words pin. A plan is *exact* when it has the same number
of steps and every step matches. See ``tests/data/README.md`` for the format.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retouch.errors import PlanError
from retouch.ops.registry import get_spec, op_names
from retouch.plans import Plan, Step


@dataclass
class Outcome:
    """How the planner did on one case."""

    case: dict[str, Any]
    exact: bool
    why: str
    plan: list[str]
    seconds: float


def load_cases(path: str | Path) -> list[dict[str, Any]]:
    """Read the JSON-lines test set, skipping comment lines."""
    cases = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            if "text" in record:
                cases.append(record)
    return cases


def _sign(step: Step) -> int:
    spec = get_spec(step.op)
    if spec.amount is None:
        return 0
    amount = spec.amount.default if step.amount is None else step.amount
    return int(math.copysign(1, amount - spec.amount.neutral)) if amount != spec.amount.neutral else 0


def _expected_sign(expected: dict[str, Any]) -> int | None:
    """The sign to check, or None when the op's amount is a strength (only "not below neutral")."""
    spec = get_spec(expected["op"])
    if spec.amount is None:
        return 0
    if spec.amount.minimum >= spec.amount.neutral:
        return None
    return int(expected["sign"])


def _ratio(aspect: Any) -> float | None:
    if aspect in ("square", "1:1"):
        return 1.0
    try:
        width, height = str(aspect).split(":")
        return float(width) / float(height)
    except ValueError:
        return None


def _step_mismatch(expected: dict[str, Any], step: Step) -> str | None:
    if step.op != expected["op"]:
        return f"op {step.op} != {expected['op']}"
    if step.region != expected.get("region"):
        return f"{step.op}: region {step.region} != {expected.get('region')}"
    sign = _expected_sign(expected)
    actual = _sign(step)
    if sign is None:
        if actual < 0:
            return f"{step.op}: amount below neutral"
    elif actual != sign:
        return f"{step.op}: sign {actual:+d} != {sign:+d}"
    if "amount" in expected:
        want, got = float(expected["amount"]), step.amount
        same_turn = step.op == "rotate" and got is not None and abs(abs(want) - 180) < 1e-6
        if got is None or not (
            math.isclose(got, want, abs_tol=0.05) or (same_turn and abs(abs(got) - 180) < 1)
        ):
            return f"{step.op}: amount {got} != {want}"
    for name, want in expected.get("params", {}).items():
        got = step.params.get(name)
        if name == "aspect":
            if _ratio(got) is None or not math.isclose(_ratio(got), _ratio(want) or -1, rel_tol=1e-3):
                return f"{step.op}: aspect {got} != {want}"
        elif isinstance(want, float | int) and isinstance(got, float | int):
            if not math.isclose(got, want, rel_tol=1e-3):
                return f"{step.op}: {name} {got} != {want}"
        elif got != want:
            return f"{step.op}: {name} {got!r} != {want!r}"
    return None


def judge(case: dict[str, Any], plan_or_error: Plan | PlanError) -> tuple[bool, str]:
    """Whether a planner's answer to ``case`` is exact, and why not."""
    if case["kind"] == "refuse":
        if isinstance(plan_or_error, PlanError):
            return True, "refused"
        return False, "should have been refused"
    if isinstance(plan_or_error, PlanError):
        return False, f"refused: {plan_or_error}"
    expected = case["steps"]
    steps = plan_or_error.steps
    unknown = [e["op"] for e in expected if e["op"] not in op_names()]
    if unknown:
        return False, f"op(s) not in the registry: {', '.join(unknown)}"
    if len(steps) != len(expected):
        return False, f"{len(steps)} steps, expected {len(expected)}"
    for want, step in zip(expected, steps, strict=True):
        mismatch = _step_mismatch(want, step)
        if mismatch:
            return False, mismatch
    return True, "exact"


def evaluate(cases: list[dict[str, Any]], planner: Callable[[str], Plan]) -> list[Outcome]:
    """Run ``planner`` on every case and judge each answer."""
    outcomes = []
    for case in cases:
        started = time.perf_counter()
        try:
            answer: Plan | PlanError = planner(case["text"])
        except PlanError as exc:
            answer = exc
        seconds = time.perf_counter() - started
        exact, why = judge(case, answer)
        lines = [] if isinstance(answer, PlanError) else answer.describe()
        outcomes.append(Outcome(case, exact, why, lines, seconds))
    return outcomes
