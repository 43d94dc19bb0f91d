"""The tiny SmolVLA loads and runs with lerobot's own classes, offline, like a fine-tune of smolvla_base."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch

from core import codec
from core.policy.checkpoint import CheckpointInfo
from tests.policy.conftest import LAB_RENAME_MAP, TASK


def test_everything_is_offline() -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_checkpoint_is_laid_out_like_a_smolvla_base_fine_tune(smolvla_checkpoint: Path, backbone_dir: Path) -> None:
    assert smolvla_checkpoint.parts[-3:] == ("checkpoints", "000200", "pretrained_model")
    assert (smolvla_checkpoint.parent.parent / "last" / "pretrained_model" / "config.json").is_file()
    config = json.loads((smolvla_checkpoint / "config.json").read_text())
    assert config["type"] == "smolvla"
    assert config["vlm_model_name"] == str(backbone_dir.resolve())
    assert [key for key, f in config["input_features"].items() if f["type"] == "VISUAL"] == [
        "observation.images.camera1",
        "observation.images.camera2",
    ]
    train_config = json.loads((smolvla_checkpoint / "train_config.json").read_text())
    assert train_config["rename_map"] == LAB_RENAME_MAP
    assert (train_config["steps"], train_config["batch_size"]) == (200, 8)
    steps = json.loads((smolvla_checkpoint / "policy_preprocessor.json").read_text())["steps"]
    rename = next(s for s in steps if s["registry_name"] == "rename_observations_processor")
    assert rename["config"]["rename_map"] == LAB_RENAME_MAP
    tokenizer = next(s for s in steps if s["registry_name"] == "tokenizer_processor")
    assert tokenizer["config"]["tokenizer_name"] == str(backbone_dir.resolve())


def test_reader_sees_the_smolvla_fields(smolvla_info: CheckpointInfo, backbone_dir: Path) -> None:
    assert (smolvla_info.policy_type, smolvla_info.chunk_size, smolvla_info.n_action_steps) == ("smolvla", 50, 50)
    assert smolvla_info.rename_map == LAB_RENAME_MAP
    assert smolvla_info.empty_cameras == 0
    assert smolvla_info.vlm_model_name == str(backbone_dir.resolve())
    assert smolvla_info.load_vlm_weights is False
    language = smolvla_info.language
    assert language is not None and language.appends_newline
    assert (language.max_length, language.padding, language.padding_side) == (48, "longest", "right")
    assert codec.from_json(CheckpointInfo, json.loads(json.dumps(codec.to_json(smolvla_info)))) == smolvla_info


def test_act_reads_no_language(act_info: CheckpointInfo) -> None:
    assert act_info.language is None and act_info.vlm_model_name is None
    assert codec.from_json(CheckpointInfo, codec.to_json(act_info)) == act_info


def test_backbone_loads_like_smolvlm2(backbone_dir: Path) -> None:
    from transformers import AutoConfig, AutoProcessor

    processor = AutoProcessor.from_pretrained(backbone_dir)
    tokenizer = processor.tokenizer
    assert AutoConfig.from_pretrained(backbone_dir).model_type == "smolvlm"
    assert tokenizer.fake_image_token_id != tokenizer.global_image_token_id  # SmolVLA reads both
    # byte-level BPE as in SmolVLM2: a space is part of the next token (Ġ) or a token of its own
    assert tokenizer.convert_ids_to_tokens(tokenizer(f"{TASK} \n")["input_ids"])[-2:] == ["Ġ", "Ċ"]


def test_lerobot_loads_and_runs_it_offline(smolvla_checkpoint: Path) -> None:
    """The rollout's own loading path (config, policy class, processors with the rename map), on station-shaped
    frames."""
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.policies.factory import get_policy_class, make_pre_post_processors
    from lerobot.policies.utils import prepare_observation_for_inference

    config = PreTrainedConfig.from_pretrained(smolvla_checkpoint)
    config.pretrained_path = smolvla_checkpoint
    policy = get_policy_class(config.type).from_pretrained(smolvla_checkpoint, config=config).eval()
    preprocessor, postprocessor = make_pre_post_processors(
        config,
        pretrained_path=smolvla_checkpoint,
        preprocessor_overrides={
            "device_processor": {"device": "cpu"},
            "rename_observations_processor": {"rename_map": LAB_RENAME_MAP},
        },
    )
    rng = np.random.default_rng(0)
    frame = {
        "observation.state": np.zeros(6, dtype=np.float32),
        "observation.images.front": rng.integers(0, 255, (240, 320, 3), dtype=np.uint8),  # the sim cameras' 320x240
        "observation.images.wrist": rng.integers(0, 255, (240, 320, 3), dtype=np.uint8),
    }
    with torch.inference_mode():
        batch = preprocessor(
            prepare_observation_for_inference(frame, torch.device("cpu"), TASK, "preflight_sim_follower")
        )
        assert batch["observation.images.camera1"].shape == (1, 3, 240, 320)
        chunk = policy.predict_action_chunk(batch)
        action = postprocessor(policy.select_action(batch))
    assert chunk.shape == (1, 50, 6)
    assert action.shape == (1, 6) and torch.isfinite(action).all()


def test_empty_cameras_become_blank_slots(blank_slot_info: CheckpointInfo) -> None:
    assert blank_slot_info.empty_cameras == 1
    assert blank_slot_info.image_keys == (
        "observation.images.camera1",
        "observation.images.camera2",
        "observation.images.empty_camera_0",
    )
