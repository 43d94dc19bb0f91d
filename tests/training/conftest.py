"""Session fixtures for the training-profile tests: one small real dataset with known values, and checkpoints.

The episodes are chosen so every statistic has a hand-checkable answer:
- start poses differ per episode; elbow_flex starts at 102 in episode 2 (beyond ±100: degrees);
- arm actions ramp by (joint + 1) per frame, so the ramp restarts at each episode: a jump across
  an episode boundary would be far larger than any jump inside one;
- episode 1 has a +20 spike in shoulder_pan at frame 5;
- the gripper action is 0 (closed) for the first 3, 4, 2, 3 frames, then 60; the gripper state
  stays at its start value (1..5) one frame longer, then 55.
The hygiene tests build their datasets from `clean_episodes` (`episode`: one clean demonstration).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.training.profile import TrainingProfile, build_profile
from testkit import corpus
from testkit.builders import EpisodeData, write_act_checkpoint, write_dataset

MAIN_TASK = "Grasp a brain and put it in the bin."
SHORT_TASK = "Grab the brain"
TASKS = (MAIN_TASK, MAIN_TASK, SHORT_TASK, MAIN_TASK)
LENGTHS = (10, 12, 8, 10)
START_POSES = np.array(
    [
        [-8.0, -98.0, 100.0, 75.0, -52.0, 1.0],
        [-6.0, -96.0, 98.0, 77.0, -50.0, 3.0],
        [-10.0, -100.0, 102.0, 73.0, -54.0, 5.0],
        [-8.0, -98.0, 100.0, 75.0, -52.0, 3.0],
    ]
)
CLOSED_ACTION_FRAMES = (3, 4, 2, 3)
CLOSED_STATE_FRAMES = (4, 5, 3, 4)
SPIKE_EPISODE, SPIKE_FRAME, SPIKE_DEG = 1, 5, 20.0
RENAME_MAP = {"observation.images.top": "observation.images.front"}
STEPS, BATCH_SIZE = 200, 8


def known_episodes() -> list[EpisodeData]:
    episodes = []
    for e, (task, length) in enumerate(zip(TASKS, LENGTHS, strict=True)):
        t = np.arange(length, dtype=np.float64)[:, None]
        state = START_POSES[e] + 0.5 * t * np.array([1, 1, 1, 1, 1, 0])
        state[:, 5] = np.where(t[:, 0] < CLOSED_STATE_FRAMES[e], START_POSES[e, 5], 55.0)
        action = START_POSES[e] + t * np.array([1.0, 2.0, 3.0, 4.0, 5.0, 0.0])
        action[:, 5] = np.where(t[:, 0] < CLOSED_ACTION_FRAMES[e], 0.0, 60.0)
        if e == SPIKE_EPISODE:
            action[SPIKE_FRAME, 0] += SPIKE_DEG
        episodes.append(EpisodeData(task=task, state=state, action=action))
    return episodes


@pytest.fixture(scope="session")
def episodes() -> list[EpisodeData]:
    return known_episodes()


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory: pytest.TempPathFactory, episodes: list[EpisodeData]) -> Path:
    return write_dataset(tmp_path_factory.mktemp("profile") / "brain_dataset", episodes)


@pytest.fixture(scope="session")
def train_run_dir(tmp_path_factory: pytest.TempPathFactory, dataset_dir: Path) -> Path:
    """A lerobot-train output folder with checkpoints at step 100 and 200 (last) trained on `dataset_dir`."""
    run_dir = tmp_path_factory.mktemp("train") / "act_brain"
    write_act_checkpoint(
        run_dir, dataset_dir, steps=STEPS, batch_size=BATCH_SIZE, checkpoint_steps=(100, STEPS), rename_map=RENAME_MAP
    )
    return run_dir


@pytest.fixture(scope="session")
def checkpoint_dir(train_run_dir: Path) -> Path:
    """The final checkpoint's pretrained_model folder."""
    return train_run_dir / "checkpoints" / f"{STEPS:06d}" / "pretrained_model"


@pytest.fixture(scope="session")
def profile(dataset_dir: Path, train_run_dir: Path) -> TrainingProfile:
    """The profile of the known dataset with its lerobot-train output folder, reference frames included."""
    return build_profile(dataset_dir, train_run_dir)


SHAPES = tuple(corpus.readable_shapes(Path("/"), []).keys())


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory, dataset_dir: Path) -> Path:
    """Every readable dataset shape of testkit/corpus.py, built once: `shape_root(corpus_dir, name)` is one."""
    root = tmp_path_factory.mktemp("corpus")
    for index, build in enumerate(corpus.readable_shapes(dataset_dir, known_episodes()).values()):
        build(root / f"shape_{index}")
    return root


def shape_root(corpus_dir: Path, name: str) -> Path:
    return corpus_dir / f"shape_{SHAPES.index(name)}"


def episode(length: int = 20, offset: float = 0.0, gripper_follows: bool = True) -> EpisodeData:
    """A clean demonstration: arm joints ramp, the gripper closes at a third of the episode and the measured gripper
    follows its command two frames later."""
    t = np.arange(length, dtype=np.float64)[:, None]
    action = offset + np.hstack([t * np.array([1.0, 1.5, 2.0, 0.5, 1.0]), np.where(t < length // 3, 60.0, 2.0)])
    state = np.vstack([action[:1], action[:-1]]).copy()
    state[2:, 5] = action[:-2, 5] if gripper_follows else 60.0
    if not gripper_follows:
        state[:, 5] = 60.0
    return EpisodeData(SHORT_TASK, state, action)


def clean_episodes(count: int = 10) -> list[EpisodeData]:
    return [episode(20 + (i % 3), offset=i * 0.7) for i in range(count)]
