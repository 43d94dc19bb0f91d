"""The demo's ACT checkpoint: trained offline with lerobot's own `lerobot-train`, judged in the sim lab.

Training goes through lerobot's training entry point, so the checkpoint is exactly what a lab
gets (config, weights, processors, `train_config.json`). A small ACT (about 12M parameters,
ResNet-18 from scratch: the ImageNet weights would need a download) is used. The folder
carries `preflight_demo.json`, which says whether the policy is trained (it reached and
grasped the brain in the sim lab) or only has the right structure; the UI reads it with
`read_demo_marker`.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core import codec
from core.policy.checkpoint import DEMO_MARKER_FILE as MARKER_FILE
from core.sim.recording import DEMO_REPO_ID

# The model and its chunking; the same for a quick structural checkpoint and the long recipe.
ACT_POLICY_ARGS: tuple[str, ...] = (
    "--policy.type=act",
    "--policy.pretrained_backbone_weights=null",
    "--policy.push_to_hub=false",
    "--policy.device=cpu",
    "--policy.dim_model=128",
    "--policy.n_heads=4",
    "--policy.dim_feedforward=512",
    "--policy.n_encoder_layers=2",
    "--policy.n_decoder_layers=1",
    "--policy.n_vae_encoder_layers=2",
    "--policy.latent_dim=16",
    "--policy.chunk_size=30",
    "--policy.n_action_steps=15",
    "--policy.optimizer_lr=1e-4",
    "--policy.optimizer_lr_backbone=1e-4",
)


@dataclass(frozen=True)
class TrainingRecipe:
    """How long to train: `steps` of `batch_size` samples, or until `max_minutes` have passed.

    With a time limit a checkpoint is saved every `save_every` steps and the last one saved
    in time is kept, so the run fits the limit on any machine.
    """

    steps: int
    batch_size: int
    # Data-loading processes; 0 decodes video in the trainer itself (a worker costs ~20 s to start).
    num_workers: int = 1
    max_minutes: float | None = None
    save_every: int | None = None

    def command(self, dataset_root: Path, output_dir: Path) -> list[str]:
        """The `lerobot-train` command line (run with this interpreter, so it works inside the venv)."""
        return [
            sys.executable,
            "-m",
            "lerobot.scripts.lerobot_train",
            f"--dataset.repo_id={DEMO_REPO_ID}",
            f"--dataset.root={dataset_root}",
            *ACT_POLICY_ARGS,
            f"--steps={self.steps}",
            f"--batch_size={self.batch_size}",
            f"--num_workers={self.num_workers}",
            f"--save_freq={self.save_every or self.steps}",
            f"--log_freq={max(1, min(50, self.steps // 10))}",
            "--wandb.enable=false",
            f"--output_dir={output_dir}",
        ]


# A few steps: a checkpoint with the real structure, weights barely trained (about 30 s on a quiet machine).
STRUCTURE_ONLY = TrainingRecipe(steps=5, batch_size=2, num_workers=0)
# The long recipe: whatever a CPU trains in 15 minutes (about 1.5-2.5 s per step on 2 cores).
FIFTEEN_MINUTES = TrainingRecipe(steps=2000, batch_size=8, max_minutes=15.0, save_every=50)


@dataclass(frozen=True)
class PolicyEvaluation:
    """Seeded episodes in the sim lab: how often the policy brought the jaws to the brain, and grasped and lifted it."""

    episodes: int
    reached: int
    grasped: int
    seconds_per_episode: float

    @property
    def works(self) -> bool:
        return self.reached > 0 and self.grasped > 0


@dataclass(frozen=True)
class DemoCheckpointInfo:
    """What the demo checkpoint is: `trained` False means it only has the structure of a trained ACT."""

    trained: bool
    steps: int
    batch_size: int
    train_minutes: float
    evaluation: PolicyEvaluation | None
    note: str


def read_demo_marker(checkpoint_dir: Path) -> DemoCheckpointInfo | None:
    """The demo marker of a checkpoint folder; None for any other checkpoint (a lab's own)."""
    path = Path(checkpoint_dir) / MARKER_FILE
    return codec.from_json(DemoCheckpointInfo, json.loads(path.read_text())) if path.is_file() else None


def write_demo_marker(checkpoint_dir: Path, info: DemoCheckpointInfo) -> None:
    """Mark a checkpoint folder as the demo checkpoint, saying what it is."""
    (Path(checkpoint_dir) / MARKER_FILE).write_text(json.dumps(codec.to_json(info), indent=2))


@dataclass(frozen=True)
class TrainingRun:
    minutes: float
    steps: int


def train_checkpoint(
    dataset_root: Path, target: Path, recipe: TrainingRecipe, progress: Callable[[int, int], None] | None = None
) -> TrainingRun:
    """Train with `lerobot-train` in a scratch folder and move the last saved `pretrained_model` to `target`.

    Raises with the end of lerobot's log on failure, or if no checkpoint was saved in time.
    """
    scratch = target.parent / f".{target.name}.training"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    log_path = scratch / "lerobot-train.log"
    started = time.monotonic()
    deadline = started + recipe.max_minutes * 60 if recipe.max_minutes else None
    reported, timed_out = -1, False
    with open(log_path, "w") as log:
        process = subprocess.Popen(recipe.command(dataset_root, scratch / "run"), stdout=log, stderr=subprocess.STDOUT)
        try:
            while process.poll() is None:
                time.sleep(2.0)
                steps = re.findall(r"step:(\d+)", log_path.read_text(errors="replace"))
                step = int(steps[-1]) if steps else 0
                if progress and step != reported:
                    progress(step, recipe.steps)
                    reported = step
                if deadline and time.monotonic() > deadline:
                    timed_out = True
                    break
        finally:
            _stop(process)
    last = scratch / "run" / "checkpoints" / "last"
    if (process.returncode != 0 and not timed_out) or not (last / "pretrained_model").is_dir():
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
        raise RuntimeError(f"lerobot-train saved no checkpoint (exit {process.returncode}); log {log_path}:\n{tail}")
    steps_done = int(last.resolve().name)
    if target.exists():
        shutil.rmtree(target)
    shutil.move(str(last / "pretrained_model"), str(target))
    shutil.rmtree(scratch, ignore_errors=True)
    return TrainingRun(minutes=(time.monotonic() - started) / 60, steps=steps_done)


def _stop(process: subprocess.Popen) -> None:
    """Interrupt a still-running lerobot-train like Ctrl-C (it then stops its data-loading workers too)."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def evaluate_policy(
    checkpoint_dir: Path, episodes: int = 10, seed: int = 1000, seconds: float = 10.0, cache_dir: Path | None = None
) -> PolicyEvaluation:
    """Run the checkpoint on the simulated follower (lockstep, 30 fps) in seeded episodes of the training distribution.

    Reached: the point between the jaws came within 3 cm of the brain's centre. Grasped: the brain
    was held between both jaws at least 4 cm above the table.
    """
    import numpy as np
    import torch
    from lerobot.common.control_utils import predict_action
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.policies.factory import get_policy_class, make_pre_post_processors
    from lerobot.policies.utils import make_robot_action
    from lerobot.utils.feature_utils import build_dataset_frame

    from core.sim.devices.sim_follower import SimFollower
    from core.sim.expert import TASK
    from core.sim.lab import close_lab, get_lab
    from core.sim.recording import RecordingPlan, dataset_features, follower_config, start_pose_near_home

    config = PreTrainedConfig.from_pretrained(
        checkpoint_dir, cli_overrides=["--pretrained_backbone_weights=null", "--device=cpu"]
    )
    policy = get_policy_class(config.type).from_pretrained(checkpoint_dir, config=config)
    policy.eval()
    preprocessor, postprocessor = make_pre_post_processors(
        config, pretrained_path=str(checkpoint_dir), preprocessor_overrides={"device_processor": {"device": "cpu"}}
    )
    height, width = config.image_features["observation.images.front"].shape[1:]
    plan = RecordingPlan(width=width, height=height)
    features = dataset_features(plan)
    lab_id = f"evaluation-{time.monotonic_ns()}"
    lab = get_lab(lab_id, "lockstep", cache_dir=cache_dir)
    follower = SimFollower(follower_config(lab_id, plan))
    follower.connect()
    reached = grasped = 0
    started = time.monotonic()
    try:
        for episode in range(episodes):
            rng = np.random.default_rng([seed, episode])
            lab.reset(start_pose_near_home(rng, plan.start_spread_deg), lab.faults.object_region.sample(rng))
            policy.reset()
            preprocessor.reset()
            postprocessor.reset()
            closest_m, held = np.inf, False
            for _ in range(int(seconds * plan.fps)):
                observation = build_dataset_frame(features, follower.get_observation(), "observation")
                action = predict_action(
                    observation, policy, torch.device("cpu"), preprocessor, postprocessor, False, TASK, follower.name
                )
                follower.send_action(make_robot_action(action.squeeze(0), features))
                lab.advance(1.0 / plan.fps)
                brain = lab.brain()
                closest_m = min(closest_m, brain.jaw_distance_m)
                held = held or brain.grasped_and_lifted
            reached += int(closest_m < 0.03)
            grasped += int(held)
    finally:
        follower.disconnect()
        close_lab(lab_id)
    return PolicyEvaluation(
        episodes=episodes,
        reached=reached,
        grasped=grasped,
        seconds_per_episode=(time.monotonic() - started) / max(1, episodes),
    )
