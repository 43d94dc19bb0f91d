"""Session fixtures for the SmolVLA tests: a small dataset with front/wrist cameras, a stand-in backbone, a tiny
SmolVLA.

Everything is built offline in seconds: the backbone is a randomly initialised SmolVLM of
SmolVLM2's architecture (`testkit.smolvla_standin`), and the checkpoint is laid out like
lerobot-train's fine-tune of smolvla_base (slots camera1/camera2, the rename map
front -> camera1, wrist -> camera2 stored in its preprocessor). An ACT checkpoint trained on
the same dataset (slots front/wrist, no rename map) is the policy that ignores language.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.policy.checkpoint import CheckpointInfo, read_checkpoint
from testkit.builders import EpisodeData, write_act_checkpoint, write_dataset
from testkit.smolvla_standin import write_smolvla_checkpoint, write_standin_backbone

TASK = "Grab the brain"
START = np.array([0.0, -95.0, 95.0, 70.0, -50.0, 2.0])
LAB_RENAME_MAP = {
    "observation.images.front": "observation.images.camera1",
    "observation.images.wrist": "observation.images.camera2",
}


def _episodes() -> list[EpisodeData]:
    episodes = []
    for e in range(3):
        t = np.arange(12, dtype=np.float64)[:, None]
        state = START + e + 0.5 * t * np.array([1, 1, 1, 1, 1, 0])
        action = state + np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.0])
        episodes.append(EpisodeData(TASK, state, action))
    return episodes


@pytest.fixture(scope="session")
def smolvla_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("smolvla")


@pytest.fixture(scope="session")
def dataset_root(smolvla_dir: Path) -> Path:
    return write_dataset(smolvla_dir / "dataset", _episodes())


@pytest.fixture(scope="session")
def backbone_dir(smolvla_dir: Path) -> Path:
    return write_standin_backbone(smolvla_dir / "backbone", tasks=[TASK])


@pytest.fixture(scope="session")
def smolvla_checkpoint(smolvla_dir: Path, dataset_root: Path, backbone_dir: Path) -> Path:
    """The pretrained_model folder of a tiny SmolVLA fine-tune (chunk_size 50, n_action_steps 50)."""
    return write_smolvla_checkpoint(smolvla_dir / "run", dataset_root, backbone_dir, steps=200, batch_size=8)


@pytest.fixture(scope="session")
def smolvla_info(smolvla_checkpoint: Path) -> CheckpointInfo:
    return read_checkpoint(smolvla_checkpoint)


@pytest.fixture(scope="session")
def act_info(smolvla_dir: Path, dataset_root: Path) -> CheckpointInfo:
    return read_checkpoint(write_act_checkpoint(smolvla_dir / "act_run", dataset_root, steps=100, batch_size=4))


@pytest.fixture(scope="session")
def blank_slot_info(smolvla_dir: Path, dataset_root: Path, backbone_dir: Path) -> CheckpointInfo:
    """A tiny SmolVLA with `empty_cameras=1`: a third slot the policy fills with a blank image."""
    return read_checkpoint(
        write_smolvla_checkpoint(smolvla_dir / "blank_run", dataset_root, backbone_dir, empty_cameras=1)
    )
