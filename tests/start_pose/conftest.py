"""Home reset tests: constructed profiles and station snapshots (the simulated station is tests/conftest.py's)."""

from __future__ import annotations

from core.so101 import MOTOR_NAMES, pos_key
from core.station.state import LoopStats, StationState
from core.training.frame_stats import ClosedThreshold, JointSpread, JointUnits
from core.training.profile import GripperProfile, TrainingProfile

DEGREES = JointUnits(
    units="degrees", max_abs_arm_value=135.5, reason="an arm joint reaches 135.5, beyond the ±100 of range units"
)
AMBIGUOUS = JointUnits(
    units="ambiguous",
    max_abs_arm_value=98.0,
    reason="all arm joints stay within ±100 (max |value| 98.0): degrees and range units both fit",
)


def make_profile(
    start_pose: dict[str, tuple[float, float]], units: JointUnits = DEGREES, closed_threshold: float = 10.0
) -> TrainingProfile:
    """A training profile with the given start pose (motor -> (mean, std)); the rest is what the verdict ignores."""
    return TrainingProfile(
        name="constructed",
        dataset_dir="/nowhere",
        robot_type="so_follower",
        fps=30,
        total_episodes=20,
        total_frames=2000,
        state_names=tuple(pos_key(m) for m in start_pose),
        action_names=tuple(pos_key(m) for m in start_pose),
        tasks=(),
        cameras=(),
        start_pose=tuple(
            JointSpread(pos_key(m), mean, std, mean - 2 * std, mean + 2 * std) for m, (mean, std) in start_pose.items()
        ),
        gripper=GripperProfile("gripper.pos", ClosedThreshold(closed_threshold, "otsu", 0.9), 0.5, 0.5, 20.0)
        if "gripper" in start_pose
        else None,
        action_jumps=(),
        joint_units=units,
    )


def make_state(
    follower: dict[str, float], leader: dict[str, float] | None = None, use_degrees: bool = True, limit: float = 110.0
) -> StationState:
    """A station snapshot as the station publishes it (only what the verdict reads is varied)."""
    lower = {m: (0.0 if m == "gripper" else -limit) for m in MOTOR_NAMES}
    upper = {m: (100.0 if m == "gripper" else limit) for m in MOTOR_NAMES}
    return StationState(
        name="bench",
        kind="so101",
        mode="idle",
        estopped=False,
        follower_pos=dict(follower),
        leader_pos=None if leader is None else dict(leader),
        last_sent=None,
        cameras=(),
        camera_mapping={},
        loop=LoopStats(33.3, 33.3, 34.0, 35.0, 100, 0),
        fps=30,
        use_degrees=use_degrees,
        joint_lower=lower,
        joint_upper=upper,
        published_at=0.0,
    )
