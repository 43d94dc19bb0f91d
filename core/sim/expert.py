"""The scripted expert for "Grab the brain": approach, grasp, lift, as a teleoperator would.

It plays the human holding the leader arm: each call returns the leader's joint positions
for the next frame, in lerobot units. It looks at the true brain pose (a human sees the
scene) and at the follower's joints, plans top-down waypoints for the point between the
jaws, and moves between them with smooth (minimum-jerk) timing. Each episode draws its own
speed, hover height and grip, so demonstrations vary like a person's do.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from core.sim.kinematics import ArmKinematics
from core.sim.lab import SimLab
from core.sim.units import to_lerobot, to_radians
from core.so101 import ARM_JOINTS, GRIPPER

TASK = "Grab the brain"
# Height of the point between the jaws when they close on the brain (its centre is 16 mm up).
GRASP_HEIGHT_M = 0.018


class Phase(enum.Enum):
    APPROACH = "approach"
    DESCEND = "descend"
    CLOSE = "close"
    LIFT = "lift"
    HOLD = "hold"
    DONE = "done"


@dataclass(frozen=True)
class OperatorStyle:
    """How one demonstration is performed; drawn per episode."""

    approach_s: float
    descend_s: float
    close_s: float
    lift_s: float
    hold_s: float
    hover_height_m: float
    lift_height_m: float
    open_percent: float
    grip_percent: float

    @classmethod
    def draw(cls, rng: np.random.Generator) -> OperatorStyle:
        pace = rng.uniform(0.85, 1.2)
        return cls(
            approach_s=1.6 * pace,
            descend_s=0.8 * pace,
            close_s=0.5 * pace,
            lift_s=0.9 * pace,
            hold_s=0.5,
            hover_height_m=rng.uniform(0.07, 0.09),
            lift_height_m=rng.uniform(0.09, 0.11),
            open_percent=rng.uniform(45.0, 55.0),
            grip_percent=rng.uniform(10.0, 14.0),
        )


def _minimum_jerk(progress: float) -> float:
    s = min(max(progress, 0.0), 1.0)
    return s**3 * (10 - 15 * s + 6 * s**2)


class GrabBrainExpert:
    """A scripted operator: call `next_action()` once per frame until `done`."""

    def __init__(self, lab: SimLab, fps: float, rng: np.random.Generator, style: OperatorStyle | None = None):
        self.lab = lab
        self.fps = fps
        self.style = style or OperatorStyle.draw(rng)
        self.kinematics = ArmKinematics(lab.model)
        start = lab.joints()
        self._start_arm = np.array([to_radians(start)[name] for name in ARM_JOINTS])
        self._start_gripper = start[GRIPPER]
        brain = lab.brain()
        self._brain_xy = np.array(brain.position_m[:2])
        yaw = np.radians(brain.yaw_deg)
        # The jaws close across the brain's narrow side (its local y axis).
        self._jaw_direction = np.array([-np.sin(yaw), np.cos(yaw), 0.0])
        self._hover, _ = self.kinematics.solve(
            self._point(self.style.hover_height_m), self._jaw_direction, self._start_arm
        )
        self._phase = Phase.APPROACH
        self._frame_in_phase = 0
        self._arm = self._start_arm.copy()
        self._gripper = self._start_gripper

    @property
    def phase(self) -> Phase:
        return self._phase

    @property
    def done(self) -> bool:
        return self._phase is Phase.DONE

    def _point(self, height_m: float) -> np.ndarray:
        return np.array([*self._brain_xy, GRASP_HEIGHT_M + height_m])

    def _duration_s(self, phase: Phase) -> float:
        style = self.style
        return {
            Phase.APPROACH: style.approach_s,
            Phase.DESCEND: style.descend_s,
            Phase.CLOSE: style.close_s,
            Phase.LIFT: style.lift_s,
            Phase.HOLD: style.hold_s,
        }[phase]

    def next_action(self) -> dict[str, float]:
        """The leader's joint positions for the next frame (lerobot units)."""
        if self._phase is not Phase.DONE:
            self._frame_in_phase += 1
            progress = self._frame_in_phase / max(1.0, self._duration_s(self._phase) * self.fps)
            self._move(_minimum_jerk(progress))
            if progress >= 1.0:
                phases = list(Phase)
                self._phase = phases[phases.index(self._phase) + 1]
                self._frame_in_phase = 0
        action = to_lerobot(dict(zip(ARM_JOINTS, self._arm.tolist())))
        action[GRIPPER] = self._gripper
        return action

    def _move(self, blend: float) -> None:
        style = self.style
        if self._phase is Phase.APPROACH:
            # Joint space from the folded start pose: the wrist turns down and the jaws open on the way.
            self._arm = self._start_arm + blend * (self._hover - self._start_arm)
            self._gripper = self._start_gripper + blend * (style.open_percent - self._start_gripper)
        elif self._phase is Phase.DESCEND:
            height = style.hover_height_m * (1.0 - blend)
            self._arm, _ = self.kinematics.solve(self._point(height), self._jaw_direction, self._arm)
        elif self._phase is Phase.CLOSE:
            self._gripper = style.open_percent + blend * (style.grip_percent - style.open_percent)
        elif self._phase is Phase.LIFT:
            self._arm, _ = self.kinematics.solve(
                self._point(blend * style.lift_height_m), self._jaw_direction, self._arm
            )
