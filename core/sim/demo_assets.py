"""The demo assets: a "Grab the brain" training dataset and an ACT checkpoint, generated once and cached.

Both are made in the simulated lab on first use (`python -m core demo`, `make demo`, the test
session) and kept in the workspace. Each is written to a temporary folder and renamed at the
end, so an interrupted run leaves nothing half-written behind; a lock file keeps two
processes from generating at the same time.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.sim.demo_policy import (
    FIFTEEN_MINUTES,
    MARKER_FILE,
    STRUCTURE_ONLY,
    DemoCheckpointInfo,
    PolicyEvaluation,
    TrainingRecipe,
    TrainingRun,
    evaluate_policy,
    read_demo_marker,
    train_checkpoint,
    write_demo_marker,
)
from core.sim.recording import DEMO_REPO_ID, RecordingPlan, record_demo_dataset
from core.workspace import Workspace

Report = Callable[[str], None]


@dataclass(frozen=True)
class DemoAssets:
    dataset_root: Path
    checkpoint_dir: Path
    checkpoint: DemoCheckpointInfo
    repo_id: str = DEMO_REPO_ID


@contextmanager
def _exclusive(workspace: Workspace) -> Iterator[None]:
    workspace.demo_dir.mkdir(parents=True, exist_ok=True)
    with open(workspace.demo_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _dataset_ready(root: Path) -> bool:
    return (root / "meta" / "info.json").is_file()


def _checkpoint_ready(checkpoint_dir: Path) -> bool:
    return (checkpoint_dir / MARKER_FILE).is_file() and (checkpoint_dir / "model.safetensors").is_file()


def _ensure_dataset(workspace: Workspace, plan: RecordingPlan, report: Report) -> None:
    target = workspace.demo_dataset
    if _dataset_ready(target):
        return
    scratch = workspace.demo_dir / ".dataset.recording"
    shutil.rmtree(scratch, ignore_errors=True)
    started = time.monotonic()
    report(
        f"Recording the demo dataset: {plan.episodes} teleoperated episodes of 'Grab the brain' in the simulated lab"
    )
    summary = record_demo_dataset(
        scratch,
        plan,
        workspace.cache_dir,
        progress=lambda done, total: report(f"  episode {done}/{total} ({time.monotonic() - started:.0f} s)"),
    )
    shutil.rmtree(target, ignore_errors=True)
    os.replace(scratch, target)
    report(
        f"Dataset ready: {summary.episodes} episodes, {summary.frames} frames, {summary.discarded_episodes} failed "
        f"takes discarded ({time.monotonic() - started:.0f} s) -> {target}"
    )


def _describe(run: TrainingRun, evaluation: PolicyEvaluation | None, trained: bool) -> str:
    """The sentence the UI shows about the demo checkpoint."""
    if trained:
        return (
            f"Trained {run.steps} steps; in the simulated lab it grasped the brain in {evaluation.grasped} of "
            f"{evaluation.episodes} episodes."
        )
    untrained = (
        f"Untrained: {run.steps} steps give the structure of a trained ACT (config, weights, processors, "
        "train_config.json), not a working policy"
    )
    if evaluation is None:
        return f"{untrained}. `python -m core demo --train-policy` runs the 15-minute CPU recipe."
    return (
        f"{untrained} (in the simulated lab it reached the brain in {evaluation.reached} and grasped it in "
        f"{evaluation.grasped} of {evaluation.episodes} episodes)."
    )


def _make_checkpoint(workspace: Workspace, recipe: TrainingRecipe, evaluate: bool, report: Report) -> None:
    scratch = workspace.demo_dir / ".checkpoint.building"
    shutil.rmtree(scratch, ignore_errors=True)
    limit = f", at most {recipe.max_minutes:.0f} minutes" if recipe.max_minutes else ""
    report(f"Training ACT with lerobot-train: {recipe.steps} steps x batch {recipe.batch_size} on CPU{limit}")
    run = train_checkpoint(
        workspace.demo_dataset,
        scratch,
        recipe,
        progress=lambda step, total: report(f"  training step {step}/{total}"),
    )
    evaluation = None
    if evaluate:
        report("Evaluating the policy in the simulated lab (10 seeded episodes)")
        evaluation = evaluate_policy(scratch, cache_dir=workspace.cache_dir)
        report(
            f"  reached the brain in {evaluation.reached}/{evaluation.episodes}, grasped and lifted it in "
            f"{evaluation.grasped}/{evaluation.episodes}"
        )
    trained = evaluation is not None and evaluation.works
    note = _describe(run, evaluation, trained)
    info = DemoCheckpointInfo(
        trained=trained,
        steps=run.steps,
        batch_size=recipe.batch_size,
        train_minutes=round(run.minutes, 2),
        evaluation=evaluation,
        note=note,
    )
    write_demo_marker(scratch, info)
    shutil.rmtree(workspace.demo_checkpoint, ignore_errors=True)
    os.replace(scratch, workspace.demo_checkpoint)
    report(
        f"Checkpoint ready ({'trained' if trained else 'untrained'}, {run.steps} steps in {run.minutes:.1f} min) -> "
        f"{workspace.demo_checkpoint}"
    )


def ensure_demo_assets(
    workspace: Workspace | None = None, report: Report | None = None, plan: RecordingPlan = RecordingPlan()
) -> DemoAssets:
    """The cached demo dataset and checkpoint, generated first if missing (about 3-4 minutes on 2 cores)."""
    workspace = (workspace or Workspace.default()).ensure()
    report = report or (lambda message: None)
    with _exclusive(workspace):
        _ensure_dataset(workspace, plan, report)
        if not _checkpoint_ready(workspace.demo_checkpoint):
            _make_checkpoint(workspace, STRUCTURE_ONLY, evaluate=False, report=report)
    return DemoAssets(workspace.demo_dataset, workspace.demo_checkpoint, read_demo_marker(workspace.demo_checkpoint))


def train_demo_policy(
    workspace: Workspace | None = None, report: Report | None = None, recipe: TrainingRecipe = FIFTEEN_MINUTES
) -> DemoAssets:
    """Replace the demo checkpoint with the long CPU recipe, evaluated in the sim lab (about 15 minutes)."""
    workspace = (workspace or Workspace.default()).ensure()
    report = report or (lambda message: None)
    ensure_demo_assets(workspace, report)
    with _exclusive(workspace):
        _make_checkpoint(workspace, recipe, evaluate=True, report=report)
    return DemoAssets(workspace.demo_dataset, workspace.demo_checkpoint, read_demo_marker(workspace.demo_checkpoint))
