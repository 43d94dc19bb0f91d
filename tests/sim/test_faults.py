"""Fault injection changes the simulated lab the way the real failure changes a real lab."""

from __future__ import annotations

import numpy as np
import pytest

from core.sim import faults
from core.sim.devices.sim_follower import SimFollower
from core.sim.lab import DEFAULT_OBJECT_REGION, SIM_HOME_POSE, LabFaults
from tests.sim.conftest import follower_config


def same_view(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal up to the lab's +-2 sensor noise per pixel."""
    return int(np.abs(a.astype(int) - b.astype(int)).max()) <= 4


def test_swapped_cables_make_front_show_the_wrist_view(follower):
    before = follower.get_observation()
    faults.swap_camera_cables(follower.lab)
    after = follower.get_observation()
    assert follower.lab.faults.cables_swapped
    # The station's mapping (front -> sim:cam0) is untouched: the cables moved.
    assert follower.cameras["front"].device == "sim:cam0"
    assert same_view(after["front"], before["wrist"])
    assert same_view(after["wrist"], before["front"])
    assert not same_view(after["front"], before["front"])
    faults.swap_camera_cables(follower.lab, swapped=False)
    assert same_view(follower.get_observation()["front"], before["front"])


def test_cable_swap_reaches_a_running_realtime_lab(lab_id):
    robot = SimFollower(follower_config(lab_id, clock="realtime"))
    robot.connect()
    try:
        wrist_view = robot.cameras["wrist"].async_read(timeout_ms=2000)
        faults.swap_camera_cables(robot.lab)
        robot.cameras["front"].async_read(timeout_ms=2000)  # a frame rendered after the swap
        front = robot.cameras["front"].async_read(timeout_ms=2000)
        # The arm holds still, so the wrist view barely changes between frames.
        assert np.abs(front.astype(int) - wrist_view.astype(int)).mean() < 2.0
    finally:
        robot.disconnect()


def test_displaced_start_pose_opens_the_gripper_and_survives_a_reset(follower):
    pose = faults.displace_start_pose(follower.lab)
    observation = follower.get_observation()
    assert observation["gripper.pos"] == pytest.approx(faults.OPEN_GRIPPER_PERCENT, abs=0.5)
    assert observation["shoulder_pan.pos"] == pytest.approx(SIM_HOME_POSE["shoulder_pan"] + 25.0, abs=0.5)
    follower.lab.reset()
    assert follower.get_observation()["elbow_flex.pos"] == pytest.approx(pose["elbow_flex"], abs=0.5)
    faults.restore_start_pose(follower.lab)
    follower.lab.reset()
    assert follower.get_observation()["gripper.pos"] == pytest.approx(SIM_HOME_POSE["gripper"], abs=0.5)


def test_lighting_and_table_colour_change_what_the_front_camera_sees(follower):
    before = follower.get_observation()["front"].astype(float)
    faults.change_scene_look(follower.lab, lighting=0.45, table_rgb=faults.GREEN_TABLE_RGB)
    after = follower.get_observation()["front"].astype(float)
    assert after.mean() < 0.8 * before.mean()
    red, green = after[..., 0].mean(), after[..., 1].mean()
    assert green > red  # the wooden table was red-dominant


def test_moved_object_distribution_places_the_brain_in_the_new_region(follower):
    faults.move_object_distribution(follower.lab)
    region = faults.SHIFTED_OBJECT_REGION
    for _ in range(5):
        follower.lab.reset()
        x, y, _ = follower.lab.brain().position_m
        assert region.x_min_m <= x <= region.x_max_m and region.y_min_m <= y <= region.y_max_m


def test_clear_faults_restores_the_healthy_lab(follower):
    faults.swap_camera_cables(follower.lab)
    faults.displace_start_pose(follower.lab)
    faults.change_scene_look(follower.lab)
    faults.move_object_distribution(follower.lab)
    assert follower.lab.faults.any
    faults.clear_faults(follower.lab)
    assert follower.lab.faults == LabFaults()
    assert follower.lab.faults.object_region == DEFAULT_OBJECT_REGION
