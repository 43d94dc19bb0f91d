"""The diagnosis names each fault on a deployment built to show it, and nothing on a clean one."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.analytics.diagnosis import FINDING_IDS, Diagnosis, camera_views, diagnose
from core.analytics.metrics import Reference, dataset_metrics
from core.codec import from_json, to_json
from core.policy.checkpoint import DEMO_MARKER_FILE, find_pretrained_model, read_checkpoint
from core.rules.epochs import trained_epochs
from core.rules.finding import Finding
from core.training.dataset_files import open_dataset
from core.workspace import REPO_ROOT
from tests.analytics.conftest import FAULTS


@pytest.fixture(scope="session")
def reference(profile) -> Reference:
    return Reference.of_profile(profile)


@pytest.fixture(scope="session")
def training(training_dir: Path, reference: Reference):
    return dataset_metrics(training_dir, reference)


@pytest.fixture(scope="session")
def run_diagnosis(profile, training, reference):
    def run(deployment: Path, checkpoint: Path | None = None) -> Diagnosis:
        info = read_checkpoint(checkpoint) if checkpoint else None
        return diagnose(
            profile,
            dataset_metrics(deployment, reference),
            training=training,
            checkpoint=info,
            epochs=trained_epochs(profile, info, training.episode_lengths),
            views=camera_views(open_dataset(deployment)),
        )

    return run


def test_clean_deployment_gives_no_findings_and_every_check_ran(
    run_diagnosis, clean_dir: Path, sane_checkpoint: Path
) -> None:
    diagnosis = run_diagnosis(clean_dir, sane_checkpoint)
    assert diagnosis.findings == ()
    assert sorted(diagnosis.checked) == sorted(set(FINDING_IDS) - {"unexplained_drift"})
    drift = {skip.id: skip.reason for skip in diagnosis.skipped}["unexplained_drift"]
    assert "need at least 5 episodes on each side" in drift  # a few episodes say nothing about drift
    assert [skip.id for skip in diagnosis.skipped] == ["unexplained_drift"]
    assert diagnosis.policy["epochs"] == pytest.approx(5.0)


@pytest.mark.parametrize("finding_id", sorted(FAULTS))
def test_each_fault_gives_exactly_its_finding(run_diagnosis, fault_dirs: dict[str, Path], finding_id: str) -> None:
    diagnosis = run_diagnosis(fault_dirs[finding_id])
    assert diagnosis.ids == (finding_id,)
    finding = diagnosis.findings[0]
    assert finding.severity in ("critical", "warning")
    assert finding.evidence.sentence and finding.evidence.numbers and finding.fix
    json.dumps(to_json(finding))  # the evidence is JSON-ready


def test_an_untrained_checkpoint_says_the_gripper_cannot_be_judged_and_a_labs_checkpoint_is_judged(
    run_diagnosis, fault_dirs: dict[str, Path], sane_checkpoint: Path, tmp_path: Path
) -> None:
    """A policy that never learned to grasp does not grasp whatever the setup: the demo's untrained checkpoint skips
    the checks of the policy's motion, naming why; any other checkpoint (no marker, or a trained demo) is judged."""
    assert run_diagnosis(fault_dirs["gripper_never_closes"], sane_checkpoint).ids == ("gripper_never_closes",)
    untrained = tmp_path / "demo-checkpoint"
    shutil.copytree(sane_checkpoint, untrained)
    marker = find_pretrained_model(untrained) / DEMO_MARKER_FILE
    marker.write_text(json.dumps({"trained": False, "steps": 200}))
    diagnosis = run_diagnosis(fault_dirs["gripper_never_closes"], untrained)
    assert "gripper_never_closes" not in diagnosis.ids
    reason = {skip.id: skip.reason for skip in diagnosis.skipped}["gripper_never_closes"]
    assert "untrained demo checkpoint, 200 training steps" in reason
    marker.write_text(json.dumps({"trained": True, "steps": 8000}))
    assert "gripper_never_closes" in run_diagnosis(fault_dirs["gripper_never_closes"], untrained).ids


def test_overtrained_checkpoint_gives_overfitting(run_diagnosis, clean_dir: Path, overtrained_checkpoint: Path) -> None:
    diagnosis = run_diagnosis(clean_dir, overtrained_checkpoint)
    assert diagnosis.ids == ("overfitting",)
    numbers = diagnosis.findings[0].evidence.numbers
    assert numbers["epochs"] == pytest.approx(300 * 8 / 144, abs=1e-3)
    assert numbers["warn_above"] == 10.0
    assert "180 steps" in diagnosis.findings[0].fix  # 10 epochs of 144 frames at batch 8


def test_evidence_names_the_numbers(run_diagnosis, fault_dirs: dict[str, Path], sane_checkpoint: Path) -> None:
    task = run_diagnosis(fault_dirs["task_mismatch"]).findings[0]
    assert task.evidence.numbers["deployment_task"] == "Grab the brain "
    assert task.evidence.numbers["nearest_training_task"] == "Grab the brain"
    assert task.evidence.numbers["difference"] == "only in leading or trailing spaces"
    assert (
        run_diagnosis(fault_dirs["task_mismatch"], sane_checkpoint).findings[0].severity == "info"
    )  # ACT ignores the task

    swap = run_diagnosis(fault_dirs["camera_swap"]).findings[0]
    assert swap.evidence.numbers["shows"] == {"front": "wrist", "wrist": "front"}

    start = run_diagnosis(fault_dirs["start_pose"]).findings[0].evidence.numbers
    assert (start["episodes_off"], start["max_distance_deg"]) == (3, 31.0)
    assert start["joints_off"] == {"elbow_flex": 3, "gripper": 3}

    jumps = run_diagnosis(fault_dirs["action_jumps"]).findings[0].evidence.numbers["joints"]
    assert list(jumps) == ["shoulder_pan"] and jumps["shoulder_pan"]["deployment_p95"] == 13.0

    units = run_diagnosis(fault_dirs["unit_mismatch"])
    assert units.findings[0].evidence.numbers["degrees_side"] == "training"
    assert {skip.id for skip in units.skipped} == {
        "start_pose",
        "action_jumps",
        "overfitting",
        "feature_mismatch",
        "unexplained_drift",
    }


def test_findings_round_trip_through_json(run_diagnosis, fault_dirs: dict[str, Path]) -> None:
    finding = run_diagnosis(fault_dirs["gripper_never_closes"]).findings[0]
    assert from_json(Finding, json.loads(json.dumps(to_json(finding)))) == finding


def test_command_prints_the_documented_json(
    training_dir: Path, fault_dirs: dict[str, Path], sane_checkpoint: Path
) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "diagnose",
            "--training",
            str(training_dir),
            "--deployment",
            str(fault_dirs["fps_mismatch"]),
            "--policy",
            str(sane_checkpoint),
            "--json",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(result.stdout)
    assert set(report) == {"version", "training", "deployment", "policy", "findings", "checks", "provenance"}
    assert [f["id"] for f in report["findings"]] == ["fps_mismatch"]
    assert set(report["findings"][0]) == {"id", "severity", "title", "evidence", "fix"}
    assert set(report["findings"][0]["evidence"]) == {"sentence", "numbers"}
    assert report["policy"]["type"] == "act" and report["deployment"]["fps"] == 15
    assert set(report["checks"]) == {"run", "skipped"}


def test_command_explains_bad_input(tmp_path: Path, training_dir: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "diagnose",
            "--training",
            str(training_dir),
            "--deployment",
            str(tmp_path / "nope"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr
