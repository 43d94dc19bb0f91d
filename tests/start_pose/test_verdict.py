"""The start-pose verdict on constructed poses: exact deltas, the tolerance rule, the moves, the units refusal."""

from __future__ import annotations

import json

import pytest

from core.rules.units import JointUnitsMismatch
from core.start_pose.pose import StartPoseError, move_home_target, verdict_for_station
from core.start_pose.tolerances import load_tolerance_overrides, save_tolerance_overrides, tolerances_path
from core.training.frame_stats import JointUnits
from tests.start_pose.conftest import AMBIGUOUS, make_profile, make_state

# motor -> (training mean, training std); tolerances by the rule max(3 x std, floor 5° / 10):
# shoulder_pan 5 (floor), shoulder_lift 7.5 (3 x 2.5), elbow_flex 5, wrist_flex 5, wrist_roll 6, gripper 10 (floor)
START_POSE = {
    "shoulder_pan": (-8.0, 1.0),
    "shoulder_lift": (-98.0, 2.5),
    "elbow_flex": (96.0, 0.5),
    "wrist_flex": (75.0, 1.0),
    "wrist_roll": (-52.0, 2.0),
    "gripper": (1.0, 0.5),
}
AT_START = {motor: mean for motor, (mean, _) in START_POSE.items()}
OFF = {**AT_START, "shoulder_pan": -3.0, "shoulder_lift": -106.5, "wrist_flex": 87.0, "gripper": 60.0}


def test_tolerances_follow_the_rule_and_deltas_are_follower_minus_training_mean():
    leader = {**AT_START, "shoulder_pan": 0.0}
    verdict = verdict_for_station(make_state(OFF, leader), make_profile(START_POSE))
    rows = {joint.motor: joint for joint in verdict.joints}
    assert {m: rows[m].tolerance for m in rows} == {
        "shoulder_pan": 5.0,
        "shoulder_lift": 7.5,
        "elbow_flex": 5.0,
        "wrist_flex": 5.0,
        "wrist_roll": 6.0,
        "gripper": 10.0,
    }
    assert {m: rows[m].delta for m in rows} == {
        "shoulder_pan": 5.0,
        "shoulder_lift": -8.5,
        "elbow_flex": 0.0,
        "wrist_flex": 12.0,
        "wrist_roll": 0.0,
        "gripper": 59.0,
    }
    assert {m for m in rows if rows[m].inside} == {"shoulder_pan", "elbow_flex", "wrist_roll"}  # 5.0 of 5.0 is inside
    assert (
        rows["shoulder_pan"].follower == -3.0
        and rows["shoulder_pan"].leader == 0.0
        and rows["shoulder_pan"].target == -8.0
    )


def test_no_go_names_each_joint_to_move_and_which_way_worst_first():
    verdict = verdict_for_station(make_state(OFF), make_profile(START_POSE))
    assert not verdict.go and verdict.label == "NO-GO"
    assert verdict.moves == (
        "gripper: close by 59.0 (now 60.0, training 1.0 ± 10.0)",
        "wrist_flex: decrease by 12.0° (now 87.0°, training 75.0° ± 5.0)",
        "shoulder_lift: increase by 8.5° (now -106.5°, training -98.0° ± 7.5)",
    )
    assert verdict.gripper_note == "The gripper is open (60.0) but training episodes started with it closed (1.0)."
    assert verdict.distance == 12.0  # the worst arm joint; the gripper is judged on its own


def test_go_when_every_joint_is_inside_tolerance():
    near = {motor: value + 4.9 for motor, value in AT_START.items()}
    verdict = verdict_for_station(make_state(near), make_profile(START_POSE))
    assert verdict.go and verdict.label == "GO"
    assert verdict.moves == () and verdict.gripper_note == "" and verdict.units_note == ""
    assert verdict.distance == pytest.approx(4.9)


def test_operator_tolerances_override_the_rule():
    profile = make_profile(START_POSE)
    wider = verdict_for_station(make_state(OFF), profile, {"wrist_flex": 15.0, "shoulder_lift": 9.0, "gripper": 70.0})
    assert wider.go
    tighter = verdict_for_station(make_state(AT_START | {"elbow_flex": 98.0}), profile, {"elbow_flex": 1.5})
    assert tighter.moves == ("elbow_flex: decrease by 2.0° (now 98.0°, training 96.0° ± 1.5)",)


def test_a_missing_follower_joint_is_no_go():
    follower = {m: v for m, v in AT_START.items() if m != "wrist_roll"}
    verdict = verdict_for_station(make_state(follower), make_profile(START_POSE))
    assert not verdict.go and verdict.moves == ("wrist_roll: no reading",)


def test_degrees_training_data_on_a_range_units_station_is_refused_with_the_fix():
    with pytest.raises(JointUnitsMismatch) as error:
        verdict_for_station(make_state(AT_START, use_degrees=False, limit=100.0), make_profile(START_POSE))
    message = str(error.value)
    assert "training data is in degrees" in message and "-100..100 range units" in message
    assert '"use_degrees": true' in message and "not judged" in message
    with pytest.raises(JointUnitsMismatch):
        move_home_target(make_state(AT_START, use_degrees=False, limit=100.0), make_profile(START_POSE))


@pytest.mark.parametrize("use_degrees", [True, False])
def test_ambiguous_training_units_are_judged_with_a_caveat_not_refused(use_degrees):
    compact = {**START_POSE, "shoulder_lift": (-60.0, 2.5), "elbow_flex": (60.0, 0.5)}
    verdict = verdict_for_station(
        make_state({m: v for m, (v, _) in compact.items()}, use_degrees=use_degrees), make_profile(compact, AMBIGUOUS)
    )
    assert verdict.go
    assert verdict.units_note.startswith("Joint units not proven: all arm joints stay within ±100")
    assert ("reports degrees" if use_degrees else "reports -100..100 range units") in verdict.units_note


def test_unknown_training_units_get_a_caveat():
    unknown = JointUnits(units="unknown", max_abs_arm_value=None, reason="no arm joint columns were found")
    verdict = verdict_for_station(make_state({"gripper": 1.0}), make_profile({"gripper": (1.0, 0.5)}, unknown))
    assert verdict.go and verdict.units_note.startswith("Joint units unknown")


def test_move_home_target_is_the_training_mean_inside_the_joint_limits():
    assert move_home_target(make_state(OFF), make_profile(START_POSE)) == AT_START
    with pytest.raises(StartPoseError, match=r"outside the joint limits.*elbow_flex 96.0 \(range -90.0..90.0\)"):
        move_home_target(make_state(OFF, limit=90.0), make_profile(START_POSE))


def test_profiles_without_a_start_pose_or_a_shared_joint_are_explained():
    with pytest.raises(StartPoseError, match="has no start pose"):
        verdict_for_station(make_state(AT_START), make_profile({}))
    with pytest.raises(StartPoseError, match="names the joints"):
        verdict_for_station(make_state({"joint_1": 0.0}), make_profile(START_POSE))


def test_tolerances_are_stored_per_profile_in_the_workspace(workspace):
    save_tolerance_overrides(workspace, "dataset-a", {"elbow_flex": 8.0})
    save_tolerance_overrides(workspace, "dataset-b", {"gripper": 20.0})
    assert load_tolerance_overrides(workspace, "dataset-a") == {"elbow_flex": 8.0}
    assert load_tolerance_overrides(workspace, "dataset-b") == {"gripper": 20.0}
    save_tolerance_overrides(workspace, "dataset-a", {})  # back to the default rule
    assert load_tolerance_overrides(workspace, "dataset-a") == {}
    assert load_tolerance_overrides(workspace, "dataset-b") == {"gripper": 20.0}
    with pytest.raises(StartPoseError, match="positive number"):
        save_tolerance_overrides(workspace, "dataset-b", {"gripper": -1.0})
    assert load_tolerance_overrides(workspace, "dataset-b") == {"gripper": 20.0}


def test_a_damaged_tolerances_file_is_reported_and_left_alone(workspace):
    tolerances_path(workspace).write_text("{not json")
    with pytest.raises(StartPoseError, match="cannot be read.*delete it"):
        load_tolerance_overrides(workspace, "dataset-a")
    with pytest.raises(StartPoseError):
        save_tolerance_overrides(workspace, "dataset-a", {"gripper": 12.0})
    assert tolerances_path(workspace).read_text() == "{not json"
    tolerances_path(workspace).write_text(json.dumps({"dataset-a": 3}))
    with pytest.raises(StartPoseError, match="not a mapping"):
        load_tolerance_overrides(workspace, "dataset-a")


def test_against_an_evaluation_twin_the_deltas_and_moves_name_the_twin_not_training():
    twin = {**AT_START, "shoulder_pan": 0.0}  # where the A episode started
    verdict = verdict_for_station(make_state(AT_START, None), make_profile(START_POSE), start_pose=twin)
    assert not verdict.go
    assert {joint.motor: joint.delta for joint in verdict.joints}["shoulder_pan"] == pytest.approx(-8.0)
    (move,) = [m for m in verdict.moves if m.startswith("shoulder_pan")]
    assert "twin 0.0" in move and "training" not in move
    assert all("training" in m for m in verdict_for_station(make_state(OFF, None), make_profile(START_POSE)).moves)
