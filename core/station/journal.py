"""The journal of the episode in progress: what a crash of the station must not lose (docs/station.md#crash-recovery).

Every frame the recording takes (the dict lerobot's `LeRobotDataset.add_frame` gets) is appended by a writer thread:
states, actions and timestamps as one JSON line each in `frames.jsonl`, each camera's image as one JPEG appended to
`<key>.mjpeg`, whose offset and size the line records. Files are flushed and fsynced at least once a second, the
images before the lines, so every line on disk has its images. `read_journal` returns the frames up to the first
incomplete one; `recover_journal` adds them to the run's dataset as one more episode.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core import codec

log = logging.getLogger(__name__)
FLUSH_EVERY_S = 1.0  # the most a crash can lose
JPEG_QUALITY = 90
HEADER = "journal.json"
FRAMES = "frames.jsonl"


@dataclass(frozen=True)
class JournalHeader:
    """Which episode a journal belongs to: enough to add it to the run's dataset and the registry."""

    run_id: int
    dataset_root: str
    episode_index: int
    fps: int
    task: str
    started_at: float  # unix time


@dataclass(frozen=True)
class JournaledEpisode:
    header: JournalHeader
    frames: tuple[dict, ...]  # add_frame dicts, images decoded
    lines_on_disk: int  # complete JSON lines, including any whose images did not reach the disk


class EpisodeJournal:
    """Append-only, crash-tolerant copy of the episode in progress; `append` never blocks the control loop."""

    def __init__(self, folder: Path, header: JournalHeader) -> None:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        (folder / HEADER).write_text(json.dumps(codec.to_json(header)))
        self.folder = folder
        self.header = header
        self._queue: queue.SimpleQueue[dict | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._write, name="episode-journal", daemon=True)
        self._thread.start()

    def append(self, frame: dict) -> None:
        """Queue one recorded frame (arrays are copied: the caller may reuse its buffers)."""
        self._queue.put({key: value.copy() if isinstance(value, np.ndarray) else value for key, value in frame.items()})

    def close(self, remove: bool) -> None:
        """Write what is queued and stop; `remove` (the episode is saved in the dataset) deletes the journal."""
        self._queue.put(None)
        self._thread.join(timeout=30)
        if remove:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _write(self) -> None:
        import cv2

        lines = open(self.folder / FRAMES, "ab")
        videos: dict[str, object] = {}
        last_flush = time.monotonic()
        index = 0
        try:
            while True:
                try:
                    frame = self._queue.get(timeout=FLUSH_EVERY_S / 2)
                except queue.Empty:
                    frame = False
                if frame is None:
                    break
                if frame is not False:
                    record: dict = {"frame_index": index, "wall_time": time.time(), "images": {}}
                    for key, value in frame.items():
                        if _is_image(value):
                            video = videos.get(key) or videos.setdefault(key, open(self.folder / f"{key}.mjpeg", "ab"))
                            # the channels are stored as given (RGB) and decoded back the same way: no conversion
                            ok, jpeg = cv2.imencode(".jpg", value, (cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY))
                            if not ok:
                                raise RuntimeError(f"JPEG encoding of {key} failed")
                            record["images"][key] = [video.tell(), len(jpeg)]
                            video.write(jpeg.tobytes())
                        elif isinstance(value, np.ndarray):
                            record[key] = value.tolist()
                        else:
                            record[key] = value
                    lines.write(json.dumps(record).encode() + b"\n")
                    index += 1
                if time.monotonic() - last_flush >= FLUSH_EVERY_S:
                    _flush(*videos.values(), lines)
                    last_flush = time.monotonic()
            _flush(*videos.values(), lines)
        except Exception:  # noqa: BLE001 - the recording itself goes on; only the crash copy stops
            log.exception("the episode journal stopped writing")
        finally:
            for handle in (*videos.values(), lines):
                handle.close()


def _flush(*handles) -> None:
    for handle in handles:  # images before lines: a line on disk always has its images
        handle.flush()
        os.fsync(handle.fileno())


def _is_image(value: object) -> bool:
    return isinstance(value, np.ndarray) and value.ndim == 3 and value.dtype == np.uint8


def read_journal(folder: Path) -> JournaledEpisode:
    """The frames a journal holds up to its first incomplete one (a torn last line, an image cut short)."""
    import cv2

    header = codec.from_json(JournalHeader, json.loads((folder / HEADER).read_text()))
    raw = (folder / FRAMES).read_bytes() if (folder / FRAMES).exists() else b""
    videos: dict[str, bytes] = {}
    frames: list[dict] = []
    complete_lines = raw.split(b"\n")[:-1]  # the last piece has no newline yet: torn by the crash
    for line in complete_lines:
        try:
            record = json.loads(line)
        except ValueError:
            break
        frame = {key: value for key, value in record.items() if key not in ("frame_index", "wall_time", "images")}
        for key, (offset, size) in record["images"].items():
            data = videos.get(key)
            if data is None:
                data = videos[key] = (folder / f"{key}.mjpeg").read_bytes()
            if offset + size > len(data):
                break
            frame[key] = cv2.imdecode(np.frombuffer(data[offset : offset + size], np.uint8), cv2.IMREAD_COLOR)
        else:
            frames.append({key: np.asarray(v, np.float32) if isinstance(v, list) else v for key, v in frame.items()})
            continue
        break
    return JournaledEpisode(header, tuple(frames), len(complete_lines))


def episode_saved(header: JournalHeader) -> bool:
    """The dataset already holds the journal's episode (saved before the journal could be removed)."""
    info = Path(header.dataset_root) / "meta" / "info.json"
    return info.exists() and json.loads(info.read_text()).get("total_episodes", 0) > header.episode_index


def recover_journal(episode: JournaledEpisode) -> int:
    """Add the journaled frames to the run's dataset as its next episode and finalise it; returns that episode's
    index. lerobot's leftovers of the interrupted episode (its `tmp*` video folders, `images/`) are removed first;
    a folder that never saved an episode (only `meta/info.json`) is created afresh with the same features."""
    from lerobot.configs.video import RGBEncoderConfig
    from lerobot.datasets import LeRobotDataset

    from core.station.sealed_recording import seal_each_episode

    root = Path(episode.header.dataset_root)
    info = json.loads((root / "meta" / "info.json").read_text())
    repo_id = f"local/rollout_{root.name}"  # as rollout_config names the run's recording
    for leftover in [*root.glob("tmp*"), root / "images"]:
        if leftover.is_dir():
            shutil.rmtree(leftover)
    video_keys = [key for key, feature in info["features"].items() if feature.get("dtype") == "video"]
    encoder = RGBEncoderConfig.from_video_info(info["features"][video_keys[0]].get("info")) if video_keys else None
    if info.get("total_episodes", 0) > 0 and (root / "meta" / "tasks.parquet").exists():
        dataset = LeRobotDataset.resume(repo_id, root=root, rgb_encoder=encoder, streaming_encoding=True)
    else:
        kept = {path.name: path.read_bytes() for path in (root / "meta").glob("preflight_*")}  # the station's notes
        shutil.rmtree(root)
        features = {key: value for key, value in info["features"].items() if key not in _DEFAULT_FEATURES}
        dataset = LeRobotDataset.create(
            repo_id,
            info["fps"],
            features,
            root=root,
            robot_type=info.get("robot_type"),
            use_videos=bool(video_keys),
            rgb_encoder=encoder,
            streaming_encoding=True,
        )
        for name, content in kept.items():
            (root / "meta" / name).write_bytes(content)
    seal_each_episode(dataset)
    index = dataset.num_episodes
    for frame in episode.frames:
        dataset.add_frame({**frame, "task": frame.get("task", episode.header.task)})
    dataset.save_episode()
    dataset.finalize()
    return index


_DEFAULT_FEATURES = ("timestamp", "frame_index", "episode_index", "index", "task_index")
