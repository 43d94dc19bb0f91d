"""The preflight gate: every check that must pass before a policy drives the arm.

Each check is a rule's `Finding` (`core.rules`), the same judgement the diagnosis makes after a run;
its gate status is pass (ok), warn (info, warning) or fail (critical). A fail blocks the run; the one
exception is a task sentence the operator deliberately runs anyway (`task_override`), recorded with
the run. The Deploy page shows the same findings, and the station is only asked to start a run the
gate lets through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from core.deploy.live_views import judge_live_views
from core.errors import PreflightError
from core.policy.camera_slots import CameraSlots, check_rename_map, propose_camera_slots
from core.policy.checkpoint import CheckpointInfo
from core.policy.feature_check import FeatureCheck, check_features
from core.policy.inference_settings import InferenceSettings, plan_inference
from core.policy.task_check import check_task
from core.policy.vlm_backbone import backbone_status
from core.rules import epochs as epochs_rule
from core.rules.calibration import judge_calibration_pair, judge_follower_range
from core.rules.device_identity import judge_device_identity
from core.rules.features import judge_features
from core.rules.finding import CannotJudge, Evidence, Finding, finding_or_not_checked
from core.rules.fps import judge_fps
from core.rules.start_pose import StartPoseVerdict, judge_station_start
from core.rules.task import judge_task
from core.rules.units import judge_station_units
from core.start_pose.pose import verdict_for_station
from core.station.client import StationClient
from core.station.state import StationState
from core.training.profile import TrainingProfile

GateStatus = Literal["pass", "warn", "fail"]
SEVERITY_RANK: Mapping[str, int] = {"ok": 0, "info": 1, "warning": 2, "critical": 3}
# A finding blocks the run from this severity on. Any task difference blocks: even a policy that ignores the
# sentence labels its recording with it, and the recording merges into the next training set as another task.
BLOCKS_FROM: Mapping[str, str] = {"task_mismatch": "info"}
OVERRIDABLE: frozenset[str] = frozenset({"task_mismatch"})  # the operator may run despite it; the override is recorded


def gate_status(finding: Finding) -> GateStatus:
    """pass when nothing is wrong, fail when the finding blocks the run, warn otherwise."""
    if not finding.is_problem:
        return "pass"
    return (
        "fail" if SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[BLOCKS_FROM.get(finding.id, "critical")] else "warn"
    )


@dataclass(frozen=True)
class Preflight:
    findings: tuple[Finding, ...]  # in the order the page shows them
    details: Mapping[str, object] = field(default_factory=dict)  # finding id -> its check (TaskCheck, RoleCheck)
    camera_slots: CameraSlots | None = None  # the rename map the run will use
    inference: InferenceSettings | None = None
    start_pose: StartPoseVerdict | None = None

    def finding(self, finding_id: str) -> Finding | None:
        return next((finding for finding in self.findings if finding.id == finding_id), None)

    @property
    def statuses(self) -> dict[str, GateStatus]:
        return {finding.id: gate_status(finding) for finding in self.findings}

    def blocking(self, task_override: bool = False) -> tuple[Finding, ...]:
        return tuple(
            finding
            for finding in self.findings
            if gate_status(finding) == "fail" and not (task_override and finding.id in OVERRIDABLE)
        )


def run_preflight(
    *,
    task: str,
    profile: TrainingProfile,
    checkpoint: CheckpointInfo,
    state: StationState,
    client: StationClient | None = None,
    inference: str = "sync",
    n_action_steps: int | None = None,
    rtc_execution_horizon: int | None = None,
    rename_map: dict[str, str] | None = None,
    tolerances: dict[str, float] | None = None,
    check_cameras: bool = True,
) -> Preflight:
    """All checks for running `checkpoint` on the station in `state` with this task and these settings.

    `client` lets the camera checks look at live frames; without it, or with `check_cameras=False`,
    they say they were not run.
    """
    station_cameras = list(state.camera_mapping)
    training_cameras = [camera.key for camera in profile.cameras]
    slots = (
        check_rename_map(checkpoint, station_cameras, rename_map, training_cameras)
        if rename_map is not None
        else propose_camera_slots(checkpoint, station_cameras, training_cameras)
    )
    plan = plan_inference(
        checkpoint, state.fps, inference, n_action_steps=n_action_steps, rtc_execution_horizon=rtc_execution_horizon
    )
    task_check = check_task(task, [t.task for t in profile.tasks], checkpoint)
    details: dict[str, object] = {"task_mismatch": task_check}
    verdict = None
    try:
        verdict = verdict_for_station(state, profile, tolerances)
        start = judge_station_start(verdict)
    except PreflightError as error:
        start = Finding(
            "start_pose", "critical", "Start pose cannot be judged", Evidence(str(error)), "See the Home reset page."
        )
    live = judge_live_views(
        client if check_cameras else None, state, profile, at_start_pose=verdict is None or verdict.go
    )
    if live.roles is not None:
        details["camera_swap"] = live.roles
    findings = [
        finding_or_not_checked("task_mismatch", "Task sentence", lambda: judge_task(task_check, checkpoint)),
        finding_or_not_checked(
            "feature_mismatch",
            "Policy features",
            lambda: judge_features(profile, checkpoint, _station(checkpoint, state)),
        ),
        live.camera_swap,
        live.visual_shift,
        start,
        _slots(slots),
        _chunking(plan),
        judge_fps(profile.fps, state.fps, deployment="station"),
        judge_station_units(profile.joint_units, state.use_degrees, state.name),
        finding_or_not_checked(
            "overfitting",
            "Training length",
            lambda: epochs_rule.judge_epochs(profile, checkpoint, epochs_rule.trained_epochs(profile, checkpoint)),
        ),
    ]
    findings.extend(_station_devices(state, profile))
    backbone = _backbone(checkpoint)
    if backbone is not None:
        findings.append(backbone)
    return Preflight(tuple(findings), details, slots, plan, verdict)


def _station(checkpoint: CheckpointInfo, state: StationState) -> FeatureCheck:
    """The station's side of `feature_mismatch`: one state value and one action per motor, its cameras."""
    if not state.follower_pos:
        raise CannotJudge("the station has not reported its joints yet")
    joints = len(state.follower_pos)
    return check_features(
        checkpoint, "station", state_size=joints, action_size=joints, cameras=list(state.camera_mapping)
    )


def _station_devices(state: StationState, profile: TrainingProfile) -> list[Finding]:
    """A real station's device identities and calibration files; the simulated lab has neither, so no finding."""
    findings = []
    if state.device_bindings:
        findings.append(judge_device_identity(state.device_bindings, state.name))
    if state.calibrations:
        findings.append(
            finding_or_not_checked(
                "calibration_range",
                "Follower calibration",
                lambda: judge_follower_range(
                    state.calibrations, profile.joint_ranges, profile.joint_units, state.use_degrees
                ),
            )
        )
        if any(calibration.arm == "leader" for calibration in state.calibrations):
            findings.append(judge_calibration_pair(state.calibrations))
    return findings


def _slots(slots: CameraSlots) -> Finding:
    mapping = ", ".join(f"{source} → {target}" for source, target in slots.rename_map.items()) or "no renaming needed"
    numbers = {"rename_map": dict(slots.rename_map), "unused_cameras": list(slots.unused_cameras)}
    if slots.blocking:
        return Finding(
            "camera_slots",
            "critical",
            "Policy image keys, station cameras and rename map disagree",
            Evidence(" ".join(problem.message for problem in slots.problems), numbers),
            "Edit the camera-to-slot mapping so every policy slot gets exactly one station camera.",
        )
    return Finding(
        "camera_slots",
        "ok",
        "Policy image keys, station cameras and rename map agree",
        Evidence(f"{slots.explanation} Rename map: {mapping}.", numbers),
    )


def _chunking(plan: InferenceSettings) -> Finding:
    if plan.blocking:
        return Finding(
            "chunking",
            "critical",
            "Chunk settings cannot work",
            Evidence(" ".join(plan.problems)),
            "Change n_action_steps or the inference mode.",
        )
    if plan.warnings:
        return Finding(
            "chunking",
            "warning",
            "Chunk settings can work, with a caveat",
            Evidence(f"{plan.explanation} {' '.join(plan.warnings)}"),
        )
    return Finding("chunking", "ok", "Chunk settings can work", Evidence(plan.explanation))


def _backbone(checkpoint: CheckpointInfo) -> Finding | None:
    status = backbone_status(checkpoint)
    if status is None:
        return None
    if status.blocking:
        return Finding(
            "backbone",
            "critical",
            "Vision-language backbone files are missing",
            Evidence(status.message),
            "Fetch the files as described.",
        )
    return Finding("backbone", "ok", "Vision-language backbone files are on this machine", Evidence(status.summary))
