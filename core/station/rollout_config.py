"""Build lerobot's `RolloutConfig` for a run inside the station: the same config `lerobot-rollout` parses.

Recording: one LeRobot v3.0 dataset per run under `<workspace>/recordings/<run>`, named `local/rollout_<run>`,
video encoded while recording, never pushed. Policy: the checkpoint's config with the operator's overrides.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from core.errors import CheckpointError
from core.policy.checkpoint import find_pretrained_model, read_checkpoint
from core.policy.inference_settings import apply_policy_overrides, inference_config, plan_inference
from core.policy.processor_safety import verify_processors
from core.policy.vlm_backbone import require_backbone
from core.station.config import StationConfig
from core.station.run_settings import RunSettings
from core.workspace import Workspace

ENCODER_THREADS = 1  # per camera encoder; H.264 or AV1 at camera resolution keeps up on one


def run_name(settings: RunSettings) -> str:
    policy = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(settings.policy_dir).resolve().parent.name or "policy").strip("-")
    return f"{time.strftime('%Y%m%d-%H%M%S')}_{policy}"[:80]


def policy_overrides(config_json: dict, device: str) -> list[str]:
    overrides = [f"--device={device}"]
    if "pretrained_backbone_weights" in config_json:
        overrides.append("--pretrained_backbone_weights=null")
    return overrides


def rollout_config(settings: RunSettings, station: StationConfig, robot_config, workspace: Workspace):
    """The RolloutConfig, the folder the run records into, and the inference settings it runs with."""
    import torch
    from lerobot.configs import PreTrainedConfig
    from lerobot.configs.dataset import DatasetRecordConfig
    from lerobot.rollout.configs import EpisodicStrategyConfig, RolloutConfig

    policy_dir = find_pretrained_model(settings.policy_dir)
    info = read_checkpoint(policy_dir)
    verify_processors(policy_dir, workspace)  # before lerobot builds the pipelines: no step outside lerobot runs
    require_backbone(info)
    plan = plan_inference(
        info,
        station.fps,
        settings.inference,
        n_action_steps=settings.n_action_steps,
        rtc_execution_horizon=settings.rtc_execution_horizon,
    )
    if plan.blocking:
        raise CheckpointError("These chunk settings cannot work: " + " ".join(plan.problems))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    policy = PreTrainedConfig.from_pretrained(policy_dir, cli_overrides=policy_overrides(info.config, device))
    policy.pretrained_path = policy_dir
    apply_policy_overrides(plan, policy)
    name = run_name(settings)
    root = workspace.recordings_dir / name
    dataset = DatasetRecordConfig(
        repo_id=f"local/rollout_{name}",
        root=root,
        single_task=settings.task,
        fps=station.fps,
        episode_time_s=settings.episode_time_s,
        reset_time_s=0,
        num_episodes=1_000_000,
        push_to_hub=False,
        no_stamp=True,
        streaming_encoding=True,
        encoder_threads=ENCODER_THREADS,
    )
    encoder = training_video_encoder(settings.training_dataset)
    if encoder is not None:
        dataset.rgb_encoder = encoder
    config = RolloutConfig(
        robot=robot_config,
        policy=policy,
        strategy=EpisodicStrategyConfig(reset_to_initial_position=False, smooth_handover=False),
        inference=inference_config(plan),
        dataset=dataset,
        fps=station.fps,
        device=device,
        task=settings.task,
        play_sounds=False,
        rename_map=dict(settings.rename_map),
        return_to_initial_position=False,
    )
    return config, root, plan


def training_video_encoder(training_dataset: str | None):
    """The training set's camera encoding (codec, pixel format...), so recordings merge with it.

    lerobot's merge requires identical features, and a video feature's `info` names its codec:
    a recording encoded with lerobot's default (AV1) does not merge into an H.264 training set.
    """
    if not training_dataset:
        return None
    from lerobot.configs.video import RGBEncoderConfig

    from core.training.dataset_files import open_dataset

    dataset = open_dataset(training_dataset, check_videos=False)
    if not dataset.video_keys:
        return None
    return RGBEncoderConfig.from_video_info(dataset.features[dataset.video_keys[0]].get("info"))
