"""The preflight gate: every check that must pass before a policy drives the arm.

Each item is pass, warn or fail, with its evidence in numbers and the fix. A fail blocks
the run; the one exception is a task sentence the operator deliberately runs anyway
(`task_override`), which is then recorded with the run. The Deploy page shows the same
items, and the station is only asked to start a run the gate lets through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from core.policy.camera_slots import CameraSlots, check_rename_map, propose_camera_slots
from core.policy.checkpoint import CheckpointInfo
from core.errors import PreflightError
from core.policy.inference_settings import InferenceSettings, plan_inference
from core.training.planner import guidance_for
from core.training.profile import TrainingProfile
from core.rules.camera_roles import RoleCheck, check_station_roles
from core.start_pose.pose import StartPoseVerdict, check_joint_units, verdict_for_station
from core.station.state import StationState
from core.policy.task_check import TaskCheck, check_task
from core.policy.vlm_backbone import backbone_status

Status = Literal["pass", "warn", "fail"]


@dataclass(frozen=True)
class CheckItem:
    id: str  # task | cameras | start_pose | camera_slots | chunking | fps_units | epochs | backbone
    title: str
    status: Status
    evidence: str
    fix: str = ""
    overridable: bool = False  # the operator may run despite a fail, and the override is recorded
    detail: object = None  # the full check result, for the page to draw (TaskCheck, RoleCheck, ...)


@dataclass(frozen=True)
class Preflight:
    items: tuple[CheckItem, ...]
    camera_slots: CameraSlots | None = None  # the rename map the run will use
    inference: InferenceSettings | None = None
    start_pose: StartPoseVerdict | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def item(self, check_id: str) -> CheckItem | None:
        return next((item for item in self.items if item.id == check_id), None)

    def blocking(self, task_override: bool = False) -> tuple[CheckItem, ...]:
        return tuple(item for item in self.items if item.status == "fail" and not (item.overridable and task_override))

    def can_run(self, task_override: bool = False) -> bool:
        return not self.blocking(task_override)


def run_preflight(
    *,
    task: str,
    profile: TrainingProfile,
    checkpoint: CheckpointInfo,
    state: StationState,
    client=None,
    inference: str = "sync",
    n_action_steps: int | None = None,
    rtc_execution_horizon: int | None = None,
    rename_map: dict[str, str] | None = None,
    tolerances: dict[str, float] | None = None,
    check_cameras: bool = True,
) -> Preflight:
    """All checks for running `checkpoint` on the station in `state` with this task and these settings.

    `client` (a StationClient) lets the camera role check look at live frames; without it,
    or with `check_cameras=False`, the item says it was not run.
    """
    station_cameras = list(state.camera_mapping)
    slots = (
        check_rename_map(checkpoint, station_cameras, rename_map, [c.key for c in profile.cameras])
        if rename_map is not None
        else propose_camera_slots(checkpoint, station_cameras, [c.key for c in profile.cameras])
    )
    plan = plan_inference(checkpoint, state.fps, inference, n_action_steps=n_action_steps, rtc_execution_horizon=rtc_execution_horizon)
    verdict, start_item = _start_pose(state, profile, tolerances)
    items = [
        _task(check_task(task, [t.task for t in profile.tasks], checkpoint)),
        _cameras(client, profile, check_cameras),
        start_item,
        _slots(slots),
        _chunking(plan),
        _fps_units(state, profile),
        _epochs(profile, checkpoint),
    ]
    backbone = _backbone(checkpoint)
    if backbone is not None:
        items.append(backbone)
    return Preflight(tuple(items), slots, plan, verdict)


def _task(check: TaskCheck) -> CheckItem:
    """Any difference fails: a policy that reads the task sees another input, and even one that ignores it
    records episodes under another task, which then merge into the next training set as a task of their own."""
    status: Status = "pass" if check.status == "pass" else "warn" if check.closest_task is None else "fail"
    return CheckItem("task", "Task sentence matches a training task exactly", status, check.evidence, check.fix,
                     overridable=status == "fail", detail=check)


def _cameras(client, profile: TrainingProfile, enabled: bool) -> CheckItem:
    title = "Camera roles match the training views"
    if client is None or not enabled:
        return CheckItem("cameras", title, "warn", "Not checked: no live frames from the station.", "Start the station.")
    try:
        check: RoleCheck = check_station_roles(client, profile)
    except PreflightError as error:
        return CheckItem("cameras", title, "fail", str(error), "Check the station's cameras on the Cameras page.")
    scores = ", ".join(f"{feed}→{role} {check.scores[feed][role]:.2f}" for feed, role in check.best_assignment.items())
    if check.verdict == "ok":
        return CheckItem("cameras", title, "pass", f"{check.message} Scores: {scores}.", detail=check)
    if check.verdict == "incomplete":
        return CheckItem("cameras", title, "warn", check.message, "Name the station's cameras like the training cameras.", detail=check)
    fix = f"Swap the cameras on the Cameras page (mapping {check.fix_mapping})." if check.fix_mapping else "Fix the camera on the Cameras page."
    return CheckItem("cameras", title, "fail", f"{check.message} Scores: {scores}.", fix, detail=check)


def _start_pose(state: StationState, profile: TrainingProfile, tolerances) -> tuple[StartPoseVerdict | None, CheckItem]:
    title = "Start pose is GO"
    try:
        verdict = verdict_for_station(state, profile, tolerances)
    except PreflightError as error:
        return None, CheckItem("start_pose", title, "fail", str(error), "See the Home reset page.")
    distance = f"largest arm deviation {verdict.distance:.1f}°" if verdict.distance is not None else "no arm joints compared"
    if verdict.go:
        return verdict, CheckItem("start_pose", title, "pass", f"GO: every joint inside tolerance ({distance}). {verdict.units_note}".strip(), detail=verdict)
    moves = "; ".join(verdict.moves)
    note = f" {verdict.gripper_note}" if verdict.gripper_note else ""
    return verdict, CheckItem("start_pose", title, "fail", f"NO-GO ({distance}): {moves}.{note}",
                              "Move the arm home on the Home reset page (automatically or with the leader arm).", detail=verdict)


def _slots(slots: CameraSlots) -> CheckItem:
    title = "Policy image keys, station cameras and rename map agree"
    mapping = ", ".join(f"{source} → {target}" for source, target in slots.rename_map.items()) or "no renaming needed"
    if slots.blocking:
        return CheckItem("camera_slots", title, "fail", " ".join(problem.message for problem in slots.problems),
                         "Edit the camera-to-slot mapping so every policy slot gets exactly one station camera.", detail=slots)
    return CheckItem("camera_slots", title, "pass", f"{slots.explanation} Rename map: {mapping}.", detail=slots)


def _chunking(plan: InferenceSettings) -> CheckItem:
    title = "Chunk settings can work"
    if plan.blocking:
        return CheckItem("chunking", title, "fail", " ".join(plan.problems), "Change n_action_steps or the inference mode.", detail=plan)
    if plan.warnings:
        return CheckItem("chunking", title, "warn", f"{plan.explanation} {' '.join(plan.warnings)}", detail=plan)
    return CheckItem("chunking", title, "pass", plan.explanation, detail=plan)


def _fps_units(state: StationState, profile: TrainingProfile) -> CheckItem:
    title = "FPS and joint units agree"
    problems = []
    if abs(state.fps - profile.fps) > 1e-6:
        problems.append(f"the station runs at {state.fps} fps but the training data was recorded at {profile.fps:g} fps")
    try:
        caveat = check_joint_units(profile.joint_units, state.use_degrees, state.name)
    except PreflightError as error:
        problems.append(str(error))
        caveat = ""
    if problems:
        return CheckItem("fps_units", title, "fail", "; ".join(problems) + ".",
                         f"Set the station to {profile.fps:g} fps and the training data's joint units.")
    units = "degrees" if state.use_degrees else "-100..100"
    if caveat:
        return CheckItem("fps_units", title, "warn", f"{state.fps} fps on both sides. {caveat}")
    return CheckItem("fps_units", title, "pass", f"{state.fps} fps and joints in {units} on both sides.")


def _epochs(profile: TrainingProfile, checkpoint: CheckpointInfo) -> CheckItem:
    title = "Training length is not likely to have memorised the scenes"
    guidance = guidance_for(checkpoint.policy_type)
    if profile.epochs is None:
        return CheckItem("epochs", title, "warn", "Epochs unknown: the checkpoint has no train_config.json, or it names another dataset.",
                         "Keep the train_config.json that lerobot-train writes next to the weights.")
    evidence = f"{profile.epochs:.1f} epochs ({guidance.policy_type}: typical {guidance.typical_low:g}-{guidance.typical_high:g}, warning above {guidance.warn_above:g})."
    verdict = guidance.verdict(profile.epochs)
    if verdict == "above":
        return CheckItem("epochs", title, "warn", f"{evidence} {guidance.basis}",
                         "Expect a policy that replays its training scenes; see the Training planner on the Analytics page.")
    if verdict == "below":
        return CheckItem("epochs", title, "warn", f"{evidence} Below the typical range: the policy is likely under-trained.",
                         "Train longer; the Training planner on the Analytics page gives the steps for a target number of epochs.")
    return CheckItem("epochs", title, "pass", evidence)


def _backbone(checkpoint: CheckpointInfo) -> CheckItem | None:
    status = backbone_status(checkpoint)
    if status is None:
        return None
    if status.blocking:
        return CheckItem("backbone", "Vision-language backbone files are on this machine", "fail", status.message, "Fetch the files as described.")
    return CheckItem("backbone", "Vision-language backbone files are on this machine", "pass", status.summary)
