"""A tiny SmolVLA (stand-in backbone, built offline from the demo dataset) through the Deploy flow on the simulated
station.

The checkpoint expects camera slots camera1/camera2, like a fine-tune of smolvla_base; the
station's cameras are front/wrist, so every run needs the rename map.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.deploy.gate import run_preflight
from core.policy.camera_slots import propose_camera_slots
from core.policy.checkpoint import read_checkpoint
from core.registry import Registry
from core.sim.lab import SIM_HOME_POSE
from core.station.run_settings import RunSettings
from core.training.profile import build_profile
from testkit.smolvla_standin import write_smolvla_checkpoint, write_standin_backbone
from testkit.waiting import wait_for
from tests.deploy.conftest import run_phase

pytestmark = pytest.mark.slow
TASK = "Grab the brain"


@pytest.fixture(scope="module")
def smolvla(tmp_path_factory: pytest.TempPathFactory, demo_assets) -> Path:
    folder = Path(tmp_path_factory.mktemp("smolvla-deploy"))
    backbone = write_standin_backbone(folder / "backbone", tasks=[TASK])
    return write_smolvla_checkpoint(
        folder / "run", demo_assets.dataset_root, backbone, steps=20, batch_size=2, chunk_size=20, n_action_steps=10
    )


@pytest.fixture(scope="module")
def profile(demo_assets, smolvla):
    return build_profile(demo_assets.dataset_root, smolvla)


def test_the_proposed_slots_pass_and_a_missing_or_doubled_slot_blocks(station, smolvla, profile):
    info = read_checkpoint(smolvla)
    state = station.state()
    preflight = run_preflight(task=TASK, profile=profile, checkpoint=info, state=state, client=station)
    assert preflight.statuses["camera_slots"] == "pass", preflight.finding("camera_slots").evidence.sentence
    assert preflight.camera_slots.rename_map == {
        "observation.images.front": "observation.images.camera1",
        "observation.images.wrist": "observation.images.camera2",
    }

    doubled = {
        "observation.images.front": "observation.images.camera1",
        "observation.images.wrist": "observation.images.camera1",
    }
    blocked = run_preflight(
        task=TASK, profile=profile, checkpoint=info, state=state, client=station, rename_map=doubled
    )
    assert blocked.statuses["camera_slots"] == "fail"
    assert "camera2" in blocked.finding("camera_slots").evidence.sentence
    missing = run_preflight(
        task=TASK,
        profile=profile,
        checkpoint=info,
        state=state,
        client=station,
        rename_map={"observation.images.front": "observation.images.camera1"},
    )
    assert missing.statuses["camera_slots"] == "fail"
    assert missing.blocking(task_override=True)


@pytest.mark.parametrize("inference", ["sync", "rtc"])
def test_episodes_run_with_the_rename_map_applied(station, smolvla, inference):
    slots = propose_camera_slots(read_checkpoint(smolvla), list(station.state().camera_mapping))
    settings = RunSettings(
        policy_dir=str(smolvla),
        task=TASK,
        episode_time_s=3.0,
        start_pose=dict(SIM_HOME_POSE),
        inference=inference,
        rtc_execution_horizon=8 if inference == "rtc" else None,
        rename_map=slots.rename_map,
    )
    station.start_run(settings)
    ready = run_phase(station, "ready", "failed")
    assert ready.phase == "ready", ready.message
    wait_for(lambda: station.state().mode == "idle", 60)
    station.start_episode()
    outcome = wait_for(
        lambda: (status := station.run_status()).phase == "ready" and status.episodes and status.episodes[-1], 120
    )
    assert outcome.status == "recorded" and outcome.frames > 10, outcome
    station.end_run()
    ended = run_phase(station, "ended", "failed")
    assert ended.phase == "ended", ended.message

    row = Registry.open().episode_rows(run_id=ended.run_id)[0]
    assert row.inference == inference and row.rename_map == slots.rename_map
    assert (row.chunk_size, row.n_action_steps) == (20, 10)
    assert row.rtc_execution_horizon == (8 if inference == "rtc" else None)


def test_without_the_rename_map_the_run_does_not_start(station, smolvla):
    settings = RunSettings(policy_dir=str(smolvla), task=TASK, episode_time_s=3.0, start_pose=dict(SIM_HOME_POSE))
    station.start_run(settings)
    failed = run_phase(station, "ready", "failed")
    assert failed.phase == "failed"
    assert "rename" in failed.message.lower()
