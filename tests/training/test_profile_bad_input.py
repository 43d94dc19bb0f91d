"""Bad dataset input: each case gets a message that says what happened and what to do next."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from core.errors import DatasetError
from core.training.profile import build_profile


def copy_dataset(dataset_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(dataset_dir, tmp_path / dataset_dir.name))


def test_a_path_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist. Check the path"):
        build_profile(tmp_path / "missing")


def test_a_folder_that_is_not_a_dataset(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a dataset")
    with pytest.raises(DatasetError, match="is not a LeRobot dataset: it has no meta/info.json"):
        build_profile(tmp_path)


def test_a_file_instead_of_a_folder(tmp_path: Path) -> None:
    (tmp_path / "info.json").write_text("{}")
    with pytest.raises(DatasetError, match="is a file, not a dataset folder"):
        build_profile(tmp_path / "info.json")


def test_a_v21_dataset_gets_the_offline_conversion_command(tmp_path: Path) -> None:
    # the v2.1 layout, hand-written: lerobot 0.6.1 can no longer write it
    root = tmp_path / "old_dataset"
    (root / "meta").mkdir(parents=True)
    (root / "meta" / "info.json").write_text(json.dumps({"codebase_version": "v2.1", "fps": 30, "features": {}}))
    (root / "meta" / "episodes.jsonl").write_text('{"episode_index": 0, "tasks": ["Grab the brain"], "length": 10}\n')
    with pytest.raises(DatasetError) as error:
        build_profile(root)
    expected = (
        f"python -m lerobot.scripts.convert_dataset_v21_to_v30 --repo-id=local/old_dataset --root={root} "
        "--push-to-hub=false"
    )
    assert expected in str(error.value)
    assert importlib.util.find_spec("lerobot.scripts.convert_dataset_v21_to_v30") is not None


def test_a_corrupt_data_parquet_file(dataset_dir: Path, tmp_path: Path) -> None:
    root = copy_dataset(dataset_dir, tmp_path)
    data_file = root / "data" / "chunk-000" / "file-000.parquet"
    data_file.write_bytes(data_file.read_bytes()[: data_file.stat().st_size // 2])  # an interrupted copy
    with pytest.raises(
        DatasetError,
        match=r"Cannot read data/chunk-000/file-000.parquet.*damaged or incomplete.*copy the dataset again",
    ):
        build_profile(root)


def test_a_corrupt_episodes_file(dataset_dir: Path, tmp_path: Path) -> None:
    root = copy_dataset(dataset_dir, tmp_path)
    episodes_file = root / "meta" / "episodes" / "chunk-000" / "file-000.parquet"
    episodes_file.write_bytes(b"PAR1 garbage")
    with pytest.raises(DatasetError, match=r"Cannot read meta/episodes/chunk-000/file-000.parquet"):
        build_profile(root)


def test_a_dataset_that_was_never_finalized(dataset_dir: Path, tmp_path: Path) -> None:
    root = copy_dataset(dataset_dir, tmp_path)
    shutil.rmtree(root / "meta" / "episodes")
    with pytest.raises(DatasetError, match="was not finalized.*meta/episodes"):
        build_profile(root)


def test_a_dataset_without_actions(dataset_dir: Path, tmp_path: Path) -> None:
    root = copy_dataset(dataset_dir, tmp_path)
    info_path = root / "meta" / "info.json"
    info = json.loads(info_path.read_text())
    info["features"].pop("action")
    info_path.write_text(json.dumps(info))
    with pytest.raises(DatasetError, match="has no 'action' feature"):
        build_profile(root)
