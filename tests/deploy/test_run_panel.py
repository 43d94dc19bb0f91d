"""The Deploy page's live run panel: its HTML from a station snapshot and the run's saved training profile."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.run_panel import panel_html, run_moment
from core.station.run_settings import RunSettings
from core.station.state import RunStatus
from core.training.frame_stats import JumpStats
from core.training.profile import PROFILE_FILE
from core.workspace import Workspace
from tests.start_pose.conftest import make_profile, make_state

POSE = {
    "shoulder_pan": 1.0,
    "shoulder_lift": -90.0,
    "elbow_flex": 95.0,
    "wrist_flex": 70.0,
    "wrist_roll": -50.0,
    "gripper": 2.0,
}


def episode_state(message: str = "Episode 0 running"):
    profile = replace(
        make_profile({motor: (value + 0.5, 2.0) for motor, value in POSE.items()}),
        name="lab-profile",
        action_jumps=tuple(JumpStats(f"{motor}.pos", 0.4, 1.7, 3.0) for motor in POSE),
    )
    run = RunStatus(
        phase="episode",
        message=message,
        run_id=7,
        dataset_root="/recordings/run7",
        settings=RunSettings(
            policy_dir="/policy", task="Grab the brain", episode_time_s=20.0, training_profile=profile.name
        ),
        elapsed_s=5.0,
        frames=150,
        gripper_action=(80.0, 40.0, 5.0),
        gripper_state=(85.0, 50.0, 12.0),
        jumps={motor: 2.0 for motor in POSE} | {"elbow_flex": 9.0},
        last_jump={motor: 0.5 for motor in POSE},
    )
    return replace(make_state(POSE), mode="policy", run=run), profile


def test_no_run_says_so() -> None:
    state = make_state(POSE)
    assert "No run open." in panel_html(state, Workspace(Path("/nowhere")))
    assert run_moment(state) == [None, 0, "idle"]


def test_an_episode_shows_progress_and_telemetry_against_the_runs_training_profile(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "workspace").ensure()
    state, profile = episode_state(message="<b>not markup</b>")
    profile.save(workspace.profiles_dir / profile.name / PROFILE_FILE)
    panel = panel_html(state, workspace)
    assert "Run 7" in panel and "&lt;b&gt;not markup&lt;/b&gt;" in panel  # the station's words are text, not HTML
    assert '<progress max="1" value="0.250">' in panel and "5.0 s · 150 frames" in panel
    assert 'alt="gripper trace"' in panel
    assert (
        "<td>shoulder_pan</td><td>1.0</td><td>–</td><td>1.5</td>" in panel
    )  # follower, nothing commanded yet, training start
    assert "<td>elbow_flex</td><td>0.5</td><td>9.0</td><td>1.7</td><td>🔴</td>" in panel  # over 2x the training p95
    assert "<td>wrist_flex</td><td>0.5</td><td>2.0</td><td>1.7</td><td>🟢</td>" in panel
    assert run_moment(state) == ["episode", 0, "policy"]


def test_without_its_saved_profile_the_panel_still_shows_the_episode(tmp_path: Path) -> None:
    state, _ = episode_state()
    panel = panel_html(state, Workspace(tmp_path / "empty").ensure())
    assert "150 frames" in panel and "<td>elbow_flex</td><td>0.5</td><td>9.0</td><td>–</td><td>🟢</td>" in panel
