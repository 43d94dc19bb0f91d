"""Home reset on a real simulated station process: the verdict, the guided reset, the automatic move, the emergency
stop.

The station runs exactly as the app starts it (MuJoCo follower and simulated leader behind
lerobot's interfaces, the station's own control loop and safety gate at 30 Hz).
"""

from __future__ import annotations

import pytest

from core.errors import StationError
from core.sim.faults import DISPLACED_START_OFFSETS_DEG, OPEN_GRIPPER_PERCENT
from core.sim.lab import SIM_HOME_POSE
from core.so101 import GRIPPER
from core.start_pose.pose import move_home_target, verdict_for_station
from testkit.waiting import wait_for
from tests.start_pose.conftest import make_profile

PROFILE = make_profile({motor: (value, 1.0) for motor, value in SIM_HOME_POSE.items()}, closed_threshold=30.0)
SPEED_DEG_S = 30.0


@pytest.fixture
def displaced(station):
    """The arm left away from the start pose with its gripper open, as the sidebar's fault button does."""
    station.set_mirror(False)
    station.stop_motion()
    station.inject_fault("displace_start_pose")
    wait_for(lambda: abs(station.state().follower_pos[GRIPPER] - OPEN_GRIPPER_PERCENT) < 1.0, 60, "the gripper open")
    yield station
    if station.state().estopped:
        station.release_emergency_stop()
    station.set_mirror(False)
    station.stop_motion()
    station.inject_fault("clear_faults")


@pytest.mark.slow
def test_a_displaced_start_pose_is_no_go_naming_the_joints_and_the_open_gripper(displaced):
    verdict = verdict_for_station(displaced.state(), PROFILE)
    assert not verdict.go
    named = {move.split(":")[0] for move in verdict.moves}
    assert named == {*DISPLACED_START_OFFSETS_DEG, GRIPPER}  # wrist_roll was not displaced
    directions = {move.split(":")[0]: move.split(":")[1].split(" by ")[0].strip() for move in verdict.moves}
    assert directions == {
        "shoulder_pan": "decrease",
        "shoulder_lift": "decrease",
        "elbow_flex": "increase",
        "wrist_flex": "increase",
        "gripper": "close",
    }
    assert verdict.gripper_note.startswith("The gripper is open")
    assert verdict.distance == pytest.approx(35.0, abs=1.0)


@pytest.mark.slow
def test_the_follower_mirrors_the_leader_back_to_go_and_the_deltas_follow(displaced):
    displaced_pose = dict(displaced.state().follower_pos)
    displaced.set_leader(displaced_pose)  # the operator takes hold of the leader where the arm is
    displaced.set_mirror(True)
    before = verdict_for_station(displaced.state(), PROFILE)
    with pytest.raises(StationError, match="Leader mirroring is on"):
        displaced.move_home(move_home_target(displaced.state(), PROFILE))
    for fraction in (0.5, 1.0):  # the operator moves the leader home in two motions
        pose = {m: displaced_pose[m] + fraction * (SIM_HOME_POSE[m] - displaced_pose[m]) for m in SIM_HOME_POSE}
        displaced.set_leader(pose)
        wait_for(lambda pose=pose: abs(displaced.state().follower_pos["elbow_flex"] - pose["elbow_flex"]) < 1.0, 60)
        verdict = verdict_for_station(displaced.state(), PROFILE)
        elbow = next(joint for joint in verdict.joints if joint.motor == "elbow_flex")
        assert elbow.leader == pytest.approx(pose["elbow_flex"], abs=0.01)
        assert elbow.delta == pytest.approx(pose["elbow_flex"] - SIM_HOME_POSE["elbow_flex"], abs=1.0)
    assert not before.go
    wait_for(lambda: verdict_for_station(displaced.state(), PROFILE).go, timeout_s=60, what="GO")


@pytest.mark.slow
def test_the_automatic_move_reaches_go_with_no_step_above_the_limit(displaced):
    """GO, then idle, with every commanded step within the speed limit; how long it takes is bench/home_reset_bench.py's
    figure (GO within the plan's duration), not a threshold here."""
    state = displaced.state()
    period_s = 1.0 / state.fps
    displaced.move_home(move_home_target(state, PROFILE), max_speed_deg_s=SPEED_DEG_S)
    samples, reached = [], {}

    def go_and_idle() -> bool:
        state = displaced.state()
        if not samples or state.published_at != samples[-1].published_at:
            samples.append(state)
        if state.activity:
            reached["progress"] = state.activity
        if "go" not in reached and verdict_for_station(state, PROFILE).go:
            reached["go"] = state
        return "go" in reached and state.mode == "idle" and any(s.mode == "move_home" for s in samples)

    wait_for(go_and_idle, 120, "GO and the move's end", interval_s=0.005)
    state, progress = samples[-1], reached["progress"]
    print(
        f"GO at {reached['go'].activity.get('elapsed_s')} s of the move; planned {progress['duration_s']} s; largest "
        f"step arm {progress['max_arm_step']}°, gripper {progress['max_gripper_step']}"
    )
    assert verdict_for_station(state, PROFILE).go
    assert state.mode == "idle" and not state.error
    # what the move asked for, every tick: never faster than the speed limit (30°/s = 1°/tick; gripper 50/s)
    assert progress["max_arm_step"] <= SPEED_DEG_S * period_s + 1e-6
    assert progress["max_gripper_step"] <= 50.0 * period_s + 1e-6
    # what the station actually sent, between the snapshots seen (n control ticks apart: at most n steps), far below
    # the gate's 10
    moving = [
        s for s in samples if s.mode == "move_home" and s.activity.get("elapsed_s", 0) > 0 and s.last_sent
    ]  # last_sent is the move's
    pairs = [
        (max(1, round((b.activity["elapsed_s"] - a.activity["elapsed_s"]) * state.fps)), a.last_sent, b.last_sent)
        for a, b in zip(moving, moving[1:])
    ]
    assert len(pairs) > 10, "too few snapshots of the move"
    for ticks, a, b in pairs:
        assert max(abs(b[m] - a[m]) for m in a if m != GRIPPER) <= ticks * SPEED_DEG_S * period_s + 1e-3
    # the gripper stays as it was while the arm moves (nothing held is dropped), and only then closes
    arm_phase = [s for s in samples if s.activity and s.activity["elapsed_s"] < 0.9 * s.activity["duration_s"] / 2]
    assert arm_phase and all(abs(s.last_sent[GRIPPER] - OPEN_GRIPPER_PERCENT) < 0.5 for s in arm_phase if s.last_sent)


@pytest.mark.slow
def test_the_emergency_stop_halts_the_move_and_the_hold_is_the_last_command(displaced):
    """After the press the station commands the arm to hold, and commands nothing after that: the hold is the last
    command. The arm itself decelerates: it may coast a little past the hold point (under a degree at 30°/s), then it
    comes back and rests there. (The press-to-hold latency, under 100 ms, is bench/home_reset_bench.py's figure.)"""
    displaced.move_home(move_home_target(displaced.state(), PROFILE), max_speed_deg_s=SPEED_DEG_S)
    wait_for(lambda: displaced.state().activity.get("fraction", 0) > 0.2, 60, "the arm moving at speed")
    displaced.emergency_stop()
    samples = []

    def one_second_latched() -> bool:
        state = displaced.state()
        if state.estopped and (not samples or state.published_at != samples[-1].published_at):
            samples.append(state)
        return len(samples) >= 30  # 30 snapshots of the 30 Hz loop since the latch

    wait_for(one_second_latched, 60, "one second of latched snapshots", interval_s=0.003)
    hold = samples[0].last_sent
    assert all(s.last_sent == hold and s.mode == "idle" and not s.activity for s in samples), "a command after the hold"
    timings = displaced.timings()
    assert timings.estop_received_at <= timings.estop_hold_at  # the hold reached the arm after the press, not before

    def off_hold(state) -> float:
        return max(abs(state.follower_pos[m] - hold[m]) for m in hold)

    assert max(off_hold(s) for s in samples) < 2.0, "the arm coasted far past the hold point"
    wait_for(lambda: off_hold(displaced.state()) < 0.5, 30, "the arm back at the hold point")
    with pytest.raises(StationError, match="Emergency stop is latched"):
        displaced.move_home(move_home_target(displaced.state(), PROFILE))
