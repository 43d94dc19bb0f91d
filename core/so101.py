"""Facts about the SO-101 arm as lerobot reports it, shared by every module.

With `use_degrees=True` (lerobot's default since 0.4.4) the five arm joints are in
degrees around the calibrated middle of their range and the gripper is 0..100 with
0 closed. Feature names follow lerobot: `<motor>.pos`.
"""

from __future__ import annotations

MOTOR_NAMES: tuple[str, ...] = (
    "shoulder_pan",
    "shoulder_lift",
    "elbow_flex",
    "wrist_flex",
    "wrist_roll",
    "gripper",
)
GRIPPER = "gripper"
ARM_JOINTS: tuple[str, ...] = MOTOR_NAMES[:-1]

# The lab's documented home (start) pose, in lerobot degrees; gripper 0..100, 0 = closed.
HOME_POSE: dict[str, float] = {
    "shoulder_pan": -8.0,
    "shoulder_lift": -98.0,
    "elbow_flex": 100.0,
    "wrist_flex": 75.0,
    "wrist_roll": -52.0,
    "gripper": 0.5,
}

ENCODER_RESOLUTION = 4096  # STS3215 steps per turn (lerobot's model_resolution_table)


def steps_to_degrees(steps: float, resolution: int = ENCODER_RESOLUTION) -> float:
    """Encoder steps in lerobot's degrees (`MotorsBus._normalize`: 360 / (resolution - 1) per step)."""
    return steps * 360 / (resolution - 1)


def pos_key(motor: str) -> str:
    """The lerobot feature name of a motor's position: `shoulder_pan` -> `shoulder_pan.pos`."""
    return f"{motor}.pos"


def motor_of(key: str) -> str:
    """The motor of a feature name, tolerant of dataset names: `shoulder_pan.pos` -> `shoulder_pan`."""
    return key.removesuffix(".pos")
