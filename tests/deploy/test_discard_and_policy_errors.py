"""Discard episode and a policy that raises, on the simulated station with the demo ACT checkpoint.

A discarded episode keeps its frames, is registered as discarded, awaits no decision and counts in no success rate
(docs/pages/deploy.md, docs/registry.md). A policy exception ends the episode at once with the reason
"policy error: ...", the arm holding where it is (docs/pages/deploy.md#failure-handling).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file

from core.analytics.view import fleet
from core.registry import Registry
from testkit.waiting import wait_for
from tests.deploy.conftest import run_phase, settings_for

pytestmark = pytest.mark.slow


def start_recording(station, min_frames: int = 5) -> int:
    """Start an episode and wait until it has `min_frames` frames; returns how many episodes the run had before."""
    wait_for(lambda: station.state().mode == "idle", 60, "the station idle")
    before = len(station.run_status().episodes)
    station.start_episode()
    wait_for(lambda: station.run_status().frames >= min_frames, 120, f"{min_frames} frames recorded")
    return before


def episode_after(station, before: int):
    """The outcome of the episode that ends after `before` episodes, once the run is ready again (a run that fails
    instead fails the test with its message)."""

    def ended():
        status = station.run_status()
        return (status.phase == "failed" or (len(status.episodes) > before and status.phase == "ready")) and status

    status = wait_for(ended, 120, "the episode's end")
    assert status.phase == "ready", status.message
    return status.episodes[-1]


def test_a_discarded_episode_keeps_its_frames_awaits_no_decision_and_counts_in_no_rate(station, demo_assets):
    station.start_run(settings_for(demo_assets.checkpoint_dir, episode_time_s=20.0))
    ready = run_phase(station, "ready", "failed")
    assert ready.phase == "ready", ready.message

    before = start_recording(station)
    station.discard_episode()
    discarded = episode_after(station, before)
    assert (discarded.status, discarded.reason) == ("discarded", "discarded by the operator")
    assert discarded.frames >= 5 and discarded.registry_id is not None

    registry = Registry.open()
    (row,) = registry.episode_rows(run_id=ready.run_id)
    assert (row.episode_id, row.status, row.outcome) == (discarded.registry_id, "discarded", None)
    assert row.length_frames == discarded.frames and row.abort_reason is None
    assert registry.untagged_episodes(run_id=ready.run_id) == []  # a discarded episode awaits no decision...

    before = start_recording(station)  # ...so the next one starts without one
    station.stop_episode()
    kept = episode_after(station, before)
    assert kept.status == "recorded"
    assert [e.id for e in registry.untagged_episodes(run_id=ready.run_id)] == [kept.registry_id]
    registry.tag_episode(kept.registry_id, "success")
    station.end_run()
    ended = run_phase(station, "ended", "failed")
    assert ended.phase == "ended", ended.message

    from lerobot.datasets import LeRobotDataset

    dataset = LeRobotDataset(Path(ended.dataset_root).name, root=ended.dataset_root, video_backend="pyav")
    assert dataset.num_episodes == 2, "the discarded episode's frames were dropped"  # nothing recorded is lost
    assert list(dataset.meta.episodes["length"]) == [discarded.frames, kept.frames]

    rows = registry.episode_rows(run_id=ended.run_id)
    assert [(r.status, r.outcome) for r in rows] == [("discarded", None), ("recorded", "success")]
    lab = fleet(rows)  # left out of the success rates: one episode, judged a success
    assert list(lab.runs["episodes"]) == [1] and list(lab.runs["judged"]) == [1] and list(lab.runs["rate"]) == [1.0]
    assert list(lab.per_station["episodes"]) == [1] and list(lab.per_station["rate"]) == [1.0]


def raising_checkpoint(source: Path, folder: Path) -> Path:
    """The demo checkpoint with its state statistics cut to five joints: lerobot loads it (nothing checks their
    shape), and normalising the arm's six-joint state raises inside the policy's inference."""
    shutil.copytree(source, folder)
    (stats_file,) = folder.glob("policy_preprocessor_step_*_normalizer_processor.safetensors")
    stats = load_file(stats_file)
    cut = {key: value[:5] if key.startswith("observation.state.") else value for key, value in stats.items()}
    assert any(cut[key].shape != stats[key].shape for key in stats), sorted(stats)
    save_file(cut, stats_file)
    return folder


def test_a_policy_exception_aborts_the_episode_with_its_reason_and_the_arm_holds(station, demo_assets, tmp_path):
    broken = raising_checkpoint(demo_assets.checkpoint_dir, tmp_path / "raising_checkpoint")
    station.start_run(settings_for(broken, episode_time_s=20.0))
    ready = run_phase(station, "ready", "failed")
    assert ready.phase == "ready", ready.message  # the run opens: the fault shows only when the policy runs
    wait_for(lambda: station.state().mode == "idle", 60, "the station idle")
    before_pose = station.state().follower_pos

    station.start_episode()
    outcome = episode_after(station, 0)
    assert outcome.status == "aborted"
    assert outcome.reason.startswith("policy error: RuntimeError: "), outcome.reason
    assert "must match the size" in outcome.reason  # torch's own message, as the operator reads it
    status = station.run_status()
    assert status.phase == "ready" and f"aborted: {outcome.reason.rstrip('.')}" in status.message
    after_pose = station.state().follower_pos
    assert all(abs(after_pose[m] - before_pose[m]) < 1.0 for m in before_pose), "the failing policy moved the arm"
    assert station.state().mode != "rollout"  # the station has the arm back

    station.end_run()
    assert run_phase(station, "ended", "failed").phase == "ended"
