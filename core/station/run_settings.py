"""What a deployment run is: the policy, the exact task sentence, chunking, inference and reset choices.

Everything here is recorded with the run in the registry, so Analytics can compare runs
by setting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ResetMode = Literal["move_home", "leader", "none"]
InferenceMode = Literal["sync", "rtc"]


@dataclass(frozen=True)
class RunSettings:
    policy_dir: str  # the checkpoint's pretrained_model folder
    task: str  # exactly what the policy will be told
    episode_time_s: float = 20.0
    reset: ResetMode = "move_home"  # between episodes: automatic move to the start pose, the leader arm, or nothing
    start_pose: dict[str, float] = field(default_factory=dict)  # training mean start pose (motor -> position)
    n_action_steps: int | None = None  # None: the checkpoint's own
    inference: InferenceMode = "sync"
    rtc_execution_horizon: int | None = None
    rename_map: dict[str, str] = field(default_factory=dict)  # robot/dataset key -> policy key, passed to the rollout
    task_override: bool = False  # the operator ran a sentence that is not a training task, on purpose
    training_profile: str | None = None
    training_dataset: str | None = None  # recordings use its video encoding, so lerobot's merge accepts them together
    move_home_speed_deg_s: float = 30.0
