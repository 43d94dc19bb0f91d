"""The simulated SO-101 follower: a lerobot `Robot` whose motors are the lab's position servos.

Observations and actions match a real `SO101Follower` with `use_degrees=True`: `<motor>.pos`
in degrees (gripper 0..100, 0 closed) plus one image per configured camera. `send_action`
clips like the real arm: first `max_relative_target` against the present position (lerobot's
own `ensure_safe_goal_position`), then to the joint range, which on a real arm the servo's
position limits enforce. It returns what it sent.
"""

from __future__ import annotations

from functools import cached_property

from lerobot.cameras import make_cameras_from_configs
from lerobot.robots import Robot
from lerobot.robots.utils import ensure_safe_goal_position
from lerobot.utils.decorators import check_if_already_connected, check_if_not_connected

from core.sim.devices.config_sim_follower import SIM_FOLLOWER_TYPE, SimFollowerConfig
from core.sim.devices.exact_arm import ExactArm
from core.sim.lab import SimLab, get_lab
from core.sim.units import clip_to_limits
from core.so101 import MOTOR_NAMES, motor_of, pos_key


class SimFollower(ExactArm, Robot):
    config_class = SimFollowerConfig
    # Written as `robot_type` into every dataset recorded with it (training and deployment alike).
    name = SIM_FOLLOWER_TYPE

    def __init__(self, config: SimFollowerConfig):
        super().__init__(config)
        self.config = config
        self.cameras = make_cameras_from_configs(config.cameras)
        self._lab: SimLab | None = None

    @cached_property
    def observation_features(self) -> dict[str, type | tuple]:
        cameras = {name: (camera.height, camera.width, 3) for name, camera in self.cameras.items()}
        return {**self.action_features, **cameras}

    @cached_property
    def action_features(self) -> dict[str, type]:
        return {pos_key(motor): float for motor in MOTOR_NAMES}

    @property
    def is_connected(self) -> bool:
        return self._lab is not None and all(camera.is_connected for camera in self.cameras.values())

    @property
    def lab(self) -> SimLab:
        """The simulated world this arm stands in (outside lerobot's contract: for success judging and faults)."""
        if self._lab is None:
            raise RuntimeError(f"{self} is not connected.")
        return self._lab

    @check_if_already_connected
    def connect(self, calibrate: bool = True) -> None:
        """Attach to the lab (starting its thread in realtime mode) and connect the cameras."""
        lab = get_lab(self.config.lab_id, self.config.clock)
        lab.acquire()
        lab.set_torque(True)
        self._lab = lab
        try:
            for camera in self.cameras.values():
                camera.connect()
        except Exception:
            self.disconnect_cameras()
            self._lab = None
            lab.release()
            raise

    @check_if_not_connected
    def get_observation(self) -> dict:
        self._require_bus("sync read 'Present_Position'")
        observation: dict = {pos_key(motor): value for motor, value in self.lab.joints().items()}
        for name, camera in self.cameras.items():
            observation[name] = camera.read_latest(max_age_ms=self.config.camera_max_age_ms)
        return observation

    @check_if_not_connected
    def send_action(self, action: dict) -> dict:
        self._require_bus("sync write 'Goal_Position'")
        goal = {motor_of(key): float(value) for key, value in action.items() if key.endswith(".pos")}
        if self.config.max_relative_target is not None:
            present = self.lab.joints()
            goal = ensure_safe_goal_position(
                {motor: (value, present[motor]) for motor, value in goal.items()}, self.config.max_relative_target
            )
        goal = clip_to_limits(goal)
        self.lab.set_targets(goal)
        return {pos_key(motor): value for motor, value in goal.items()}

    def _require_bus(self, operation: str) -> None:
        """A pulled serial cable fails like lerobot's Feetech bus does: ConnectionError, no status packet; the servos
        keep their last goal under torque."""
        if self.lab.faults.bus_unplugged:
            raise ConnectionError(
                f"Failed to {operation} on the follower's bus: [TxRxResult] There is no status packet!"
            )

    def disconnect_cameras(self) -> None:
        for camera in self.cameras.values():
            if camera.is_connected:
                camera.disconnect()

    @check_if_not_connected
    def disconnect(self) -> None:
        """Detach from the lab, switching the servos off first if `disable_torque_on_disconnect` (lerobot's
        SO-101 does the same); with torque kept the arm holds its last goal. The world keeps running."""
        self.disconnect_cameras()
        lab, self._lab = self._lab, None
        if self.config.disable_torque_on_disconnect:
            lab.set_torque(False)
        lab.release()
