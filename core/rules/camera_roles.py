"""The camera-role rule (`camera_swap`): does each live camera show what its role showed in training?

Every (feed, role) pair is scored by appearance similarity to the role's reference frames; the best one-to-one
assignment against the claimed wiring gives OK (within `SWAP_MARGIN`), swapped (with the mapping that fixes it)
or unrecognised. Why it works and the measured margins: docs/pages/cameras.md#the-role-check.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from core.rules.finding import CannotJudge, Evidence, Finding
from core.training.appearance import AppearanceSignature, signature_of, similarity

Verdict = Literal["ok", "swapped", "unrecognised", "incomplete"]
FINDING_ID = "camera_swap"
UNRECOGNISED_BELOW = 0.35  # best score of a feed under this: it shows none of the training views
SWAP_MARGIN = 0.05  # mean score gain per feed a different assignment needs before we call a swap


@dataclass(frozen=True)
class RoleCheck:
    verdict: Verdict
    scores: dict[str, dict[str, float]]  # feed -> role -> score 0..1
    best_assignment: dict[str, str]  # feed -> the role it looks like
    fix_mapping: dict[str, str] | None  # camera name -> device that makes every feed show its role
    unrecognised: tuple[str, ...] = ()
    message: str = ""
    missing: tuple[str, ...] = field(default_factory=tuple)  # roles with no live feed of that name


def signatures_of(frames: Sequence[np.ndarray]) -> list[AppearanceSignature]:
    return [signature_of(frame) for frame in frames]


def references_of(profile) -> dict[str, list[AppearanceSignature]]:
    """Training role name (`front`) -> signatures of its reference frames, from a TrainingProfile."""
    return {camera.name: [frame.signature for frame in camera.reference_frames] for camera in profile.cameras}


def score_matrix(
    live: Mapping[str, Sequence[AppearanceSignature]], references: Mapping[str, Sequence[AppearanceSignature]]
) -> dict[str, dict[str, float]]:
    """feed -> role -> best similarity between any live frame of the feed and any reference frame of the role."""
    return {
        feed: {
            role: round(max(similarity(a, b) for a in feed_sigs for b in role_sigs), 4)
            if feed_sigs and role_sigs
            else 0.0
            for role, role_sigs in references.items()
        }
        for feed, feed_sigs in live.items()
    }


def check_roles(
    live: Mapping[str, Sequence[AppearanceSignature]],
    references: Mapping[str, Sequence[AppearanceSignature]],
    camera_mapping: Mapping[str, str],
) -> RoleCheck:
    """Judge the wiring. `live` is keyed by station camera name, `references` by training role name.

    A feed is expected to show the role of the same name. `camera_mapping` (name -> device)
    is the station's current wiring, used to say which devices to exchange.
    """
    scores = score_matrix(live, references)
    feeds = [feed for feed in live if feed in references]
    missing = tuple(role for role in references if role not in live)
    if not feeds:
        return RoleCheck(
            "incomplete",
            scores,
            {},
            None,
            missing=missing,
            message="No live feed has the name of a training camera role.",
        )
    unrecognised = tuple(feed for feed in feeds if max(scores[feed].values()) < UNRECOGNISED_BELOW)
    best = _best_assignment(scores, feeds)
    gain = (_total(scores, best) - _total(scores, {feed: feed for feed in feeds})) / len(feeds)
    if unrecognised:
        names = ", ".join(unrecognised)
        return RoleCheck(
            "unrecognised",
            scores,
            best,
            None,
            unrecognised,
            missing=missing,
            message=f"{names}: the view matches none of the training cameras (best score under {UNRECOGNISED_BELOW}). "
            "Check that the lens is uncovered, the camera points at the workspace and the scene is lit as in training.",
        )
    if gain <= SWAP_MARGIN or best == {feed: feed for feed in feeds}:
        return RoleCheck(
            "ok", scores, best, None, missing=missing, message="Every camera shows the view its role had in training."
        )
    fix = dict(camera_mapping)
    for feed, role in best.items():
        if feed != role:
            fix[role] = camera_mapping[feed]
    moved = ", ".join(f"'{feed}' shows the {role} view" for feed, role in best.items() if feed != role)
    return RoleCheck(
        "swapped",
        scores,
        best,
        fix,
        missing=missing,
        message=f"Cameras swapped: {moved}. Swap them (the mapping {fix}) or exchange the cables.",
    )


def _best_assignment(scores: dict[str, dict[str, float]], feeds: list[str]) -> dict[str, str]:
    """The one-to-one feed -> role assignment with the highest total score (few cameras: try them all)."""
    roles = list(next(iter(scores.values())).keys())
    best, best_total = {}, -1.0
    for chosen in itertools.permutations(roles, len(feeds)):
        assignment = dict(zip(feeds, chosen))
        total = _total(scores, assignment)
        if total > best_total + 1e-9:
            best, best_total = assignment, total
    return best


def _total(scores: dict[str, dict[str, float]], assignment: Mapping[str, str]) -> float:
    return sum(scores[feed][role] for feed, role in assignment.items())


def judge_camera_roles(check: RoleCheck) -> Finding:
    """Swapped feeds are critical; a feed that matches no view is left to the scene rule (core.rules.scene)."""
    if check.verdict == "incomplete":
        raise CannotJudge(f"{check.message} Name the station's cameras like the training cameras.")
    scores = ", ".join(f"{feed}→{role} {check.scores[feed][role]:.2f}" for feed, role in check.best_assignment.items())
    moved = {feed: role for feed, role in check.best_assignment.items() if feed != role}
    numbers = {"scores": check.scores, "shows": moved}
    if check.verdict != "swapped":
        return Finding(
            FINDING_ID,
            "ok",
            "Camera roles match the training views",
            Evidence(f"{check.message} Scores: {scores}.", numbers),
        )
    shown = ", ".join(f"'{feed}' shows the {role} view" for feed, role in moved.items())
    fix = (
        f"Swap the cameras on the Cameras page (mapping {check.fix_mapping}), or exchange the two camera cables, "
        "then check the live views again."
    )
    return Finding(
        FINDING_ID,
        "critical",
        "Cameras swapped: " + shown,
        Evidence(f"{check.message} Scores: {scores}.", numbers),
        fix,
    )
