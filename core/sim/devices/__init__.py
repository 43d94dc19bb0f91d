"""The simulated lab's devices as lerobot plugins: a follower robot, a leader teleoperator, cameras.

Laid out like lerobot's own devices (`config_<device>.py` beside `<device>.py`), so lerobot's
factories find each class from its config. Importing this package registers the configs
(`--robot.type=preflight_sim_follower`, `--teleop.type=preflight_sim_leader`, camera
`type: preflight_sim_camera`) without importing MuJoCo.
"""

from core.sim.devices.config_sim_camera import SIM_CAMERA_DEVICES, SimCameraConfig
from core.sim.devices.config_sim_follower import SimFollowerConfig
from core.sim.devices.config_sim_leader import SimLeaderConfig

__all__ = ["SIM_CAMERA_DEVICES", "SimCameraConfig", "SimFollowerConfig", "SimLeaderConfig"]
