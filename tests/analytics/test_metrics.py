"""Per-episode and per-dataset metrics equal the values the datasets were built with (tests/analytics/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from core.analytics.metrics import Reference, _grouped_percentile, dataset_fingerprint, dataset_metrics, episode_frames
from core.analytics.runs import find_recordings, join_registry, success_table
from core.analytics.stats import wilson_interval
from core.errors import DatasetError
from core.registry import Registry
from core.rules.start_pose import start_pose_distance, start_pose_targets
from tests.analytics.conftest import CLOSED_ACTION_FRAMES, FRAMES, SPIKE_EPISODE, START_OFFSETS


@pytest.fixture(scope="session")
def reference(profile) -> Reference:
    return Reference.of_profile(profile)


@pytest.fixture(scope="session")
def training(training_dir: Path, reference: Reference):
    return dataset_metrics(training_dir, reference)


def test_gripper_metrics_per_training_episode(training) -> None:
    episodes = training.episodes
    assert list(episodes["episode_index"]) == [0, 1, 2, 3, 4, 5]
    assert list(episodes["length_frames"]) == [FRAMES] * 6
    assert list(episodes["task"]) == ["Grab the brain"] * 6
    assert list(episodes["closed_fraction_action"]) == [k / FRAMES for k in CLOSED_ACTION_FRAMES]
    assert list(episodes["closed_fraction_state"]) == [(k + 2) / FRAMES for k in CLOSED_ACTION_FRAMES]
    assert list(episodes["mean_gripper_action"]) == [60.0 * (FRAMES - k) / FRAMES for k in CLOSED_ACTION_FRAMES]
    assert list(episodes["most_closed_gripper_action"]) == [0.0] * 6
    assert training.closed_fraction_action == 0.5  # 72 closed action frames of 144
    assert training.closed_fraction_state == 84 / 144
    assert training.mean_gripper_action == 30.0


def test_action_jumps_per_episode_and_pooled(training) -> None:
    episodes = training.episodes
    # every jump of joint j is j + 1, except the spike: shoulder_pan jumps 13 then 11 in episode 1
    for j, motor in enumerate(["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll"]):
        expected_p95 = [float(j + 1)] * 6
        expected_max = [float(j + 1)] * 6
        if motor == "shoulder_pan":
            expected_p95[SPIKE_EPISODE] = 10.0  # sorted 21 x 1, 11, 13: position 0.95 x 22 = 20.9 -> 1 + 0.9 x 10
            expected_max[SPIKE_EPISODE] = 13.0
        assert list(episodes[f"jump_p95.{motor}"]) == pytest.approx(expected_p95, abs=1e-9), motor
        assert list(episodes[f"jump_max.{motor}"]) == pytest.approx(expected_max, abs=1e-9), motor
    assert list(episodes["jump_p95.gripper"]) == [0.0] * 6  # one 60 among 23 pairs stays above the 95th percentile
    assert list(episodes["jump_max.gripper"]) == [60.0] * 6
    pan = training.jump("shoulder_pan")
    assert (pan.p95, pan.max) == (1.0, 13.0)  # 2 spikes among 138 pairs


def test_start_pose_distance_is_the_shared_definition(training, profile) -> None:
    episodes = training.episodes
    assert list(episodes["start_pose_distance_deg"]) == pytest.approx([abs(o) for o in START_OFFSETS])
    assert not episodes["start_pose_off"].any()
    assert list(episodes["start_gripper"]) == [2.0] * 6
    targets = start_pose_targets(profile.start_pose)
    home = {t.motor: t.mean for t in targets}
    moved = {**home, "elbow_flex": home["elbow_flex"] + 30.0}
    assert start_pose_distance(home, moved) == 30.0


def test_faulty_deployments_measure_their_fault(fault_dirs: dict[str, Path], reference: Reference) -> None:
    never = dataset_metrics(fault_dirs["gripper_never_closes"], reference)
    assert never.closed_fraction_action == 0.0
    assert list(never.episodes["most_closed_gripper_action"]) == [60.0] * 3
    assert list(never.episodes["mean_gripper_action"]) == [60.0] * 3

    jumps = dataset_metrics(fault_dirs["action_jumps"], reference)
    assert list(jumps.episodes["jump_p95.shoulder_pan"]) == [13.0] * 3  # 4 chunk jumps of 13 among 23 pairs
    assert jumps.jump("shoulder_pan").max == 13.0

    start = dataset_metrics(fault_dirs["start_pose"], reference)
    assert list(start.episodes["start_pose_distance_deg"]) == pytest.approx([31.0, 28.5, 30.5])
    assert start.episodes["start_pose_off"].all()
    assert list(start.episodes["start_off_joints"]) == ["elbow_flex, gripper"] * 3
    assert list(start.episodes["start_gripper"]) == [40.0] * 3

    units = dataset_metrics(fault_dirs["unit_mismatch"], reference)
    assert units.joint_units.units == "ambiguous"
    assert set(units.beyond_range_fraction.values()) == {0.0}


def test_grouped_percentile_matches_numpy_for_any_groups() -> None:
    rng = np.random.default_rng(3)
    counts = np.array([0, 1, 2, 7, 0, 40, 3])
    values = rng.exponential(5.0, (counts.sum(), 4)).astype(np.float32)
    result = _grouped_percentile(values, counts, 95)
    start = 0
    for group, count in enumerate(counts):
        block = values[start : start + count]
        expected = np.percentile(block.astype(np.float64), 95, axis=0) if count else np.zeros(4)
        assert result[group] == pytest.approx(expected, abs=1e-9)
        start += count


def test_episode_frames_and_fingerprint(training_dir: Path) -> None:
    frames = episode_frames(training_dir, 2)
    assert frames["action"].shape == (FRAMES, 6)
    assert frames["action"][:, 5].tolist() == [0.0] * 18 + [60.0] * 6
    with pytest.raises(DatasetError, match="no episode 9"):
        episode_frames(training_dir, 9)
    assert dataset_fingerprint(training_dir) == dataset_fingerprint(training_dir)
    assert "file-000.parquet" in dataset_fingerprint(training_dir)


def test_registry_tags_join_episodes_and_give_success_rates(
    workspace, clean_dir: Path, sane_checkpoint: Path, reference
) -> None:
    registry = Registry.open()
    policy = registry.register_policy(sane_checkpoint)
    run = registry.start_run(
        policy.id,
        station="lab",
        dataset_root=clean_dir,
        task="Grab the brain",
        chunk_size=10,
        n_action_steps=5,
        fps=30,
        camera_mapping={"front": "0", "wrist": "1"},
    )
    started = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [registry.record_episode(run.id, clean_dir, i, length_frames=FRAMES, started_at=started).id for i in range(3)]
    registry.tag_episode(ids[0], "success")
    registry.tag_episode(ids[1], "failure", note="dropped it")
    metrics = dataset_metrics(clean_dir, reference)

    joined = join_registry(metrics.episodes, registry.episode_rows())
    assert list(joined["outcome"]) == ["success", "failure", "awaiting"]
    assert list(joined["chunk_size"]) == [10, 10, 10]
    assert joined["note"][1] == "dropped it"
    table = success_table(joined)
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["successes"], row["failures"], row["awaiting"], row["episodes"]) == (1, 1, 1, 3)
    assert row["rate"] == 0.5
    assert (row["low"], row["high"]) == wilson_interval(1, 2)
    assert row["policy"].startswith("act_brain@000090")

    unknown = join_registry(dataset_metrics(clean_dir, reference).episodes, [])
    assert set(unknown["outcome"]) == {"unknown"}
    assert success_table(unknown).empty
    assert clean_dir.resolve() in find_recordings(workspace, registry.episode_rows())
