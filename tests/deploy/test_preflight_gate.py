"""The preflight gate on the simulated station with the demo checkpoint and its training profile."""

from __future__ import annotations

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


def gate(station, profile, checkpoint, task="Grab the brain", **settings):
    return run_preflight(
        task=task, profile=profile, checkpoint=checkpoint, state=station.state(), client=station, **settings
    )


def test_the_training_sentence_on_a_healthy_station_passes(station, profile, checkpoint):
    preflight = gate(station, profile, checkpoint)
    assert not preflight.blocking(), [(finding.id, finding.evidence.sentence) for finding in preflight.blocking()]
    assert preflight.statuses | {"overfitting": "pass"} == {
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
