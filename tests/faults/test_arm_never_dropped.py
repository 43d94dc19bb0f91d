"""Never drop the arm: however the station stops (the stop command, SIGTERM, SIGINT, the app that started it
gone), the arm is driven to its rest pose at the speed limit and only then disconnected with torque released.

The simulated lab's servos are the only fake (the hardware boundary); the station, its loop, its safety gate and
lerobot's robot contract are the real ones.
"""

from __future__ import annotations

import signal
from dataclasses import replace

import pytest

from core.sim.lab import SIM_HOME_POSE, get_lab
from core.station import launcher
from core.station.config import demo_station_config
from core.station.station import REST_TOLERANCE, Station
from testkit.stations import start_from_app_stand_in, station_pid
from testkit.waiting import wait_for
from tests.faults.conftest import (
    AWAY_FROM_REST,
    exit_record,
    kill,
    move_away_from_rest,
)

pytestmark = pytest.mark.slow


def near(pose: dict[str, float], target: dict[str, float], tolerance: float = REST_TOLERANCE) -> bool:
    return all(abs(pose[m] - target[m]) <= tolerance for m in target)


@pytest.mark.parametrize("torque_release", ["at_rest", "never"])
def test_the_last_commands_before_the_disconnect_reach_the_rest_pose(fault_workspace, torque_release):
    config = replace(
        demo_station_config(f"park-{torque_release}"),
        sim_options={"lab_id": f"park-{torque_release}"},
        torque_release=torque_release,
    )
    station = Station(config, fault_workspace)
    sent: list[dict[str, float]] = []
    order: list[str] = []
    robot = station.arm.robot
    send, disconnect = robot.send_action, robot.disconnect

    def recording_send(action):
        result = send(action)
        sent.append({key.removesuffix(".pos"): value for key, value in result.items()})
        return result

    def recording_disconnect():
        order.append(f"disconnect torque_off={robot.config.disable_torque_on_disconnect}")
        return disconnect()

    robot.send_action, robot.disconnect = recording_send, recording_disconnect
    station.start()
    lab = get_lab(config.sim_options["lab_id"])
    station.move_home(AWAY_FROM_REST, 120.0)
    wait_for(lambda: near(lab.joints(), AWAY_FROM_REST, 3.0), 60, "the arm away from rest")

    parking_from = len(sent)
    release = station.stop()

    assert order == [f"disconnect torque_off={torque_release == 'at_rest'}"]
    assert near(sent[-1], SIM_HOME_POSE, 0.01), "the last command before the disconnect is not the rest pose"
    assert release.reached_rest and near(release.position, SIM_HOME_POSE)
    parking = sent[parking_from - 1 :]
    steps = [max(abs(b[m] - a[m]) for m in a if m != "gripper") for a, b in zip(parking, parking[1:], strict=False)]
    assert max(steps) <= config.rest_speed_deg_s / config.fps + 0.05, "the move to rest broke the speed limit"
    assert lab.torque_enabled is (torque_release == "never")
    assert release.torque == ("released" if torque_release == "at_rest" else "held")


def test_an_emergency_stop_keeps_the_arm_under_torque_where_it_is(fault_workspace):
    config = replace(demo_station_config("park-estop"), sim_options={"lab_id": "park-estop"})
    station = Station(config, fault_workspace)
    station.start()
    lab = get_lab("park-estop")
    station.move_home(AWAY_FROM_REST, 120.0)
    wait_for(lambda: near(lab.joints(), AWAY_FROM_REST, 3.0), 60, "the arm away from rest")
    station.emergency_stop()
    release = station.stop()
    assert release.torque == "held" and not release.reached_rest
    assert lab.torque_enabled, "torque was released away from the rest pose"
    assert "Emergency stop" in release.message


STOPS = {
    "stop command": lambda workspace, app_pid: launcher.stop("demo", workspace),
    "SIGTERM": lambda workspace, app_pid: kill(station_pid(workspace), signal.SIGTERM),
    "SIGINT": lambda workspace, app_pid: kill(station_pid(workspace), signal.SIGINT),
    "the app that started the station is gone": lambda workspace, app_pid: kill(app_pid, signal.SIGKILL),
}


@pytest.mark.parametrize("how", list(STOPS))
def test_every_way_of_stopping_the_station_parks_the_arm_then_releases_it(fault_workspace, how):
    app_pid = start_from_app_stand_in(fault_workspace).pid
    client = launcher.connect("demo", fault_workspace)
    try:
        move_away_from_rest(client)
        STOPS[how](fault_workspace, app_pid)
        record = exit_record(fault_workspace)
    finally:
        kill_quietly(app_pid)
    assert record["clean"], record
    arm = record["arm"]
    assert arm["reason"] == how
    assert arm["reached_rest"] and arm["torque"] == "released", arm["message"]
    assert near(arm["last_sent"], SIM_HOME_POSE, 0.01), "the last command before the disconnect is not the rest pose"


def kill_quietly(pid: int) -> None:
    try:
        kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
