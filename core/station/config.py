"""Station configs: which robot, which leader, which camera is plugged where.

Saved as JSON in the workspace (`stations/<name>/config.json`) so a camera swap or a
new serial port survives restarts. The config is the single place that turns a lab's
wiring into lerobot device configs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from core import codec
from core.errors import StationError
from core.workspace import Workspace, checked_name

RobotKind = Literal["sim", "so101"]
TorqueRelease = Literal["at_rest", "never"]  # where a stopping station releases the follower's torque
SIM_DEVICE_PREFIX = "sim:"


@dataclass(frozen=True)
class CameraSpec:
    """A camera role (`front`, `wrist`) and the device currently plugged into it."""

    name: str
    device: str  # "sim:cam0" in the simulated lab, "/dev/video0" or "0" on a real machine
    width: int = 640
    height: int = 480
    fps: int = 30
    identity: str = ""  # the device's /dev/v4l/by-id (or by-path) link when the mapping was saved; "": not bound


@dataclass(frozen=True)
class StationConfig:
    name: str
    kind: RobotKind
    cameras: tuple[CameraSpec, ...]
    robot_port: str = ""  # serial port of the follower arm (real arms only)
    robot_id: str = "follower"  # lerobot calibration id of the follower
    leader_port: str = ""  # serial port of the leader arm; empty: no leader (the sim always has one)
    leader_id: str = "leader"
    robot_port_identity: str = ""  # the follower port's /dev/serial/by-id link when the config was saved; "": not bound
    leader_port_identity: str = ""  # the same for the leader's port
    fps: int = 30
    use_degrees: bool = True
    max_relative_target: float | None = 10.0  # largest joint step per control tick, in joint units
    sim_options: dict = field(default_factory=dict)  # passed to the simulated follower's config
    rest_pose: dict[str, float] | None = None  # motor -> position the arm parks at before stopping (sim: its home)
    torque_release: TorqueRelease = "at_rest"  # "never": the arm stays under torque after the station stops
    rest_speed_deg_s: float = 30.0  # the speed limit of the move to the rest pose
    stale_frame_s: float = 0.5  # during an episode, an older camera frame pauses it (the arm holds)
    camera_skew_s: float = 0.1  # during an episode, two cameras' newest frames further apart pause it
    camera_lost_s: float = 2.0  # paused this long for one camera, the episode ends: the camera is lost

    @property
    def is_sim(self) -> bool:
        return self.kind == "sim"

    @property
    def camera_mapping(self) -> dict[str, str]:
        """Camera name -> device, the wiring that a cable swap changes."""
        return {camera.name: camera.device for camera in self.cameras}

    def robot_device(self) -> str | None:
        """The serial port the station locks (resolved), None for a simulated lab (locked in the station's folder)."""
        return None if self.is_sim else str(Path(self.robot_port).resolve())

    def with_camera_mapping(self, mapping: dict[str, str]) -> StationConfig:
        """The same station with devices re-assigned to camera names (a swap, or a new cable); a camera given another
        device is not bound by identity until it is bound again (`core.station.device_identity.bind_cameras`)."""
        if set(mapping) != {camera.name for camera in self.cameras}:
            raise StationError(
                f"A camera mapping must name exactly the station's cameras {sorted(self.camera_mapping)}; got "
                f"{sorted(mapping)}."
            )
        if len(set(mapping.values())) != len(mapping):
            raise StationError(f"Each device can feed only one camera name; {mapping} uses one twice.")
        return replace(
            self,
            cameras=tuple(
                camera
                if camera.device == mapping[camera.name]
                else replace(camera, device=mapping[camera.name], identity="")
                for camera in self.cameras
            ),
        )

    def save(self, workspace: Workspace) -> Path:
        path = config_path(workspace, self.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(codec.to_json(self), indent=2))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, workspace: Workspace, name: str) -> StationConfig:
        path = config_path(workspace, name)
        if not path.exists():
            raise StationError(
                f"No station named '{name}' in {workspace.stations_dir}. Create one on the Overview page first."
            )
        return codec.from_json(cls, json.loads(path.read_text()))


REST_POSE_CHOICES: dict[str, str] = {  # how the Overview page's Save station sets `rest_pose`
    "keep": "Keep the saved rest pose",
    "follower": "Where the follower is now (the station must be running)",
    "none": "None: the arm holds under torque where the station stops",
}


def edited_station(
    existing: StationConfig | None,
    name: str,
    cameras: tuple[CameraSpec, ...],
    robot_port: str,
    leader_port: str,
    fps: int,
    max_relative_target: float,
    torque_release: TorqueRelease,
    rest_pose: str = "keep",
    follower_now: dict[str, float] | None = None,
) -> StationConfig:
    """What Save station on the Overview page writes: `existing` (None: a new real SO-101 station) with only the
    fields the form edits replaced; every other field (calibration ids, guards, rest speed, identities) is kept.
    `rest_pose` is a key of REST_POSE_CHOICES; "follower" takes `follower_now`, the running station's joints."""
    if existing is not None and existing.is_sim:
        raise StationError(f"Station '{name}' is the simulated lab: this form adds or edits real SO-101 stations.")
    if rest_pose not in REST_POSE_CHOICES:
        raise StationError(f"Unknown rest pose choice '{rest_pose}'; choose one of {', '.join(REST_POSE_CHOICES)}.")
    if rest_pose == "follower" and not follower_now:
        raise StationError(
            f"Station '{name}' is not running, so where its follower is cannot be read: start it, move the arm to "
            "where it should rest (Home reset), then save again."
        )
    base = existing if existing is not None else StationConfig(name, "so101", cameras)
    kept_rest = {"keep": base.rest_pose, "none": None, "follower": dict(follower_now or {})}[rest_pose]
    return replace(
        base,
        cameras=cameras,
        robot_port=robot_port,
        leader_port=leader_port,
        fps=fps,
        max_relative_target=max_relative_target,
        torque_release=torque_release,
        rest_pose=kept_rest,
    )


def describe_rest_pose(rest_pose: dict[str, float] | None) -> str:
    """A rest pose in one short line ("none" when there is none)."""
    return ", ".join(f"{motor} {value:.1f}" for motor, value in rest_pose.items()) if rest_pose else "none"


def station_dir(workspace: Workspace, name: str) -> Path:
    """`stations/<name>/`; StationError for a name that is not 1-64 letters, digits, '_' or '-'."""
    return workspace.stations_dir / checked_name(name, "station", StationError)


def config_path(workspace: Workspace, name: str) -> Path:
    return station_dir(workspace, name) / "config.json"


def list_stations(workspace: Workspace) -> list[str]:
    if not workspace.stations_dir.exists():
        return []
    return sorted(path.parent.name for path in workspace.stations_dir.glob("*/config.json"))


def demo_station_config(name: str = "demo", width: int = 320, height: int = 240) -> StationConfig:
    """The simulated lab as a lab would wire it: front -> sim:cam0, wrist -> sim:cam1."""
    return StationConfig(
        name=name,
        kind="sim",
        cameras=(
            CameraSpec("front", f"{SIM_DEVICE_PREFIX}cam0", width, height, 30),
            CameraSpec("wrist", f"{SIM_DEVICE_PREFIX}cam1", width, height, 30),
        ),
    )
