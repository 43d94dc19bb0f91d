"""An interrupted episode is shown on Analytics: the summary table the page shows names each aborted episode of a run
with its reason, read from a real SQLite registry joined to a real LeRobot v3.0 recording."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from core.analytics.view import load_analytics, summary_table
from core.registry import Registry
from core.training.profile import TrainingProfile, build_profile, save_profile
from core.workspace import Workspace
from tests.analytics.conftest import FRAMES, TASK

STOPPED = "interrupted: the station stopped (SIGTERM)"


def test_the_summary_table_names_each_aborted_episode_with_its_reason(
    tmp_path: Path, training_dir: Path, clean_dir: Path, sane_checkpoint: Path
) -> None:
    workspace = Workspace(tmp_path / "workspace").ensure()
    save_profile(build_profile(training_dir, sane_checkpoint), workspace)
    registry = Registry.open(f"sqlite:///{workspace.registry_path}")
    run_root = shutil.copytree(clean_dir, workspace.recordings_dir / "rollout_stopped")
    run = registry.start_run(
        registry.register_policy(sane_checkpoint).id,
        station="lab",
        dataset_root=run_root,
        task=TASK,
        chunk_size=10,
        n_action_steps=5,
        fps=30,
        camera_mapping={"front": "0", "wrist": "1"},
    )
    started = datetime(2026, 1, 1, tzinfo=UTC)
    endings = {0: ("recorded", None), 1: ("aborted", "emergency stop"), 2: ("aborted", STOPPED)}
    for index, (status, reason) in endings.items():
        registry.record_episode(
            run.id, run_root, index, length_frames=FRAMES, started_at=started, status=status, abort_reason=reason
        )

    profile = TrainingProfile.load(next(workspace.profiles_dir.glob("*/profile.json")))
    data = load_analytics(profile, [run_root], registry.episode_rows())
    summary = summary_table(data).set_index("dataset")

    assert (
        summary.loc["rollout_stopped", "aborted (episode: reason)"]
        == f"episode 1: emergency stop; episode 2: {STOPPED}"
    )
    assert summary.loc[Path(profile.dataset_dir).name, "aborted (episode: reason)"] == ""  # training: no registry rows
