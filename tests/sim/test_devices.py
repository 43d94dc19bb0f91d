"""The simulated follower, leader and cameras meet the contract lerobot devices meet."""

from __future__ import annotations

import numpy as np
import pytest
from lerobot.cameras import make_cameras_from_configs
from lerobot.cameras.opencv import OpenCVCameraConfig
from lerobot.robots.so_follower import SO101Follower, SO101FollowerConfig
from lerobot.robots.utils import make_robot_from_config
from lerobot.teleoperators.utils import make_teleoperator_from_config
from lerobot.utils.errors import DeviceAlreadyConnectedError, DeviceNotConnectedError
from lerobot.utils.import_utils import register_third_party_plugins

from core.sim.devices import SimCameraConfig, SimFollowerConfig, SimLeaderConfig
from core.sim.devices.sim_camera import SimCamera
from core.sim.devices.sim_follower import SimFollower
from core.sim.devices.sim_leader import SimLeader
from core.sim.lab import SIM_HOME_POSE
from core.sim.units import motor_units
from tests.sim.conftest import follower_config


def test_lerobot_plugin_scan_registers_the_devices_for_its_clis():
    register_third_party_plugins()
    assert isinstance(make_robot_from_config(SimFollowerConfig(lab_id="never-connected")), SimFollower)
    assert isinstance(make_teleoperator_from_config(SimLeaderConfig()), SimLeader)
    cameras = make_cameras_from_configs({"front": SimCameraConfig(device="sim:cam0")})
    assert isinstance(cameras["front"], SimCamera)


def test_features_match_a_real_so101_follower_while_disconnected():
    # The real follower is only constructed, never connected: no serial port or camera is opened.
    real = SO101Follower(
        SO101FollowerConfig(
            port="/dev/null",
            cameras={
                name: OpenCVCameraConfig(index_or_path=0, width=320, height=240, fps=30) for name in ("front", "wrist")
            },
        )
    )
    sim = SimFollower(follower_config("never-connected"))
    assert not sim.is_connected
    assert sim.observation_features == real.observation_features
    assert sim.action_features == real.action_features


def test_errors_when_not_connected_and_when_connected_twice(lab_id):
    robot = SimFollower(follower_config(lab_id))
    with pytest.raises(DeviceNotConnectedError):
        robot.get_observation()
    with pytest.raises(DeviceNotConnectedError):
        robot.send_action({"gripper.pos": 10.0})
    with pytest.raises(DeviceNotConnectedError):
        robot.disconnect()
    robot.connect()
    with pytest.raises(DeviceAlreadyConnectedError):
        robot.connect()
    robot.disconnect()
    assert not robot.is_connected
    with pytest.raises(DeviceNotConnectedError):
        robot.get_observation()


def test_observation_has_joints_in_lerobot_units_and_both_images(follower):
    observation = follower.get_observation()
    assert set(observation) == set(follower.observation_features)
    for motor, value in SIM_HOME_POSE.items():
        assert observation[f"{motor}.pos"] == pytest.approx(value, abs=0.5)
    for camera in ("front", "wrist"):
        assert observation[camera].shape == (240, 320, 3)
        assert observation[camera].dtype == np.uint8
    assert not np.array_equal(observation["front"], observation["wrist"])


def test_send_action_moves_the_arm_and_returns_what_it_sent(follower):
    goal = {
        "shoulder_pan.pos": 10.0,
        "shoulder_lift.pos": -60.0,
        "elbow_flex.pos": 60.0,
        "wrist_flex.pos": 70.0,
        "wrist_roll.pos": 0.0,
        "gripper.pos": 40.0,
    }
    assert follower.send_action(goal) == pytest.approx(goal)
    for _ in range(60):
        follower.lab.advance(1 / 30)
    observation = follower.get_observation()
    for key, value in goal.items():
        assert observation[key] == pytest.approx(value, abs=1.5), key


def test_send_action_clips_to_the_joint_limits(follower):
    sent = follower.send_action({"elbow_flex.pos": 150.0, "gripper.pos": -20.0, "shoulder_pan.pos": -500.0})
    units = motor_units()
    assert sent["elbow_flex.pos"] == pytest.approx(units["elbow_flex"].lerobot_limits[1])
    assert sent["gripper.pos"] == pytest.approx(0.0)
    assert sent["shoulder_pan.pos"] == pytest.approx(units["shoulder_pan"].lerobot_limits[0])


def test_send_action_clips_the_step_like_lerobots_max_relative_target(lockstep_lab):
    robot = SimFollower(follower_config(lockstep_lab.lab_id, max_relative_target=5.0))
    robot.connect()
    present = robot.get_observation()
    sent = robot.send_action(
        {"shoulder_pan.pos": present["shoulder_pan.pos"] + 30.0, "gripper.pos": present["gripper.pos"] + 2.0}
    )
    assert sent["shoulder_pan.pos"] == pytest.approx(present["shoulder_pan.pos"] + 5.0)
    assert sent["gripper.pos"] == pytest.approx(present["gripper.pos"] + 2.0)
    robot.disconnect()


def test_leader_is_set_from_code_clipped_and_follows_a_scripted_operator():
    leader = SimLeader(SimLeaderConfig())
    assert leader.action_features == leader.feedback_features
    with pytest.raises(DeviceNotConnectedError):
        leader.get_action()
    leader.connect()
    assert leader.get_action() == pytest.approx({f"{motor}.pos": value for motor, value in SIM_HOME_POSE.items()})
    leader.set_joints({"shoulder_pan": 12.0, "gripper.pos": 140.0})
    action = leader.get_action()
    assert action["shoulder_pan.pos"] == 12.0 and action["gripper.pos"] == 100.0
    with pytest.raises(KeyError, match="shoulder_yaw"):
        leader.set_joints({"shoulder_yaw": 1.0})
    poses = iter([{"wrist_roll": 5.0}, {"wrist_roll": 6.0}])
    leader.drive_with(lambda: next(poses))
    assert [leader.get_action()["wrist_roll.pos"] for _ in range(2)] == [5.0, 6.0]
    leader.drive_with(None)
    leader.send_feedback({"elbow_flex.pos": 20.0})
    assert leader.get_action()["elbow_flex.pos"] == 20.0
    leader.disconnect()
    assert not leader.is_connected


def test_camera_contract_in_lockstep(lockstep_lab):
    assert [info["id"] for info in SimCamera.find_cameras()] == ["sim:cam0", "sim:cam1"]
    camera = SimCamera(SimCameraConfig(device="sim:cam1", lab_id=lockstep_lab.lab_id, width=160, height=120))
    with pytest.raises(DeviceNotConnectedError):
        camera.read()
    camera.connect()
    assert camera.read().shape == (120, 160, 3)
    with pytest.raises(TimeoutError, match="advance"):
        camera.async_read()  # nothing new since the warm-up frame: a lockstep lab must be advanced
    lockstep_lab.advance(1 / 30)
    assert camera.async_read().shape == (120, 160, 3)
    assert camera.read_latest().shape == (120, 160, 3)
    camera.disconnect()
    assert not camera.is_connected


def test_unknown_camera_device_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="sim:cam0 \\(front\\), sim:cam1 \\(wrist\\)"):
        SimCameraConfig(device="sim:cam7")


def test_lockstep_device_cannot_join_a_realtime_lab(lab_id):
    from core.sim.lab import get_lab

    get_lab(lab_id, "realtime")
    with pytest.raises(RuntimeError, match="realtime mode"):
        SimFollower(follower_config(lab_id, clock="lockstep")).connect()
