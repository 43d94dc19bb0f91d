"""A tiny SmolVLA, built offline: a stand-in vision-language backbone and a checkpoint that uses it.

A real SmolVLA names its backbone by Hub id (`vlm_model_name`, SmolVLM2-500M) and lerobot
loads that backbone's config, tokenizer and processor every time the policy is built. Tests
and the demo cannot reach the Hub, so this module writes a randomly initialised SmolVLM
of the same architecture, small enough to run in milliseconds on a CPU, into a local folder
that `vlm_model_name` points at. Its tokenizer is a byte-level BPE like SmolVLM2's (a space
is its own token, `Ġ`; a newline is `Ċ`), trained on a few lab sentences, so the task
sentence reaches the model the way it would on a real one.

The checkpoint is laid out the way lerobot-train writes a fine-tune of `lerobot/smolvla_base`:
the policy's image keys are the base model's slots (`observation.images.camera1`, ...),
the preprocessor stores the rename map from the dataset's cameras to those slots, and
`train_config.json` records the run. Weights are the initial ones: it moves, it does not
do the task.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

SMOLVLA_BASE = "lerobot/smolvla_base"  # the pretrained policy a real fine-tune starts from
IMAGE_SIZE_PX = 64  # the stand-in vision tower's input; SmolVLA pads and resizes every camera to it
# The SmolVLM2 tokenizer's special tokens that lerobot's SmolVLA reads by attribute
# (`tokenizer.fake_image_token_id`, `global_image_token_id`).
SPECIAL_TOKENS = {
    "end_of_utterance_token": "<end_of_utterance>",
    "fake_image_token": "<fake_token_around_image>",
    "global_image_token": "<global-img>",
    "image_token": "<image>",
}
CORPUS = (
    "Grab the brain",
    "Grasp a brain and put it in the bin.",
    "Pick up the brain and place it in the bin.",
    "Put the red cube in the box.",
    "Move the toy to the left of the table.",
    "Open the gripper, then close it on the object.",
)
VOCAB_SIZE = 400


def default_rename_map(cameras: Sequence[str]) -> dict[str, str]:
    """The map a lab passes to lerobot-train: its cameras, in order, onto the base model's slots camera1, camera2,
    ..."""
    return {
        f"observation.images.{camera}": f"observation.images.camera{i}" for i, camera in enumerate(cameras, start=1)
    }


def write_standin_backbone(folder: Path, tasks: Sequence[str] = ()) -> Path:
    """Write a tiny randomly initialised SmolVLM (config, tokenizer, processor) to `folder`; returns it.

    `tasks` join the tokenizer's training sentences, so their words become whole tokens.
    No weights are written: lerobot builds the backbone from its config unless
    `load_vlm_weights` is set, and a fine-tuned checkpoint carries them in model.safetensors.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (
        PreTrainedTokenizerFast,
        SmolVLMConfig,
        SmolVLMImageProcessor,
        SmolVLMProcessor,
        SmolVLMVideoProcessor,
    )

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>", *SPECIAL_TOKENS.values()],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator([*CORPUS, *tasks] * 8, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token="<|im_start|>",
        eos_token="<end_of_utterance>",
        pad_token="<|im_end|>",
        unk_token="<|endoftext|>",
        extra_special_tokens=dict(SPECIAL_TOKENS),
    )
    config = SmolVLMConfig(
        text_config={
            "model_type": "llama",
            "vocab_size": len(tokenizer),
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,  # layer 0 self-attention, layer 1 cross-attention in SmolVLA's expert
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "head_dim": 32,
            "max_position_embeddings": 512,
            "rms_norm_eps": 1e-5,
            "pad_token_id": tokenizer.pad_token_id,
        },
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": IMAGE_SIZE_PX,
            "patch_size": 16,
        },
        scale_factor=2,  # 16 patches -> 4 image tokens per camera
        image_token_id=tokenizer.convert_tokens_to_ids(SPECIAL_TOKENS["image_token"]),
        pad_token_id=tokenizer.pad_token_id,
    )
    size = {"longest_edge": IMAGE_SIZE_PX}
    processor = SmolVLMProcessor(
        image_processor=SmolVLMImageProcessor(size=size, max_image_size=size, do_image_splitting=False),
        tokenizer=tokenizer,
        video_processor=SmolVLMVideoProcessor(size=size, max_image_size=size),
        image_seq_len=4,
    )
    config.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def write_smolvla_checkpoint(
    output_dir: Path,
    dataset_root: Path,
    backbone_dir: Path,
    *,
    steps: int = 2000,
    batch_size: int = 8,
    chunk_size: int = 50,
    n_action_steps: int = 50,
    rename_map: Mapping[str, str] | None = None,
    empty_cameras: int = 0,
    train_repo_id: str = "local/preflight_test",
    seed: int = 0,
) -> Path:
    """A tiny SmolVLA training-run folder like lerobot-train's fine-tune of smolvla_base; returns its pretrained_model.

    Layout: `output_dir/checkpoints/<steps>/pretrained_model/` (config.json, model.safetensors,
    policy_pre/postprocessor files, train_config.json), `training_state/training_step.json`,
    and `checkpoints/last`. `rename_map` (default: the dataset's cameras in order onto camera1,
    camera2, ...) decides the policy's image keys: each dataset camera becomes the slot it maps
    to. `empty_cameras` adds that many blank slots, as SmolVLA's option of that name does.
    """
    import torch
    from lerobot.configs.default import DatasetConfig
    from lerobot.configs.train import TrainPipelineConfig
    from lerobot.configs.types import FeatureType
    from lerobot.datasets.dataset_metadata import LeRobotDatasetMetadata
    from lerobot.policies.factory import make_pre_post_processors
    from lerobot.policies.smolvla.configuration_smolvla import SmolVLAConfig
    from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy
    from lerobot.processor.rename_processor import rename_stats
    from lerobot.utils.feature_utils import dataset_to_policy_features

    from testkit.builders import save_checkpoint

    meta = LeRobotDatasetMetadata(train_repo_id, root=dataset_root)
    features = dataset_to_policy_features(meta.features)
    cameras = [key.removeprefix("observation.images.") for key, f in features.items() if f.type is FeatureType.VISUAL]
    rename_map = dict(rename_map) if rename_map is not None else default_rename_map(cameras)
    config = SmolVLAConfig(
        input_features={rename_map.get(key, key): f for key, f in features.items() if f.type is not FeatureType.ACTION},
        output_features={key: f for key, f in features.items() if f.type is FeatureType.ACTION},
        chunk_size=chunk_size,
        n_action_steps=n_action_steps,
        empty_cameras=empty_cameras,
        vlm_model_name=str(Path(backbone_dir).resolve()),
        load_vlm_weights=False,
        resize_imgs_with_padding=(IMAGE_SIZE_PX, IMAGE_SIZE_PX),
        device="cpu",
        push_to_hub=False,
    )
    config.pretrained_path = Path(SMOLVLA_BASE)  # as lerobot-train records `--policy.path=lerobot/smolvla_base`
    train_config = TrainPipelineConfig(
        dataset=DatasetConfig(repo_id=train_repo_id, root=str(Path(dataset_root).resolve()), video_backend="pyav"),
        policy=config,
        output_dir=Path(output_dir),
        steps=steps,
        batch_size=batch_size,
        rename_map=rename_map,
    )
    train_config.validate()  # as lerobot-train does: fills job name, optimizer and scheduler presets
    torch.manual_seed(seed)
    policy = SmolVLAPolicy(config)  # adds the empty_camera_<i> slots to config.input_features
    preprocessor, postprocessor = make_pre_post_processors(config, dataset_stats=rename_stats(meta.stats, rename_map))
    rename_step = next(s for s in preprocessor.steps if type(s).__name__ == "RenameObservationsProcessorStep")
    rename_step.rename_map = dict(rename_map)  # what lerobot-train's `--rename_map` stores

    return save_checkpoint(
        Path(output_dir), steps, steps, batch_size, policy, train_config, preprocessor, postprocessor
    )
