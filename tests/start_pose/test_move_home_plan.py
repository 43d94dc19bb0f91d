"""The automatic move's trajectory, stepped against a follower that follows exactly (no simulator)."""

from __future__ import annotations

import pytest

from core.start_pose.move_home import MoveHome

FPS = 30
START = {"shoulder_pan": 17.0, "shoulder_lift": -68.0, "elbow_flex": 61.0, "gripper": 60.0}
HOME = {"shoulder_pan": -8.0, "shoulder_lift": -98.0, "elbow_flex": 96.0, "gripper": 1.0}


def run(motion: MoveHome, follower: dict[str, float]) -> list[dict[str, float]]:
    targets = []
    while (target := motion.step(follower, None)) is not None:
        targets.append(target)
        follower = target
    return targets


@pytest.mark.parametrize("speed", [15.0, 30.0, 60.0])
def test_no_joint_steps_faster_than_the_speed_limit(speed):
    motion = MoveHome(HOME, FPS, max_speed_deg_s=speed, gripper_speed=50.0)
    targets = run(motion, dict(START))
    assert targets[-1] == pytest.approx(HOME, abs=0.01)
    assert motion.max_arm_step <= speed / FPS + 1e-9
    assert motion.max_gripper_step <= 50.0 / FPS + 1e-9
    assert motion.progress()["max_arm_step"] == round(motion.max_arm_step, 4)
    # the plan's duration is the minimum-jerk time for the largest distance (35° elbow) at this speed
    assert motion.plan.arm_duration_s == pytest.approx(1.875 * 35.0 / speed)


def test_the_arm_moves_first_with_the_gripper_held_then_the_gripper_alone():
    motion = MoveHome(HOME, FPS, max_speed_deg_s=30.0)
    targets = run(motion, dict(START))
    arm_ticks = round(motion.plan.arm_duration_s * FPS)
    assert all(t["gripper"] == START["gripper"] for t in targets[:arm_ticks])
    assert all(t[m] == HOME[m] for t in targets[arm_ticks + 1 :] for m in HOME if m != "gripper")
    assert targets[arm_ticks + 5]["gripper"] < START["gripper"]
