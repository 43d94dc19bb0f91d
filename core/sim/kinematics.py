"""Inverse kinematics for top-down grasps with the 5-DOF SO-101, on a private copy of the lab's state.

The point driven is the midpoint between the two fingertip pads (where an object sits when
held), not the gripper frame on the fixed jaw. Four joints (pan, lift, elbow, wrist flex)
place that point and point the jaws straight down by damped least squares, with the tilt
weighted against position (0.1 m per radian); wrist roll, the fifth, turns the jaws across
the object. Roll moves the grasp point a little, so the two alternate twice.
"""

from __future__ import annotations

import mujoco
import numpy as np

from core.sim.model import JAW_PADS
from core.so101 import ARM_JOINTS

GRASP_SITE = "gripperframe"
# Gripper joint angle (rad) at which the pads are parallel, 40 mm apart.
PARALLEL_JAW_RAD = 0.46
# Axes of the gripper frame: x runs out along the jaws, z from the fixed jaw to the moving one.
_APPROACH_AXIS, _JAW_AXIS = 0, 2
_DOWN = np.array([0.0, 0.0, -1.0])
TILT_WEIGHT_M_PER_RAD = 0.1
_DAMPING = 1e-3
_ITERATIONS = 30
_POSITIONING = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex")


class ArmKinematics:
    """Forward and inverse kinematics of the arm joints (radians), independent of the live simulation."""

    def __init__(self, model: mujoco.MjModel):
        self.model = model
        self.data = mujoco.MjData(model)
        self._site = model.site(GRASP_SITE).id
        self._qpos = np.array([model.joint(name).qposadr[0] for name in ARM_JOINTS])
        self._dofs = np.array([model.joint(name).dofadr[0] for name in ARM_JOINTS])
        self._positioning = np.array([ARM_JOINTS.index(name) for name in _POSITIONING])
        self._roll = ARM_JOINTS.index("wrist_roll")
        self._limits = np.array([model.joint(name).range for name in ARM_JOINTS])
        self._roll_axis_joint = model.joint("wrist_roll").id
        self._offset = self._grasp_offset()

    def _grasp_offset(self) -> np.ndarray:
        """The pads' midpoint at the parallel-jaw angle, in the gripper frame."""
        self.data.qpos[self.model.joint("gripper").qposadr[0]] = PARALLEL_JAW_RAD
        mujoco.mj_kinematics(self.model, self.data)
        midpoint = np.mean([self.data.geom_xpos[self.model.geom(name).id] for name in JAW_PADS], axis=0)
        rotation = self.data.site_xmat[self._site].reshape(3, 3)
        return rotation.T @ (midpoint - self.data.site_xpos[self._site])

    def _set(self, arm_rad: np.ndarray) -> None:
        self.data.qpos[self._qpos] = arm_rad
        mujoco.mj_kinematics(self.model, self.data)
        mujoco.mj_comPos(self.model, self.data)

    def _point(self) -> np.ndarray:
        rotation = self.data.site_xmat[self._site].reshape(3, 3)
        return self.data.site_xpos[self._site] + rotation @ self._offset

    def solve(self, target_m: np.ndarray, jaw_direction: np.ndarray, seed_rad: np.ndarray) -> tuple[np.ndarray, float]:
        """Arm joint angles putting the grasp point at `target_m`, jaws pointing down and closing
        along `jaw_direction` (either sign), starting from `seed_rad`; and the remaining position error (m)."""
        arm = np.array(seed_rad, dtype=float)
        for _ in range(2):
            arm = self._place(arm, target_m)
            arm[self._roll] = self._roll_towards(arm, jaw_direction)
        arm = self._place(arm, target_m)
        self._set(arm)
        return arm, float(np.linalg.norm(target_m - self._point()))

    def _place(self, arm: np.ndarray, target_m: np.ndarray) -> np.ndarray:
        jacobian_position = np.zeros((3, self.model.nv))
        jacobian_rotation = np.zeros((3, self.model.nv))
        columns = self._dofs[self._positioning]
        for _ in range(_ITERATIONS):
            self._set(arm)
            point = self._point()
            frame = self.data.site_xmat[self._site].reshape(3, 3)
            approach = frame[:, _APPROACH_AXIS]
            tilt = np.cross(approach, _DOWN)
            error = np.concatenate([target_m - point, TILT_WEIGHT_M_PER_RAD * tilt])
            if np.linalg.norm(error) < 1e-5:
                break
            mujoco.mj_jac(
                self.model, self.data, jacobian_position, jacobian_rotation, point, self.model.site_bodyid[self._site]
            )
            jacobian = np.vstack([jacobian_position[:, columns], TILT_WEIGHT_M_PER_RAD * jacobian_rotation[:, columns]])
            step = np.linalg.solve(jacobian.T @ jacobian + _DAMPING * np.eye(len(columns)), jacobian.T @ error)
            arm[self._positioning] += step
            arm = np.clip(arm, self._limits[:, 0], self._limits[:, 1])
        return arm

    def _roll_towards(self, arm: np.ndarray, jaw_direction: np.ndarray) -> float:
        """The wrist roll nearest the current one that lines the jaw axis up with +/- `jaw_direction`."""
        self._set(arm)
        hinge = self.data.xaxis[self._roll_axis_joint]
        current = self.data.site_xmat[self._site].reshape(3, 3)[:, _JAW_AXIS]
        current = current - (current @ hinge) * hinge
        wanted = jaw_direction - (jaw_direction @ hinge) * hinge
        turn = float(np.arctan2(np.cross(current, wanted) @ hinge, current @ wanted))
        roll = arm[self._roll]
        lower, upper = self._limits[self._roll]
        candidates = [roll + turn + k * np.pi for k in (-2, -1, 0, 1, 2)]
        candidates = [c for c in candidates if lower <= c <= upper]
        return min(candidates, key=lambda c: abs(c - roll))
