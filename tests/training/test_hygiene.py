"""Training-set hygiene: each flag on a dataset built to show it, none on a clean one; the exclusions feed the merge;
`profile` and `diagnose` gate scripts with --fail-on and write Markdown and HTML reports with their provenance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.training import planner
from core.training.dataset_files import open_dataset
from core.training.exclusions import load_exclusions, save_exclusions
from core.training.hygiene import CHECKS, MIN_EPISODES, EpisodeColumns, check_hygiene
from core.training.profile import TrainingProfile, build_profile
from core.training.profile_summary import format_profile
from core.workspace import Workspace
from testkit import corpus
from testkit.builders import EpisodeData, write_dataset
from tests.training.conftest import clean_episodes, episode

ROOT = Path(__file__).resolve().parents[2]
TASK = "Grab the brain"


@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("hygiene") / "clean", clean_episodes(), cameras=("front",))


@pytest.fixture(scope="module")
def enough_dir(tmp_path_factory) -> Path:
    """A clean dataset as large as every policy type but diffusion asks for (50 episodes), with a camera."""
    enough = max(count for policy, count in MIN_EPISODES.items() if policy != "diffusion")
    return write_dataset(
        tmp_path_factory.mktemp("hygiene") / "enough",
        clean_episodes(enough),
        cameras=("front",),
        image_shape=(16, 16, 3),
    )


@pytest.fixture(scope="module")
def hundred_dir(tmp_path_factory) -> Path:
    """100 clean episodes, no camera: the columns cut to the first N episodes give a dataset of any size up to it."""
    return write_dataset(tmp_path_factory.mktemp("hygiene") / "hundred", clean_episodes(100), cameras=())


def first_episodes(root: Path, count: int):
    """The real dataset and its frame columns cut to the first `count` episodes, as build_profile reads them."""
    dataset = open_dataset(root)
    columns = dataset.read_columns(("episode_index", "timestamp", "observation.state", "action"))
    keep = columns["episode_index"] < count
    return dataset, EpisodeColumns(
        columns["episode_index"][keep],
        columns["observation.state"][keep],
        columns["action"][keep],
        columns["timestamp"][keep],
        dataset.feature_names("observation.state"),
        dataset.feature_names("action"),
    )


def flags_of(root: Path) -> dict[str, tuple[int, ...]]:
    profile = build_profile(root, reference_frames=False)
    return {flag.id: flag.episodes for flag in profile.hygiene.flags}


def test_a_clean_dataset_is_flagged_only_for_its_size(clean_dir: Path) -> None:
    flags = build_profile(clean_dir, reference_frames=False).hygiene.flags
    assert [flag.id for flag in flags] == ["too_few_episodes"]
    assert flags[0].numbers == {"episodes": 10, "recommended": 50}


def test_a_clean_dataset_large_enough_for_its_policy_shows_no_flag_and_every_check_ran(enough_dir: Path) -> None:
    profile = build_profile(enough_dir, reference_frames=False)
    assert profile.hygiene.flags == ()
    assert profile.hygiene.checked == CHECKS and profile.hygiene.skipped == ()
    summary = format_profile(profile)
    assert "No episode flagged by the checks that ran." in summary
    assert f"- checks run: {', '.join(CHECKS)}" in summary and "not checked" not in summary


@pytest.mark.parametrize("policy_type", sorted(MIN_EPISODES))
def test_too_few_episodes_is_flagged_one_episode_below_each_policy_types_minimum(
    hundred_dir: Path, policy_type: str
) -> None:
    needed = MIN_EPISODES[policy_type]
    below = check_hygiene(*first_episodes(hundred_dir, needed - 1), policy_type)
    flag = next(flag for flag in below.flags if flag.id == "too_few_episodes")
    assert flag.numbers == {"episodes": needed - 1, "recommended": needed}
    assert policy_type in flag.reason
    at = check_hygiene(*first_episodes(hundred_dir, needed), policy_type)
    assert "too_few_episodes" in at.checked and at.flags == ()


def test_skipped_checks_are_listed_with_their_reason_never_passed(dataset_dir: Path, tmp_path: Path) -> None:
    few = build_profile(dataset_dir, reference_frames=False)  # 4 episodes: too few for a robust z-score
    outlier = next(skip for skip in few.hygiene.skipped if skip.id == "outlier")
    assert outlier.reason.startswith("4 episodes") and "outlier" not in few.hygiene.checked
    still = [EpisodeData(TASK, e.state.copy(), e.action.copy()) for e in clean_episodes()]
    for e in still:
        e.action[:, 5] = 30.0  # the gripper is never commanded to move: there is nothing for it to follow
    profile = build_profile(write_dataset(tmp_path / "still_gripper", still, cameras=()), reference_frames=False)
    skipped = {skip.id: skip.reason for skip in profile.hygiene.skipped}
    assert "moves less than 5" in skipped["gripper_divergence"]
    assert "no video camera" in skipped["video_unreadable"]
    summary = format_profile(profile)
    assert f"- not checked: gripper_divergence ({skipped['gripper_divergence']})" in summary
    assert "- not checked: video_unreadable" in summary
    assert "gripper_divergence" not in summary.split("- checks run: ")[1].splitlines()[0]
    saved = TrainingProfile.load(profile.save(tmp_path / "profile.json"))  # stored with the profile
    assert saved.hygiene == profile.hygiene


def test_frozen_duplicate_outlier_and_gripper_episodes_are_named(tmp_path: Path) -> None:
    episodes = clean_episodes()
    frozen = episodes[2]
    episodes[2] = EpisodeData(TASK, np.repeat(frozen.state[:1], 20, axis=0), np.repeat(frozen.action[:1], 20, axis=0))
    episodes[5] = episodes[4]  # a merge that added the same episode twice
    episodes[7] = episode(90, offset=7 * 0.7)  # far longer than the others
    episodes[8] = episode(20, offset=8 * 0.7, gripper_follows=False)
    flags = flags_of(write_dataset(tmp_path / "dirty", episodes, cameras=("front",)))
    assert flags["frozen_action"] == (2,) and flags["frozen_state"] == (2,)
    assert flags["duplicate"] == (5,)
    assert 7 in flags["outlier"]
    assert flags["gripper_divergence"] == (8,)


def test_start_pose_and_motion_range_outliers_are_flagged_with_their_measure(tmp_path: Path) -> None:
    episodes = clean_episodes()
    displaced = episode(20, offset=3 * 0.7)
    displaced.state[:, :5] += 40.0  # the arm started far from the others; same length and motion
    episodes[3] = displaced
    wide = episode(21, offset=6 * 0.7)
    wide.action[:, :5] = wide.action[0, :5] + (wide.action[:, :5] - wide.action[0, :5]) * 4  # four times the motion
    episodes[6] = wide
    profile = build_profile(write_dataset(tmp_path / "outliers", episodes, cameras=()), reference_frames=False)
    outlier = next(flag for flag in profile.hygiene.flags if flag.id == "outlier")
    assert outlier.episodes == (3, 6)
    assert set(outlier.numbers["start pose distance"]) == {3}
    assert set(outlier.numbers["motion range"]) == {6}
    assert "length (frames)" not in outlier.numbers


def test_missing_videos_flag_every_episode(dataset_dir: Path, tmp_path: Path) -> None:
    root = corpus.without_videos(corpus.copy_of(dataset_dir, tmp_path / "no_videos"))
    assert flags_of(root)["video_unreadable"] == (0, 1, 2, 3)


def test_a_video_shorter_than_its_episodes_flags_the_episodes_past_its_end(clean_dir: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    root = corpus.copy_of(clean_dir, tmp_path / "short_video")  # the metadata will say the last episode ends later
    path = next((root / "meta" / "episodes").rglob("*.parquet"))
    table = pq.read_table(path)
    column = "videos/observation.images.front/to_timestamp"
    ends = table.column(column).to_numpy().copy()
    ends[-1] += 5.0
    pq.write_table(table.set_column(table.schema.get_field_index(column), column, [ends]), path)
    assert flags_of(root)["video_unreadable"] == (9,)


def test_a_video_that_is_a_git_lfs_pointer_is_unreadable(clean_dir: Path, tmp_path: Path) -> None:
    root = corpus.as_lfs_pointers(corpus.copy_of(clean_dir, tmp_path / "lfs_videos"), "videos")
    profile = build_profile(root, reference_frames=False)
    flag = next(flag for flag in profile.hygiene.flags if flag.id == "video_unreadable")
    assert flag.episodes == tuple(range(10)) and "git lfs pull" in flag.reason


def test_a_video_file_that_cannot_be_opened_is_unreadable(clean_dir: Path, tmp_path: Path) -> None:
    root = corpus.copy_of(clean_dir, tmp_path / "garbage_video")
    for video in (root / "videos").rglob("*.mp4"):
        video.write_bytes(b"\x00\x01not a video container" * 4096)  # a truncated copy, a disk error
    flag = next(
        flag for flag in build_profile(root, reference_frames=False).hygiene.flags if flag.id == "video_unreadable"
    )
    assert flag.episodes == tuple(range(10)) and "cannot be opened" in flag.reason


def test_excluded_training_episodes_stay_out_of_the_merge(clean_dir: Path, tmp_path: Path, monkeypatch) -> None:
    workspace = Workspace(tmp_path / "workspace").ensure()
    profile = build_profile(clean_dir, reference_frames=False)
    save_exclusions(workspace, profile.name, [3, 6])
    assert load_exclusions(workspace, profile.name) == (3, 6)
    recording = corpus.copy_of(clean_dir, tmp_path / "rollout_copy")
    result = planner.merge_recordings(
        clean_dir,
        [recording],
        tmp_path / "merged",
        keep="all",
        exclude_training=load_exclusions(workspace, profile.name),
    )
    assert result.excluded_training == (3, 6)
    assert result.episodes == 10 - 2 + 10
    # the merge plan (Analytics' Frames, Steps and Epochs) counts what the merge writes, not the excluded episodes
    check = planner.check_merge(clean_dir, [recording], load_exclusions(workspace, profile.name))
    assert (check.frames, check.episodes) == (result.frames, result.episodes)
    assert check.frames == 2 * profile.total_frames - (20 + 20)  # episodes 3 and 6 have 20 frames each
    plan = planner.plan_training(check.frames, 8, target_epochs=5.0)
    assert plan.frames == result.frames and plan.epochs == pytest.approx(plan.steps * 8 / result.frames)


def cli(*arguments: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "core", *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_profile_fail_on_gates_a_training_script_and_writes_reports(clean_dir: Path, tmp_path: Path) -> None:
    gated = cli(
        "profile",
        "--dataset",
        str(clean_dir),
        "--no-frames",
        "--fail-on",
        "warning",
        "--report",
        str(tmp_path / "p.md"),
    )
    assert gated.returncode == 1, gated.stderr
    assert "too_few_episodes" in gated.stdout
    assert cli("profile", "--dataset", str(clean_dir), "--no-frames", "--fail-on", "critical").returncode == 0
    assert cli("profile", "--dataset", str(clean_dir), "--no-frames").returncode == 0  # the default: exit 0
    unreadable = cli("profile", "--dataset", str(tmp_path / "nothing_here"))
    assert unreadable.returncode == 2 and "does not exist" in unreadable.stderr and "Traceback" not in unreadable.stderr
    report = (tmp_path / "p.md").read_text()
    printed = json.loads(cli("profile", "--dataset", str(clean_dir), "--no-frames", "--json").stdout)
    assert printed["provenance"]["data_sha256"] in report and printed["provenance"]["lerobot_version"] == "0.6.1"
    assert "## Hygiene" in report


def test_profile_out_writes_the_provenance_like_every_json_report(clean_dir: Path, tmp_path: Path) -> None:
    from core.analytics.provenance import provenance_of

    written = cli("profile", "--dataset", str(clean_dir), "--no-frames", "--out", str(tmp_path / "out" / "p.json"))
    assert written.returncode == 0, written.stderr
    saved = json.loads((tmp_path / "out" / "p.json").read_text())
    expected = provenance_of([clean_dir])
    assert saved["provenance"]["data_sha256"] == expected.data_sha256
    assert saved["provenance"]["lerobot_version"] == expected.lerobot_version == "0.6.1"
    assert saved["provenance"]["preflight_version"] == expected.preflight_version
    loaded = TrainingProfile.load(tmp_path / "out" / "p.json")  # the file is still a profile the app reads
    assert loaded.name == saved["name"] and loaded.hygiene.checked == tuple(saved["hygiene"]["checked"])


def test_diagnose_exit_status_reports_and_provenance(clean_dir: Path, tmp_path: Path) -> None:
    clean = cli(
        "diagnose",
        "--training",
        str(clean_dir),
        "--deployment",
        str(clean_dir),
        "--fail-on",
        "info",
        "--report",
        str(tmp_path / "d.html"),
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr
    html = (tmp_path / "d.html").read_text()
    assert "Data sha256" in html and "No findings" in html
    diverged = write_dataset(
        tmp_path / "rollout_blocked",
        [episode(20, offset=i * 0.7, gripper_follows=False) for i in range(6)],
        cameras=("front",),
    )
    gated = cli(
        "diagnose",
        "--training",
        str(clean_dir),
        "--deployment",
        str(diverged),
        "--no-frames",
        "--json",
        "--fail-on",
        "warning",
        "--report",
        str(tmp_path / "d.md"),
    )
    assert gated.returncode == 1
    payload = json.loads(gated.stdout)
    assert "action_state_divergence" in [f["id"] for f in payload["findings"]]
    assert payload["provenance"]["data_sha256"] in (tmp_path / "d.md").read_text()
    assert (
        cli(
            "diagnose",
            "--training",
            str(clean_dir),
            "--deployment",
            str(diverged),
            "--no-frames",
            "--fail-on",
            "critical",
        ).returncode
        == 0
    )


def test_an_unexplained_change_in_motion_is_reported_and_a_clean_run_is_not(clean_dir: Path, tmp_path: Path) -> None:
    from core.analytics.diagnosis import diagnose_paths

    slower = write_dataset(
        tmp_path / "rollout_slow", [episode(45, offset=i * 0.7) for i in range(8)], cameras=("front",)
    )
    diagnosis = diagnose_paths(clean_dir, slower, with_frames=False)
    drift = next(f for f in diagnosis.findings if f.id == "unexplained_drift")
    assert drift.severity == "info" and "duration_s" in drift.evidence.numbers["drifted"]
    assert [f.id for f in diagnosis.findings] == ["unexplained_drift"]
    assert diagnose_paths(clean_dir, clean_dir, with_frames=False).findings == ()
