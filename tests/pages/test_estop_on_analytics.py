"""The sidebar's emergency stop on the Analytics page stops a policy episode that is running on the station.

An operator watching the figures while an episode runs presses EMERGENCY STOP there, without switching pages.
The episode runs on the simulated station (its MuJoCo servos and cameras are the only fakes, at the hardware
boundary) with the demo ACT checkpoint, started through the station client as the Deploy page starts it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.sim.lab import SIM_HOME_POSE
from core.station.config import demo_station_config
from core.station.run_settings import RunSettings
from testkit.stations import demo_workspace, running_station
from testkit.waiting import wait_for
from tests.conftest import running_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_emergency_stop_on_analytics_aborts_the_running_episode_and_the_arm_holds(
    page: Page, tmp_path: Path, demo_assets
):
    workspace = demo_workspace(tmp_path / "workspace", demo_assets)
    # Camera guards loosened: on a loaded 2-core machine a browser starting beside the station can starve the simulated
    # cameras past the 0.5 s stale limit, which would end the episode before the press (tests/faults tests them).
    config = dataclasses.replace(demo_station_config(), stale_frame_s=10.0, camera_skew_s=10.0, camera_lost_s=120.0)
    with running_station(workspace, config) as station:
        with running_app(workspace.root) as url:
            page.goto(f"{url}/analytics")
            # with a run recording its first episode the page has no figures yet: it says so, under its own heading
            expect(page.get_by_role("heading", name="Analytics")).to_be_visible(timeout=120_000)
            expect(page.get_by_role("combobox", name="Training profile")).to_be_visible(timeout=120_000)
            settings = RunSettings(
                policy_dir=str(demo_assets.checkpoint_dir),
                task="Grab the brain",
                episode_time_s=600.0,  # far longer than the test: only the e-stop can end it
                start_pose=dict(SIM_HOME_POSE),
                training_dataset=str(workspace.demo_dataset),
            )
            station.start_run(settings)
            ready = wait_for(
                lambda: (s := station.run_status()).phase in ("ready", "failed") and s, 180, "the run ready"
            )
            assert ready.phase == "ready", ready.message
            wait_for(lambda: station.state().mode == "idle", 60, "the station idle")
            station.start_episode()
            wait_for(lambda: station.run_status().frames >= 5, 180, "5 frames of the episode recorded")
            running = station.run_status()
            assert running.episode_index is not None and not running.episodes, f"ended before the press: {running}"
            frames_before_press = running.frames
            page.get_by_role("button", name="EMERGENCY STOP", exact=True).click()

            outcome = wait_for(
                lambda: (s := station.run_status()).phase == "ready" and s.episodes and s.episodes[-1],
                60,
                "the episode to end",
            )
            assert outcome.status == "aborted" and outcome.reason == "emergency stop"
            assert outcome.frames >= frames_before_press
            expect(page.get_by_text("Emergency stop latched").first).to_be_visible(timeout=30_000)

            # The arm holds: from the press on, the station sends one command, the hold, and the arm settles on it.
            timings = station.timings()
            assert timings.estop_received_at is not None and timings.estop_hold_at >= timings.estop_received_at
            snapshots: list = []

            def thirty_snapshots() -> bool:
                state = station.state()
                if not snapshots or state.published_at != snapshots[-1].published_at:
                    snapshots.append(state)
                return len(snapshots) >= 30  # one second of the 30 Hz loop

            wait_for(thirty_snapshots, 60, "one second of station snapshots", interval_s=0.01)
            hold = snapshots[0].last_sent
            assert all(s.estopped and s.last_sent == hold for s in snapshots), "a command after the hold"
            assert all(s.mode == "idle" and not s.activity for s in snapshots)
            wait_for(
                lambda: max(abs(station.state().follower_pos[m] - hold[m]) for m in hold) < 0.5,
                30,
                "the arm at the hold point",
            )
            assert station.run_status().episode_index is None  # nothing started again
