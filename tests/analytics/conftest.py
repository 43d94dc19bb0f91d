"""Session fixtures for analytics: a training set with hand-checkable numbers, a clean deployment, one deployment per
fault.

Training ("Grab the brain", 6 episodes of 24 frames, 30 fps, degrees):
- arm action j ramps by (j + 1) per frame from the start pose, so every within-episode jump of joint j
  is exactly j + 1; episode 1 has a +12 spike on shoulder_pan at frame 10 (jumps 13 and 11 there);
- the gripper action is 0 (closed) for the first 6, 12, 18, 6, 12, 18 frames, then 60; the gripper
  state is 2 for two frames longer, then 55;
- episode e starts at the lab home pose plus START_OFFSETS[e] degrees on every arm joint, gripper 2.
The state follows the action one frame late (first state = start pose).

Deployments (3 episodes each) are recorded like training (other episodes of the same scene, start
offsets inside the training spread) except for one fault each, named by the finding id it must raise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import numpy as np
import pytest

from core.so101 import HOME_POSE, MOTOR_NAMES
from core.training.profile import TrainingProfile, build_profile
from testkit.builders import EpisodeData, camera_image, write_act_checkpoint, write_dataset

TASK = "Grab the brain"
FRAMES = 24
HOME = np.array([HOME_POSE[motor] for motor in MOTOR_NAMES])
HOME[5] = 2.0  # the gripper starts closed
RAMP = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 0.0])
CLOSED_ACTION_FRAMES = (6, 12, 18, 6, 12, 18)
START_OFFSETS = (0.0, 2.0, -2.0, 1.0, -1.0, 0.0)
SPIKE_EPISODE, SPIKE_FRAME, SPIKE_DEG = 1, 10, 12.0
CLEAN_OFFSETS = (1.0, -1.5, 0.5)
CLEAN_CLOSED_FRAMES = (10, 8, 14)
STEPS, BATCH_SIZE = 300, 8
SANE_STEP = 90  # 90 x 8 / 144 frames = 5 epochs; the last checkpoint (300 steps) is 16.7 epochs
RANGE_UNITS_PER_DEGREE = 100 / 180  # a -100..100 calibration spanning 360 degrees


def episode(
    start_offset: float,
    closed_frames: int,
    *,
    task: str = TASK,
    frames: int = FRAMES,
    spike: tuple[int, float] | None = None,
    chunk_jump: float = 0.0,
) -> EpisodeData:
    """One episode as described in the module docstring; `chunk_jump` adds a jump every 5 frames to shoulder_pan."""
    start = HOME + np.array([start_offset] * 5 + [0.0])
    t = np.arange(frames, dtype=np.float64)[:, None]
    action = start + t * RAMP
    action[:, 0] += chunk_jump * (np.arange(frames) // 5)
    if spike is not None:
        action[spike[0], 0] += spike[1]
    action[:, 5] = np.where(t[:, 0] < closed_frames, 0.0, 60.0)
    state = np.vstack([start, action[:-1]])
    state[:, 5] = np.where(t[:, 0] < closed_frames + 2, 2.0, 55.0)
    return EpisodeData(task=task, state=state, action=action)


def training_episodes() -> list[EpisodeData]:
    return [
        episode(offset, closed, spike=(SPIKE_FRAME, SPIKE_DEG) if e == SPIKE_EPISODE else None)
        for e, (offset, closed) in enumerate(zip(START_OFFSETS, CLOSED_ACTION_FRAMES, strict=True))
    ]


def clean_episodes(**changes) -> list[EpisodeData]:
    return [
        episode(offset, closed, **changes) for offset, closed in zip(CLEAN_OFFSETS, CLEAN_CLOSED_FRAMES, strict=True)
    ]


def later_session(camera: str, episode_index: int, frame: int, shape: tuple[int, int, int]) -> np.ndarray:
    """The training scene in episodes it never saw (other object positions)."""
    return camera_image(camera, episode_index + 7, frame, shape)


def swapped_cables(camera: str, episode_index: int, frame: int, shape: tuple[int, int, int]) -> np.ndarray:
    return later_session("wrist" if camera == "front" else "front", episode_index, frame, shape)


def other_room(camera: str, episode_index: int, frame: int, shape: tuple[int, int, int]) -> np.ndarray:
    """Another table cover and a dimmer, bluer light: the same layout under other colours."""
    image = later_session(camera, episode_index, frame, shape).astype(np.float64)
    return np.clip(image[..., ::-1] * 0.7, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class Fault:
    """A deployment built to show one finding."""

    episodes: Callable[[], list[EpisodeData]]
    image_of: Callable = later_session
    fps: int = 30


def _start_pose_episodes() -> list[EpisodeData]:
    episodes = []
    for data in clean_episodes():
        state = data.state.copy()
        state[:, 2] += 30.0  # elbow_flex 30 degrees off for the whole episode
        state[:2, 5] = 40.0  # the gripper starts open
        episodes.append(EpisodeData(data.task, state, data.action))
    return episodes


def _never_closes_episodes() -> list[EpisodeData]:
    episodes = []
    for data in clean_episodes():
        state, action = data.state.copy(), data.action.copy()
        state[2:, 5], action[:, 5] = 55.0, 60.0  # starts closed like training, opens, never closes again
        episodes.append(EpisodeData(data.task, state, action))
    return episodes


def _range_units_episodes() -> list[EpisodeData]:
    def convert(values: np.ndarray) -> np.ndarray:
        values = values.copy()
        values[:, :5] *= RANGE_UNITS_PER_DEGREE
        return values

    return [EpisodeData(e.task, convert(e.state), convert(e.action)) for e in clean_episodes()]


FAULTS: dict[str, Fault] = {
    "task_mismatch": Fault(lambda: clean_episodes(task=TASK + " ")),
    "camera_swap": Fault(clean_episodes, image_of=swapped_cables),
    "start_pose": Fault(_start_pose_episodes),
    "gripper_never_closes": Fault(_never_closes_episodes),
    "action_jumps": Fault(lambda: clean_episodes(chunk_jump=12.0)),
    "visual_shift": Fault(clean_episodes, image_of=other_room),
    "fps_mismatch": Fault(clean_episodes, fps=15),
    "unit_mismatch": Fault(_range_units_episodes),
}


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("analytics")


@pytest.fixture(scope="session")
def training_dir(data_dir: Path) -> Path:
    return write_dataset(data_dir / "brain_training", training_episodes())


@pytest.fixture(scope="session")
def clean_dir(data_dir: Path) -> Path:
    return write_dataset(
        data_dir / "rollout_clean", clean_episodes(), image_of=later_session, repo_id="local/rollout_clean"
    )


@pytest.fixture(scope="session")
def fault_dirs(data_dir: Path) -> dict[str, Path]:
    return {
        name: write_dataset(
            data_dir / f"rollout_{name}",
            fault.episodes(),
            image_of=fault.image_of,
            fps=fault.fps,
            repo_id=f"local/rollout_{name}",
        )
        for name, fault in FAULTS.items()
    }


@pytest.fixture(scope="session")
def train_run_dir(data_dir: Path, training_dir: Path) -> Path:
    """A lerobot-train output folder: checkpoint 90 (5 epochs) and the last, 300 (16.7 epochs)."""
    run_dir = data_dir / "act_brain"
    write_act_checkpoint(run_dir, training_dir, steps=STEPS, batch_size=BATCH_SIZE, checkpoint_steps=(SANE_STEP, STEPS))
    return run_dir


@pytest.fixture(scope="session")
def sane_checkpoint(train_run_dir: Path) -> Path:
    return train_run_dir / "checkpoints" / f"{SANE_STEP:06d}" / "pretrained_model"


@pytest.fixture(scope="session")
def overtrained_checkpoint(train_run_dir: Path) -> Path:
    return train_run_dir / "checkpoints" / f"{STEPS:06d}" / "pretrained_model"


@pytest.fixture(scope="session")
def profile(training_dir: Path) -> TrainingProfile:
    return build_profile(training_dir)


def prepare_workspace(root: Path, training_dir: Path, recordings: dict[str, Path], checkpoint: Path) -> Path:
    """A workspace as the app leaves it: a saved training profile, recordings, and registry rows with tags."""
    import shutil
    from datetime import datetime

    from core.registry import Registry
    from core.training.profile import save_profile
    from core.workspace import Workspace

    workspace = Workspace(root).ensure()
    save_profile(build_profile(training_dir, checkpoint), workspace)
    registry = Registry.open(f"sqlite:///{workspace.registry_path}")
    policy = registry.register_policy(checkpoint)
    started = datetime(2026, 1, 1, tzinfo=UTC)
    for i, (name, source) in enumerate(recordings.items()):
        target = shutil.copytree(source, workspace.recordings_dir / name)
        run = registry.start_run(
            policy.id,
            station="lab",
            dataset_root=target,
            task=TASK,
            chunk_size=10,
            n_action_steps=5 + i,
            fps=30,
            camera_mapping={"front": "0", "wrist": "1"},
        )
        for episode_index in range(3):
            episode = registry.record_episode(run.id, target, episode_index, length_frames=FRAMES, started_at=started)
            if episode_index < 2:
                registry.tag_episode(episode.id, "success" if (episode_index + i) % 2 == 0 else "failure")
    return root
