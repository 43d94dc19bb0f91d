"""Policy episodes end to end on the simulated station with the demo ACT checkpoint.

The station runs lerobot's rollout engine; the recording is read back with lerobot's own
LeRobotDataset; tags go to a real SQLite registry in the test's workspace.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from core.errors import StationError
from core.registry import Registry
from core.training.planner import check_merge
from core.training.recording_setup import read_recording_setup
from testkit.builders import nan_checkpoint
from testkit.waiting import wait_for
from tests.deploy.conftest import run_phase, settings_for

pytestmark = pytest.mark.slow


def run_episode(station) -> object:
    wait_for(lambda: station.state().mode == "idle", 60, "the station idle")
    before = len(station.run_status().episodes)
    station.start_episode()
    return wait_for(
        lambda: (
            len((status := station.run_status()).episodes) > before and status.phase == "ready" and status.episodes[-1]
        ),
        120,
    )


def test_two_episodes_are_recorded_tagged_and_survive_a_restart(station, demo_assets, deploy_workspace):
    station.start_run(settings_for(demo_assets.checkpoint_dir))
    ready = run_phase(station, "ready", "failed")
    assert ready.phase == "ready", ready.message
    registry = Registry.open()
    first = run_episode(station)
    wait_for(lambda: station.state().mode == "idle", 60)
    with pytest.raises(StationError, match="needs a decision first"):
        station.start_episode()  # never a next episode while the last one has no decision
    registry.tag_episode(first.registry_id, "success", score=80, note="grasped on the second try")
    second = run_episode(station)
    registry.tag_episode(second.registry_id, "failure")
    assert (first.status, second.status) == ("recorded", "recorded")
    assert first.frames > 0 and second.frames > 0
    station.end_run()
    ended = run_phase(station, "ended", "failed")
    assert ended.phase == "ended", ended.message

    reopened = Registry.open()  # a new connection, as after a restart of the app
    rows = {row.episode_index: row for row in reopened.episode_rows(run_id=ended.run_id)}
    assert rows[0].outcome == "success" and rows[0].score == 80 and rows[0].note == "grasped on the second try"
    assert rows[1].outcome == "failure"
    assert (
        rows[0].task == "Grab the brain"
        and rows[0].chunk_size
        and rows[0].camera_mapping == {"front": "sim:cam0", "wrist": "sim:cam1"}
    )
    assert rows[0].start_pose_distance_deg is not None

    from lerobot.datasets import LeRobotDataset

    dataset = LeRobotDataset(Path(ended.dataset_root).name, root=ended.dataset_root, video_backend="pyav")
    assert dataset.num_episodes == 2
    assert dataset.num_frames == first.frames + second.frames
    assert dataset.meta.robot_type == "preflight_sim_follower"  # the real robot's type: it merges with training data
    declared = read_recording_setup(ended.dataset_root)  # the station declares its units beside info.json
    assert (declared.robot_type, declared.use_degrees, declared.calibration) == (
        "preflight_sim_follower",
        True,
        "follower",
    )
    frame = dataset[0]
    assert tuple(frame["observation.images.front"].shape) == (3, 240, 320)
    assert dataset.meta.tasks.index.tolist() == ["Grab the brain"]
    merge = check_merge(demo_assets.dataset_root, [ended.dataset_root])
    assert merge.ok, merge.problems  # same fps, robot type and features: lerobot's merge takes it into the training set


def test_emergency_stop_mid_episode_aborts_it_and_keeps_the_frames(station, demo_assets):
    station.start_run(settings_for(demo_assets.checkpoint_dir, episode_time_s=20.0))
    assert run_phase(station, "ready", "failed").phase == "ready"
    wait_for(lambda: station.state().mode == "idle", 60)
    station.start_episode()
    wait_for(lambda: station.run_status().frames >= 5, 120)
    station.emergency_stop()
    outcome = wait_for(
        lambda: (status := station.run_status()).phase == "ready" and status.episodes and status.episodes[-1], 60
    )
    assert outcome.status == "aborted" and outcome.reason == "emergency stop"
    assert outcome.frames >= 5
    # the arm holds: the hold is the last command (a second of snapshots after it), and the arm settles on it (it may
    # coast a little first: about 0.4 s of momentum in the simulator)
    snapshots: list = []

    def one_second_latched() -> bool:
        state = station.state()
        if state.estopped and (not snapshots or state.published_at != snapshots[-1].published_at):
            snapshots.append(state)
        return len(snapshots) >= 30

    wait_for(one_second_latched, 60, "a second of latched snapshots", interval_s=0.01)
    hold = snapshots[0].last_sent
    assert all(s.last_sent == hold for s in snapshots), "a command after the hold"
    wait_for(
        lambda: max(abs(station.state().follower_pos[m] - hold[m]) for m in hold) < 0.5, 30, "the arm at the hold point"
    )
    reasons = {row.episode_id: row.abort_reason for row in Registry.open().episode_rows()}
    assert reasons[outcome.registry_id] == "emergency stop"
    station.release_emergency_stop()
    station.end_run()
    assert run_phase(station, "ended", "failed").phase == "ended"


def test_a_nan_action_stops_the_arm_and_aborts_the_episode(station, demo_assets, tmp_path):
    broken = nan_checkpoint(demo_assets.checkpoint_dir, tmp_path / "nan_checkpoint")

    station.start_run(settings_for(broken))
    assert run_phase(station, "ready", "failed").phase == "ready"
    before = station.state().follower_pos
    outcome = run_episode(station)
    assert outcome.status == "aborted" and outcome.reason.startswith("interrupted: unsafe action at step")
    assert "nan" in outcome.reason.lower()
    after = station.state().follower_pos
    assert all(abs(after[m] - before[m]) < 1.0 for m in before), "a NaN action moved the arm"
    station.end_run()
    assert run_phase(station, "ended", "failed").phase == "ended"


def test_a_lost_camera_aborts_the_episode_and_keeps_the_frames(station, demo_assets):
    station.start_run(settings_for(demo_assets.checkpoint_dir, episode_time_s=20.0))
    assert run_phase(station, "ready", "failed").phase == "ready"
    wait_for(lambda: station.state().mode == "idle", 60)
    station.start_episode()
    wait_for(lambda: station.run_status().frames >= 5, 120)
    station.inject_fault("unplug_camera", device="sim:cam1")
    try:
        outcome = wait_for(
            lambda: (status := station.run_status()).phase == "ready" and status.episodes and status.episodes[-1], 60
        )
        assert outcome.status == "aborted" and outcome.reason.startswith("interrupted: camera lost")
        assert "wrist" in outcome.reason and outcome.frames >= 5
        assert station.state().camera("wrist").health in ("stale", "lost")
    finally:
        station.inject_fault("plug_camera", device="sim:cam1")
    station.end_run()
    assert run_phase(station, "ended", "failed").phase == "ended"


def test_act_chunks_after_the_first_are_computed_in_the_background(station, demo_assets, deploy_workspace):
    """The loop waits for the episode's first chunk only; every later one was asked for before the current ran out
    (core/station/prefetch.py). How much that keeps the frame rate is measured in bench/loop_bench.py."""
    station.start_run(settings_for(demo_assets.checkpoint_dir, n_action_steps=15, reset="none"))
    assert run_phase(station, "ready", "failed").phase == "ready"
    outcome = run_episode(station)
    timing = outcome.timing
    assert timing.chunks_inline == 1
    assert timing.chunks_inline + timing.chunks_prefetched == math.ceil(outcome.frames / 15)
