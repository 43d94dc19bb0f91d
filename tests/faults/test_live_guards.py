"""Live guards during a policy episode on the simulated station (its cameras are the only fake: pulling a
simulated cable is the hardware boundary): a stale camera pauses the episode naming it, the arm holding, and the
episode goes on when frames flow again; a camera gone for good ends it; every episode stores its timing report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core import codec
from core.station import launcher
from core.station.config import demo_station_config
from core.station.episode_timing import STAGES, TIMING_FILE
from testkit.waiting import wait_for
from tests.faults.conftest import run_phase, run_settings, start_episode

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(demo_workspace):
    client = launcher.start(demo_station_config(), demo_workspace)
    yield client
    launcher.stop("demo", demo_workspace)


def last_outcome(client):
    return wait_for(
        lambda: (status := client.run_status()).phase == "ready" and status.episodes and status.episodes[-1],
        90,
        "the episode's outcome",
    )


def test_a_stale_camera_pauses_the_episode_naming_it_and_the_arm_holds(client, demo_assets):
    start_episode(client, run_settings(demo_assets.checkpoint_dir), min_frames=30)
    client.inject_fault("unplug_camera", device="sim:cam1")
    try:
        paused = wait_for(lambda: client.run_status().paused, 30, "the episode paused")
        assert "wrist" in paused
        held = client.state().follower_pos
        frames = client.run_status().frames
        wait_for(lambda: client.state().camera("wrist").health in ("stale", "lost"), 30, "the wrist camera stale")
        assert all(abs(client.state().follower_pos[m] - held[m]) < 1.0 for m in held), "the arm moved while paused"
        assert client.run_status().frames == frames, "frames were recorded while paused"
    finally:
        client.inject_fault("plug_camera", device="sim:cam1")
    wait_for(lambda: not client.run_status().paused and client.run_status().frames > frames, 30, "the episode resumed")
    client.stop_episode()
    outcome = last_outcome(client)
    assert outcome.status == "recorded"
    timing = outcome.timing
    assert {stage.stage for stage in timing.stages} == {*STAGES, "period"}
    assert all(stage.samples > 0 and stage.p99_ms >= stage.p50_ms for stage in timing.stages)
    stored = (Path(client.run_status().dataset_root) / "meta" / TIMING_FILE).read_text().splitlines()
    assert codec.from_json(type(timing), json.loads(stored[-1])) == timing, (
        "the timing report is not stored with the episode"
    )
    client.end_run()
    run_phase(client, "ended", "failed")


def test_a_camera_gone_for_good_ends_the_episode_as_lost_naming_it(client, demo_assets):
    start_episode(client, run_settings(demo_assets.checkpoint_dir), min_frames=30)
    client.inject_fault("unplug_camera", device="sim:cam0")
    try:
        outcome = last_outcome(client)
    finally:
        client.inject_fault("plug_camera", device="sim:cam0")
    assert (
        outcome.status == "aborted"
        and outcome.reason.startswith("interrupted: camera lost")
        and "front" in outcome.reason
    )
    client.end_run()
    run_phase(client, "ended", "failed")
