"""The Plan: round trips, validation messages, schema."""

from __future__ import annotations

import json

import pytest

from retouch.errors import PlanValidationError
from retouch.ops.registry import all_specs
from retouch.plans import Plan, plan_schema


def test_round_trip_keeps_the_contract_keys_and_fills_default_amounts():
    plan = Plan.from_dict(
        {"steps": [{"op": "sharpen"}, {"op": "blur", "amount": 0.2, "region": "background"}]}
    )
    assert plan.to_dict() == {
        "steps": [
            {"op": "sharpen", "amount": 0.6, "region": None, "params": {}},
            {"op": "blur", "amount": 0.2, "region": "background", "params": {}},
        ]
    }
    assert Plan.from_json(plan.to_json()).to_dict() == plan.to_dict()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"steps": [{"op": "explode"}]}, "step 1: unknown op 'explode'; known ops: "),
        (
            {"steps": [{"op": "contrast", "amount": 5}]},
            r"step 1 \(contrast\): amount 5 is out of range \[-1, 1\]",
        ),
        (
            {"steps": [{"op": "blur"}, {"op": "contrast", "amount": "lots"}]},
            "step 2 .*amount must be a number",
        ),
        ({"steps": [{"op": "flip", "amount": 1}]}, r"step 1 \(flip\): takes no amount"),
        ({"steps": [{"op": "blur", "params": {"radius": 3}}]}, "unknown param 'radius'"),
        ({"steps": [{"op": "blur", "params": {"kind": "smeary"}}]}, "must be one of gaussian"),
        ({"steps": [{"op": "rotate", "region": "sky"}]}, "cannot take a region"),
        ({"steps": [{"op": "blur", "region": "ceiling"}]}, "region 'ceiling' is unknown"),
        ({"steps": [{"op": "blur", "region": "colour:red"}]}, "prefix must be one of"),
        ({"steps": [{"op": "crop", "params": {"box": [1, 2]}}]}, "must have 4 numbers"),
        ({"steps": [{"op": "contrast", "amount": float("nan")}]}, "must be a number"),
        ({"plan": []}, 'a plan must be an object with a "steps" list'),
        ({"steps": [{"op": "blur", "colour": 1}]}, "unknown field"),
    ],
)
def test_validation_names_the_step_the_field_and_the_allowed_values(raw, message):
    with pytest.raises(PlanValidationError, match=message):
        Plan.from_dict(raw)


def test_bad_json_and_missing_file_are_clear(tmp_path):
    with pytest.raises(PlanValidationError, match="not valid JSON"):
        Plan.from_json("{steps: }")
    with pytest.raises(PlanValidationError, match="cannot read plan"):
        Plan.load(tmp_path / "missing.json")


def test_schema_covers_every_op_with_its_range():
    schema = plan_schema()
    variants = schema["properties"]["steps"]["items"]["oneOf"]
    by_op = {v["properties"]["op"]["const"]: v for v in variants}
    assert set(by_op) == {s.name for s in all_specs()}
    assert by_op["contrast"]["properties"]["amount"]["minimum"] == -1
    styles = by_op["stylize"]["properties"]["params"]["properties"]["style"]["enum"]
    assert {"pencil", "cartoon", "oil", "watercolor"} <= set(styles)
    json.dumps(schema)


def test_describe_reads_like_a_sentence():
    plan = Plan.from_dict({"steps": [{"op": "contrast", "amount": 0.3, "region": "sky"}]})
    assert plan.describe() == ["1. contrast +0.30 on sky"]
