"""The simulated SO-101 leader arm: a lerobot `Teleoperator` with no physics.

A real leader reports where a person holds it. This one reports joints set from code (a
page's sliders call `set_joints`) or, on each `get_action`, from a scripted operator given
to `drive_with` (the expert). Units are the follower's: degrees, gripper 0..100 (0 closed),
clipped to the arm's joint range. Like the real leader it accepts feedback (its motors
move to the given pose).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property

from lerobot.teleoperators import Teleoperator
from lerobot.utils.decorators import check_if_already_connected, check_if_not_connected

from core.sim.devices.config_sim_leader import SIM_LEADER_TYPE, SimLeaderConfig
from core.sim.devices.exact_arm import ExactArm
from core.sim.lab import SIM_HOME_POSE
from core.sim.units import clip_to_limits
from core.so101 import MOTOR_NAMES, motor_of, pos_key

# Returns the operator's next leader pose (lerobot units, by motor name or `<motor>.pos`).
Operator = Callable[[], dict[str, float]]


class SimLeader(ExactArm, Teleoperator):
    config_class = SimLeaderConfig
    name = SIM_LEADER_TYPE

    def __init__(self, config: SimLeaderConfig):
        super().__init__(config)
        self.config = config
        self._lock = threading.Lock()
        self._joints = clip_to_limits({**SIM_HOME_POSE, **(config.start_pose or {})})
        self._operator: Operator | None = None
        self._connected = False

    @cached_property
    def action_features(self) -> dict[str, type]:
        return {pos_key(motor): float for motor in MOTOR_NAMES}

    @cached_property
    def feedback_features(self) -> dict[str, type]:
        return self.action_features

    @property
    def is_connected(self) -> bool:
        return self._connected

    @check_if_already_connected
    def connect(self, calibrate: bool = True) -> None:
        self._connected = True

    def set_joints(self, values: dict[str, float]) -> None:
        """Move the leader (by motor name or `<motor>.pos`); unknown names are an error, values are clipped."""
        pose = {motor_of(key): float(value) for key, value in values.items()}
        unknown = set(pose) - set(MOTOR_NAMES)
        if unknown:
            raise KeyError(f"Unknown leader joints {sorted(unknown)}; the SO-101 has {', '.join(MOTOR_NAMES)}.")
        with self._lock:
            self._joints.update(clip_to_limits(pose))

    def joints(self) -> dict[str, float]:
        with self._lock:
            return dict(self._joints)

    def drive_with(self, operator: Operator | None) -> None:
        """Let a scripted operator move the leader on every `get_action` (None: back to `set_joints`)."""
        self._operator = operator

    @check_if_not_connected
    def get_action(self) -> dict[str, float]:
        if self._operator is not None:
            self.set_joints(self._operator())
        return {pos_key(motor): value for motor, value in self.joints().items()}

    @check_if_not_connected
    def send_feedback(self, feedback: dict[str, float]) -> None:
        self.set_joints({key: value for key, value in feedback.items() if key.endswith(".pos")})

    @check_if_not_connected
    def disconnect(self) -> None:
        self._connected = False
