"""`python -m core profile`: the summary an operator reads, the JSON a script reads, errors without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main
from core.training.profile import TrainingProfile, profile_from_json
from core.workspace import REPO_ROOT, WORKSPACE_ENV
from tests.training.conftest import MAIN_TASK, SHORT_TASK


def test_summary_lists_tasks_cameras_statistics_and_epochs(
    dataset_dir: Path, train_run_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["profile", "--dataset", str(dataset_dir), "--policy", str(train_run_dir), "--no-frames"]) == 0
    summary = capsys.readouterr().out
    assert f'|        3 |     32 | "{MAIN_TASK}" |' in summary
    assert f'"{SHORT_TASK}"' in summary
    assert "| front  | observation.images.front | 64x48" in summary
    assert "| shoulder_pan.pos  |  -8.00 | 1.41 |  -10.00 |  -6.00 |" in summary  # start pose
    assert "| shoulder_pan.pos  | 1.00 |  5.50 | 21.00 |" in summary  # action jumps
    assert "closed in 30.0% of action frames, 40.0% of state frames" in summary
    assert "rule: otsu" in summary
    assert "degrees: an arm joint reaches 131.0" in summary
    assert "chunk_size 10, n_action_steps 5" in summary
    assert "rename_map in its processors: observation.images.top -> observation.images.front" in summary
    assert "trained step 200 of 200 x batch 8 over 40 frames = 40.0 epochs" in summary


def test_json_output_and_out_file_hold_the_same_profile(
    dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "saved" / "profile.json"
    assert main(["profile", "--dataset", str(dataset_dir), "--json", "--out", str(out)]) == 0
    printed = profile_from_json(json.loads(capsys.readouterr().out))
    assert printed == TrainingProfile.load(out)
    assert [len(camera.reference_frames) for camera in printed.cameras] == [4, 4]


def test_save_stores_the_profile_in_the_workspace(
    dataset_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WORKSPACE_ENV, str(tmp_path / "ws"))
    assert main(["profile", "--dataset", str(dataset_dir), "--save", "--no-frames"]) == 0
    assert len(list((tmp_path / "ws" / "profiles").glob("brain_dataset-*/profile.json"))) == 1


def test_the_real_command_prints_errors_without_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "core", "profile", "--dataset", str(tmp_path / "missing")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, WORKSPACE_ENV: str(tmp_path / "ws")},
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: The dataset folder {tmp_path / 'missing'} does not exist. Check the path (it is the folder that "
        "holds meta/)."
    )
