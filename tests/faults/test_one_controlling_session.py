"""Two browser sessions on one station, at the station: only the session in control moves the arm, starts runs or
re-maps cameras; the emergency stop works from any; Take control tells the holder; a silent holder's lease lapses.
(The same in two real browsers: test_two_browser_sessions.py.)"""

from __future__ import annotations

import pytest

from core.errors import StationError
from core.sim.lab import SIM_HOME_POSE
from core.station.control import ControlLease, ControlRefused
from core.station.run_settings import RunSettings
from testkit.waiting import wait_for

REFUSED = "Another browser session controls station 'demo'"


@pytest.fixture
def sessions(station):
    """Sessions A and B of one station; afterwards the station is idle, released, and nobody holds control."""
    wait_for(lambda: station.state().mode == "idle", 30, "the station idle")
    a, b = station.for_session("session-a"), station.for_session("session-b")
    yield a, b
    station.release_emergency_stop()
    station.stop_motion()
    for client in (a, b):
        client.release_control()


def near_here(station) -> dict[str, float]:
    """A move home target two degrees from where the arm is (inside its range)."""
    pan = station.state().follower_pos["shoulder_pan"]
    return {"shoulder_pan": pan + (2.0 if pan < 0 else -2.0)}


def test_the_first_session_to_act_holds_control_and_another_is_refused_but_may_stop_the_arm(station, sessions):
    a, b = sessions
    assert station.state().control.holder is None
    a.move_home(near_here(station))
    assert station.state().control.holder == "session-a"
    assert station.state().control.role_of("session-b") == "other"

    settings = RunSettings(policy_dir="/nowhere", task="Grab the brain", start_pose=dict(SIM_HOME_POSE))
    for refused in (
        lambda: b.move_home(near_here(station)),
        lambda: b.set_mirror(True),
        lambda: b.stop_motion(),
        lambda: b.set_camera_mapping({"front": "sim:cam1", "wrist": "sim:cam0"}),
        lambda: b.start_run(settings),
        lambda: b.set_leader({"shoulder_pan": 0.0}),
        lambda: b.inject_fault("swap_cables"),
        lambda: b.claim_control(),
    ):
        with pytest.raises(StationError, match=REFUSED):
            refused()
    assert station.state().camera_mapping == {"front": "sim:cam0", "wrist": "sim:cam1"}
    assert not station.sim_faults()["cables_swapped"]

    b.emergency_stop()  # never gated
    wait_for(lambda: station.state().estopped, 10, "the emergency stop from the session not in control")
    with pytest.raises(StationError, match=REFUSED):
        b.release_emergency_stop()
    a.release_emergency_stop()
    assert not station.state().estopped
    assert station.state().control.holder == "session-a"


def test_take_control_hands_it_over_and_tells_the_holder(station, sessions):
    a, b = sessions
    a.claim_control()
    taken = b.take_control()
    assert taken.holder == "session-b"
    seen_by_a = a.renew_control()  # what A's heartbeat reads
    assert seen_by_a.lost_by_session("session-a") and seen_by_a.lost_because == "taken"
    assert seen_by_a.role_of("session-a") == "other"
    assert any(event.kind == "control" and "Take control" in event.message for event in station.state().events)
    with pytest.raises(StationError, match=REFUSED):
        a.move_home(near_here(station))
    b.move_home(near_here(station))  # the new holder acts
    a.take_control()
    assert not a.renew_control().lost_by_session("session-a")
    assert b.renew_control().lost_by_session("session-b")


def test_a_silent_holder_loses_control_after_its_lease(station, sessions):
    _, b = sessions
    silent = station.for_session("silent-tab", lease_s=0.5)  # a tab closed without a word: no heartbeat follows
    silent.claim_control()
    assert station.state().control.holder == "silent-tab"
    wait_for(lambda: b.renew_control().holder is None, 10, "the silent session's lease to lapse")
    b.move_home(near_here(station))  # the first to act now holds control
    status = b.renew_control()
    assert status.holder == "session-b"
    assert status.lost_by == "silent-tab" and status.lost_because == "silent"


def test_a_program_with_the_station_key_is_never_refused(station, sessions):
    """The command line, scripts and tests act without a browser session; control arbitrates browser sessions."""
    a, _ = sessions
    a.claim_control()
    station.move_home(near_here(station))
    assert station.state().control.holder == "session-a"


def test_a_bad_lease_is_refused_with_a_message(station, sessions):
    with pytest.raises(StationError, match="control lease is a number of seconds"):
        station.for_session("session-c", lease_s=-1).claim_control()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_heartbeat_keeps_control_and_its_lapse_frees_it():
    clock = FakeClock()
    lease = ControlLease("demo", clock=clock)
    lease.claim("a", lease_s=1.0)
    for _ in range(5):  # heartbeats well inside the lease keep it
        clock.now += 0.8
        assert lease.renew("a", lease_s=1.0).holder == "a"
    assert lease.renew("b").holder == "a"  # another session's heartbeat does not renew or take it
    with pytest.raises(ControlRefused):
        lease.claim("b")
    clock.now += 1.5  # silent past its lease
    assert lease.status().holder is None
    assert lease.renew("a").holder is None  # a late heartbeat does not take it back: acting does
    assert lease.claim("a").holder == "a"
    assert lease.release("a").holder is None and lease.claim("b").lost_by is None  # released: nobody to tell
