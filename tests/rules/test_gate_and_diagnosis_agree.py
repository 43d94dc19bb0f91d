"""The Deploy gate (before a run) and the diagnosis (after it) call the same rule per cause, so they agree."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from core.analytics.diagnosis import Diagnosis, diagnose
from core.analytics.metrics import Reference, dataset_metrics
from core.policy.checkpoint import read_checkpoint
from core.rules.epochs import trained_epochs
from core.training.dataset_files import open_dataset
from core.training.profile import TrainingProfile
from tests.analytics.conftest import TASK
from tests.rules.conftest import gate, station_state


def diagnosis(
    profile: TrainingProfile, deployment: Path, checkpoint: Path, training_dir: Path, **metrics_changes
) -> Diagnosis:
    reference = Reference.of_profile(profile)
    training = dataset_metrics(training_dir, reference)
    info = read_checkpoint(checkpoint)
    recorded = dataclasses.replace(dataset_metrics(deployment, reference), **metrics_changes)
    return diagnose(
        profile,
        recorded,
        training=training,
        checkpoint=info,
        epochs=trained_epochs(profile, info, training.episode_lengths),
        cameras=open_dataset(deployment).video_keys,
    )


def severity_in(diagnosed: Diagnosis, finding_id: str) -> str:
    """The diagnosis's severity for one cause; "ok" when its check ran and found nothing."""
    assert finding_id in diagnosed.checked, diagnosed.skipped
    return next((f.severity for f in diagnosed.findings if f.id == finding_id), "ok")


@pytest.mark.parametrize(("deployment_fps", "expected"), [(30, "ok"), (29.8, "ok"), (15, "critical")])
def test_fps_is_judged_alike_by_the_gate_and_the_diagnosis(
    profile, clean_dir, sane_checkpoint, training_dir, deployment_fps, expected
):
    before = gate(profile, sane_checkpoint, station_state(profile, fps=deployment_fps)).finding("fps_mismatch")
    after = diagnosis(profile, clean_dir, sane_checkpoint, training_dir, fps=deployment_fps)
    assert before.severity == severity_in(after, "fps_mismatch") == expected


@pytest.mark.parametrize(
    ("sentence", "recording", "expected"), [(TASK, None, "ok"), (TASK + " ", "task_mismatch", "info")]
)
def test_the_task_sentence_is_judged_alike(
    profile, clean_dir, fault_dirs, sane_checkpoint, training_dir, sentence, recording, expected
):
    """The demo's ACT ignores the task: a trailing space is info on both sides (and the gate still blocks it)."""
    before = gate(profile, sane_checkpoint, station_state(profile), task=sentence)
    after = diagnosis(profile, fault_dirs[recording] if recording else clean_dir, sane_checkpoint, training_dir)
    assert before.finding("task_mismatch").severity == severity_in(after, "task_mismatch") == expected
    if expected != "ok":
        assert before.finding("task_mismatch").evidence.numbers["difference"] == "only in leading or trailing spaces"
        assert before.statuses["task_mismatch"] == "fail"


@pytest.mark.parametrize(
    ("checkpoint_name", "expected"), [("sane_checkpoint", "ok"), ("overtrained_checkpoint", "warning")]
)
def test_epochs_are_judged_alike(request, profile, clean_dir, training_dir, checkpoint_name, expected):
    checkpoint = request.getfixturevalue(checkpoint_name)
    before = gate(profile, checkpoint, station_state(profile)).finding("overfitting")
    after = diagnosis(profile, clean_dir, checkpoint, training_dir)
    assert before.severity == severity_in(after, "overfitting") == expected
    assert before.evidence.numbers["epochs"] == pytest.approx(after.policy["epochs"], abs=1e-3)


@pytest.mark.parametrize(
    ("checkpoint_name", "expected"),
    [("sane_checkpoint", "ok"), ("renamed_checkpoint", "ok"), ("foreign_checkpoint", "critical")],
)
def test_policy_features_are_judged_alike(request, profile, clean_dir, training_dir, checkpoint_name, expected):
    """The station and the recording both have front and wrist and 6 joints, like the training set."""
    checkpoint = request.getfixturevalue(checkpoint_name)
    before = gate(profile, checkpoint, station_state(profile)).finding("feature_mismatch")
    after = diagnosis(profile, clean_dir, checkpoint, training_dir)
    assert before.severity == severity_in(after, "feature_mismatch") == expected
    if expected != "ok":
        found = next(finding for finding in after.findings if finding.id == "feature_mismatch")
        assert before.evidence.numbers["training_dataset"] == found.evidence.numbers["training_dataset"]


def test_other_joint_units_are_critical_on_both_sides(profile, fault_dirs, sane_checkpoint, training_dir):
    before = gate(profile, sane_checkpoint, station_state(profile, use_degrees=False)).finding("unit_mismatch")
    after = diagnosis(profile, fault_dirs["unit_mismatch"], sane_checkpoint, training_dir)
    assert before.severity == severity_in(after, "unit_mismatch") == "critical"


@pytest.mark.parametrize(("offset_deg", "recording", "expected"), [(1.0, None, "ok"), (31.0, "start_pose", "critical")])
def test_the_start_pose_is_judged_alike(
    profile, clean_dir, fault_dirs, sane_checkpoint, training_dir, offset_deg, recording, expected
):
    before = gate(profile, sane_checkpoint, station_state(profile, offset_deg=offset_deg)).finding("start_pose")
    after = diagnosis(profile, fault_dirs[recording] if recording else clean_dir, sane_checkpoint, training_dir)
    assert before.severity == severity_in(after, "start_pose") == expected
