"""The simulated lab's faults are physical, so they outlast a station restart as a lab's would: a cable swap stays
swapped, and the operator's compensating camera mapping still matches what the cameras see."""

from __future__ import annotations

import json

import pytest

from core.deploy.live_views import judge_live_views
from core.station.config import StationConfig, station_dir
from core.station.sim_controls import FAULTS_FILE
from core.training.profile import build_profile
from core.workspace import Workspace
from testkit.stations import running_station
from testkit.waiting import wait_for

SWAPPED_MAPPING = {"front": "sim:cam1", "wrist": "sim:cam0"}


@pytest.fixture(scope="module")
def profile(demo_assets):
    return build_profile(demo_assets.dataset_root, demo_assets.checkpoint_dir)


def camera_roles(station, profile) -> str:
    """The camera-role rule on the live frames: "ok" when each camera shows its training view."""
    return judge_live_views(station, station.state(), profile).camera_swap.severity


def restarted(workspace: Workspace):
    """The demo station started again from its saved config, as the sidebar's Start station does."""
    return running_station(workspace, StationConfig.load(workspace, "demo"))


def test_a_cable_swap_survives_a_restart_and_the_compensating_mapping_still_matches(
    fault_workspace: Workspace, profile
):
    with running_station(fault_workspace) as station:
        wait_for(lambda: camera_roles(station, profile) == "ok", 60, "the healthy lab's camera roles")
        station.inject_fault("swap_cables")
        wait_for(lambda: camera_roles(station, profile) == "critical", 30, "the cable swap seen by the role check")
        station.set_camera_mapping(SWAPPED_MAPPING)  # the operator compensates (the Cameras page's Swap cameras)
        wait_for(lambda: camera_roles(station, profile) == "ok", 30, "the compensated mapping")

    with restarted(fault_workspace) as station:
        assert station.sim_faults()["cables_swapped"], "the restart plugged the cables back"
        assert station.state().camera_mapping == SWAPPED_MAPPING
        wait_for(lambda: camera_roles(station, profile) == "ok", 60, "the mapping to match the cameras after it")
        kept = [event.message for event in station.state().events if event.kind == "fault"]
        assert any("camera cables swapped" in message for message in kept), kept
        station.inject_fault("unswap_cables")  # plugged back on purpose: that is kept too

    with restarted(fault_workspace) as station:
        assert not station.sim_faults()["cables_swapped"]


def test_every_physical_fault_is_kept_and_clearing_them_is_kept_too(fault_workspace: Workspace):
    with running_station(fault_workspace) as station:
        for fault in ("change_scene_look", "move_object_distribution", "displace_start_pose"):
            station.inject_fault(fault)
        station.inject_fault("unplug_camera", device="sim:cam1")
    saved = json.loads((station_dir(fault_workspace, "demo") / FAULTS_FILE).read_text())
    assert saved["format"] == 1 and saved["saved"]["start_pose"], saved

    with restarted(fault_workspace) as station:
        active = station.sim_faults()
        assert active["scene_look_changed"] and active["object_region_moved"] and active["start_pose_displaced"]
        assert active["unplugged"] == ["sim:cam1"]
        wait_for(lambda: station.state().camera("wrist").health in ("stale", "lost"), 30, "the unplugged camera silent")
        assert "camera unplugged" in active["summary"]
        station.inject_fault("clear_faults")

    with restarted(fault_workspace) as station:
        assert not station.sim_faults()["any"]
        wait_for(lambda: station.state().camera("wrist").health == "ok", 30, "the camera plugged back")


def test_an_unreadable_saved_state_starts_a_healthy_lab_and_says_so(fault_workspace: Workspace):
    station_dir(fault_workspace, "demo").mkdir(parents=True, exist_ok=True)
    (station_dir(fault_workspace, "demo") / FAULTS_FILE).write_text('{"format": 1, "saved": {"faults": 3}}')
    with running_station(fault_workspace) as station:
        assert not station.sim_faults()["any"]
        messages = [event.message for event in station.state().events if event.kind == "fault"]
        assert any("unreadable" in message for message in messages), messages
