"""The dataset shapes found in the wild, each built on disk the way its writer wrote it.

Current layouts go through lerobot 0.6.1's own writer (`LeRobotDataset.create`); what older
lerobot versions, partial downloads and crashed recorders left behind is written with pandas,
pyarrow and plain files exactly as those writers did (lerobot 0.6.1 cannot write them any more).
docs/datasets.md lists each shape and what Preflight does with it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from testkit.builders import EpisodeData, write_dataset

LFS_POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n"
ROOT = Path(__file__).resolve().parent.parent


def copy_of(dataset: Path, root: Path) -> Path:
    return Path(shutil.copytree(dataset, root))


def edit_info(root: Path, edit) -> Path:
    """Rewrite meta/info.json through `edit(info)`, as a hand edit or another writer would have left it."""
    path = root / "meta" / "info.json"
    info = json.loads(path.read_text())
    edit(info)
    path.write_text(json.dumps(info, indent=4))
    return root


def tasks_as_unnamed_index(root: Path) -> Path:
    """meta/tasks.parquet as lerobot <= 0.4 wrote it: pandas `to_parquet` of a frame whose unnamed index holds the
    task strings (the parquet column is `__index_level_0__`)."""
    path = root / "meta" / "tasks.parquet"
    tasks = pq.read_table(path).to_pandas()
    pd.DataFrame({"task_index": tasks["task_index"].to_numpy()}, index=list(tasks.index)).to_parquet(path)
    assert "__index_level_0__" in pq.read_schema(path).names
    return root


def without_videos(root: Path) -> Path:
    """A partial download: the metadata declares video features, videos/ was never fetched."""
    shutil.rmtree(root / "videos")
    return root


def as_lfs_pointers(root: Path, folder: str) -> Path:
    """A `git clone` without git-lfs: every file under `folder` (videos or data) is a ~130-byte pointer text."""
    for path in sorted(p for p in (root / folder).rglob("*") if p.is_file()):
        size = path.stat().st_size
        path.write_text(LFS_POINTER.format(oid=f"{abs(hash(path.name)):064x}"[:64], size=size))
    return root


def with_names(root: Path, shape: str) -> Path:
    """observation.state and action names in another writer's shape: `nested` [[...]], `axes` {"axes": [...]},
    `motors` {"motors": [...]} or `none` (null)."""

    def edit(info: dict) -> None:
        for key in ("observation.state", "action"):
            names = info["features"][key]["names"]
            info["features"][key]["names"] = {
                "nested": [names],
                "axes": {"axes": names},
                "motors": {"motors": names},
                "none": None,
            }[shape]

    return edit_info(root, edit)


def with_declared_totals(root: Path, episodes: int, frames: int) -> Path:
    """info.json totals of the full dataset, episode metadata of a part of it (an interrupted partial download)."""

    def edit(info: dict) -> None:
        info["total_episodes"], info["total_frames"] = episodes, frames

    return edit_info(root, edit)


def write_empty(root: Path) -> Path:
    """`LeRobotDataset.create` then `finalize()` with no episode saved."""
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    from testkit.builders import so101_features

    LeRobotDataset.create("local/corpus", 30, so101_features(), root=root, use_videos=True).finalize()
    return root


_KILLED_RECORDER = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    sys.path.insert(0, {repo!r})
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from core.station.sealed_recording import seal_each_episode, seal_saved_episode
    from testkit.builders import camera_image, so101_features

    dataset = LeRobotDataset.create(
        "local/rollout_corpus", 30, so101_features(), root={root!r}, robot_type="so_follower", video_backend="pyav",
        streaming_encoding={streaming!r},
    )
    if {sealed!r}:
        seal_each_episode(dataset)
    for episode in range({saved} + 1):
        for frame in range(20):
            values = np.full(6, 10.0 + frame, dtype=np.float32)
            images = {{f"observation.images.{{c}}": camera_image(c, episode, frame) for c in ("front", "wrist")}}
            dataset.add_frame({{"observation.state": values, "action": values, "task": "Grab the brain", **images}})
        if episode < {saved}:
            dataset.save_episode(parallel_encoding=False)
            if {sealed!r}:
                seal_saved_episode(dataset)
    os._exit(9)  # killed mid-episode: no finalize(), no save of the last episode
    """
)


def write_killed_recording(root: Path, saved_episodes: int, *, sealed: bool, streaming: bool = True) -> Path:
    """A recording whose process died during episode `saved_episodes`: as the station leaves it (`sealed`, each
    saved episode's files closed at once; `streaming` video encoding, as the station records) or as plain lerobot
    leaves it (footers only in `finalize()`, PNG frames until each save)."""
    script = _KILLED_RECORDER.format(
        repo=str(ROOT), root=str(root), sealed=sealed, saved=saved_episodes, streaming=streaming
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 9, result.stderr[-2000:]
    return root


def write_v21(root: Path, episodes: Sequence[EpisodeData]) -> Path:
    """A LeRobot v2.1 dataset (lerobot 0.1-0.3) as its writer left it: one parquet file per episode, jsonl
    metadata, per-episode stats; no cameras (the converter re-encodes none then)."""
    names = [f"{m}.pos" for m in ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper")]
    (root / "meta").mkdir(parents=True)
    tasks = list(dict.fromkeys(e.task for e in episodes))
    index = 0
    episode_lines, stats_lines = [], []
    for episode_index, episode in enumerate(episodes):
        length = len(episode.state)
        frames = pd.DataFrame(
            {
                "observation.state": list(np.asarray(episode.state, dtype=np.float32)),
                "action": list(np.asarray(episode.action, dtype=np.float32)),
                "timestamp": np.arange(length, dtype=np.float32) / 30,
                "frame_index": np.arange(length),
                "episode_index": np.full(length, episode_index),
                "index": np.arange(index, index + length),
                "task_index": np.full(length, tasks.index(episode.task)),
            }
        )
        path = root / "data" / "chunk-000" / f"episode_{episode_index:06d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        frames.to_parquet(path)
        episode_lines.append({"episode_index": episode_index, "tasks": [episode.task], "length": length})
        stats = {
            column: _stats(
                np.stack(frames[column].to_numpy())
                if column in ("observation.state", "action")
                else frames[column].to_numpy()[:, None]
            )
            for column in frames.columns
        }
        stats_lines.append({"episode_index": episode_index, "stats": stats})
        index += length
    vector = {"dtype": "float32", "shape": [6], "names": {"motors": names}}
    scalar = {"dtype": "int64", "shape": [1], "names": None}
    info = {
        "codebase_version": "v2.1",
        "robot_type": "so100",
        "total_episodes": len(episodes),
        "total_frames": index,
        "total_tasks": len(tasks),
        "total_videos": 0,
        "total_chunks": 1,
        "chunks_size": 1000,
        "fps": 30,
        "splits": {"train": f"0:{len(episodes)}"},
        "data_path": "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet",
        "video_path": None,
        "features": {
            "observation.state": vector,
            "action": vector,
            "timestamp": {"dtype": "float32", "shape": [1], "names": None},
            "frame_index": scalar,
            "episode_index": scalar,
            "index": scalar,
            "task_index": scalar,
        },
    }
    (root / "meta" / "info.json").write_text(json.dumps(info, indent=4))
    _jsonl(root / "meta" / "episodes.jsonl", episode_lines)
    _jsonl(root / "meta" / "episodes_stats.jsonl", stats_lines)
    _jsonl(root / "meta" / "tasks.jsonl", [{"task_index": i, "task": task} for i, task in enumerate(tasks)])
    return root


def _stats(values: np.ndarray) -> dict[str, list]:
    values = values.astype(np.float64)
    return {
        "min": values.min(axis=0).tolist(),
        "max": values.max(axis=0).tolist(),
        "mean": values.mean(axis=0).tolist(),
        "std": values.std(axis=0).tolist(),
        "count": [len(values)],
    }


def _jsonl(path: Path, lines: Sequence[dict]) -> None:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


SO101_MOTORS = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper")
SEVEN_STATE = (*(f"joint_{i}.pos" for i in range(1, 7)), "gripper.pos")
SIX_ACTION = (*(f"target_{i}" for i in range(1, 6)), "gripper_target")


def seven_state_six_action_episodes() -> list[EpisodeData]:
    """Three episodes of an arm whose state has 7 values and whose action has 6, under other names."""
    episodes = []
    for e in range(3):
        t = np.arange(15, dtype=np.float64)[:, None]
        state = np.hstack([10.0 * e + t * np.arange(1, 7), np.where(t < 5, 2.0, 60.0)])
        action = np.hstack([10.0 * e + t * np.arange(1, 6) + 1, np.where(t < 4, 0.0, 60.0)])
        episodes.append(EpisodeData("Grab the brain", state, action))
    return episodes


def scaled(
    episodes: Sequence[EpisodeData], arm_scale: float, extra_joints: int = 0, gripper_scale: float = 1.0
) -> list[EpisodeData]:
    """The same motions in other units: arm joints times `arm_scale`, the gripper (last) times `gripper_scale`,
    with `extra_joints` more arm joints (copies of the first ones) for arms of more than five."""

    def convert(values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        arm = values[:, :-1] * arm_scale
        return np.hstack([arm, arm[:, :extra_joints], values[:, -1:] * gripper_scale])

    return [EpisodeData(e.task, convert(e.state), convert(e.action)) for e in episodes]


def readable_shapes(base: Path, episodes: Sequence[EpisodeData]) -> dict[str, Callable[[Path], Path]]:
    """Every shape Preflight reads, by name -> a builder of it at a root; `base` is a v3.0 dataset of `episodes`
    written by lerobot 0.6.1 (SO-101 names, two cameras)."""

    so101 = [f"{motor}.pos" for motor in SO101_MOTORS]
    return {
        "v3.0 as lerobot 0.6.1 writes it": lambda root: copy_of(base, root),
        "tasks as an unnamed pandas index (lerobot <= 0.4)": lambda root: tasks_as_unnamed_index(copy_of(base, root)),
        "videos declared but absent": lambda root: without_videos(copy_of(base, root)),
        "videos as Git LFS pointers": lambda root: as_lfs_pointers(copy_of(base, root), "videos"),
        "names as one nested list": lambda root: with_names(copy_of(base, root), "nested"),
        "names as {axes: [...]}": lambda root: with_names(copy_of(base, root), "axes"),
        "names as {motors: [...]}": lambda root: with_names(copy_of(base, root), "motors"),
        "no names": lambda root: with_names(copy_of(base, root), "none"),
        "info.json totals of a larger dataset": lambda root: with_declared_totals(copy_of(base, root), 105, 4000),
        "cameras stored as images": lambda root: write_dataset(
            root, episodes, state_names=so101, action_names=so101, camera_dtype="image"
        ),
        "state of 7, action of 6, other names": lambda root: write_dataset(
            root,
            seven_state_six_action_episodes(),
            state_names=SEVEN_STATE,
            action_names=SIX_ACTION,
            robot_type="koch_follower",
        ),
        "no cameras": lambda root: write_dataset(root, episodes, cameras=()),
        "radians, names ending _rad": lambda root: write_dataset(
            root,
            scaled(episodes, np.pi / 180),
            state_names=[*(f"{m}_rad" for m in SO101_MOTORS[:-1]), "gripper.pos"],
            action_names=[*(f"{m}_rad" for m in SO101_MOTORS[:-1]), "gripper.pos"],
            robot_type="unknown",
        ),
        "radians, no names": lambda root: with_names(
            write_dataset(
                root, scaled(episodes, np.pi / 180, gripper_scale=np.pi / 180), state_names=so101, action_names=so101
            ),
            "none",
        ),
        "SO-100 in -100..100 range units (lerobot <= 0.4.3)": lambda root: write_dataset(
            root, scaled(episodes, 0.7), state_names=so101, action_names=so101, robot_type="so100_follower"
        ),
        "Koch arm in degrees": lambda root: write_dataset(
            root, episodes, state_names=so101, action_names=so101, robot_type="koch_follower"
        ),
        "7-DOF arm in radians": lambda root: write_dataset(
            root,
            scaled(episodes, np.pi / 180, extra_joints=2),
            state_names=[*(f"joint_{i}" for i in range(1, 8)), "gripper"],
            action_names=[*(f"joint_{i}" for i in range(1, 8)), "gripper"],
            robot_type="franka",
        ),
        "a station recording killed mid-episode": lambda root: write_killed_recording(
            root, saved_episodes=2, sealed=True
        ),
        "a PNG-frame recording killed mid-episode": lambda root: write_killed_recording(
            root, saved_episodes=2, sealed=True, streaming=False
        ),
    }
