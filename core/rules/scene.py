"""The scene look (cause: visual_shift): does each camera still see the scene it saw in training?

A camera's views are compared with its role's training reference frames: a similarity below the
references' own self-similarity by more than APPEARANCE_DROP means another scene (a green table, a
new background), and a median brightness beyond the brightest reference x BRIGHTNESS_FACTOR (or below
the darkest / BRIGHTNESS_FACTOR) means other lighting. Critical when the scene matches no training
view at all (similarity under camera_roles.UNRECOGNISED_BELOW). The reference frames are taken at the start
pose, so appearance and brightness are compared only on views taken there (a wrist camera sees another
picture, and other light, when the arm is elsewhere: that is the start pose's finding, not this one); a
camera with no such view is not compared. The same rule judges the live feeds (Cameras page, Deploy gate)
and the recorded first frames (diagnosis).
Reasoning: docs/diagnosis.md.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.rules.camera_roles import UNRECOGNISED_BELOW
from core.rules.finding import CannotJudge, Evidence, Finding
from core.training.appearance import AppearanceSignature, luminance, signature_of, similarity
from core.training.profile import ReferenceFrame, TrainingProfile

FINDING_ID = "visual_shift"
TITLE = "The scene looks different from training"
APPEARANCE_DROP = 0.2
BRIGHTNESS_FACTOR = 1.3
FIX = (
    "Make the scene look like the training scene (lighting, table cover, background, camera position and exposure), "
    "comparing with the training reference frames; or record episodes in the deployment environment and merge them "
    "into the training set (Planner)."
)


@dataclass(frozen=True)
class SceneView:
    """One camera frame reduced to what the scene rule needs."""

    signature: AppearanceSignature
    luminance: float
    episode_index: int | None = None  # of a recorded frame; None for a live one
    at_start_pose: bool = True  # taken with the arm at the training start pose, where the references were taken


def scene_view(image: np.ndarray, episode_index: int | None = None, at_start_pose: bool = True) -> SceneView:
    return SceneView(signature_of(image), luminance(image), episode_index, at_start_pose)


def reference_frames(
    profile: TrainingProfile, views: Mapping[str, Sequence[SceneView]] | None
) -> dict[str, list[ReferenceFrame]]:
    """Role name -> its training reference frames; raises CannotJudge when the views cannot be compared."""
    references = {camera.name: list(camera.reference_frames) for camera in profile.cameras if camera.reference_frames}
    if not references:
        raise CannotJudge(why_no_reference_frames(profile))
    if not views:
        raise CannotJudge("no camera frames to compare (the recording has no camera videos, or no live feed)")
    if not set(references) & set(views):
        raise CannotJudge(
            f"camera names differ: deployment {', '.join(views)}, training {', '.join(references)} "
            "(a rename_map decides which feed the policy sees)"
        )
    return references


def why_no_reference_frames(profile: TrainingProfile) -> str:
    """Why the profile has no reference frame at all ("" when it has some): no cameras, unreadable, --no-frames."""
    if any(camera.reference_frames for camera in profile.cameras):
        return ""
    if not profile.cameras:
        return "the training dataset has no cameras"
    unavailable = [
        f"{camera.name}: {camera.frames_unavailable}" for camera in profile.cameras if camera.frames_unavailable
    ]
    if unavailable:
        return f"the training camera frames cannot be read ({'; '.join(unavailable)})"
    return "the training profile has no reference frames (it was built with --no-frames)"


def judge_scene(
    references: Mapping[str, Sequence[ReferenceFrame]],
    views: Mapping[str, Sequence[SceneView]],
    assignment: Mapping[str, str] | None = None,
) -> Finding:
    """`views` by feed name, `references` by role; `assignment` (feed -> role it shows) defaults to same names."""
    assignment = assignment or {feed: feed for feed in views if feed in references}
    per_camera, shifted = {}, []
    for feed, role in assignment.items():
        refs = references[role]
        if len(refs) < 2:
            raise CannotJudge(f"the training profile has one reference frame of {role}; self-similarity needs two")
        signatures = [frame.signature for frame in refs]
        self_similarity = statistics.median(
            max(similarity(a, b) for j, b in enumerate(signatures) if j != i) for i, a in enumerate(signatures)
        )
        at_start = [view for view in views[feed] if view.at_start_pose]
        deployed = (
            statistics.median(max(similarity(view.signature, ref) for ref in signatures) for view in at_start)
            if at_start
            else None
        )
        train_light = [luminance(frame.image()) for frame in refs]
        deployed_light = statistics.median(view.luminance for view in at_start) if at_start else None
        darker = deployed_light is not None and deployed_light < min(train_light) / BRIGHTNESS_FACTOR
        brighter = deployed_light is not None and deployed_light > max(train_light) * BRIGHTNESS_FACTOR
        looks_other = deployed is not None and self_similarity - deployed > APPEARANCE_DROP
        per_camera[role] = {
            "training_self_similarity": round(self_similarity, 4),
            "deployment_similarity": None if deployed is None else round(deployed, 4),
            "views_at_start_pose": len(at_start),
            "views": len(views[feed]),
            "training_brightness": [round(min(train_light), 1), round(max(train_light), 1)],
            "deployment_brightness": None if deployed_light is None else round(deployed_light, 1),
        }
        what = []
        if looks_other:
            what.append(f"similarity {deployed:.2f} against training's own {self_similarity:.2f}")
        if darker or brighter:
            what.append(
                f"{'darker' if darker else 'brighter'}: brightness {deployed_light:.0f} against "
                f"{min(train_light):.0f}-{max(train_light):.0f} in training"
            )
        if what:
            shifted.append((role, self_similarity if deployed is None else deployed, "; ".join(what)))
    numbers = {"cameras": per_camera, "shifted": [role for role, _, _ in shifted]}
    if not shifted:
        sentence = "; ".join(
            f"{role}: similarity {n['deployment_similarity']:.2f} (training's own "
            f"{n['training_self_similarity']:.2f}), brightness {n['deployment_brightness']:.0f} (training "
            f"{n['training_brightness'][0]:.0f}-{n['training_brightness'][1]:.0f})"
            if n["deployment_similarity"] is not None
            else f"{role}: not compared (every view was taken away from the start pose, the start pose's finding)"
            for role, n in per_camera.items()
        )
        return Finding(FINDING_ID, "ok", "The scene looks like training", Evidence(sentence + ".", numbers))
    worst = min(shifted, key=lambda s: s[1])
    return Finding(
        id=FINDING_ID,
        severity="critical" if worst[1] < UNRECOGNISED_BELOW else "warning",
        title=TITLE,
        evidence=Evidence("; ".join(f"{role} camera: {what}" for role, _, what in shifted) + ".", numbers),
        fix=FIX,
    )
