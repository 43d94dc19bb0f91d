"""The station's live camera frames judged by the camera-role and scene rules: the Cameras page and the gate."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import PreflightError
from core.rules.camera_roles import RoleCheck, check_roles, judge_camera_roles, references_of, signatures_of
from core.rules.finding import Evidence, Finding, finding_or_not_checked
from core.rules.scene import judge_scene, reference_frames, scene_view, why_no_reference_frames
from core.station.client import StationClient
from core.station.state import StationState
from core.training.profile import TrainingProfile


@dataclass(frozen=True)
class LiveViews:
    camera_swap: Finding
    visual_shift: Finding
    roles: RoleCheck | None = None  # the scores behind camera_swap, when frames arrived


def judge_live_views(
    client: StationClient | None, state: StationState, profile: TrainingProfile, at_start_pose: bool = True
) -> LiveViews:
    """Both rules on the newest frame of each station camera; `at_start_pose`: the arm is where training frames were
    taken."""
    if client is None:
        not_run = Evidence("Not checked: no live frames from the station.")
        return LiveViews(
            Finding("camera_swap", "info", "Camera roles: not checked", not_run, "Start the station."),
            Finding("visual_shift", "info", "Scene look: not checked", not_run, "Start the station."),
        )
    missing = why_no_reference_frames(profile)
    if missing:
        not_run = Evidence(f"Not checked: {missing}.")
        fix = "Profile the training dataset with its camera videos to turn these checks on."
        return LiveViews(
            Finding("camera_swap", "info", "Camera roles: not checked", not_run, fix),
            Finding("visual_shift", "info", "Scene look: not checked", not_run, fix),
        )
    try:
        images = client.latest_images(list(state.camera_mapping))
    except PreflightError as error:
        problem, fix = Evidence(str(error)), "Check the station's cameras on the Cameras page."
        return LiveViews(
            Finding("camera_swap", "critical", "Camera roles cannot be checked", problem, fix),
            Finding("visual_shift", "info", "Scene look: not checked", problem, fix),
        )
    roles = check_roles(
        {name: signatures_of([image]) for name, image in images.items()}, references_of(profile), state.camera_mapping
    )
    views = {name: [scene_view(image, at_start_pose=at_start_pose)] for name, image in images.items()}
    assignment = (
        roles.best_assignment if roles.verdict == "swapped" else None
    )  # a swapped feed is judged as the view it shows
    return LiveViews(
        finding_or_not_checked(
            "camera_swap",
            "Camera roles",
            lambda: judge_camera_roles(roles),
            "Check the camera names on the Cameras page.",
        ),
        finding_or_not_checked(
            "visual_shift", "Scene look", lambda: judge_scene(reference_frames(profile, views), views, assignment)
        ),
        roles,
    )
