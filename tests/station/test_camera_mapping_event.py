"""Swapping the camera mapping on a running station (the Cameras page's Swap cameras) is kept where analytics and
the operator look: a station note in its snapshot and a `camera_mapping_changed` event in the registry, each with
the mapping before and after; the new mapping is saved with the station's config."""

from __future__ import annotations

from core.registry import Registry
from core.station.config import StationConfig
from testkit.waiting import wait_for


def test_swapping_the_camera_mapping_logs_a_station_note_and_a_registry_event(station, station_workspace):
    wait_for(lambda: station.state().mode == "idle", 30, "the station idle")
    before = station.state().camera_mapping
    swapped = dict(zip(before, reversed(before.values())))  # what the Cameras page's Swap cameras sends
    assert swapped != before

    assert station.set_camera_mapping(swapped).camera_mapping == swapped
    state = station.state()  # a note is published at once: the reply's snapshot already has it
    assert state.camera_mapping == swapped
    notes = [event.message for event in state.events if event.kind == "camera_mapping"]
    assert notes[-1] == f"camera mapping {before} -> {swapped}"
    assert StationConfig.load(station_workspace, station.name).camera_mapping == swapped

    station.set_camera_mapping(before)  # and back: each change is its own event, in order
    registry = Registry.open(f"sqlite:///{station_workspace.registry_path}")  # the station's registry file
    changes = [
        (e.payload, e.run_id) for e in registry.events(station=station.name) if e.kind == "camera_mapping_changed"
    ]
    assert changes == [({"before": before, "after": swapped}, None), ({"before": swapped, "after": before}, None)]
    notes = [event.message for event in station.state().events if event.kind == "camera_mapping"]
    assert notes[-2:] == [f"camera mapping {before} -> {swapped}", f"camera mapping {swapped} -> {before}"]
