"""The preflight gate on the simulated station with the demo checkpoint and its training profile."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest

from core.deploy.gate import OVERRIDABLE, run_preflight
from core.policy.checkpoint import read_checkpoint
from core.sim.lab import SIM_HOME_POSE
from core.training.profile import build_profile
from testkit.waiting import wait_for


@pytest.fixture(scope="module")
def profile(demo_assets):
    return build_profile(demo_assets.dataset_root, demo_assets.checkpoint_dir)


@pytest.fixture(scope="module")
def checkpoint(demo_assets):
    return read_checkpoint(demo_assets.checkpoint_dir)


def gate(station, profile, checkpoint, task="Grab the brain", state=None, **settings):
    return run_preflight(
        task=task,
        profile=profile,
        checkpoint=checkpoint,
        state=state or station.state(),
        client=station,
        **settings,
    )


def only_failing(preflight, check: str, status: str = "fail") -> None:
    """`check` has `status` and every other check passes: it fails for its own reason, not as a side effect."""
    others = {name: value for name, value in preflight.statuses.items() if name != check and value != "pass"}
    assert preflight.statuses[check] == status, preflight.finding(check).evidence.sentence
    assert not others, {name: preflight.finding(name).evidence.sentence for name in others}


def test_the_training_sentence_on_a_healthy_station_passes(station, profile, checkpoint):
    preflight = gate(station, profile, checkpoint)
    assert not preflight.blocking(), [(finding.id, finding.evidence.sentence) for finding in preflight.blocking()]
    assert preflight.statuses == {
        "task_mismatch": "pass",
        "feature_mismatch": "pass",
        "camera_swap": "pass",
        "visual_shift": "pass",
        "start_pose": "pass",
        "camera_slots": "pass",
        "chunking": "pass",
        "fps_mismatch": "pass",
        "unit_mismatch": "pass",
        "overfitting": "pass",
    }


@pytest.mark.parametrize("sentence", ["Grab the brain ", "grab the brain", "Grasp a brain and put it in the bin."])
def test_a_different_sentence_blocks_the_run_unless_overridden(station, profile, checkpoint, sentence):
    preflight = gate(station, profile, checkpoint, task=sentence)
    task = preflight.finding("task_mismatch")
    assert preflight.statuses["task_mismatch"] == "fail" and task.id in OVERRIDABLE
    assert preflight.blocking()
    assert not preflight.blocking(task_override=True)
    assert "Grab the brain" in task.fix


def test_swapped_cables_and_a_displaced_start_pose_block_the_run(station, profile, checkpoint):
    station.inject_fault("swap_cables")
    station.inject_fault("displace_start_pose")
    try:
        wait_for(lambda: gate(station, profile, checkpoint).statuses["camera_swap"] == "fail", timeout_s=10)
        preflight = gate(station, profile, checkpoint)
        assert {finding.id for finding in preflight.blocking(task_override=True)} == {"camera_swap", "start_pose"}
        assert "swapped" in preflight.finding("camera_swap").evidence.sentence.lower()
        assert "NO-GO" in preflight.finding("start_pose").evidence.sentence
    finally:
        station.inject_fault("clear_faults")
        station.move_home(dict(SIM_HOME_POSE))
        wait_for(lambda: station.state().mode == "idle", timeout_s=30)


def test_settings_that_cannot_work_block_the_run(station, profile, checkpoint):
    preflight = gate(station, profile, checkpoint, n_action_steps=checkpoint.chunk_size + 5)
    assert preflight.statuses["chunking"] == "fail"
    assert preflight.blocking(task_override=True)


def test_a_changed_scene_look_warns_before_any_episode_with_its_numbers(station, profile, checkpoint):
    """Dim lights and a green table: the roles still match, but the scene rule sees the darker picture."""
    station.inject_fault("change_scene_look")
    try:
        wait_for(lambda: gate(station, profile, checkpoint).statuses["visual_shift"] == "warn", timeout_s=10)
        shift = gate(station, profile, checkpoint).finding("visual_shift")
        assert shift.severity == "warning" and "darker" in shift.evidence.sentence
        front = shift.evidence.numbers["cameras"]["front"]
        assert front["deployment_brightness"] < front["training_brightness"][0] / 1.3
    finally:
        station.inject_fault("clear_faults")
    wait_for(lambda: gate(station, profile, checkpoint).statuses["visual_shift"] == "pass", timeout_s=10)


def test_a_station_at_another_fps_fails_the_fps_check_alone(station, profile, checkpoint):
    preflight = gate(station, profile, checkpoint, state=dataclasses.replace(station.state(), fps=15))
    only_failing(preflight, "fps_mismatch")
    assert preflight.finding("fps_mismatch").evidence.numbers == {
        "training_fps": 30,
        "deployment_fps": 15,
        "ratio": 0.5,
    }
    assert [finding.id for finding in preflight.blocking(task_override=True)] == ["fps_mismatch"]


def test_a_station_in_range_units_fails_the_units_check_alone(station, profile, checkpoint):
    """The demo trains in degrees; a station configured for lerobot's -100..100 range units is another unit."""
    preflight = gate(station, profile, checkpoint, state=dataclasses.replace(station.state(), use_degrees=False))
    assert preflight.statuses["unit_mismatch"] == "fail"
    assert "degrees" in preflight.finding("unit_mismatch").evidence.sentence
    assert {"fps_mismatch", "camera_slots", "overfitting", "task_mismatch"} <= {
        name for name, value in preflight.statuses.items() if value == "pass"
    }


def test_a_doubled_camera_slot_fails_the_slots_check_alone(station, profile, checkpoint):
    doubled = {
        "observation.images.front": "observation.images.front",
        "observation.images.wrist": "observation.images.front",
    }
    preflight = gate(station, profile, checkpoint, rename_map=doubled)
    only_failing(preflight, "camera_slots")
    assert "observation.images.wrist" in preflight.finding("camera_slots").evidence.sentence


def test_a_checkpoint_trained_far_too_long_warns_on_epochs_alone(station, profile, checkpoint, demo_assets, tmp_path):
    """The demo checkpoint as if lerobot-train had run 100,000 steps on the same dataset."""
    overtrained = tmp_path / "overtrained"
    shutil.copytree(demo_assets.checkpoint_dir, overtrained)
    shutil.rmtree(overtrained / "training_state", ignore_errors=True)
    train_config = json.loads((overtrained / "train_config.json").read_text())
    train_config["steps"] = 100_000
    (overtrained / "train_config.json").write_text(json.dumps(train_config))
    preflight = gate(station, profile, read_checkpoint(overtrained))
    only_failing(preflight, "overfitting", status="warn")
    numbers = preflight.finding("overfitting").evidence.numbers
    assert numbers["steps"] == 100_000 and numbers["epochs"] > numbers["warn_above"]


def test_a_backbone_missing_from_this_machine_fails_the_backbone_check_alone(station, profile, checkpoint, tmp_path):
    """The demo ACT checkpoint's description naming a SmolVLA backbone folder that is not on this machine (the
    SmolVLA flow itself is tests/deploy/test_smolvla_deploy.py)."""
    missing = dataclasses.replace(checkpoint, vlm_model_name=str(tmp_path / "SmolVLM2-500M-Video-Instruct"))
    preflight = gate(station, profile, missing)
    assert "backbone" not in gate(station, profile, checkpoint).statuses  # an ACT policy has none to check
    only_failing(preflight, "backbone")
    assert "SmolVLM2-500M-Video-Instruct" in preflight.finding("backbone").evidence.sentence


def test_training_videos_that_are_absent_say_the_camera_checks_are_off_and_block_nothing(
    station, checkpoint, demo_assets, tmp_path
):
    """A partial download (videos declared, files absent): the gate says once which camera checks are off and
    why, with what turns them on, instead of failing them or passing them silently."""
    from testkit import corpus

    root = corpus.without_videos(corpus.copy_of(demo_assets.dataset_root, tmp_path / "no_videos"))
    preflight = gate(station, build_profile(root), checkpoint)
    for check in ("camera_swap", "visual_shift"):
        finding = preflight.finding(check)
        assert preflight.statuses[check] != "fail" and finding.severity == "info", (check, finding.severity)
        assert finding.evidence.sentence.startswith("Not checked: the training camera frames cannot be read")
        assert "Profile the training dataset with its camera videos" in finding.fix
    assert not preflight.blocking(), [(finding.id, finding.evidence.sentence) for finding in preflight.blocking()]
