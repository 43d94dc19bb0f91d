"""Action jumps (cause: action_jumps): |a(t) - a(t-1)| per arm joint, deployment against training.

A joint is flagged when its deployment p95 exceeds JUMP_P95_RATIO x training's p95 by at least
JUMP_MIN_EXCESS degrees per frame (scaled into the joint units: `JointUnits.per_degree`); critical from
JUMP_CRITICAL_RATIO. Chunk boundaries (chunk_size / n_action_steps) are the usual cause; judged after a run,
where the actions exist.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from core.policy.checkpoint import CheckpointInfo
from core.rules.finding import Evidence, Finding
from core.training.frame_stats import DEGREES, JointUnits, JumpStats

FINDING_ID = "action_jumps"
TITLE = "Actions jump between frames far more than in training"
JUMP_P95_RATIO = 2.0
JUMP_MIN_EXCESS = 1.0  # degrees per frame
JUMP_CRITICAL_RATIO = 4.0


def judge_jumps(
    training: Mapping[str, JumpStats],
    deployment: Mapping[str, JumpStats],
    checkpoint: CheckpointInfo | None = None,
    *,
    fps_differs: bool = False,
    units: JointUnits = DEGREES,
) -> Finding:
    """Both mappings are arm motor -> jump statistics in `units`; motors missing from training are not judged."""
    flagged: dict[str, dict[str, Any]] = {}
    min_excess = JUMP_MIN_EXCESS * units.per_degree
    digits = 5 if units.units == "radians" else 3
    for motor, deploy in deployment.items():
        train = training.get(motor)
        if train is None:
            continue
        if deploy.p95 > JUMP_P95_RATIO * train.p95 and deploy.p95 - train.p95 > min_excess:
            flagged[motor] = {
                "training_p95": round(train.p95, digits),
                "training_max": round(train.max, digits),
                "deployment_p95": round(deploy.p95, digits),
                "deployment_max": round(deploy.max, digits),
                "ratio": round(deploy.p95 / train.p95, 2) if train.p95 > 0 else None,
            }
    if not flagged:
        return Finding(
            FINDING_ID,
            "ok",
            "Actions move as smoothly as in training",
            Evidence("No arm joint jumps more than in training."),
        )
    worst = max(flagged, key=lambda m: flagged[m]["ratio"] or math.inf)
    ratio, joint = flagged[worst]["ratio"], flagged[worst]
    chunking = ""
    numbers: dict[str, Any] = {"joints": flagged, "joint_units": units.units}
    if checkpoint is not None:
        numbers.update(chunk_size=checkpoint.chunk_size, n_action_steps=checkpoint.n_action_steps)
        chunking = f" The policy runs chunk_size {checkpoint.chunk_size}, n_action_steps {checkpoint.n_action_steps}."
    if fps_differs:
        chunking += " The fps differs too (fps_mismatch), which scales every jump."
    return Finding(
        id=FINDING_ID,
        severity="critical" if ratio is None or ratio >= JUMP_CRITICAL_RATIO else "warning",
        title=TITLE,
        evidence=Evidence(
            sentence=(
                f"{worst} action jumps: p95 {units.format(joint['deployment_p95'])} and max "
                f"{units.format(joint['deployment_max'])} per frame, against p95 "
                f"{units.format(joint['training_p95'])} and max {units.format(joint['training_max'])} in training."
                + chunking
            ),
            numbers=numbers,
        ),
        fix=(
            "Smooth the chunk boundaries: execute fewer actions per chunk (lower n_action_steps), use ACT's temporal "
            "ensembling (n_action_steps=1, temporal_ensemble_coeff=0.01) or RTC inference (SmolVLA), and run at the "
            "training fps. Compare again on the action-jumps figure."
        ),
    )
