"""The dataclass codec: round trips, defaults for missing fields, fields left out of JSON, clear errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Literal

import pytest

from core.codec import from_json, to_json


class Colour(Enum):
    RED = "red"
    GREEN = "green"


@dataclass(frozen=True)
class Joint:
    name: str
    mean_deg: float
    samples: int


@dataclass(frozen=True)
class Arm:
    name: str
    joints: tuple[Joint, ...]
    span: tuple[int, float]
    tags: list[str]
    offsets_deg: dict[str, float]
    raw: Mapping[str, Any]
    leader: Joint | None
    mode: Literal["sim", "real"]
    colour: Colour
    folder: Path
    calibrated: bool
    anything: Any
    note: str | None = None
    fps: float = 30.0
    cache: dict[str, int] = field(default_factory=dict, metadata={"json": False})


def _arm(**changes: Any) -> Arm:
    fields = dict(
        name="left",
        joints=(Joint("shoulder_pan", 1.5, 3), Joint("gripper", -2.0, 4)),
        span=(2, 0.5),
        tags=["a", "b"],
        offsets_deg={"shoulder_pan": 0.25},
        raw={"nested": {"list": [1, 2]}, "flag": True},
        leader=Joint("leader", 0.0, 1),
        mode="sim",
        colour=Colour.GREEN,
        folder=Path("recordings/arm"),
        calibrated=True,
        anything=[1, "x", None],
        note="checked",
    )
    return Arm(**{**fields, **changes})


def test_a_nested_dataclass_round_trips_through_json_text() -> None:
    arm = _arm()
    data = json.loads(json.dumps(to_json(arm)))
    assert data["joints"][1] == {"name": "gripper", "mean_deg": -2.0, "samples": 4}
    assert data["colour"] == "green" and data["folder"] == "recordings/arm" and data["span"] == [2, 0.5]
    assert from_json(Arm, data) == arm


def test_optional_fields_round_trip_as_null() -> None:
    arm = _arm(leader=None, note=None)
    data = to_json(arm)
    assert data["leader"] is None and data["note"] is None
    assert from_json(Arm, data) == arm


def test_a_missing_field_with_a_default_takes_the_default() -> None:
    data = to_json(_arm())
    del data["note"], data["fps"]
    arm = from_json(Arm, data)
    assert arm.note is None and arm.fps == 30.0


def test_an_integer_reads_as_a_float_where_the_field_is_a_float() -> None:
    arm = from_json(Arm, {**to_json(_arm()), "fps": 25})
    assert arm.fps == 25.0 and isinstance(arm.fps, float)


def test_a_field_left_out_of_json_is_not_written_and_reads_back_as_its_default() -> None:
    arm = _arm(cache={"hits": 3})
    data = to_json(arm)
    assert "cache" not in data
    assert from_json(Arm, data) == _arm()


def test_a_field_left_out_of_json_needs_a_default() -> None:
    @dataclass(frozen=True)
    class NoDefault:
        kept: int
        dropped: int = field(metadata={"json": False})

    with pytest.raises(TypeError, match="dropped"):
        to_json(NoDefault(1, 2))


def test_a_missing_required_field_names_the_field() -> None:
    data = to_json(_arm())
    del data["joints"][0]["mean_deg"]
    with pytest.raises(ValueError, match=r"Arm\.joints\[0\]\.mean_deg: missing"):
        from_json(Arm, data)


@pytest.mark.parametrize(
    "changes, where",
    [
        ({"name": 3}, r"Arm\.name: expected a string"),
        ({"calibrated": 1}, r"Arm\.calibrated: expected true or false"),
        ({"fps": "fast"}, r"Arm\.fps: expected a number"),
        ({"mode": "remote"}, r"Arm\.mode: expected one of 'sim', 'real'"),
        ({"colour": "blue"}, r"Arm\.colour: expected one of 'red', 'green'"),
        ({"span": [1, 2, 3]}, r"Arm\.span: expected 2 items"),
        ({"tags": "a"}, r"Arm\.tags: expected a list"),
        ({"offsets_deg": {"shoulder_pan": "x"}}, r"Arm\.offsets_deg\['shoulder_pan'\]: expected a number"),
        ({"leader": {"name": "leader", "mean_deg": 0.0, "samples": 1.5}}, r"Arm\.leader\.samples: expected an integer"),
    ],
)
def test_a_wrong_type_names_the_field(changes: dict[str, Any], where: str) -> None:
    with pytest.raises(ValueError, match=where):
        from_json(Arm, {**to_json(_arm()), **changes})


def test_an_unknown_field_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown field.*colour_name"):
        from_json(Arm, {**to_json(_arm()), "colour_name": "green"})


def test_a_value_the_codec_cannot_write_is_refused() -> None:
    with pytest.raises(TypeError, match="set"):
        to_json(_arm(anything={1, 2}))


@dataclass(frozen=True)
class Wiring:
    unplugged: frozenset[str] = frozenset()


def test_a_frozenset_is_written_as_a_sorted_list_and_reads_back_as_a_frozenset() -> None:
    wiring = Wiring(frozenset({"sim:cam1", "sim:cam0"}))
    assert to_json(wiring) == {"unplugged": ["sim:cam0", "sim:cam1"]}
    assert from_json(Wiring, json.loads(json.dumps(to_json(wiring)))) == wiring
    with pytest.raises(ValueError, match="unplugged"):
        from_json(Wiring, {"unplugged": "sim:cam0"})
