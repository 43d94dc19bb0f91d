"""The compatibility corpus: every dataset shape found in the wild, built the way its writer wrote it
(testkit/corpus.py), read by `profile`, `profile --no-frames`, the Overview page and `diagnose` of the
dataset against itself, which must give no finding. Shapes Preflight cannot read get the message
they deserve, never a traceback and never "copy the dataset again" when that would not help."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.analytics.diagnosis import diagnose_paths
from core.cli import main as cli
from core.errors import DatasetError, DatasetNeedsConversion
from core.training.conversion import convert_v21
from core.training.dataset_files import open_dataset
from core.training.profile import build_profile
from testkit import corpus
from tests.training.conftest import LENGTHS, SHAPES, known_episodes, shape_root


@pytest.mark.parametrize("shape", SHAPES)
def test_every_readable_shape_profiles_and_diagnoses_clean_against_itself(
    corpus_dir: Path, shape: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the commands a user runs: `profile`, `profile --no-frames` and `diagnose` of the dataset against
    itself (the Overview page: tests/training/test_corpus_overview_page.py)."""
    root = shape_root(corpus_dir, shape)
    assert cli(["profile", "--dataset", str(root)]) == 0
    summary = capsys.readouterr().out
    assert "Traceback" not in summary and "provenance:" in summary
    assert cli(["profile", "--dataset", str(root), "--no-frames", "--json"]) == 0
    profile = json.loads(capsys.readouterr().out)
    assert profile["total_episodes"] >= 2 and profile["tasks"]
    assert len(profile["start_pose"]) == len(profile["state_names"])
    assert cli(["diagnose", "--training", str(root), "--deployment", str(root), "--json"]) == 0
    diagnosis = json.loads(capsys.readouterr().out)
    assert diagnosis["findings"] == [], [f"{f['id']}: {f['evidence']['sentence']}" for f in diagnosis["findings"]]


def test_tasks_written_as_a_pandas_index_read_like_lerobot(corpus_dir: Path) -> None:
    from lerobot.datasets.io_utils import load_tasks

    root = shape_root(corpus_dir, "tasks as an unnamed pandas index (lerobot <= 0.4)")
    expected = load_tasks(root).sort_values("task_index").index.tolist()
    assert list(open_dataset(root).tasks) == expected


@pytest.mark.parametrize("shape", ["videos declared but absent", "videos as Git LFS pointers"])
def test_unreadable_videos_turn_off_only_what_needs_frames(corpus_dir: Path, shape: str) -> None:
    profile = build_profile(corpus_dir / f"shape_{SHAPES.index(shape)}")
    assert [camera.reference_frames for camera in profile.cameras] == [(), ()]
    assert all(camera.frames_unavailable for camera in profile.cameras)
    said = [w for w in profile.warnings if "Camera frames cannot be read" in w]
    assert len(said) == 1 and "reference frames and the camera-role and scene checks are off" in said[0]
    if "LFS" in shape:
        assert "Git LFS pointers, not data: run `git lfs pull` in" in said[0]
    assert profile.gripper is not None and profile.action_jumps and profile.start_pose
    diagnosis = diagnose_paths(corpus_dir / f"shape_{SHAPES.index(shape)}", corpus_dir / f"shape_{SHAPES.index(shape)}")
    skipped = {check.id: check.reason for check in diagnosis.skipped}
    assert "camera frames cannot be read" in skipped["visual_shift"]


def test_data_files_as_lfs_pointers_say_git_lfs_pull(dataset_dir: Path, tmp_path: Path) -> None:
    root = corpus.as_lfs_pointers(corpus.copy_of(dataset_dir, tmp_path / "clone"), "data")
    with pytest.raises(
        DatasetError, match=r"these files are Git LFS pointers, not data: run `git lfs pull` in .*clone"
    ):
        build_profile(root)


@pytest.mark.parametrize("shape", ["names as one nested list", "names as {axes: [...]}", "names as {motors: [...]}"])
def test_names_in_every_writers_shape_are_the_joint_names(corpus_dir: Path, shape: str) -> None:
    profile = build_profile(shape_root(corpus_dir, shape), reference_frames=False)
    assert profile.state_names[0] == "shoulder_pan.pos" and profile.action_names[-1] == "gripper.pos"


def test_totals_that_disagree_are_a_warning_with_both_numbers(corpus_dir: Path) -> None:
    profile = build_profile(shape_root(corpus_dir, "info.json totals of a larger dataset"), reference_frames=False)
    assert profile.total_episodes == len(LENGTHS)
    assert any(
        "counts 105 episodes and 4000 frames" in w and f"lists {len(LENGTHS)} episodes" in w for w in profile.warnings
    )


def test_image_cameras_give_reference_frames(corpus_dir: Path) -> None:
    profile = build_profile(shape_root(corpus_dir, "cameras stored as images"))
    assert [camera.name for camera in profile.cameras] == ["front", "wrist"]
    assert all(len(camera.reference_frames) == len(LENGTHS) for camera in profile.cameras)


def test_a_dataset_without_cameras_says_so(corpus_dir: Path) -> None:
    diagnosis = diagnose_paths(shape_root(corpus_dir, "no cameras"), shape_root(corpus_dir, "no cameras"))
    reasons = {check.id: check.reason for check in diagnosis.skipped}
    assert reasons["visual_shift"] == "the training dataset has no cameras"


@pytest.mark.parametrize(
    "shape", ["a station recording killed mid-episode", "a PNG-frame recording killed mid-episode"]
)
def test_a_recording_killed_mid_episode_reads_its_saved_episodes(corpus_dir: Path, shape: str) -> None:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    root = shape_root(corpus_dir, shape)
    dataset = open_dataset(root)
    assert (dataset.total_episodes, dataset.interrupted_episode) == (2, 2)
    assert any("Episode 2 was interrupted" in note for note in dataset.notes)
    assert LeRobotDataset("local/rollout_corpus", root=root, video_backend="pyav").num_episodes == 2


def test_a_plain_lerobot_recording_killed_mid_run_says_it_was_not_finalized(tmp_path: Path) -> None:
    root = corpus.write_killed_recording(tmp_path / "rollout", saved_episodes=2, sealed=False)
    with pytest.raises(DatasetError) as error:
        open_dataset(root)
    message = str(error.value)
    assert "was not finalized" in message and "counts 2 episodes" in message and "episode 2" in message
    assert "copy the dataset again" not in message.lower()


def test_a_recording_killed_in_its_first_episode(tmp_path: Path) -> None:
    root = corpus.write_killed_recording(tmp_path / "rollout", saved_episodes=0, sealed=True)
    with pytest.raises(DatasetError, match="stopped during its first episode"):
        open_dataset(root)


def test_an_empty_dataset_says_it_is_empty(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="is empty: meta/info.json counts no episode"):
        open_dataset(corpus.write_empty(tmp_path / "empty"))


def test_a_folder_that_is_not_lerobot_says_so(tmp_path: Path) -> None:
    (tmp_path / "meta").mkdir()
    (tmp_path / "meta" / "info.json").write_text(json.dumps({"name": "my robot data", "version": 2}))
    with pytest.raises(DatasetError) as error:
        open_dataset(tmp_path)
    assert "is not a LeRobot dataset" in str(error.value) and "copy" not in str(error.value).lower()


def test_a_v21_dataset_converts_offline_into_a_readable_copy(tmp_path: Path, capsys) -> None:
    source = corpus.write_v21(tmp_path / "old", known_episodes())
    before = sorted(p.relative_to(source) for p in source.rglob("*"))
    with pytest.raises(DatasetNeedsConversion, match="python -m core convert --dataset"):
        build_profile(source)
    env_before = os.environ.get("HF_HUB_OFFLINE")
    assert cli(["convert", "--dataset", str(source)]) == 0
    assert env_before == os.environ.get("HF_HUB_OFFLINE")
    progress = capsys.readouterr().err
    assert "[0/5] converting the info" in progress and "[5/5] converted" in progress
    copy = tmp_path / "old_v30"
    profile = build_profile(copy)
    assert (profile.total_episodes, profile.total_frames) == (len(LENGTHS), sum(LENGTHS))
    assert profile.state_names[0] == "shoulder_pan.pos"
    assert sorted(p.relative_to(source) for p in source.rglob("*")) == before  # the source is untouched
    assert diagnose_paths(copy, copy).findings == ()
    with pytest.raises(DatasetError, match="already exists"):
        convert_v21(source)


@pytest.mark.parametrize(
    ("shape", "units", "source"),
    [
        ("v3.0 as lerobot 0.6.1 writes it", "degrees", "values"),
        ("radians, names ending _rad", "radians", "names"),
        ("radians, no names", "radians", "values"),
        ("7-DOF arm in radians", "radians", "values"),
        ("Koch arm in degrees", "degrees", "values"),
        ("SO-100 in -100..100 range units (lerobot <= 0.4.3)", "ambiguous", "values"),
    ],
)
def test_joint_units_are_detected_for_other_arms(corpus_dir: Path, shape: str, units: str, source: str) -> None:
    joint_units = build_profile(shape_root(corpus_dir, shape), reference_frames=False).joint_units
    assert (joint_units.units, joint_units.source) == (units, source), joint_units.reason
    if shape.startswith("SO-100"):
        assert "so100_follower" in joint_units.reason  # the robot type is named as the hint it is


def test_a_radians_profile_prints_its_jumps_at_radian_precision(corpus_dir: Path) -> None:
    from core.training.profile_summary import format_profile

    summary = format_profile(
        build_profile(shape_root(corpus_dir, "radians, names ending _rad"), reference_frames=False)
    )
    jumps = summary.split("## Action jumps")[1]
    row = next(line for line in jumps.splitlines() if "shoulder_pan_rad" in line)
    assert "0.0175" in row  # one degree a frame, not "0.00"


def _not_lerobot(root: Path) -> Path:
    (root / "meta").mkdir(parents=True)
    (root / "meta" / "info.json").write_text(json.dumps({"name": "my robot data", "version": 2}))
    return root


@pytest.mark.parametrize(
    ("shape", "build", "said"),
    [
        ("empty", lambda root, _: corpus.write_empty(root), "is empty: meta/info.json counts no episode"),
        ("not LeRobot", lambda root, _: _not_lerobot(root), "is not a LeRobot dataset"),
        (
            "data as Git LFS pointers",
            lambda root, dataset: corpus.as_lfs_pointers(corpus.copy_of(dataset, root), "data"),
            "these files are Git LFS pointers, not data: run `git lfs pull` in",
        ),
        (
            "not finalized",
            lambda root, _: corpus.write_killed_recording(root, saved_episodes=2, sealed=False),
            "was not finalized",
        ),
    ],
)
def test_the_commands_refuse_unreadable_shapes_with_their_message_and_exit_2(
    dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], shape: str, build, said: str
) -> None:
    root = build(tmp_path / "dataset", dataset_dir)
    for command in (["profile", "--dataset", str(root)], ["profile", "--dataset", str(root), "--no-frames"]):
        assert cli(command) == 2, shape
        error = capsys.readouterr().err
        assert said in error and "Traceback" not in error
    assert cli(["diagnose", "--training", str(root), "--deployment", str(root)]) == 2
    error = capsys.readouterr().err
    assert said in error and "Traceback" not in error
