"""The rename map from the station's cameras to the policy's image slots: proposed, and refused when a slot is wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from core.policy.camera_slots import check_rename_map, check_slot_choice, propose_camera_slots
from core.policy.checkpoint import CheckpointInfo
from tests.policy.conftest import LAB_RENAME_MAP, TASK

CAMERA1, CAMERA2 = "observation.images.camera1", "observation.images.camera2"


def kinds(slots) -> list[str]:
    return [problem.kind for problem in slots.problems]


def test_a_lab_like_ours_gets_the_stored_map(smolvla_info: CheckpointInfo) -> None:
    slots = propose_camera_slots(
        smolvla_info, ["wrist", "front"], training_cameras=["observation.images.front", "observation.images.wrist"]
    )
    assert slots.rename_map == LAB_RENAME_MAP
    assert slots.origin == "stored" and not slots.blocking
    assert [(s.slot, s.state, s.cameras, s.trained_from) for s in slots.slots] == [
        (CAMERA1, "filled", ("front",), "observation.images.front"),
        (CAMERA2, "filled", ("wrist",), "observation.images.wrist"),
    ]
    assert "front -> camera1, wrist -> camera2" in slots.explanation


def test_other_camera_names_are_mapped_by_role_and_flagged_for_checking(smolvla_info: CheckpointInfo) -> None:
    slots = propose_camera_slots(smolvla_info, ["hand", "top"])
    assert slots.rename_map == {"observation.images.top": CAMERA1, "observation.images.hand": CAMERA2}
    assert slots.origin == "order" and not slots.blocking
    assert "Cameras page" in slots.explanation
    assert slots.slots[0].note == "top (in training: front)"


def test_act_with_matching_names_needs_no_rename(act_info: CheckpointInfo) -> None:
    slots = propose_camera_slots(act_info, ["front", "wrist", "side"])
    assert slots.rename_map == {} and slots.origin == "identity" and not slots.blocking
    assert slots.unused_cameras == ("side",)


def test_a_missing_slot_blocks_with_what_to_map(smolvla_info: CheckpointInfo) -> None:
    slots = propose_camera_slots(smolvla_info, ["front"])
    assert kinds(slots) == ["missing_slot"]
    assert slots.slots[1].state == "missing"
    message = slots.problems[0].message
    assert "camera2" in message and "In training it saw 'wrist'" in message and "fewer images" in message
    assert "no camera left" in message  # front already fills camera1


def test_a_doubly_used_slot_blocks(smolvla_info: CheckpointInfo) -> None:
    slots = check_rename_map(
        smolvla_info, ["front", "wrist"], {"observation.images.front": CAMERA1, "observation.images.wrist": CAMERA1}
    )
    assert sorted(kinds(slots)) == ["missing_slot", "slot_used_twice"]
    assert slots.slots[0].state == "used_twice" and slots.slots[0].cameras == ("front", "wrist")
    assert "Keep one of them" in next(p.message for p in slots.problems if p.kind == "slot_used_twice")


def test_an_unrenamed_camera_named_like_a_slot_collides(smolvla_info: CheckpointInfo) -> None:
    """lerobot passes unmapped cameras through under their own key: a station camera called camera1 fills that slot
    too."""
    slots = check_rename_map(smolvla_info, ["camera1", "front"], {"observation.images.front": CAMERA1})
    assert "slot_used_twice" in kinds(slots)


def test_a_camera_chosen_for_two_slots_blocks(smolvla_info: CheckpointInfo) -> None:
    slots = check_slot_choice(smolvla_info, ["front", "wrist"], {CAMERA1: "front", CAMERA2: "front"})
    assert kinds(slots) == ["camera_used_twice"]
    assert "'front' feeds camera1 and camera2" in slots.problems[0].message
    assert slots.unused_cameras == ("wrist",)


def test_unknown_cameras_and_slots_block(smolvla_info: CheckpointInfo) -> None:
    unknown_camera = check_rename_map(
        smolvla_info, ["front", "wrist"], {**LAB_RENAME_MAP, "observation.images.top": CAMERA1}
    )
    assert "unknown_camera" in kinds(unknown_camera)
    assert "does not have (its cameras: front, wrist)" in unknown_camera.problems[0].message
    unknown_slot = check_rename_map(
        smolvla_info, ["front", "wrist"], {"observation.images.front": "observation.images.camera9"}
    )
    assert sorted(kinds(unknown_slot)) == ["missing_slot", "missing_slot", "unknown_slot"]


def test_an_edited_map_that_matches_passes(smolvla_info: CheckpointInfo) -> None:
    slots = check_slot_choice(smolvla_info, ["front", "wrist"], {CAMERA1: "front", CAMERA2: "wrist"})
    assert slots.rename_map == LAB_RENAME_MAP and not slots.blocking and slots.origin == "edited"


def test_empty_camera_slots_are_shown_and_take_no_camera(blank_slot_info: CheckpointInfo) -> None:
    slots = propose_camera_slots(blank_slot_info, ["front", "wrist"])
    assert not slots.blocking
    assert [s.state for s in slots.slots] == ["filled", "filled", "empty_camera"]
    assert "1 slot(s) stay blank" in slots.explanation
    fed = check_rename_map(
        blank_slot_info,
        ["front", "wrist", "side"],
        {**LAB_RENAME_MAP, "observation.images.side": "observation.images.empty_camera_0"},
    )
    assert kinds(fed) == ["empty_slot_fed"]


def test_lerobot_itself_runs_smolvla_with_a_slot_left_empty(
    smolvla_checkpoint: Path, smolvla_info: CheckpointInfo
) -> None:
    """Why the check exists: with only camera1 mapped, lerobot's SmolVLA silently runs on one image."""
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.policies.factory import get_policy_class, make_pre_post_processors
    from lerobot.policies.utils import prepare_observation_for_inference

    partial = {"observation.images.front": CAMERA1}
    config = PreTrainedConfig.from_pretrained(smolvla_checkpoint)
    policy = get_policy_class("smolvla").from_pretrained(smolvla_checkpoint, config=config).eval()
    preprocessor, _ = make_pre_post_processors(
        config,
        pretrained_path=smolvla_checkpoint,
        preprocessor_overrides={"rename_observations_processor": {"rename_map": partial}},
    )
    frame = {"observation.state": np.zeros(6, dtype=np.float32)}
    frame |= {f"observation.images.{c}": np.zeros((240, 320, 3), dtype=np.uint8) for c in ("front", "wrist")}
    with torch.inference_mode():
        batch = preprocessor(
            prepare_observation_for_inference(frame, torch.device("cpu"), TASK, "preflight_sim_follower")
        )
        images, _ = policy.prepare_images(batch)
        assert len(images) == 1  # no error, one image instead of two
        assert policy.predict_action_chunk(batch).shape == (1, 50, 6)
    assert kinds(check_rename_map(smolvla_info, ["front", "wrist"], partial)) == ["missing_slot"]  # ours refuses it


def test_the_fix_for_a_missing_slot_names_the_training_camera(smolvla_info: CheckpointInfo) -> None:
    slots = check_rename_map(
        smolvla_info, ["front", "wrist"], {"observation.images.front": CAMERA1, "observation.images.wrist": CAMERA1}
    )
    missing = next(p.message for p in slots.problems if p.kind == "missing_slot")
    assert '"observation.images.wrist": "observation.images.camera2"' in missing
