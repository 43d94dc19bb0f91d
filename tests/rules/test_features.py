"""A policy's features against the data it meets (feature_mismatch), and epochs only from the dataset it trained on.

The case seen in the wild: a checkpoint whose train_config.json names another dataset, with a 12-value state and two
camera keys the training set does not have, passed the profile silently and got an overfitting number from the
wrong dataset's frames.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from core.analytics.diagnosis import diagnose_paths
from core.cli import main
from core.deploy.gate import OVERRIDABLE
from core.policy.checkpoint import read_checkpoint
from core.rules.features import training_features
from core.training.profile import TrainingProfile, build_profile
from tests.rules.checkpoints import FOREIGN_CAMERAS, FOREIGN_DATASET, FOREIGN_STATE_SIZE
from tests.rules.conftest import gate, station_state


@pytest.fixture(scope="module")
def foreign_profile(training_dir: Path, foreign_checkpoint: Path) -> TrainingProfile:
    return build_profile(training_dir, foreign_checkpoint, reference_frames=False)


def test_the_profile_reports_the_missing_features_and_computes_no_epochs(foreign_profile: TrainingProfile) -> None:
    check = foreign_profile.feature_check
    assert check is not None and not check.matches
    assert (check.expected_state_size, check.found_state_size) == (FOREIGN_STATE_SIZE, 6)
    assert not check.action_differs  # 6 actions, as the training set has
    assert check.missing_cameras == FOREIGN_CAMERAS
    assert check.cameras == ("observation.images.front", "observation.images.wrist")
    assert any(
        warning.startswith("feature_mismatch:") and "a 12-value observation.state where the training dataset has 6"
        for warning in foreign_profile.warnings
    )
    assert foreign_profile.dataset_match is not None and foreign_profile.dataset_match.status == "different"
    assert (foreign_profile.epochs, foreign_profile.training_frames) == (None, None)


def test_the_profile_command_prints_the_mismatch(
    training_dir: Path, foreign_checkpoint: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["profile", "--dataset", str(training_dir), "--policy", str(foreign_checkpoint), "--no-frames"]) == 0
    summary = capsys.readouterr().out
    assert "a 12-value observation.state where the training dataset has 6" in summary
    assert "camera keys observation.images.top, observation.images.side that the training dataset does not feed" in (
        summary
    )
    assert "epochs unknown" in summary and "Epochs are not computed" in summary


def test_the_gate_blocks_the_run_whatever_the_override(profile: TrainingProfile, foreign_checkpoint: Path) -> None:
    preflight = gate(profile, foreign_checkpoint, station_state(profile))
    finding = preflight.finding("feature_mismatch")
    assert preflight.statuses["feature_mismatch"] == "fail" and "feature_mismatch" not in OVERRIDABLE
    assert finding in preflight.blocking(task_override=True)
    training, station = finding.evidence.numbers["training_dataset"], finding.evidence.numbers["station"]
    assert (training["expected_state_size"], training["found_state_size"]) == (FOREIGN_STATE_SIZE, 6)
    assert training["missing_cameras"] == FOREIGN_CAMERAS
    assert (station["expected_state_size"], station["found_state_size"]) == (FOREIGN_STATE_SIZE, 6)
    assert station["missing_cameras"] == ()  # two station cameras can be mapped onto the two slots
    assert "12-value observation.state where the station has 6" in finding.evidence.sentence
    overfitting = preflight.finding("overfitting")
    assert overfitting.title == "Training length: not checked"
    assert FOREIGN_DATASET in overfitting.evidence.sentence and "epochs" not in overfitting.evidence.numbers


def test_the_diagnosis_finds_feature_mismatch_and_no_epochs(
    training_dir: Path, clean_dir: Path, foreign_checkpoint: Path, capsys: pytest.CaptureFixture
) -> None:
    diagnosed = diagnose_paths(training_dir, clean_dir, foreign_checkpoint, with_frames=False)
    assert diagnosed.ids == ("feature_mismatch",)
    finding = diagnosed.findings[0]
    assert finding.severity == "critical" and finding.fix
    assert finding.evidence.numbers["training_dataset"]["missing_cameras"] == FOREIGN_CAMERAS
    assert finding.evidence.numbers["recording"]["found_state_size"] == 6
    assert diagnosed.policy is not None and diagnosed.policy["epochs"] is None
    skipped = {skip.id: skip.reason for skip in diagnosed.skipped}
    assert FOREIGN_DATASET in skipped["overfitting"]

    arguments = ["--training", str(training_dir), "--deployment", str(clean_dir), "--policy", str(foreign_checkpoint)]
    assert main(["diagnose", *arguments, "--no-frames"]) == 0
    printed = capsys.readouterr().out
    assert "[CRITICAL] feature_mismatch:" in printed
    assert f"not checked: overfitting (The checkpoint was trained on {FOREIGN_DATASET}" in printed


def test_a_checkpoint_trained_on_this_dataset_gives_none_of_these(
    profile: TrainingProfile, training_dir: Path, clean_dir: Path, sane_checkpoint: Path
) -> None:
    trained = build_profile(training_dir, sane_checkpoint, reference_frames=False)
    assert trained.feature_check is not None and trained.feature_check.matches
    assert trained.warnings == () and trained.epochs == pytest.approx(5.0)

    preflight = gate(profile, sane_checkpoint, station_state(profile))
    assert preflight.statuses["feature_mismatch"] == "pass"
    overfitting = preflight.finding("overfitting")
    assert overfitting.evidence.numbers["dataset"] == profile.dataset_dir
    assert overfitting.evidence.numbers["dataset_match"] == "same"
    assert f"over 144 frames of {profile.dataset_dir} (the dataset train_config.json names)" in (
        overfitting.evidence.sentence
    )

    diagnosed = diagnose_paths(training_dir, clean_dir, sane_checkpoint, with_frames=False)
    assert "feature_mismatch" in diagnosed.checked and diagnosed.findings == ()
    assert diagnosed.policy is not None and diagnosed.policy["epochs"] == pytest.approx(5.0)


def test_a_camera_renamed_onto_its_slot_is_not_missing(
    profile: TrainingProfile, training_dir: Path, clean_dir: Path, renamed_checkpoint: Path
) -> None:
    trained = build_profile(training_dir, renamed_checkpoint, reference_frames=False)
    assert trained.feature_check is not None and trained.feature_check.matches, trained.feature_check
    preflight = gate(profile, renamed_checkpoint, station_state(profile))
    assert preflight.statuses["feature_mismatch"] == "pass"
    assert preflight.camera_slots is not None
    assert preflight.camera_slots.rename_map == {"observation.images.front": "observation.images.scene"}
    diagnosed = diagnose_paths(training_dir, clean_dir, renamed_checkpoint, with_frames=False)
    assert "feature_mismatch" in diagnosed.checked and diagnosed.findings == ()

    unmapped = dataclasses.replace(read_checkpoint(renamed_checkpoint), rename_map={})
    assert training_features(profile, unmapped).missing_cameras == ("observation.images.scene",)


def test_a_station_short_of_a_camera_lacks_it_but_other_names_are_only_a_mapping(
    profile: TrainingProfile, sane_checkpoint: Path
) -> None:
    short = gate(profile, sane_checkpoint, station_state(profile, cameras=("front",))).finding("feature_mismatch")
    assert short.severity == "critical"
    assert short.evidence.numbers["station"]["missing_cameras"] == ("observation.images.wrist",)
    assert short.evidence.numbers["training_dataset"]["missing_cameras"] == ()
    renamed = gate(profile, sane_checkpoint, station_state(profile, cameras=("top", "hand")))
    assert renamed.statuses["feature_mismatch"] == "pass"
