"""The rules' tests use the analytics data set: a training set, a clean deployment and one deployment per fault; and
checkpoints whose features the training set has under another name, or does not have (`tests/rules/checkpoints.py`);
a station snapshot at the training start pose and the Deploy gate run on it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from core.deploy.gate import Preflight, run_preflight
from core.policy.checkpoint import read_checkpoint
from core.so101 import MOTOR_NAMES
from core.station.state import LoopStats, StationState
from core.training.profile import TrainingProfile
from tests.analytics.conftest import (  # noqa: F401  (fixtures shared with tests/analytics)
    HOME,
    TASK,
    clean_dir,
    data_dir,
    fault_dirs,
    overtrained_checkpoint,
    profile,
    sane_checkpoint,
    train_run_dir,
    training_dir,
)
from tests.rules.checkpoints import foreign_checkpoint, renamed_checkpoint  # noqa: F401


def station_state(
    training: TrainingProfile,
    *,
    fps: float = 30,
    use_degrees: bool = True,
    offset_deg: float = 0.0,
    cameras: Sequence[str] = ("front", "wrist"),
) -> StationState:
    """A station snapshot at the training start pose (plus `offset_deg` on elbow_flex), as the station publishes it."""
    follower = dict(zip(MOTOR_NAMES, map(float, HOME)))
    follower["elbow_flex"] += offset_deg
    return StationState(
        name="lab",
        kind="so101",
        mode="idle",
        estopped=False,
        follower_pos=follower,
        leader_pos=None,
        last_sent=None,
        cameras=(),
        camera_mapping={name: str(index) for index, name in enumerate(cameras)},
        loop=LoopStats(33.3, 33.3, 34.0, 35.0, 100, 0),
        fps=fps,
        use_degrees=use_degrees,
        joint_lower={m: -180.0 for m in MOTOR_NAMES},
        joint_upper={m: 180.0 for m in MOTOR_NAMES},
        published_at=0.0,
    )


def gate(training: TrainingProfile, checkpoint: Path, state: StationState, task: str = TASK) -> Preflight:
    return run_preflight(task=task, profile=training, checkpoint=read_checkpoint(checkpoint), state=state, client=None)
