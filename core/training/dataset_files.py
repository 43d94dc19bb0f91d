"""Read a LeRobot v3.0 dataset folder straight from its files, without importing lerobot.

Importing lerobot costs seconds and iterating `LeRobotDataset` decodes video; statistics over
a hundred thousand frames only need a few parquet columns. This module validates the folder
(version, metadata, data and video files), lists its episodes, and reads chosen columns with
pyarrow, reading what lerobot 0.6.1's own loaders read (tasks as a pandas index, names in
every shape lerobot's writers used). What cannot be read but is not needed for statistics
(absent or Git LFS pointer videos, an episode a crash interrupted, totals that disagree) is
noted in `DatasetFiles.notes` instead of refused. The shapes and what happens with each:
docs/datasets.md. The training profile uses it for the training set, Analytics for recordings.

Layout (lerobot 0.6.1): `meta/info.json`, `meta/tasks.parquet`,
`meta/episodes/chunk-*/file-*.parquet` (one row per episode), `data/chunk-*/file-*.parquet`
(many episodes per file) and `videos/<key>/chunk-*/file-*.mp4` (episodes located by timestamps).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from core.errors import DatasetError, DatasetNeedsConversion

SUPPORTED_MAJOR_VERSION = 3
CONVERT_V21_COMMAND = "python -m core convert --dataset {root}"
LEROBOT_CONVERT_V21_COMMAND = (
    "python -m lerobot.scripts.convert_dataset_v21_to_v30 --repo-id=local/{name} --root={root} --push-to-hub=false"
)


class VideoSegment(NamedTuple):
    """Where one episode of one camera lives: a file shared by many episodes, and a time window in it."""

    path: Path
    from_timestamp_s: float
    to_timestamp_s: float


class Episode(NamedTuple):
    index: int
    tasks: tuple[str, ...]
    length: int
    dataset_from_index: int
    dataset_to_index: int
    data_path: Path
    videos: Mapping[str, VideoSegment]


@dataclass(frozen=True, eq=False)
class FileColumns:
    """Which file each episode lives in, as lerobot's metadata says it: chunk and file index per episode."""

    chunk_index: np.ndarray
    file_index: np.ndarray

    def paths(self, root: Path, template: str, video_key: str = "") -> list[Path]:
        """The file of each episode, one Path object per distinct file (hundreds of episodes share a few files)."""
        keys = list(zip(self.chunk_index.tolist(), self.file_index.tolist()))
        distinct = {
            key: root / template.format(video_key=video_key, chunk_index=key[0], file_index=key[1]) for key in set(keys)
        }
        return [distinct[key] for key in keys]

    def distinct_paths(self, root: Path, template: str, video_key: str = "") -> list[Path]:
        """Each file once, in episode order."""
        return list(dict.fromkeys(self.paths(root, template, video_key)))


@dataclass(frozen=True, eq=False)
class EpisodeTable:
    """meta/episodes as columns, one entry per episode in episode order.

    Statistics over a dataset need the lengths, tasks and files of its episodes, not an object per
    episode: building hundreds of them was most of the time to open a dataset, so `DatasetFiles.episodes`
    builds them only when asked.
    """

    index: np.ndarray
    tasks: tuple[tuple[str, ...], ...]
    length: np.ndarray
    dataset_from_index: np.ndarray
    dataset_to_index: np.ndarray
    data_files: FileColumns
    video_files: Mapping[str, FileColumns]
    video_from_s: Mapping[str, np.ndarray]
    video_to_s: Mapping[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.index)


@dataclass(frozen=True)
class DatasetFiles:
    """An opened, validated dataset folder: its metadata, episodes and file paths."""

    root: Path
    info: Mapping[str, Any]
    tasks: tuple[str, ...]  # indexed by task_index
    episode_table: EpisodeTable
    prefetched: Prefetch | None = field(default=None, compare=False, repr=False)
    unreadable_cameras: Mapping[str, str] = field(default_factory=dict)  # camera key -> why its frames cannot be read
    notes: tuple[str, ...] = ()  # what was read around (missing videos, totals that disagree, an interrupted episode)
    interrupted_episode: int | None = None  # the episode a station crash left unsaved, when there is one

    @property
    def fps(self) -> float:
        return float(self.info["fps"])

    @property
    def robot_type(self) -> str | None:
        return self.info.get("robot_type")

    @property
    def total_frames(self) -> int:
        """Frames of the listed episodes (info.json's own total may disagree: see `notes`)."""
        return int(self.episode_table.length.sum()) if len(self.episode_table) else 0

    @property
    def total_episodes(self) -> int:
        return len(self.episode_table)

    @cached_property
    def episodes(self) -> tuple[Episode, ...]:
        """One `Episode` per episode, in episode order (built on first use)."""
        table = self.episode_table
        data_paths = table.data_files.paths(self.root, self._data_template)
        segments_of = [
            [
                VideoSegment(path, start, end)
                for path, start, end in zip(
                    table.video_files[key].paths(self.root, self._video_template, key),
                    table.video_from_s[key].tolist(),
                    table.video_to_s[key].tolist(),
                )
            ]
            for key in self.video_keys
        ]
        videos = (
            [dict(zip(self.video_keys, segments)) for segments in zip(*segments_of)]
            if self.video_keys
            else [{} for _ in data_paths]
        )
        return tuple(
            Episode(*row)
            for row in zip(
                table.index.tolist(),
                table.tasks,
                table.length.tolist(),
                table.dataset_from_index.tolist(),
                table.dataset_to_index.tolist(),
                data_paths,
                videos,
            )
        )

    @property
    def _data_template(self) -> str:
        return self.info.get("data_path", "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet")

    @property
    def _video_template(self) -> str:
        return self.info.get("video_path", "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4")

    def video_files(self) -> tuple[Path, ...]:
        """Every camera's video files, each once."""
        return tuple(
            path
            for key in self.video_keys
            for path in self.episode_table.video_files[key].distinct_paths(self.root, self._video_template, key)
        )

    @property
    def features(self) -> Mapping[str, Any]:
        return self.info["features"]

    @property
    def video_keys(self) -> tuple[str, ...]:
        """Camera features stored as video, as declared (their files may be unreadable: `unreadable_cameras`)."""
        return _keys_of_dtype(self.features, "video")

    @property
    def image_keys(self) -> tuple[str, ...]:
        """Camera features stored as images inside the data parquet files (older or image-only datasets)."""
        return _keys_of_dtype(self.features, "image")

    @property
    def camera_keys(self) -> tuple[str, ...]:
        """The cameras whose frames can be read, video or image."""
        return tuple(key for key in (*self.video_keys, *self.image_keys) if key not in self.unreadable_cameras)

    def feature_names(self, key: str) -> tuple[str, ...]:
        """The per-dimension names of a vector feature (e.g. `shoulder_pan.pos`), `<key>_<i>` if unnamed."""
        feature = self.features.get(key)
        if feature is None:
            raise DatasetError(
                f"The dataset at {self.root} has no feature '{key}'. It has: {', '.join(self.features)}."
            )
        names = _flat_names(feature.get("names"))
        size = int(np.prod(feature.get("shape") or [1]))
        if not names or len(names) != size:
            return tuple(f"{key}_{i}" for i in range(size))
        return names

    def video_paths(self, key: str) -> list[Path]:
        """The video file of one camera for each episode, in episode order (one Path object per distinct file)."""
        return self.episode_table.video_files[key].paths(self.root, self._video_template, key)

    def data_files(self) -> tuple[Path, ...]:
        """Data parquet files in episode order, each once."""
        return tuple(self.episode_table.data_files.distinct_paths(self.root, self._data_template))

    def read_columns(self, columns: Sequence[str]) -> dict[str, np.ndarray]:
        """Chosen columns of every frame, in dataset order: vectors as (frames, dim) arrays, scalars as (frames,).

        Only these columns are read from disk, so this stays cheap on large datasets.
        """
        prefetched = self.prefetched
        if prefetched is not None and tuple(columns) == prefetched.columns and self.data_files() == prefetched.files:
            return prefetched.result()
        return _read_data(self.root, self.data_files(), tuple(columns))


@dataclass(frozen=True)
class Prefetch:
    """Data columns being read in the background while the metadata is parsed (pyarrow releases the GIL)."""

    columns: tuple[str, ...]
    files: tuple[Path, ...]
    future: Future

    def result(self) -> dict[str, np.ndarray]:
        return self.future.result()


_READER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dataset-prefetch")


def _keys_of_dtype(features: Mapping[str, Any], dtype: str) -> tuple[str, ...]:
    return tuple(key for key, feature in features.items() if feature.get("dtype") == dtype)


def _flat_names(names: Any) -> tuple[str, ...]:
    """Per-dimension names in each shape lerobot's writers used: a list, one nested list `[[...]]`, or a mapping
    of one axis to its list (`{"motors": [...]}`, `{"axes": [...]}`)."""
    if isinstance(names, Mapping):
        names = next(iter(names.values()), None)
    if isinstance(names, list | tuple) and len(names) == 1 and isinstance(names[0], list | tuple):
        names = names[0]
    if not isinstance(names, list | tuple) or not all(isinstance(name, str | int | float) for name in names):
        return ()
    return tuple(str(name) for name in names)


def _read_data(root: Path, files: Sequence[Path], columns: tuple[str, ...]) -> dict[str, np.ndarray]:
    table = pa.concat_tables(_read_table(path, root, columns) for path in files)
    return {column: _to_numpy(table.column(column)) for column in columns}


def _prefetch(root: Path, columns: Sequence[str]) -> Prefetch | None:
    """Start reading `columns` of the data files on disk (v3.0 layout); used only if the metadata lists the same
    files."""
    files = tuple(sorted((root / "data").glob("chunk-*/file-*.parquet")))
    if not columns or not files:
        return None
    return Prefetch(tuple(columns), files, _READER.submit(_read_data, root, files, tuple(columns)))


def open_dataset(path: str | Path, *, check_videos: bool = True, prefetch: Sequence[str] = ()) -> DatasetFiles:
    """Open and validate a LeRobot v3.0 dataset folder; raise `DatasetError` saying what to do if it cannot be read.

    Data and metadata must be readable; camera files need not be (a partial download, a clone
    without LFS): those cameras are listed in `unreadable_cameras` and `notes` instead, and
    `check_videos=False` skips looking at them. `prefetch` names data columns to start reading at
    once, in the background, while the metadata is parsed; `read_columns` with the same columns
    then returns them.
    """
    root = Path(path).expanduser()
    if not root.exists():
        raise DatasetError(
            f"The dataset folder {root} does not exist. Check the path (it is the folder that holds meta/)."
        )
    if not root.is_dir():
        raise DatasetError(f"{root} is a file, not a dataset folder. Give the folder that holds meta/info.json.")
    root = root.resolve()
    info = _read_info(root)
    _check_version(root, info)
    _check_pointers(root, (*sorted((root / "meta").rglob("*.parquet")), *sorted((root / "data").rglob("*.parquet"))))
    interrupted = _interrupted_episode(root, int(info.get("total_episodes") or 0))
    _check_has_episodes(root, info, interrupted)
    early = _prefetch(root, prefetch)
    table = _read_episodes(root, info)
    dataset = DatasetFiles(root=root, info=info, tasks=_read_tasks(root), episode_table=table, prefetched=early)
    _check_files_exist(root, dataset.data_files(), "data")
    unreadable = _unreadable_cameras(dataset) if check_videos else {}
    notes = [
        *_totals_notes(info, table),
        *_camera_notes(root, unreadable),
        *_interrupted_notes(interrupted, table),
    ]
    return replace(
        dataset,
        unreadable_cameras=unreadable,
        notes=tuple(notes),
        interrupted_episode=interrupted if interrupted is not None and interrupted not in set(table.index) else None,
    )


LFS_POINTER_PREFIX = b"version https://git-lfs"


def _is_lfs_pointer(path: Path) -> bool:
    """A Git LFS pointer: a ~130-byte text file a clone without `git lfs` leaves in place of the data."""
    try:
        if path.stat().st_size > 1024:
            return False
        with path.open("rb") as file:
            return file.read(len(LFS_POINTER_PREFIX)) == LFS_POINTER_PREFIX
    except OSError:
        return False


def _lfs_advice(root: Path, pointers: Sequence[str]) -> str:
    shown = ", ".join(pointers[:3]) + (f" and {len(pointers) - 3} more" if len(pointers) > 3 else "")
    return f"these files are Git LFS pointers, not data: run `git lfs pull` in {root} ({shown})"


def _check_pointers(root: Path, paths: Sequence[Path]) -> None:
    pointers = [_relative(path, root) for path in paths if _is_lfs_pointer(path)]
    if pointers:
        raise DatasetError(f"The dataset at {root} cannot be read yet: {_lfs_advice(root, pointers)}.")


def _interrupted_episode(root: Path, saved: int) -> int | None:
    """The episode a recorder left unsaved (a station crash, a killed process), if any; `saved`: episodes saved.

    Until `save_episode`, lerobot's writer keeps an episode's camera frames as PNGs in
    images/<camera>/episode-NNNNNN, or, encoding as it records, in an mp4 inside a temporary
    folder `tmp*` (tempfile.mkdtemp in the dataset root): either one left there means it stopped mid-episode.
    """
    indices = {
        int(folder.name.removeprefix("episode-"))
        for folder in (root / "images").glob("*/episode-*")
        if folder.is_dir() and folder.name.removeprefix("episode-").isdigit()
    }
    if indices:
        return max(indices)
    return saved if any(path.is_dir() for path in root.glob("tmp*")) else None


def _check_has_episodes(root: Path, info: Mapping[str, Any], interrupted: int | None) -> None:
    """A folder with no saved episode: say whether it is empty, a recording that stopped in its first episode, or
    a recording that was never finalized."""
    if sorted((root / "meta" / "episodes").glob("chunk-*/file-*.parquet")):
        return
    declared = int(info.get("total_episodes") or 0)
    if interrupted is not None and declared == 0:
        raise DatasetError(
            f"The recording at {root} stopped during its first episode (episode {interrupted}), so no episode was "
            "saved and there is nothing to analyse yet. Record again; episodes the station saves before a crash stay "
            "readable."
        )
    if declared == 0:
        raise DatasetError(
            f"The dataset at {root} is empty: meta/info.json counts no episode and there is no episode metadata. "
            "Record at least one episode (or give the folder of a dataset that has some)."
        )
    stopped = f" It stopped during episode {interrupted}." if interrupted is not None else ""
    raise DatasetError(
        f"The dataset at {root} was not finalized: meta/info.json counts {declared} episodes, but the episode "
        f"metadata (meta/episodes/) was never written, which lerobot does in `finalize()`.{stopped} If it is still "
        "being recorded, wait for the recording to end; a recording whose process was killed cannot be read, record "
        "it again (the station seals each episode as it saves it)."
    )


def _unreadable_cameras(dataset: DatasetFiles) -> dict[str, str]:
    """Each video camera whose files are absent or Git LFS pointers, with the reason."""
    unreadable = {}
    for key in dataset.video_keys:
        paths = list(dict.fromkeys(dataset.video_paths(key)))
        missing = [_relative(path, dataset.root) for path in paths if not path.is_file()]
        pointers = [_relative(path, dataset.root) for path in paths if path.is_file() and _is_lfs_pointer(path)]
        if pointers:
            unreadable[key] = _lfs_advice(dataset.root, pointers)
        elif missing:
            shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
            unreadable[key] = f"its video files are missing ({shown})"
    return unreadable


def _camera_notes(root: Path, unreadable: Mapping[str, str]) -> list[str]:
    if not unreadable:
        return []
    reasons = "; ".join(f"{key.removeprefix('observation.images.')}: {why}" for key, why in unreadable.items())
    return [
        f"Camera frames cannot be read ({reasons}). Statistics, tasks, start pose, gripper, jumps, units and epochs "
        "are computed without them; reference frames and the camera-role and scene checks are off for these "
        "cameras. Fetch the complete videos/ folder to turn them on."
    ]


def _totals_notes(info: Mapping[str, Any], table: EpisodeTable) -> list[str]:
    declared_episodes, declared_frames = info.get("total_episodes"), info.get("total_frames")
    listed_frames = int(table.length.sum()) if len(table) else 0
    if declared_episodes is None or (
        int(declared_episodes) == len(table) and int(declared_frames or 0) == listed_frames
    ):
        return []
    return [
        f"meta/info.json counts {declared_episodes} episodes and {declared_frames} frames, but the episode metadata "
        f"lists {len(table)} episodes and {listed_frames} frames: Preflight uses the {len(table)} listed episodes. "
        "A partial download or an interrupted edit does this; fetch the complete dataset to use them all."
    ]


def _interrupted_notes(interrupted: int | None, table: EpisodeTable) -> list[str]:
    if interrupted is None or interrupted in set(table.index.tolist()):
        return []
    return [
        f"Episode {interrupted} was interrupted (the recording stopped before saving it): the "
        f"{len(table)} episodes saved before it are read and analysed."
    ]


def _read_info(root: Path) -> dict[str, Any]:
    info_path = root / "meta" / "info.json"
    if not info_path.is_file():
        raise DatasetError(
            f"{root} is not a LeRobot dataset: it has no meta/info.json. "
            "Give the dataset's root folder (the one that holds meta/, data/ and videos/)."
        )
    try:
        info = json.loads(info_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DatasetError(
            f"{info_path} is not valid JSON ({error}). Copy the dataset again from its source."
        ) from error
    missing = (
        [key for key in ("codebase_version", "fps", "features") if key not in info] if isinstance(info, dict) else []
    )
    if not isinstance(info, dict) or missing:
        raise DatasetError(
            f"{root} is not a LeRobot dataset: {info_path} has no {', '.join(repr(k) for k in missing) or 'entries'}, "
            "which every LeRobot dataset's info file has. Give the folder of a dataset written by lerobot "
            "(LeRobotDataset or lerobot-record)."
        )
    return info


def _check_version(root: Path, info: Mapping[str, Any]) -> None:
    version = str(info["codebase_version"])
    major, _, minor = version.lstrip("v").partition(".")
    if major == str(SUPPORTED_MAJOR_VERSION):
        return
    if major == "2":
        if minor != "1":
            advice = (
                f"Update it to v2.1 with the lerobot version that wrote it, then convert it: {CONVERT_V21_COMMAND}"
            ).format(root=shlex.quote(str(root)))
        else:
            advice = (
                f"Convert a copy offline (the Overview page has a button for it): {CONVERT_V21_COMMAND}\n"
                f"or in place with lerobot itself (it keeps the old copy as {root.name}_old):\n"
                f"  {LEROBOT_CONVERT_V21_COMMAND}"
            ).format(root=shlex.quote(str(root)), name=shlex.quote(root.name))
        message = f"The dataset at {root} is LeRobot format {version}; Preflight reads v3.0 (lerobot 0.6.1). {advice}"
        raise DatasetNeedsConversion(message, str(root)) if minor == "1" else DatasetError(message)
    raise DatasetError(
        f"The dataset at {root} is LeRobot format {version}; Preflight reads v3.0 (lerobot 0.6.1). "
        "Export or convert it to v3.0 with the lerobot version that wrote it."
    )


def _read_tasks(root: Path) -> tuple[str, ...]:
    """Task strings by task_index, read the way lerobot's `load_tasks` reads them (pandas: the index is the task)."""
    path = root / "meta" / "tasks.parquet"
    if not path.is_file():
        raise DatasetError(
            f"{root} has no meta/tasks.parquet, which lerobot writes with the first saved episode. Give the complete "
            "dataset folder (a download that stopped early lacks it)."
        )
    table = _read_table(path, root, None, small=True)
    task_column = _task_column(table)
    if task_column is None or "task_index" not in table.column_names:
        raise DatasetError(
            f"meta/tasks.parquet in {root} holds no task strings with a task_index (columns: "
            f"{', '.join(table.column_names)}), so lerobot could not read it either. Rewrite it with lerobot's "
            "`write_tasks`, or give the dataset's original meta/ folder."
        )
    by_index = dict(zip(table.column("task_index").to_pylist(), table.column(task_column).to_pylist()))
    return tuple(str(by_index[i]) for i in sorted(by_index))


def _task_column(table: pa.Table) -> str | None:
    """The column holding the task strings: `task` (lerobot >= 0.5), or the pandas index lerobot <= 0.4 wrote
    unnamed (`__index_level_0__`), which pandas, and so lerobot's `load_tasks`, turns back into the index."""
    if "task" in table.column_names:
        return "task"
    index_columns = (table.schema.pandas_metadata or {}).get("index_columns", [])
    named = [column for column in index_columns if isinstance(column, str) and column in table.column_names]
    return named[0] if named else None


_EPISODE_COLUMNS = (
    "episode_index",
    "tasks",
    "length",
    "dataset_from_index",
    "dataset_to_index",
    "data/chunk_index",
    "data/file_index",
)


def _read_episodes(root: Path, info: Mapping[str, Any]) -> EpisodeTable:
    files = sorted((root / "meta" / "episodes").glob("chunk-*/file-*.parquet"))
    video_keys = _keys_of_dtype(info["features"], "video")
    video_columns = [
        f"videos/{key}/{field}"
        for key in video_keys
        for field in ("chunk_index", "file_index", "from_timestamp", "to_timestamp")
    ]
    columns = [*_EPISODE_COLUMNS, *video_columns]
    table = pa.concat_tables(_read_table(path, root, columns, small=True) for path in files).sort_by("episode_index")

    def column(name: str, dtype: type) -> np.ndarray:
        return table.column(name).to_numpy().astype(dtype, copy=False)

    return EpisodeTable(
        index=column("episode_index", np.int64),
        tasks=tuple(tuple(tasks or ()) for tasks in table.column("tasks").to_pylist()),
        length=column("length", np.int64),
        dataset_from_index=column("dataset_from_index", np.int64),
        dataset_to_index=column("dataset_to_index", np.int64),
        data_files=FileColumns(column("data/chunk_index", np.int64), column("data/file_index", np.int64)),
        video_files={
            key: FileColumns(
                column(f"videos/{key}/chunk_index", np.int64), column(f"videos/{key}/file_index", np.int64)
            )
            for key in video_keys
        },
        video_from_s={key: column(f"videos/{key}/from_timestamp", np.float64) for key in video_keys},
        video_to_s={key: column(f"videos/{key}/to_timestamp", np.float64) for key in video_keys},
    )


def _check_files_exist(root: Path, paths: Sequence[Path], kind: str) -> None:
    missing = sorted(_relative(path, root) for path in set(paths) if not path.is_file())
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise DatasetError(
            f"The dataset at {root} lists {kind} files that are missing: {shown}. "
            f"Fetch the complete {kind}/ folder of the dataset (a partial download or copy lacks them)."
        )


def _read_table(path: Path, root: Path, columns: Sequence[str] | None, small: bool = False) -> pa.Table:
    """Read a parquet file (just `columns`); a missing column or a damaged file becomes a DatasetError.

    `small` (metadata files): decode on this thread rather than queue behind a data read that may be
    occupying pyarrow's thread pool (a background prefetch), which delayed opening a dataset by milliseconds.
    """
    try:
        with pq.ParquetFile(path) as parquet:  # lighter than pq.read_table's dataset layer: 0.5 ms less per file
            return parquet.read(columns=list(columns) if columns is not None else None, use_threads=not small)
    except (pa.ArrowException, OSError) as error:
        missing = _missing_columns(path, columns)
        if missing:
            raise DatasetError(
                f"{_relative(path, root)} in {root} has no column {', '.join(repr(c) for c in missing)}. "
                "Check that this is the dataset you meant, or copy it again from its source."
            ) from error
        raise _damaged(path, root, error) from error


def _missing_columns(path: Path, columns: Sequence[str] | None) -> list[str]:
    try:
        names = set(pq.read_schema(path).names)
    except (pa.ArrowException, OSError):
        return []
    return [column for column in columns or () if column not in names]


def _damaged(path: Path, root: Path, error: Exception) -> DatasetError:
    if _is_lfs_pointer(path):
        return DatasetError(f"The dataset at {root} cannot be read yet: {_lfs_advice(root, [_relative(path, root)])}.")
    return DatasetError(
        f"Cannot read {_relative(path, root)} in {root} ({error}). The file is damaged or incomplete "
        "(a recording that was not finalized, or an interrupted copy): copy the dataset again from its source."
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _to_numpy(column: pa.ChunkedArray) -> np.ndarray:
    """Arrow column to numpy without a Python-object detour: fixed-size lists become 2-D arrays."""
    array = column.combine_chunks()
    if pa.types.is_fixed_size_list(array.type):
        return array.flatten().to_numpy(zero_copy_only=False).reshape(len(array), array.type.list_size)
    if pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
        values = array.flatten().to_numpy(zero_copy_only=False)
        return values.reshape(len(array), -1) if len(array) else values.reshape(0, 0)
    return array.to_numpy(zero_copy_only=False)
