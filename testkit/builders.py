"""Build real lerobot files for tests: small v3.0 datasets and tiny ACT checkpoints, with controlled values.

Datasets go through lerobot's own writer (`LeRobotDataset.create/add_frame/save_episode/finalize`,
H.264 video, the demo's encoder); checkpoints through lerobot's own `save_pretrained` calls and
`TrainPipelineConfig`, laid out the way lerobot-train lays them out. Values are given by
the caller, so a test can assert exact statistics. Everything is tiny (64x48 video, a
1-layer ACT) so a session builds in seconds on two cores.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.so101 import MOTOR_NAMES, pos_key

SO101_NAMES: tuple[str, ...] = tuple(pos_key(motor) for motor in MOTOR_NAMES)
IMAGE_SHAPE = (48, 64, 3)  # height, width, channels
CAMERAS = ("front", "wrist")


@dataclass(frozen=True)
class EpisodeData:
    """One episode to write: its task string and per-frame state and action, (frames, joints) each."""

    task: str
    state: np.ndarray
    action: np.ndarray


def camera_image(camera: str, episode: int, frame: int, shape: tuple[int, int, int] = IMAGE_SHAPE) -> np.ndarray:
    """Synthetic camera content, unlike between cameras and varying with episode and frame.

    front: a warm horizontal ramp with a dark square that moves right frame by frame and starts
    lower each episode. wrist: cool vertical stripes with a bright disc that grows with the
    frame and shifts with the episode.
    """
    height, width, _ = shape
    rows, cols = np.mgrid[0:height, 0:width]
    image = np.zeros(shape, dtype=np.float64)
    if camera == "front":
        image[..., 0] = 120 + 100 * cols / width
        image[..., 1] = 80 + 40 * rows / height
        image[..., 2] = 40
        top, left = 4 + 6 * (episode % 5), 2 + 3 * frame % (width - 14)
        image[top : top + 12, left : left + 12] = (20, 20, 30)
    else:
        stripes = (cols // 6) % 2
        image[..., 0] = 40
        image[..., 1] = 70 + 60 * stripes
        image[..., 2] = 150 + 80 * stripes
        radius = 4 + frame % 16
        centre_col = 16 + 8 * (episode % 4)
        disc = (rows - height / 2) ** 2 + (cols - centre_col) ** 2 < radius**2
        image[disc] = (240, 240, 200)
    return np.clip(image, 0, 255).astype(np.uint8)


def so101_features(
    cameras: Sequence[str] = CAMERAS,
    image_shape: tuple[int, int, int] = IMAGE_SHAPE,
    state_names: Sequence[str] = SO101_NAMES,
    action_names: Sequence[str] = SO101_NAMES,
    camera_dtype: str = "video",
) -> dict:
    """The dataset features an SO-101 follower with these cameras records (as hw_to_dataset_features makes them);
    other joint names (another arm, state and action of different lengths) through `state_names`/`action_names`,
    cameras stored as images inside the data parquet (older and image-only datasets) with `camera_dtype="image"`."""
    features = {
        key: {"dtype": "float32", "shape": (len(names),), "names": list(names)}
        for key, names in (("observation.state", state_names), ("action", action_names))
    }
    for camera in cameras:
        features[f"observation.images.{camera}"] = {
            "dtype": camera_dtype,
            "shape": image_shape,
            "names": ["height", "width", "channels"],
        }
    return features


def h264_encoder():
    """The demo's H.264 encoder (core/sim/recording.py): a fraction of the AV1 default's encoding time, and the
    codec the lab's own recordings use."""
    from lerobot.configs.video import RGBEncoderConfig

    from core.sim.recording import VIDEO_CODEC

    return RGBEncoderConfig(**VIDEO_CODEC)


def write_dataset(
    root: Path,
    episodes: Sequence[EpisodeData],
    *,
    fps: int = 30,
    cameras: Sequence[str] = CAMERAS,
    robot_type: str = "so_follower",
    repo_id: str = "local/preflight_test",
    image_shape: tuple[int, int, int] = IMAGE_SHAPE,
    image_of: Callable[[str, int, int, tuple[int, int, int]], np.ndarray] | None = None,
    state_names: Sequence[str] = SO101_NAMES,
    action_names: Sequence[str] = SO101_NAMES,
    camera_dtype: str = "video",
) -> Path:
    """Write a LeRobot v3.0 dataset at `root` (which must not exist) with lerobot's writer; returns root.

    `image_of(camera, episode, frame, shape)` draws each frame (default `camera_image`): a test can
    record swapped cameras or a changed scene. Each episode's state and action have one column per name.
    """
    image_of = image_of or camera_image
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    dataset = LeRobotDataset.create(
        repo_id,
        fps,
        so101_features(cameras, image_shape, state_names, action_names, camera_dtype),
        root=root,
        robot_type=robot_type,
        use_videos=camera_dtype == "video",
        video_backend="pyav",
        rgb_encoder=h264_encoder(),
    )
    for episode_index, episode in enumerate(episodes):
        for frame_index, (state, action) in enumerate(zip(episode.state, episode.action, strict=True)):
            frame = {
                "observation.state": np.asarray(state, dtype=np.float32),
                "action": np.asarray(action, dtype=np.float32),
                "task": episode.task,
            }
            for camera in cameras:
                frame[f"observation.images.{camera}"] = image_of(camera, episode_index, frame_index, image_shape)
            dataset.add_frame(frame)
        dataset.save_episode(parallel_encoding=False)
    dataset.finalize()
    return Path(root)


def write_act_checkpoint(
    output_dir: Path,
    dataset_root: Path,
    *,
    steps: int,
    batch_size: int,
    checkpoint_steps: Sequence[int] | None = None,
    chunk_size: int = 10,
    n_action_steps: int = 5,
    rename_map: Mapping[str, str] | None = None,
    train_repo_id: str = "local/preflight_test",
    train_root: str | Path | None = None,
    train_episodes: Sequence[int] | None = None,
) -> Path:
    """A tiny ACT training-run folder as lerobot-train writes it; returns the last pretrained_model folder.

    Layout: for each of `checkpoint_steps` (default: just `steps`), `output_dir/checkpoints/<step>/`
    with `pretrained_model/` (config.json, model.safetensors, policy_pre/postprocessor files,
    train_config.json) and `training_state/training_step.json`; `checkpoints/last` links the last.
    No training happens: weights are the initial ones. The train_config names `train_root`
    (default: `dataset_root`) and `train_repo_id`.
    """
    from lerobot.configs.default import DatasetConfig
    from lerobot.configs.train import TrainPipelineConfig
    from lerobot.configs.types import FeatureType
    from lerobot.datasets.dataset_metadata import LeRobotDatasetMetadata
    from lerobot.policies.act.configuration_act import ACTConfig
    from lerobot.policies.act.modeling_act import ACTPolicy
    from lerobot.policies.factory import make_pre_post_processors
    from lerobot.utils.feature_utils import dataset_to_policy_features

    meta = LeRobotDatasetMetadata(train_repo_id, root=dataset_root)
    features = dataset_to_policy_features(meta.features)
    config = ACTConfig(
        input_features={key: f for key, f in features.items() if f.type is not FeatureType.ACTION},
        output_features={key: f for key, f in features.items() if f.type is FeatureType.ACTION},
        chunk_size=chunk_size,
        n_action_steps=n_action_steps,
        pretrained_backbone_weights=None,
        dim_model=64,
        n_heads=2,
        dim_feedforward=128,
        n_encoder_layers=1,
        n_vae_encoder_layers=1,
        latent_dim=8,
        device="cpu",
        push_to_hub=False,
    )
    train_config = TrainPipelineConfig(
        dataset=DatasetConfig(
            repo_id=train_repo_id,
            root=str(train_root if train_root is not None else dataset_root),
            episodes=list(train_episodes) if train_episodes is not None else None,
            video_backend="pyav",
        ),
        policy=config,
        output_dir=Path(output_dir),
        steps=steps,
        batch_size=batch_size,
    )
    train_config.validate()  # as lerobot-train does: fills job name, optimizer and scheduler presets
    policy = ACTPolicy(config)
    preprocessor, postprocessor = make_pre_post_processors(config, dataset_stats=meta.stats)
    if rename_map:
        rename_step = next(s for s in preprocessor.steps if type(s).__name__ == "RenameObservationsProcessorStep")
        rename_step.rename_map = dict(rename_map)

    for step in checkpoint_steps or (steps,):
        pretrained_dir = save_checkpoint(
            Path(output_dir), steps, step, batch_size, policy, train_config, preprocessor, postprocessor
        )
    return pretrained_dir


def save_checkpoint(
    output_dir: Path, steps: int, step: int, batch_size: int, policy, train_config, preprocessor, postprocessor
) -> Path:
    """Lay a checkpoint out as lerobot-train does (`checkpoints/<step>/pretrained_model`, training step, `last`)."""
    from lerobot.common.train_utils import get_step_checkpoint_dir, save_training_step, update_last_checkpoint
    from lerobot.utils.constants import PRETRAINED_MODEL_DIR, TRAINING_STATE_DIR

    checkpoint_dir = get_step_checkpoint_dir(output_dir, steps, step)
    pretrained_dir = checkpoint_dir / PRETRAINED_MODEL_DIR
    for part in (policy, train_config, preprocessor, postprocessor):
        part.save_pretrained(pretrained_dir)
    save_training_step(step, checkpoint_dir / TRAINING_STATE_DIR, num_processes=1, batch_size=batch_size)
    update_last_checkpoint(checkpoint_dir)
    return pretrained_dir


def nan_checkpoint(source: Path, target: Path) -> Path:
    """A copy of the ACT checkpoint `source` whose action head outputs NaN: a policy gone wrong, for the guards."""
    import shutil

    from safetensors.torch import load_file, save_file

    shutil.copytree(source, target)
    weights = load_file(target / "model.safetensors")
    head = next(name for name in weights if name.endswith("action_head.weight"))
    weights[head] = weights[head] * float("nan")
    save_file(weights, target / "model.safetensors")
    return target
