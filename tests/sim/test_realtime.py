"""Realtime mode: the lab's own thread runs physics at wall-clock rate and renders the cameras."""

from __future__ import annotations

import time

import pytest

from core.sim.devices.sim_follower import SimFollower
from tests.sim.conftest import follower_config


def test_arm_reaches_a_goal_and_frames_keep_coming_while_the_caller_only_reads(lab_id):
    # frames up to 3 s old: on a 2-core machine busy with other tests the render thread can lag 0.8 s (not the point)
    robot = SimFollower(follower_config(lab_id, clock="realtime", camera_max_age_ms=3000))
    robot.connect()
    try:
        sim_start, wall_start = robot.lab.data.time, time.monotonic()
        robot.send_action({"shoulder_pan.pos": 20.0, "gripper.pos": 30.0})
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            joints = robot.get_observation()
            if abs(joints["shoulder_pan.pos"] - 20.0) < 1.0 and abs(joints["gripper.pos"] - 30.0) < 1.0:
                break
            time.sleep(0.05)
        assert joints["shoulder_pan.pos"] == pytest.approx(20.0, abs=1.0)
        # Simulated time follows the wall clock (never runs ahead of it).
        assert robot.lab.data.time - sim_start <= time.monotonic() - wall_start + 0.05
        first = robot.cameras["front"].async_read(timeout_ms=1000)
        second = robot.cameras["front"].async_read(timeout_ms=1000)
        assert first.shape == second.shape == (240, 320, 3)
        with pytest.raises(RuntimeError, match="its own thread advances time"):
            robot.lab.advance(0.1)
    finally:
        robot.disconnect()


def test_the_last_device_to_leave_stops_the_lab_thread(lab_id):
    robot = SimFollower(follower_config(lab_id, clock="realtime"))
    robot.connect()
    lab = robot.lab
    assert lab.running
    robot.disconnect()
    assert not lab.running
