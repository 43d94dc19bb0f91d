"""The twin of a plan's next slot: where the other episode of its pair started, the target to set the arm up to.

On a real arm nothing places the scene from a seed, so the operator matches the twin by hand: the twin's
start pose (the run's start pose target plus the deltas the registry kept for that episode) and the frame
its front camera saw at the start (kept by the station beside its config; the first camera when none is called
front, the station's own choice in `PolicyRuns._keep_start_frame`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.evaluation.plan import EvaluationPlan
from core.registry import Registry
from core.station.policy_runs import start_frame_path
from core.workspace import Workspace

FRONT_CAMERA = "front"  # the camera role whose start frame a twin is matched to


def twin_camera(cameras: Sequence[str]) -> str | None:
    """The camera a twin's start frame comes from: the one called front, else the first (None without cameras)."""
    return FRONT_CAMERA if FRONT_CAMERA in cameras else next(iter(cameras), None)


@dataclass(frozen=True)
class TwinStart:
    label: str  # the twin's condition
    position: int  # the twin's slot in the plan
    episode_index: int
    start_pose: dict[str, float]  # motor -> where the twin's follower started, in the station's units
    frame: Path | None  # its front camera's frame at the start (`twin_camera`); None when none was kept


def twin_start(registry: Registry, plan: EvaluationPlan, workspace: Workspace) -> TwinStart | None:
    """The filled twin of the plan's next slot, or None (the next slot opens its pair, or the plan is done)."""
    slot = plan.next_slot
    if slot is None:
        return None
    twin = next((s for s in plan.slots if s.pair == slot.pair and s.episode_id is not None), None)
    if twin is None:
        return None
    row = next((r for r in registry.episode_rows(station=plan.record.station) if r.episode_id == twin.episode_id), None)
    target = plan.conditions[twin.condition].settings.start_pose
    if row is None or not target:
        return None
    pose = {motor: target[motor] + delta for motor, delta in row.start_pose_deltas_deg.items() if motor in target}
    frame = start_frame_path(workspace, plan.record.station, plan.record.id, twin.position)
    return TwinStart(
        plan.conditions[twin.condition].label,
        twin.position,
        row.episode_index,
        pose,
        frame if frame.is_file() else None,
    )
