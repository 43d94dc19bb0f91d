"""Device identity: a replug that moves a camera or an arm to another node is caught, naming both devices.

The hardware boundary is faked (testkit/lab_hardware.py): each test builds a fake `/dev` tree in tmp_path (device
nodes as empty files, the `/dev/v4l/by-id`, `/dev/v4l/by-path` and `/dev/serial/by-id` links relative, as udev makes
them) and passes it as the root the station resolves devices in. Everything above it (the binding, the rule, the
station's refusal to connect, lerobot's real SO101Follower behind a MagicMock serial bus) is the real code.
"""

from __future__ import annotations

import json
from unittest.mock import MagicMock, patch

import pytest

from core import codec
from core.errors import StationError
from core.rules.device_identity import judge_device_identity
from core.station.config import CameraSpec, StationConfig, demo_station_config
from core.station.device_identity import bind_devices, device_bindings, require_arms_in_place
from core.station.station import Station
from core.workspace import Workspace
from testkit.lab_hardware import FOLLOWER_ADAPTER, FRONT_CAM, LEADER_ADAPTER, WRIST_CAM, lab, lab_wiring, plug


def test_saving_binds_each_device_to_its_by_id_link(tmp_path):
    root = plug(tmp_path, lab_wiring())
    config = bind_devices(lab(), root)
    assert [camera.identity for camera in config.cameras] == [
        f"/dev/v4l/by-id/{FRONT_CAM}",  # by-id preferred over the by-path link to the same node
        f"/dev/v4l/by-id/{WRIST_CAM}",  # an index names /dev/videoN
    ]
    assert config.robot_port_identity == f"/dev/serial/by-id/{FOLLOWER_ADAPTER}"
    assert config.leader_port_identity == f"/dev/serial/by-id/{LEADER_ADAPTER}"
    finding = judge_device_identity(device_bindings(config, root), "lab")
    assert finding.severity == "ok", finding.evidence.sentence


def test_a_replug_that_swaps_two_cameras_blocks_naming_both(tmp_path):
    root = plug(tmp_path, lab_wiring())
    config = bind_devices(lab(), root)
    plug(root, lab_wiring(front="video2", wrist="video0"))  # the cables go back into the other ports
    finding = judge_device_identity(device_bindings(config, root), "lab")
    assert finding.severity == "critical"
    sentence = finding.evidence.sentence
    assert (
        f"The camera 'front' (/dev/video0) was bound to /dev/v4l/by-id/{FRONT_CAM} when the config was saved; "
        f"/dev/video0 is now /dev/v4l/by-id/{WRIST_CAM}, and /dev/v4l/by-id/{FRONT_CAM} is now at /dev/video2."
    ) in sentence
    assert f"The camera 'wrist' (2) was bound to /dev/v4l/by-id/{WRIST_CAM}" in sentence
    assert "Cameras page" in finding.fix and "Plug the devices back" in finding.fix
    moved = {row["role"]: row for row in finding.evidence.numbers["bindings"]}
    assert moved["camera 'front'"]["bound_node"] == "/dev/video2" and moved["camera 'front'"]["node"] == "/dev/video0"


def test_an_unplugged_camera_names_what_is_now_at_its_node(tmp_path):
    root = plug(tmp_path, lab_wiring())
    config = bind_devices(lab(), root)
    wiring = lab_wiring()
    del wiring[f"v4l/by-id/{WRIST_CAM}"]
    (root / "dev/video2").unlink()
    plug(root, wiring)
    sentence = judge_device_identity(device_bindings(config, root), "lab").evidence.sentence
    assert f"/dev/video2 is now nothing, and /dev/v4l/by-id/{WRIST_CAM} is not plugged in" in sentence


def test_an_arm_port_whose_by_id_link_points_elsewhere_is_refused_before_connecting(tmp_path):
    root = plug(tmp_path, lab_wiring())
    config = bind_devices(lab(cameras=()), root)
    plug(root, lab_wiring(follower="ttyACM1", leader="ttyACM0"))  # the two USB adapters swapped
    with pytest.raises(StationError) as error:
        require_arms_in_place(config, root)
    message = str(error.value)
    assert (
        f"The follower arm (/dev/ttyACM0) was bound to /dev/serial/by-id/{FOLLOWER_ADAPTER} when the config was "
        f"saved; /dev/ttyACM0 is now /dev/serial/by-id/{LEADER_ADAPTER}, and /dev/serial/by-id/{FOLLOWER_ADAPTER} "
        "is now at /dev/ttyACM1."
    ) in message
    assert "Overview page" in message

    bus = MagicMock()
    with (
        patch("lerobot.robots.so_follower.so_follower.FeetechMotorsBus", bus),
        patch("lerobot.teleoperators.so_leader.so_leader.FeetechMotorsBus", bus),
    ):
        station = Station(config, Workspace(tmp_path / "workspace").ensure(), dev_root=root)
        with pytest.raises(StationError, match="was not started"):
            station.start()
    bus.return_value.connect.assert_not_called()  # neither arm's bus was opened, no torque on the wrong arm


def test_the_simulated_lab_has_no_identity_and_no_finding(tmp_path):
    root = plug(tmp_path, lab_wiring())
    config = demo_station_config()
    assert bind_devices(config, root) == config
    assert device_bindings(config, root) == ()
    require_arms_in_place(config, root)  # nothing to refuse


def test_an_old_config_loads_and_gets_a_note_to_bind_it(tmp_path):
    """A config.json written before device identities existed: no identity fields at all."""
    root = plug(tmp_path, lab_wiring())
    stored = codec.to_json(lab())
    for key in ("robot_port_identity", "leader_port_identity"):
        del stored[key]
    for camera in stored["cameras"]:
        del camera["identity"]
    workspace = Workspace(tmp_path / "workspace").ensure()
    (workspace.stations_dir / "lab").mkdir(parents=True)
    (workspace.stations_dir / "lab" / "config.json").write_text(json.dumps(stored))
    config = StationConfig.load(workspace, "lab")
    assert config.robot_port_identity == "" and config.cameras[0].identity == ""
    require_arms_in_place(config, root)  # not bound: a note, never a refusal
    finding = judge_device_identity(device_bindings(config, root), "lab")
    assert finding.severity == "info"
    assert "Not bound by identity yet: follower arm (/dev/ttyACM0, now /dev/serial/by-id/" in finding.evidence.sentence
    assert "Save the config again to bind it" in finding.fix


def test_a_camera_named_by_its_stable_link_is_bound_by_it(tmp_path):
    root = plug(tmp_path, lab_wiring())
    config = bind_devices(lab(cameras=(CameraSpec("front", f"/dev/v4l/by-id/{FRONT_CAM}"),)), root)
    assert config.cameras[0].identity == f"/dev/v4l/by-id/{FRONT_CAM}"
    plug(root, lab_wiring(front="video4"))  # it follows the camera: still the same device
    assert judge_device_identity(device_bindings(config, root), "lab").severity == "ok"


def test_a_new_mapping_clears_the_binding_of_a_camera_given_another_device(tmp_path):
    root = plug(tmp_path, lab_wiring())
    config = bind_devices(lab(), root).with_camera_mapping({"front": "2", "wrist": "/dev/video0"})
    assert [camera.identity for camera in config.cameras] == ["", ""]
