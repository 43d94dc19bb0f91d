"""Record "Grab the brain" demonstrations in the simulated lab, the way teleoperation records them.

Each frame follows `lerobot-record`'s teleoperation loop: read the follower's observation,
read the leader (moved by the scripted expert, as a person would move it), send that action
to the follower (clipped), and store the observation with the action actually sent. Each
episode starts near the home pose with a small spread (a person resets the arm by hand) and
the brain at a random place in the training region. A failed demonstration is discarded and
re-recorded with a new placement, as an operator would.

The lab runs in lockstep (as fast as the CPU allows). Episodes are split over worker
processes, each writing its own LeRobotDataset; lerobot's own aggregation then merges them
(videos are concatenated, not re-encoded) in episode order.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.so101 import ARM_JOINTS, GRIPPER

DEMO_REPO_ID = "preflight/grab_the_brain"
CAMERA_DEVICES = {"front": "sim:cam0", "wrist": "sim:cam1"}
# H.264 (x264 "veryfast") encodes a 320x240 frame in 1.6 ms of CPU; lerobot's default AV1 takes 8 ms,
# which made encoding most of the recording time. Keyframe every 2 frames like lerobot's default.
VIDEO_CODEC = {"vcodec": "h264", "preset": "veryfast", "crf": 23, "g": 2}
# One encoder queue holds a whole episode, so lockstep recording never outruns it (frames would be dropped).
_ENCODER_QUEUE_FRAMES = 1000
# Give up on an episode after this many attempts in a row (a broken scene, not bad luck).
_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class RecordingPlan:
    """What to record: `episodes` successful demonstrations at `fps`, images `width` x `height`."""

    episodes: int = 50
    fps: int = 30
    width: int = 320
    height: int = 240
    seed: int = 0
    workers: int = 2
    # Standard deviation of the hand-made reset around the home pose, per arm joint (degrees).
    start_spread_deg: float = 1.5


@dataclass(frozen=True)
class RecordingSummary:
    root: Path
    episodes: int
    frames: int
    discarded_episodes: int


Progress = Callable[[int, int], None]


def start_pose_near_home(rng: np.random.Generator, spread_deg: float) -> dict[str, float]:
    """The home pose as a person leaves it: each arm joint off by a little, gripper closed."""
    from core.sim.lab import SIM_HOME_POSE
    from core.sim.units import clip_to_limits

    pose = {
        joint: SIM_HOME_POSE[joint] + float(np.clip(rng.normal(0.0, spread_deg), -2 * spread_deg, 2 * spread_deg))
        for joint in ARM_JOINTS
    }
    pose[GRIPPER] = float(rng.uniform(0.0, 2.0))
    return clip_to_limits(pose)


def dataset_features(plan: RecordingPlan) -> dict[str, dict]:
    """The dataset features a `SimFollower` with front and wrist cameras produces, via lerobot's own helpers."""
    from lerobot.utils.feature_utils import combine_feature_dicts, hw_to_dataset_features

    from core.sim.devices.sim_follower import SimFollower

    follower = SimFollower(follower_config("features", plan))
    return combine_feature_dicts(
        hw_to_dataset_features(follower.observation_features, "observation", use_video=True),
        hw_to_dataset_features(follower.action_features, "action", use_video=True),
    )


def follower_config(lab_id: str, plan: RecordingPlan):
    """A lockstep follower in lab `lab_id` with the plan's `front` and `wrist` cameras."""
    from core.sim.devices import SimCameraConfig, SimFollowerConfig

    cameras = {
        name: SimCameraConfig(device=device, width=plan.width, height=plan.height, fps=plan.fps)
        for name, device in CAMERA_DEVICES.items()
    }
    return SimFollowerConfig(lab_id=lab_id, clock="lockstep", cameras=cameras)


def record_episodes(
    part_root: Path,
    first_episode: int,
    count: int,
    plan: RecordingPlan,
    cache_dir: Path,
    report: Callable[[str, int], None],
) -> None:
    """Record `count` successful episodes (numbered from `first_episode` for their seeds) into a new dataset."""
    from lerobot.configs.video import RGBEncoderConfig
    from lerobot.datasets import LeRobotDataset
    from lerobot.utils.feature_utils import build_dataset_frame

    from core.sim.devices import SimLeaderConfig
    from core.sim.devices.sim_follower import SimFollower
    from core.sim.devices.sim_leader import SimLeader
    from core.sim.expert import TASK, GrabBrainExpert
    from core.sim.lab import close_lab, get_lab

    lab_id = f"recording-{os.getpid()}-{first_episode}"
    lab = get_lab(lab_id, "lockstep", cache_dir=cache_dir)
    follower = SimFollower(follower_config(lab_id, plan))
    leader = SimLeader(SimLeaderConfig())
    features = dataset_features(plan)
    dataset = LeRobotDataset.create(
        DEMO_REPO_ID,
        plan.fps,
        features,
        root=part_root,
        robot_type=follower.name,
        use_videos=True,
        streaming_encoding=True,
        encoder_queue_maxsize=_ENCODER_QUEUE_FRAMES,
        encoder_threads=1,
        rgb_encoder=RGBEncoderConfig(**VIDEO_CODEC),
    )
    follower.connect()
    leader.connect()
    try:
        for episode in range(first_episode, first_episode + count):
            for attempt in range(_MAX_ATTEMPTS):
                rng = np.random.default_rng([plan.seed, episode, attempt])
                start = start_pose_near_home(rng, plan.start_spread_deg)
                lab.reset(start, lab.faults.object_region.sample(rng))
                leader.set_joints(start)
                expert = GrabBrainExpert(lab, plan.fps, rng)
                leader.drive_with(expert.next_action)
                while not expert.done:
                    observation = follower.get_observation()
                    sent = follower.send_action(leader.get_action())
                    frame = {
                        **build_dataset_frame(features, observation, "observation"),
                        **build_dataset_frame(features, sent, "action"),
                    }
                    dataset.add_frame({**frame, "task": TASK})
                    lab.advance(1.0 / plan.fps)
                if lab.brain().grasped_and_lifted:
                    dataset.save_episode()
                    report("episode", episode)
                    break
                dataset.clear_episode_buffer()
                report("discarded", episode)
            else:
                raise RuntimeError(
                    f"The scripted expert failed {_MAX_ATTEMPTS} times in a row at episode {episode}; the scene is "
                    "broken."
                )
    finally:
        leader.disconnect()
        follower.disconnect()
        dataset.finalize()
        close_lab(lab_id)


def _worker(part_root: str, first_episode: int, count: int, plan: RecordingPlan, cache_dir: str, messages) -> None:
    # FFmpeg and the datasets library print per-episode noise; keep it in a log beside the part.
    log = os.open(f"{part_root}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    try:
        record_episodes(
            Path(part_root),
            first_episode,
            count,
            plan,
            Path(cache_dir),
            lambda kind, episode: messages.put((kind, episode)),
        )
        messages.put(("done", first_episode))
    except BaseException as error:
        messages.put(("error", f"{type(error).__name__}: {error} (log: {part_root}.log)"))
        raise


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def record_demo_dataset(
    root: Path, plan: RecordingPlan, cache_dir: Path, progress: Progress | None = None
) -> RecordingSummary:
    """Record the plan into a new dataset at `root` (which must not exist), using `plan.workers` processes."""
    from lerobot.datasets import LeRobotDataset
    from lerobot.datasets.aggregate import aggregate_datasets

    if root.exists():
        raise FileExistsError(f"{root} already exists; recording never overwrites a dataset.")
    scratch = root.parent / f".{root.name}.parts"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    workers = max(1, min(plan.workers, plan.episodes))
    shares = np.array_split(np.arange(plan.episodes), workers)
    parts = [scratch / f"part-{index}" for index in range(workers)]
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    processes = [
        context.Process(
            target=_worker, args=(str(part), int(share[0]), len(share), plan, str(cache_dir), messages), daemon=True
        )
        for part, share in zip(parts, shares)
    ]
    for process in processes:
        process.start()
    recorded = discarded = finished = 0
    try:
        while finished < workers:
            try:
                kind, detail = messages.get(timeout=1.0)
            except queue.Empty:
                dead = [part for part, process in zip(parts, processes) if process.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"A recording worker died:\n{_log_tail(Path(f'{dead[0]}.log'))}") from None
                continue
            if kind == "error":
                raise RuntimeError(
                    f"Recording failed: {detail}\n{_log_tail(Path(str(detail).rsplit('log: ', 1)[-1].rstrip(')')))}"
                )
            if kind == "episode":
                recorded += 1
                if progress:
                    progress(recorded, plan.episodes)
            elif kind == "discarded":
                discarded += 1
            elif kind == "done":
                finished += 1
        for process in processes:
            process.join()
        aggregate_datasets(repo_ids=[DEMO_REPO_ID] * workers, aggr_repo_id=DEMO_REPO_ID, roots=parts, aggr_root=root)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        shutil.rmtree(scratch, ignore_errors=True)
    merged = LeRobotDataset(DEMO_REPO_ID, root=root)
    return RecordingSummary(
        root=root, episodes=merged.num_episodes, frames=merged.num_frames, discarded_episodes=discarded
    )
