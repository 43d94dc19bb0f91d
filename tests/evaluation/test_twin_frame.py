"""The twin's start frame is the front camera's, wherever the station lists it (real simulated station, in process).

A station wired wrist first keeps the front view as an evaluation episode's start frame, and Home reset shows the
live front feed beside it; a station with no camera called front keeps its first.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from core.evaluation.twins import twin_camera
from core.station.config import demo_station_config
from core.station.policy_runs import start_frame_path
from core.station.station import Station
from core.workspace import Workspace
from testkit.waiting import wait_for

pytestmark = pytest.mark.slow


def pixels(jpeg: bytes, path) -> np.ndarray:
    path.write_bytes(jpeg)
    return np.asarray(Image.open(path).convert("L"), dtype=float)


def test_the_front_camera_gives_the_twin_frame_when_it_is_not_the_first(tmp_path):
    workspace = Workspace(tmp_path / "workspace").ensure()
    demo = demo_station_config("wrist-first")
    config = replace(demo, cameras=tuple(reversed(demo.cameras)), sim_options={"lab_id": "wrist-first"})
    assert [spec.name for spec in config.cameras] == ["wrist", "front"]
    station = Station(config, workspace)
    station.start()
    try:
        front, wrist = (wait_for(lambda c=c: station.frame(c, 0, 1.0), 30, f"a {c} frame") for c in ("front", "wrist"))
        station.runs._plan_slot = (1, 0)  # what start_episode sets for a plan's slot; the arm stays at rest
        station.runs._keep_start_frame()
        kept = start_frame_path(workspace, config.name, 1, 0).read_bytes()
    finally:
        station.stop()
    kept, front, wrist = (
        pixels(j, tmp_path / f"{n}.jpg") for n, j in [("kept", kept), ("f", front.jpeg), ("w", wrist.jpeg)]
    )
    assert np.abs(kept - front).mean() < np.abs(kept - wrist).mean() / 5  # the front view, not the wrist's
    assert twin_camera([spec.name for spec in config.cameras]) == "front"  # the live feed Home reset shows beside it


def test_without_a_camera_called_front_the_first_camera_is_the_twin_camera():
    assert twin_camera(["top", "wrist"]) == "top"
    assert twin_camera(["wrist", "front"]) == "front"
    assert twin_camera([]) is None
