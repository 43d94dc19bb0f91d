"""Save station on the Overview page (`edited_station`): editing a real station's wiring keeps every setting the
form does not show (rest pose, torque release, rest speed, the camera guards, calibration ids), through a real
save and load of its config.json."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from core.errors import StationError
from core.station.config import CameraSpec, StationConfig, demo_station_config, edited_station
from core.workspace import Workspace

REST = {"shoulder_pan": 1.5, "shoulder_lift": -95.0, "elbow_flex": 92.0, "wrist_flex": 70.0, "wrist_roll": 0.0}
CAMERAS = (CameraSpec("front", "/dev/video4", 640, 480, 30), CameraSpec("wrist", "/dev/video6", 640, 480, 30))
FORM = {"robot_port": "/dev/ttyACM2", "leader_port": "", "fps": 25, "max_relative_target": 5.0}


@pytest.fixture
def saved(tmp_path) -> tuple[Workspace, StationConfig]:
    workspace = Workspace(tmp_path / "workspace").ensure()
    config = StationConfig(
        "lab",
        "so101",
        (CameraSpec("front", "/dev/video0", 640, 480, 30, identity="/dev/v4l/by-id/usb-front"),),
        robot_port="/dev/ttyACM0",
        robot_id="blue_follower",
        leader_port="/dev/ttyACM1",
        leader_id="blue_leader",
        use_degrees=False,
        rest_pose=REST,
        torque_release="never",
        rest_speed_deg_s=12.0,
        stale_frame_s=0.8,
        camera_skew_s=0.2,
        camera_lost_s=4.0,
    )
    config.save(workspace)
    return workspace, config


def test_saving_the_form_keeps_every_field_it_does_not_edit(saved):
    workspace, before = saved
    edited = edited_station(
        StationConfig.load(workspace, "lab"), "lab", CAMERAS, torque_release=before.torque_release, **FORM
    )
    edited.save(workspace)
    after = StationConfig.load(workspace, "lab")

    changed = {"cameras", "robot_port", "leader_port", "fps", "max_relative_target"}
    assert (after.cameras, after.robot_port, after.leader_port, after.fps, after.max_relative_target) == (
        CAMERAS,
        "/dev/ttyACM2",
        "",
        25,
        5.0,
    )
    for field in fields(StationConfig):
        if field.name not in changed:
            assert getattr(after, field.name) == getattr(before, field.name), field.name
    assert after.rest_pose == REST and after.robot_id == "blue_follower" and after.camera_lost_s == 4.0


def test_the_form_sets_torque_release_and_the_rest_pose_from_where_the_follower_is(saved):
    workspace, before = saved
    now = {**REST, "shoulder_pan": 10.0}
    edited = edited_station(
        before, "lab", CAMERAS, torque_release="at_rest", rest_pose="follower", follower_now=now, **FORM
    )
    assert (edited.torque_release, edited.rest_pose, edited.rest_speed_deg_s) == ("at_rest", now, 12.0)
    assert edited_station(before, "lab", CAMERAS, torque_release="at_rest", rest_pose="none", **FORM).rest_pose is None
    with pytest.raises(StationError, match="not running"):
        edited_station(before, "lab", CAMERAS, torque_release="at_rest", rest_pose="follower", **FORM)


def test_a_new_station_gets_the_defaults_and_the_simulated_lab_is_not_edited_here():
    new = edited_station(None, "arm2", CAMERAS, torque_release="at_rest", **FORM)
    defaults = StationConfig("arm2", "so101", CAMERAS)
    assert new == replace(defaults, robot_port="/dev/ttyACM2", leader_port="", fps=25, max_relative_target=5.0)
    with pytest.raises(StationError, match="simulated lab"):
        edited_station(demo_station_config(), "demo", CAMERAS, torque_release="at_rest", **FORM)
