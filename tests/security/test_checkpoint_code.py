"""A checkpoint cannot run code: a processor step naming anything but lerobot's own steps is refused before lerobot
builds the pipeline, and its command never runs (the marker file stays absent)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from core.errors import CheckpointError
from core.policy.checkpoint import read_checkpoint
from core.policy.processor_safety import is_trusted, trust, verify_processors
from core.station.config import demo_station_config
from core.station.rollout_config import rollout_config
from core.station.run_settings import RunSettings
from core.workspace import Workspace


def checkpoint_with_step(folder: Path, step: dict, file: str = "policy_preprocessor.json") -> Path:
    """A checkpoint folder whose processor file holds `step` (the other file holds lerobot's device step)."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"type": "act", "chunk_size": 10, "n_action_steps": 5}))
    device = {"registry_name": "device_processor", "config": {"device": "cpu"}}
    for name in ("policy_preprocessor.json", "policy_postprocessor.json"):
        steps = [device, step] if name == file else [device]
        (folder / name).write_text(json.dumps({"name": name.removesuffix(".json"), "steps": steps}))
    return folder


def popen_step(marker: Path) -> dict:
    return {"class": "subprocess.Popen", "config": {"args": [sys.executable, "-c", f"open({str(marker)!r}, 'w')"]}}


def marker_appears(marker: Path, wait_s: float = 3.0) -> bool:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if marker.exists():
            return True
        time.sleep(0.05)
    return marker.exists()


def test_the_threat_is_real_lerobot_itself_runs_a_steps_class(tmp_path: Path) -> None:
    from lerobot.processor import PolicyProcessorPipeline

    marker = tmp_path / "ran"
    folder = checkpoint_with_step(tmp_path / "evil", popen_step(marker))
    with pytest.raises(Exception):  # noqa: B017,PT011 - lerobot fails after the command has started
        PolicyProcessorPipeline.from_pretrained(folder, config_filename="policy_preprocessor.json")
    assert marker_appears(marker)


@pytest.mark.parametrize("file", ["policy_preprocessor.json", "policy_postprocessor.json"])
def test_a_step_naming_code_outside_lerobot_is_refused_and_never_runs(tmp_path: Path, workspace, file) -> None:
    marker = tmp_path / "ran"
    folder = checkpoint_with_step(tmp_path / "evil", popen_step(marker), file)
    with pytest.raises(CheckpointError, match=rf"step 1 'subprocess.Popen' of {file}"):
        read_checkpoint(folder)
    with pytest.raises(CheckpointError, match="subprocess.Popen"):
        verify_processors(folder)
    settings = RunSettings(policy_dir=str(folder), task="Grab the brain")
    with pytest.raises(CheckpointError, match="subprocess.Popen"):
        rollout_config(settings, demo_station_config(), None, workspace)
    assert not marker_appears(marker, wait_s=1.0)


def test_something_in_lerobot_that_is_not_a_processor_step_is_refused(tmp_path: Path, workspace) -> None:
    folder = checkpoint_with_step(tmp_path / "evil", {"class": "lerobot.utils.utils.subprocess", "config": {}})
    read_checkpoint(folder)  # the cheap check sees a lerobot path
    with pytest.raises(CheckpointError, match="other than a processor step defined in lerobot"):
        verify_processors(folder)
    settings = RunSettings(policy_dir=str(folder), task="Grab the brain")
    with pytest.raises(CheckpointError, match="lerobot.utils.utils.subprocess"):
        rollout_config(settings, demo_station_config(), None, workspace)


def test_an_unregistered_step_name_is_refused(tmp_path: Path, workspace) -> None:
    folder = checkpoint_with_step(tmp_path / "odd", {"registry_name": "no_such_step", "config": {}})
    with pytest.raises(CheckpointError, match="'no_such_step' .* is not registered"):
        verify_processors(folder)


def test_lerobots_own_steps_pass(tmp_path: Path, workspace) -> None:
    step = {"class": "lerobot.processor.rename_processor.RenameObservationsProcessorStep", "config": {}}
    verify_processors(checkpoint_with_step(tmp_path / "fine", step))


def test_remote_code_needs_a_recorded_override(tmp_path: Path, workspace: Workspace) -> None:
    step = {"registry_name": "action_tokenizer_processor", "config": {"action_tokenizer_name": "x"}}
    folder = checkpoint_with_step(tmp_path / "fast", step)  # trust_remote_code defaults to True in lerobot
    with pytest.raises(CheckpointError, match="trust-checkpoint"):
        verify_processors(folder)
    with pytest.raises(CheckpointError, match="why"):
        trust(folder, "  ")
    record = trust(folder, "pi0-fast tokenizer read and approved")
    assert record.reason and record.user and is_trusted(folder)
    assert oct((workspace.root / "trusted_checkpoints.json").stat().st_mode & 0o777) == "0o600"
    verify_processors(folder)
    (folder / "policy_preprocessor.json").write_text((folder / "policy_preprocessor.json").read_text() + "\n")
    with pytest.raises(CheckpointError, match="trust_remote_code"):
        verify_processors(folder)  # an edited file voids the record
