"""Registers Preflight's simulated SO-101 devices with lerobot when lerobot scans for plugins.

lerobot's CLIs import every installed distribution named `lerobot_robot_*`; importing this one
registers `--robot.type=preflight_sim_follower`, `--teleop.type=preflight_sim_leader` and the
camera type `preflight_sim_camera` (the classes live in Preflight's `core.sim.devices`).
"""

from core.sim.devices import SimCameraConfig, SimFollowerConfig, SimLeaderConfig

__all__ = ["SimCameraConfig", "SimFollowerConfig", "SimLeaderConfig"]
