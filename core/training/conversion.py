"""Convert a LeRobot v2.1 dataset to v3.0 offline, into a new folder, through lerobot's own converter.

`lerobot.scripts.convert_dataset_v21_to_v30.convert_dataset` converts in place (it moves the
original to `<name>_old`) and, without a root, tries the Hub first. Here its five stage
functions run in the same order, reading the untouched source and writing the new folder, so
the source stays as it was, nothing goes online, and each stage reports its progress.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from core.errors import DatasetError

STAGES = ("info", "tasks", "data files", "videos", "episode metadata")
Progress = Callable[[int, int, str], None]  # (stage done, of stages, stage name)


def converted_folder(source: Path) -> Path:
    """Where the v3.0 copy of `source` goes by default: beside it, `<name>_v30`."""
    return source.parent / f"{source.name}_v30"


def convert_v21(source: str | Path, target: str | Path | None = None, progress: Progress | None = None) -> Path:
    """Write the v3.0 conversion of the v2.1 dataset `source` into `target` (which must not exist); returns it."""
    source = Path(source).expanduser().resolve()
    target = Path(target).expanduser().resolve() if target is not None else converted_folder(source)
    version = _version(source)
    if version != "v2.1":
        raise DatasetError(
            f"{source} is LeRobot format {version}; the converter reads v2.1 only"
            + (
                " (update a v2.0 dataset to v2.1 with the lerobot version that wrote it first)."
                if version == "v2.0"
                else "."
            )
        )
    if target.exists():
        raise DatasetError(f"{target} already exists: remove it, or give another --out folder for the converted copy.")
    from lerobot.datasets.utils import DEFAULT_DATA_FILE_SIZE_IN_MB, DEFAULT_VIDEO_FILE_SIZE_IN_MB
    from lerobot.scripts import convert_dataset_v21_to_v30 as lerobot_converter

    stages = (
        lambda: lerobot_converter.convert_info(
            source, target, DEFAULT_DATA_FILE_SIZE_IN_MB, DEFAULT_VIDEO_FILE_SIZE_IN_MB
        ),
        lambda: lerobot_converter.convert_tasks(source, target),
        lambda: lerobot_converter.convert_data(source, target, DEFAULT_DATA_FILE_SIZE_IN_MB),
        lambda: lerobot_converter.convert_videos(source, target, DEFAULT_VIDEO_FILE_SIZE_IN_MB),
        None,  # the episode metadata needs what the data and video stages returned
    )
    results = []
    try:
        for done, (name, stage) in enumerate(zip(STAGES, stages, strict=True)):
            if progress is not None:
                progress(done, len(STAGES), name)
            if stage is None:
                lerobot_converter.convert_episodes_metadata(source, target, results[2], results[3])
            else:
                results.append(stage())
    except (ValueError, KeyError, OSError) as error:
        shutil.rmtree(target, ignore_errors=True)
        raise DatasetError(
            f"lerobot's converter stopped at the {name} of {source}: {type(error).__name__}: {error}. The source is "
            "unchanged; check it loads with the lerobot version that wrote it."
        ) from error
    if progress is not None:
        progress(len(STAGES), len(STAGES), "done")
    return target


def _version(root: Path) -> str:
    try:
        return str(json.loads((root / "meta" / "info.json").read_text()).get("codebase_version"))
    except (OSError, ValueError) as error:
        raise DatasetError(f"{root} is not a LeRobot dataset: cannot read meta/info.json ({error}).") from error
