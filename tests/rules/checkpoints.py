"""Checkpoints for the feature rule, next to the analytics training set (fixtures `data_dir`, `training_dir`,
`sane_checkpoint`): one trained elsewhere on other features, one trained here with a rename map."""

import json
import shutil
from pathlib import Path

import pytest

from testkit.builders import write_act_checkpoint

FOREIGN_STATE_SIZE = 12
FOREIGN_CAMERAS = ("observation.images.top", "observation.images.side")
FOREIGN_DATASET = "/home/lab/datasets/towel_folding"
SCENE_RENAME_MAP = {"observation.images.front": "observation.images.scene"}


@pytest.fixture(scope="session")
def foreign_checkpoint(data_dir: Path, sane_checkpoint: Path) -> Path:
    """The checkpoint seen in the wild: its train_config names another dataset (not on this machine), its config.json a
    12-value state and the cameras top and side, which the training set (front, wrist) does not have."""
    target = data_dir / "foreign_run" / "checkpoints" / sane_checkpoint.parent.name
    shutil.copytree(sane_checkpoint.parent, target, ignore=shutil.ignore_patterns("*.safetensors"))
    pretrained = target / "pretrained_model"
    config = json.loads((pretrained / "config.json").read_text())
    image = config["input_features"]["observation.images.front"]
    config["input_features"] = {
        "observation.state": {"type": "STATE", "shape": [FOREIGN_STATE_SIZE]},
        **{key: dict(image) for key in FOREIGN_CAMERAS},
    }
    (pretrained / "config.json").write_text(json.dumps(config, indent=4))
    train_config = json.loads((pretrained / "train_config.json").read_text())
    train_config["dataset"].update(repo_id="lab/towel_folding", root=FOREIGN_DATASET)
    (pretrained / "train_config.json").write_text(json.dumps(train_config, indent=4))
    return pretrained


@pytest.fixture(scope="session")
def renamed_checkpoint(data_dir: Path, training_dir: Path) -> Path:
    """Trained on the training set with `--rename_map` front -> scene: its slots are scene and wrist, the map stored in
    its preprocessor (as lerobot-train renames the dataset's features for the policy)."""
    pretrained = write_act_checkpoint(
        data_dir / "renamed_run", training_dir, steps=90, batch_size=8, rename_map=SCENE_RENAME_MAP
    )
    config = json.loads((pretrained / "config.json").read_text())
    features = config["input_features"]
    config["input_features"] = {SCENE_RENAME_MAP.get(key, key): value for key, value in features.items()}
    (pretrained / "config.json").write_text(json.dumps(config, indent=4))
    return pretrained
