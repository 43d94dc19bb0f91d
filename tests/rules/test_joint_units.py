"""Joint units on real datasets: radians, other arms, state and action of different lengths, declared units.

Every dataset here is written by lerobot's own writer (testkit.builders) without cameras; the diagnosis runs
as `python -m core diagnose` runs it (`diagnose_paths`).
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.analytics.diagnosis import Diagnosis, diagnose_paths
from core.rules.units import judge_station_units
from core.training.profile import build_profile
from core.training.recording_setup import RecordingSetup, write_recording_setup
from core.workspace import REPO_ROOT
from testkit.builders import EpisodeData, write_dataset

FRAMES = 20
TASK = "Pick the cube"
RAD_NAMES = ("shoulder_pan_rad", "shoulder_lift_rad", "elbow_flex_rad", "wrist_flex_rad", "wrist_roll_rad", "gripper")
RAD_START = np.array([0.1, -1.7, 1.75, 1.3, -0.9])  # an SO-101 start pose in radians
RAD_RAMP = 0.01  # rad per frame (0.57°)
# A 7-value state (a 6-joint arm and its gripper plus a forearm roll) and a 6-value action without it
STATE_7 = ("waist", "shoulder", "elbow", "forearm_roll", "wrist_angle", "wrist_rotate", "gripper")
ACTION_6 = ("waist", "shoulder", "elbow", "wrist_angle", "wrist_rotate", "gripper")


def arm_episode(start: np.ndarray, ramp: float, *, closed_frames: int = 8, chunk_jump: float = 0.0) -> EpisodeData:
    """Arm joints ramp from `start` (the first state); the gripper (0..100) is closed, then opens."""
    t = np.arange(FRAMES, dtype=np.float64)[:, None]
    arm = start + ramp * t
    arm[:, 0] += chunk_jump * (np.arange(FRAMES) // 5)
    gripper = np.where(t < closed_frames, 0.0, 60.0)
    action = np.hstack([arm, gripper])
    state = np.vstack([action[:1], action[:-1]])
    return EpisodeData(TASK, state, action)


def radian_episodes(start_offset: np.ndarray | None = None, chunk_jump: float = 0.0) -> list[EpisodeData]:
    offsets = (0.0, 0.02, -0.02, 0.01)
    episodes = []
    for offset in offsets:
        data = arm_episode(RAD_START + offset, RAD_RAMP, chunk_jump=chunk_jump)
        if start_offset is not None:
            state = data.state.copy()
            state[0, :5] += start_offset
            data = EpisodeData(data.task, state, data.action)
        episodes.append(data)
    return episodes


def findings(diagnosis: Diagnosis) -> dict[str, object]:
    return {finding.id: finding for finding in diagnosis.findings}


@pytest.fixture(scope="module")
def radians_dir(tmp_path_factory) -> Path:
    return write_dataset(
        tmp_path_factory.mktemp("units") / "radians",
        radian_episodes(),
        cameras=(),
        state_names=RAD_NAMES,
        action_names=RAD_NAMES,
    )


def test_a_radians_dataset_is_read_as_radians_and_is_clean_against_itself(radians_dir):
    assert build_profile(radians_dir).joint_units.units == "radians"
    diagnosis = diagnose_paths(radians_dir, radians_dir)
    assert diagnosis.findings == ()
    assert {"start_pose", "action_jumps", "unit_mismatch"} <= set(diagnosis.checked)


def test_a_34_degree_start_offset_in_radians_is_a_start_pose_finding_in_radians(radians_dir, tmp_path):
    offset = np.array([0.0, 0.0, math.radians(34), 0.0, 0.0])  # elbow_flex 0.593 rad off at each start
    deployment = write_dataset(
        tmp_path / "rollout",
        radian_episodes(start_offset=offset),
        cameras=(),
        state_names=RAD_NAMES,
        action_names=RAD_NAMES,
    )
    found = findings(diagnose_paths(radians_dir, deployment))
    assert set(found) == {"start_pose"}
    evidence = found["start_pose"].evidence
    assert "rad" in evidence.sentence and "°" not in evidence.sentence
    assert evidence.numbers["joint_units"] == "radians"
    assert evidence.numbers["max_distance_deg"] == pytest.approx(34, abs=1.5)
    assert "elbow_flex_rad to 1.752 rad (± 0.087)" in found["start_pose"].fix  # the 5° floor, in radians


def test_chunk_jumps_of_11_degrees_in_radians_are_action_jumps(radians_dir, tmp_path):
    deployment = write_dataset(
        tmp_path / "rollout", radian_episodes(chunk_jump=0.2), cameras=(), state_names=RAD_NAMES, action_names=RAD_NAMES
    )
    found = findings(diagnose_paths(radians_dir, deployment))
    assert set(found) == {"action_jumps"}
    assert found["action_jumps"].evidence.numbers["joints"]["shoulder_pan_rad"]["deployment_p95"] == pytest.approx(0.21)


def test_radians_training_data_is_refused_on_a_station_in_degrees(radians_dir):
    finding = judge_station_units(build_profile(radians_dir).joint_units, station_use_degrees=True, station_name="lab")
    assert finding.severity == "critical" and "radians" in finding.evidence.sentence


def test_state_and_action_of_different_lengths_and_names_diagnose_without_a_traceback(tmp_path):
    episodes = []
    for offset in (0.0, 1.0, -1.0):
        start = np.array([10.0, -60.0, 80.0, 5.0, 40.0, -30.0]) + offset  # degrees, forearm_roll 4th
        data = arm_episode(start, 1.0)
        episodes.append(EpisodeData(TASK, data.state, np.delete(data.action, 3, axis=1)))
    dataset = write_dataset(tmp_path / "seven", episodes, cameras=(), state_names=STATE_7, action_names=ACTION_6)
    result = subprocess.run(
        [sys.executable, "-m", "core", "diagnose", "--training", str(dataset), "--deployment", str(dataset)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "No findings" in result.stdout
    assert "checks run:" in result.stdout and "start_pose" in result.stdout


def demo_like_episodes(wrist_roll: tuple[float, float]) -> list[EpisodeData]:
    """SO-101 episodes in degrees whose wrist_roll sweeps between the two values (the demo turns it past -100)."""
    episodes = []
    for offset in (0.0, 1.0, -1.0, 0.5):
        start = np.array([0.0, -90.0, 90.0, 70.0, wrist_roll[0]]) + offset
        data = arm_episode(start, 0.0)
        action, state = data.action.copy(), data.state.copy()
        action[:, 4] = np.linspace(*wrist_roll, FRAMES) + offset
        state[1:, 4] = action[:-1, 4]
        episodes.append(EpisodeData(TASK, state, action))
    return episodes


@pytest.fixture(scope="module")
def demo_like_training(tmp_path_factory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("units") / "training", demo_like_episodes((-50.0, -135.0)), cameras=())


@pytest.mark.parametrize("declared", [True, False])
def test_a_deployment_in_degrees_that_never_turns_the_wrist_past_100_has_no_unit_mismatch(
    demo_like_training, tmp_path, declared
):
    """The demo's clean runs: training turns wrist_roll to -135 (21% beyond ±100), the deployment only to -95."""
    deployment = write_dataset(tmp_path / "rollout", demo_like_episodes((-50.0, -95.0)), cameras=())
    if declared:
        write_recording_setup(deployment, RecordingSetup("so_follower", use_degrees=True, calibration="follower"))
    diagnosis = diagnose_paths(demo_like_training, deployment)
    assert "unit_mismatch" in diagnosis.checked
    assert diagnosis.findings == ()


def test_a_deployment_declared_in_range_units_is_a_unit_mismatch(demo_like_training, tmp_path):
    deployment = write_dataset(tmp_path / "rollout", demo_like_episodes((-50.0, -95.0)), cameras=())
    write_recording_setup(deployment, RecordingSetup("so_follower", use_degrees=False, calibration="follower"))
    found = findings(diagnose_paths(demo_like_training, deployment))
    assert set(found) == {"unit_mismatch"}
    numbers = found["unit_mismatch"].evidence.numbers
    assert (numbers["training_units"], numbers["deployment_units"]) == ("degrees", "range")
    assert numbers["deployment_units_source"] == "declared"
    assert "use_degrees=false" in found["unit_mismatch"].evidence.sentence


def test_recordings_with_a_declaration_still_load_in_lerobot(demo_like_training, tmp_path):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    deployment = write_dataset(tmp_path / "rollout", demo_like_episodes((-50.0, -95.0)), cameras=())
    write_recording_setup(deployment, RecordingSetup("so_follower", use_degrees=True, calibration="follower"))
    assert LeRobotDataset("local/preflight_test", root=deployment).num_episodes == 4
    assert build_profile(deployment).joint_units.source == "declared"


@pytest.mark.parametrize(
    ("robot_type", "peak", "units", "source"),
    [
        ("koch_follower", 70.0, "range", "robot_type"),  # lerobot's default for Koch in every version
        ("omx_follower", 70.0, "range", "robot_type"),
        ("koch_follower", 135.0, "degrees", "values"),  # the values prove degrees (use_degrees=true)
        ("so100_follower", 70.0, "ambiguous", "values"),  # degrees since lerobot 0.4.3: the type is only a hint
        ("so101_follower", 70.0, "ambiguous", "values"),
        (None, 70.0, "ambiguous", "values"),
    ],
)
def test_the_robot_type_decides_units_only_where_lerobots_default_never_changed(
    robot_type: str | None, peak: float, units: str, source: str
) -> None:
    from core.training.frame_stats import guess_joint_units

    values = np.linspace(-peak, peak, 50).reshape(10, 5)
    found = guess_joint_units(
        values, robot_type, ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll")
    )
    assert (found.units, found.source) == (units, source), found.reason
    if robot_type and units != "degrees":
        assert robot_type in found.reason
