"""Home reset on a real simulated station process: the verdict, the guided reset, the automatic move, the emergency
stop.

The station runs exactly as the app starts it (MuJoCo follower and simulated leader behind
lerobot's interfaces, the station's own control loop and safety gate at 30 Hz).
"""

from __future__ import annotations

import time

import pytest

from core.errors import StationError
from core.sim.faults import DISPLACED_START_OFFSETS_DEG, OPEN_GRIPPER_PERCENT
from core.sim.lab import SIM_HOME_POSE
from core.so101 import GRIPPER
from core.start_pose.pose import move_home_target, verdict_for_station
from testkit.waiting import wait_for
from tests.start_pose.conftest import GO_WITHIN_S, make_profile

PROFILE = make_profile({motor: (value, 1.0) for motor, value in SIM_HOME_POSE.items()}, closed_threshold=30.0)
SPEED_DEG_S = 30.0
ESTOP_HALT_S = 0.1


@pytest.fixture
def displaced(station):
    """The arm left away from the start pose with its gripper open, as the sidebar's fault button does."""
    station.set_mirror(False)
    station.stop_motion()
    station.inject_fault("displace_start_pose")
    wait_for(lambda: abs(station.state().follower_pos[GRIPPER] - OPEN_GRIPPER_PERCENT) < 1.0)
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
        wait_for(lambda pose=pose: abs(displaced.state().follower_pos["elbow_flex"] - pose["elbow_flex"]) < 1.0)
        verdict = verdict_for_station(displaced.state(), PROFILE)
        elbow = next(joint for joint in verdict.joints if joint.motor == "elbow_flex")
        assert elbow.leader == pytest.approx(pose["elbow_flex"], abs=0.01)
        assert elbow.delta == pytest.approx(pose["elbow_flex"] - SIM_HOME_POSE["elbow_flex"], abs=1.0)
    assert not before.go
    wait_for(lambda: verdict_for_station(displaced.state(), PROFILE).go, timeout_s=5)


@pytest.mark.slow
def test_the_automatic_move_reaches_go_in_time_with_no_step_above_the_limit(displaced):
    state = displaced.state()
    period_s = 1.0 / state.fps
    started = time.monotonic()
    displaced.move_home(move_home_target(state, PROFILE), max_speed_deg_s=SPEED_DEG_S)
    samples, go_after_s, progress = [], None, {}
    while time.monotonic() - started < GO_WITHIN_S + 4:
        state = displaced.state()
        if not samples or state.published_at != samples[-1].published_at:
            samples.append(state)
        progress = state.activity or progress
        if go_after_s is None and verdict_for_station(state, PROFILE).go:
            go_after_s = time.monotonic() - started
        if go_after_s is not None and state.mode == "idle":
            break
        time.sleep(0.005)
    print(
        f"GO after {go_after_s:.2f} s; planned {progress['duration_s']} s; largest step arm "
        f"{progress['max_arm_step']}°, gripper {progress['max_gripper_step']}"
    )
    assert go_after_s is not None and go_after_s < GO_WITHIN_S
    assert state.mode == "idle" and not state.error
    # what the move asked for, every tick: never faster than the speed limit (30°/s = 1°/tick; gripper 50/s)
    assert progress["max_arm_step"] <= SPEED_DEG_S * period_s + 1e-6
    assert progress["max_gripper_step"] <= 50.0 * period_s + 1e-6
    # what the station actually sent, between snapshots one control tick apart: the same bound, far below the gate's 10
    moving = [
        s for s in samples if s.mode == "move_home" and s.activity.get("elapsed_s", 0) > 0
    ]  # last_sent is the move's
    one_tick = [
        (a, b)
        for a, b in zip(moving, moving[1:])
        if round((b.activity["elapsed_s"] - a.activity["elapsed_s"]) * state.fps) == 1
    ]
    sent = [(a.last_sent, b.last_sent) for a, b in one_tick]
    assert len(sent) > 60
    arm_steps = [abs(b[m] - a[m]) for a, b in sent for m in a if m != GRIPPER]
    assert max(arm_steps) <= SPEED_DEG_S * period_s + 1e-3
    # the gripper stays as it was while the arm moves (nothing held is dropped), and only then closes
    arm_phase = [s for s in samples if s.activity and s.activity["elapsed_s"] < 0.9 * s.activity["duration_s"] / 2]
    assert arm_phase and all(abs(s.last_sent[GRIPPER] - OPEN_GRIPPER_PERCENT) < 0.5 for s in arm_phase if s.last_sent)


@pytest.mark.slow
def test_the_emergency_stop_halts_the_move_within_100_ms(displaced):
    """Within 100 ms of the press the station commands the arm to hold, and commands nothing after that.

    The arm itself decelerates: it may coast a little past the hold point (under a degree at
    30°/s), but from 100 ms on it only returns to the hold point and then rests there.
    """
    displaced.move_home(move_home_target(displaced.state(), PROFILE), max_speed_deg_s=SPEED_DEG_S)
    wait_for(lambda: displaced.state().activity.get("fraction", 0) > 0.2)  # the arm is moving at speed
    pressed = time.time()
    displaced.emergency_stop()
    samples = []
    while time.time() - pressed < 1.0:
        state = displaced.state()
        if not samples or state.published_at != samples[-1].published_at:
            samples.append(state)
        time.sleep(0.003)
    # the hold command (the present position) is the last command sent: the first snapshot that shows it (or a later
    # one,
    # if polling missed that tick, which only overstates the latency)
    hold = next(s for s in samples if s.estopped and s.last_sent == samples[-1].last_sent)
    print(f"hold commanded {1000 * (hold.published_at - pressed):.0f} ms after the press")
    assert hold.published_at - pressed <= ESTOP_HALT_S
    after = [s for s in samples if s.published_at >= hold.published_at]
    assert all(s.last_sent == hold.last_sent and s.estopped and s.mode == "idle" and not s.activity for s in after)

    def off_hold(state) -> float:
        return max(abs(state.follower_pos[m] - hold.last_sent[m]) for m in hold.last_sent)

    coasting = max(off_hold(s) for s in after if s.published_at - pressed <= ESTOP_HALT_S)
    later = [off_hold(s) for s in after if s.published_at - pressed > ESTOP_HALT_S]
    assert coasting < 2.0 and max(later) <= coasting + 0.05, "the arm kept moving away after 100 ms"
    assert later[-1] < 0.5, "the arm did not come back to the hold point"
    with pytest.raises(StationError, match="Emergency stop is latched"):
        displaced.move_home(move_home_target(displaced.state(), PROFILE))
