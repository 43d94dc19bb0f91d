"""Each diagnosis rule at the edges of its thresholds (core/rules/*): just inside is the lower tier, at or just past
the threshold the higher one. The numbers come from the rules' own constants, so a changed threshold moves the test
with it, and a changed comparison (< for <=, a tier dropped) fails it."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from core.rules.divergence import DIVERGENCE_FLOOR_DEG, DIVERGENCE_FLOOR_GRIPPER, DIVERGENCE_RATIO, judge_divergence
from core.rules.fps import FPS_TOLERANCE, judge_fps
from core.rules.gripper import NEVER_CLOSES_SHARE, TRAINING_CLOSED_MIN, judge_gripper
from core.rules.jumps import JUMP_CRITICAL_RATIO, JUMP_MIN_EXCESS, JUMP_P95_RATIO, judge_jumps
from core.rules.start_pose import CRITICAL_SHARE, START_POSE_SHARE, JointTarget, judge_recorded_starts
from core.training import planner
from core.training.frame_stats import DEGREES, ClosedThreshold, JointUnits, JumpStats
from core.training.profile import GripperProfile

RADIANS = JointUnits("radians", 1.5, "every arm joint within one turn")


@pytest.mark.parametrize(
    ("deployment_fps", "severity"),
    [(30.0, "ok"), (30.0 - FPS_TOLERANCE, "ok"), (30.0 + FPS_TOLERANCE, "ok"), (29.4, "critical"), (31.0, "critical")],
)
def test_fps_agrees_within_the_tolerance_and_is_critical_beyond_it(deployment_fps, severity):
    assert judge_fps(30.0, deployment_fps).severity == severity


def jumps(p95: float) -> JumpStats:
    return JumpStats("shoulder_pan.pos", p50=p95 / 2, p95=p95, max=2 * p95)


@pytest.mark.parametrize(
    ("training_p95", "deployment_p95", "severity"),
    [
        (1.0, JUMP_P95_RATIO * 1.0, "ok"),  # exactly the ratio: not more than training's by that factor
        (1.0, JUMP_P95_RATIO * 1.0 + 0.01, "warning"),
        (1.0, JUMP_CRITICAL_RATIO * 1.0 - 0.01, "warning"),
        (1.0, JUMP_CRITICAL_RATIO * 1.0, "critical"),
        (0.1, 0.1 + JUMP_MIN_EXCESS, "ok"),  # 11x training's, but only the minimum excess: too small to matter
        (0.1, 0.1 + JUMP_MIN_EXCESS + 0.01, "critical"),
        (0.0, JUMP_MIN_EXCESS + 0.01, "critical"),  # training never jumped: no ratio, any real jump is critical
    ],
)
def test_action_jump_tiers(training_p95, deployment_p95, severity):
    finding = judge_jumps({"shoulder_pan": jumps(training_p95)}, {"shoulder_pan": jumps(deployment_p95)})
    assert finding.severity == severity


def test_the_jump_excess_is_scaled_into_radians():
    excess = JUMP_MIN_EXCESS * math.pi / 180  # one degree per frame, in radians
    quiet = judge_jumps({"shoulder_pan": jumps(0.001)}, {"shoulder_pan": jumps(0.001 + excess)}, units=RADIANS)
    loud = judge_jumps({"shoulder_pan": jumps(0.001)}, {"shoulder_pan": jumps(0.001 + 1.1 * excess)}, units=RADIANS)
    assert (quiet.severity, loud.severity) == ("ok", "critical")
    # in degrees the same numbers are far below one degree per frame
    assert judge_jumps({"shoulder_pan": jumps(0.001)}, {"shoulder_pan": jumps(0.03)}).severity == "ok"


GRIPPER = GripperProfile(
    "gripper.pos", ClosedThreshold(10.0, "otsu", 0.9), 0.3, 0.3, 40.0, grasp_level=2.0, open_level=60.0
)


def gripper_episodes(never: int, total: int) -> pd.DataFrame:
    """`never` episodes whose most closed command stays open (50), the rest grasp (1)."""
    return pd.DataFrame({"most_closed_gripper_action": [50.0] * never + [1.0] * (total - never)})


@pytest.mark.parametrize(
    ("never", "total", "severity"),
    [(0, 10, "ok"), (4, 10, "ok"), (5, 10, "warning"), (9, 10, "warning"), (10, 10, "critical")],
)
def test_gripper_tiers_by_the_share_of_episodes_that_never_close(never, total, severity):
    assert never / total < NEVER_CLOSES_SHARE or severity != "ok"
    finding = judge_gripper(GRIPPER, gripper_episodes(never, total), 0.1, 30.0)
    assert finding.severity == severity
    assert finding.evidence.numbers["episodes_never_closing"] == never


def test_a_training_set_that_barely_closes_its_gripper_is_never_judged_against():
    rarely = GripperProfile(
        "gripper.pos", ClosedThreshold(10.0, "otsu", 0.9), TRAINING_CLOSED_MIN * 0.9, 0.01, 60.0, 2.0, 60.0
    )
    assert judge_gripper(rarely, gripper_episodes(10, 10), 0.0, 50.0).severity == "ok"
    just_enough = GripperProfile("gripper.pos", ClosedThreshold(10.0, "otsu", 0.9), TRAINING_CLOSED_MIN, 0.02, 60.0)
    assert judge_gripper(just_enough, gripper_episodes(10, 10), 0.0, 50.0).severity == "critical"


TARGETS = [JointTarget("shoulder_pan", 0.0, 1.0, 5.0), JointTarget("gripper", 2.0, 1.0, 10.0)]


def recorded_starts(off: int, total: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "start_pose_off": [True] * off + [False] * (total - off),
            "start_off_joints": ["shoulder_pan"] * off + [""] * (total - off),
            "start_pose_distance_deg": [12.0] * off + [1.0] * (total - off),
            "start_gripper": [2.0] * total,
        }
    )


@pytest.mark.parametrize(
    ("off", "total", "severity"),
    [
        (1, 10, "ok"),  # under START_POSE_SHARE of the episodes
        (2, 10, "warning"),  # exactly the share
        (4, 10, "warning"),
        (5, 10, "critical"),  # exactly CRITICAL_SHARE
        (0, 2, "ok"),
        (1, 2, "critical"),  # at least one episode is needed, and one of two is half
        (1, 3, "warning"),
    ],
)
def test_recorded_start_pose_tiers_by_the_share_of_episodes_started_off(off, total, severity):
    share = off / total
    expected = "ok" if off < max(1, math.ceil(START_POSE_SHARE * total)) else "warning"
    expected = "critical" if expected != "ok" and share >= CRITICAL_SHARE else expected
    assert expected == severity  # the table above follows the rule's constants
    assert judge_recorded_starts(recorded_starts(off, total), TARGETS).severity == severity


def tracking(motor: str, error: float) -> pd.DataFrame:
    return pd.DataFrame({f"tracking_error.{motor}": [error, error, error]})


@pytest.mark.parametrize(
    ("motor", "training", "deployment", "severity"),
    [
        ("elbow_flex", 2.0, DIVERGENCE_RATIO * 2.0 + DIVERGENCE_FLOOR_DEG, "warning"),  # both met
        ("elbow_flex", 3.0, DIVERGENCE_RATIO * 3.0 - 0.01, "ok"),  # excess met, ratio not
        ("elbow_flex", 1.0, 1.0 + DIVERGENCE_FLOOR_DEG - 0.01, "ok"),  # ratio met, excess not
        ("elbow_flex", 1.0, 1.0 + DIVERGENCE_FLOOR_DEG, "warning"),
        ("gripper", 1.0, 1.0 + DIVERGENCE_FLOOR_DEG, "ok"),  # the gripper's floor is its own, in 0..100
        ("gripper", 1.0, 1.0 + DIVERGENCE_FLOOR_GRIPPER, "warning"),
    ],
)
def test_divergence_needs_both_the_ratio_and_the_floor(motor, training, deployment, severity):
    finding = judge_divergence(tracking(motor, training), tracking(motor, deployment), DEGREES)
    assert finding.severity == severity


@pytest.mark.parametrize("policy_type", ["act", "smolvla"])
def test_epoch_guidance_is_typical_up_to_warn_above_and_above_past_it(policy_type):
    guidance = planner.guidance_for(policy_type)
    assert guidance.verdict(guidance.typical_low - 0.01) == "below"
    assert guidance.verdict(guidance.typical_low) == "typical"
    assert guidance.verdict(guidance.warn_above) == "typical"
    assert guidance.verdict(guidance.warn_above + 0.01) == "above"
