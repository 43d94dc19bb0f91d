"""Frame rate (cause: fps_mismatch): the policy learned actions 1/fps apart, so deployment must run at the training fps.

Rates within FPS_TOLERANCE agree: a recorder measures 29.8 fps for a 30 fps loop.
"""

from __future__ import annotations

from core.rules.finding import Evidence, Finding

FINDING_ID = "fps_mismatch"
FPS_TOLERANCE = 0.5


def judge_fps(training_fps: float, deployment_fps: float, *, deployment: str = "deployment") -> Finding:
    """`deployment` names the other side in the sentence ("station" before a run, "deployment recording" after)."""
    numbers = {
        "training_fps": training_fps,
        "deployment_fps": deployment_fps,
        "ratio": round(deployment_fps / training_fps, 4),
    }
    if abs(training_fps - deployment_fps) <= FPS_TOLERANCE:
        return Finding(
            FINDING_ID,
            "ok",
            "FPS agrees",
            Evidence(f"{deployment_fps:g} fps against {training_fps:g} fps in training.", numbers),
        )
    return Finding(
        id=FINDING_ID,
        severity="critical",
        title=f"Deployment runs at {deployment_fps:g} fps, training at {training_fps:g} fps",
        evidence=Evidence(
            f"The {deployment} is {deployment_fps:g} fps; the policy learned actions {1000 / training_fps:.1f} ms "
            f"apart ({training_fps:g} fps).",
            numbers,
        ),
        fix=(
            f"Deploy and record at {training_fps:g} fps (the station's fps, the rollout's --fps and --dataset.fps), so "
            "each action lasts as long as in training."
        ),
    )
