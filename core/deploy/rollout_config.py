"""Build lerobot's `RolloutConfig` for a run inside the station: the same config `lerobot-rollout` parses.

Recording: one LeRobot v3.0 dataset per run under `<workspace>/recordings/<run>`, named
`local/rollout_<run>` (lerobot requires the `rollout_` prefix), never pushed to a hub.
Policy: the checkpoint's own config with the operator's overrides; ACT's ImageNet
backbone download is switched off (the trained backbone is in the weights anyway).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from core.deploy.settings import RunSettings
from core.errors import CheckpointError
from core.station.config import StationConfig
from core.workspace import Workspace


def run_name(settings: RunSettings) -> str:
    policy = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(settings.policy_dir).resolve().parent.name or "policy").strip("-")
    return f"{time.strftime('%Y%m%d-%H%M%S')}_{policy}"[:80]


def policy_overrides(config_json: dict, settings: RunSettings, device: str) -> list[str]:
    overrides = [f"--device={device}"]
    if "pretrained_backbone_weights" in config_json:
        overrides.append("--pretrained_backbone_weights=null")
    if settings.n_action_steps is not None:
        overrides.append(f"--n_action_steps={settings.n_action_steps}")
    return overrides


def rollout_config(settings: RunSettings, station: StationConfig, robot_config, workspace: Workspace):
    """The RolloutConfig and the folder the run records into."""
    import json

    import torch
    from lerobot.configs import PreTrainedConfig
    from lerobot.configs.dataset import DatasetRecordConfig
    from lerobot.rollout.configs import EpisodicStrategyConfig, RolloutConfig
    from lerobot.rollout.inference import RTCInferenceConfig, SyncInferenceConfig

    policy_dir = Path(settings.policy_dir)
    if not (policy_dir / "config.json").is_file():
        raise CheckpointError(f"{policy_dir} has no config.json: choose the checkpoint's pretrained_model folder.")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    config_json = json.loads((policy_dir / "config.json").read_text())
    policy = PreTrainedConfig.from_pretrained(policy_dir, cli_overrides=policy_overrides(config_json, settings, device))
    policy.pretrained_path = policy_dir
    inference = SyncInferenceConfig()
    if settings.inference == "rtc":
        inference = RTCInferenceConfig()
        if settings.rtc_execution_horizon is not None:
            inference.rtc.execution_horizon = settings.rtc_execution_horizon
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
    )
    config = RolloutConfig(
        robot=robot_config,
        policy=policy,
        strategy=EpisodicStrategyConfig(reset_to_initial_position=False, smooth_handover=False),
        inference=inference,
        dataset=dataset,
        fps=station.fps,
        device=device,
        task=settings.task,
        play_sounds=False,
        rename_map=dict(settings.rename_map),
        return_to_initial_position=False,
    )
    return config, root
