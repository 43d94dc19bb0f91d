"""The demo assets: a "Grab the brain" training dataset and an ACT checkpoint, generated once and cached.

Both are made in the simulated lab on first use (`python -m core demo`, `make demo`, the test
session) and kept in the workspace. Each is written to a temporary folder and renamed at the
end, so an interrupted run leaves nothing half-written behind; a lock file keeps two
processes from generating at the same time.

Each carries a fingerprint of what made it (`dataset_fingerprint`, `checkpoint_fingerprint`): the source of the
simulated lab and its recorder and trainer (every module of core/sim and core/so101.py), the recording plan, the
training recipe and the versions of lerobot and MuJoCo. A cache whose fingerprint differs, or that has none, is
stale and is generated again.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
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

SIM_PACKAGE = Path(__file__).resolve().parent
CODE_FILES = (SIM_PACKAGE, SIM_PACKAGE.parent / "so101.py")  # what records the dataset and trains the checkpoint
VERSIONED = ("lerobot", "mujoco", "torch")
DATASET_FINGERPRINT = "dataset.fingerprint.json"  # in the demo folder, written once the dataset is in place
CHECKPOINT_FINGERPRINT = "preflight_fingerprint.json"  # inside the checkpoint, written before it is moved in place
KNOWN_RECIPES = (STRUCTURE_ONLY, FIFTEEN_MINUTES)


@dataclass(frozen=True)
class DemoAssets:
    dataset_root: Path
    checkpoint_dir: Path
    checkpoint: DemoCheckpointInfo
    repo_id: str = DEMO_REPO_ID
    plan: RecordingPlan = RecordingPlan()


def code_fingerprint() -> str:
    """sha256 of the simulated lab's code (core/sim and core/so101.py) and the versions of the libraries it drives."""
    digest = hashlib.sha256()
    files = sorted(
        path
        for root in CODE_FILES
        for path in ([root] if root.is_file() else root.rglob("*.py"))
        if "__pycache__" not in path.parts
    )
    for path in files:
        digest.update(path.relative_to(SIM_PACKAGE.parent).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for package in VERSIONED:
        digest.update(f"{package}=={metadata.version(package)}\0".encode())
    return digest.hexdigest()


def dataset_fingerprint(plan: RecordingPlan, code: str | None = None) -> str:
    """What the demo dataset recorded with `plan` by this code must carry (the worker count changes only the speed)."""
    recipe = {key: value for key, value in dataclasses.asdict(plan).items() if key != "workers"}
    return _digest({"code": code or code_fingerprint(), "plan": recipe})


def checkpoint_fingerprint(dataset: str, recipe: TrainingRecipe, code: str | None = None) -> str:
    """What a demo checkpoint trained with `recipe` on the dataset of fingerprint `dataset` by this code carries."""
    return _digest({"code": code or code_fingerprint(), "dataset": dataset, "recipe": dataclasses.asdict(recipe)})


def _digest(value: dict) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _read_fingerprint(path: Path) -> str | None:
    try:
        return json.loads(path.read_text())["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_fingerprint(path: Path, fingerprint: str, **described: object) -> None:
    path.write_text(json.dumps({"fingerprint": fingerprint, **described}, indent=1, default=str) + "\n")


def _dataset_current(workspace: Workspace, plan: RecordingPlan, code: str) -> bool:
    return _dataset_ready(workspace.demo_dataset) and _read_fingerprint(
        workspace.demo_dir / DATASET_FINGERPRINT
    ) == dataset_fingerprint(plan, code)


def _checkpoint_current(workspace: Workspace, plan: RecordingPlan, code: str) -> bool:
    """Made by this code on the current dataset with one of the recipes as they are defined now (the quick
    structural one, or the long one that `train_demo_policy` runs: a trained checkpoint is kept)."""
    if not _checkpoint_ready(workspace.demo_checkpoint):
        return False
    found = _read_fingerprint(workspace.demo_checkpoint / CHECKPOINT_FINGERPRINT)
    dataset = dataset_fingerprint(plan, code)
    return any(found == checkpoint_fingerprint(dataset, recipe, code) for recipe in KNOWN_RECIPES)


def demo_assets_current(workspace: Workspace | None = None, plan: RecordingPlan = RecordingPlan()) -> bool:
    """Whether the workspace's demo dataset and checkpoint were made by this code and recipe (nothing to generate)."""
    workspace = workspace or Workspace.default()
    code = code_fingerprint()
    return _dataset_current(workspace, plan, code) and _checkpoint_current(workspace, plan, code)


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


def _ensure_dataset(workspace: Workspace, plan: RecordingPlan, report: Report, code: str) -> None:
    target = workspace.demo_dataset
    if _dataset_current(workspace, plan, code):
        return
    if _dataset_ready(target):
        report("The demo dataset was made by other code or another recording plan: recording it again")
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
    (workspace.demo_dir / DATASET_FINGERPRINT).unlink(missing_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(scratch, target)
    _write_fingerprint(workspace.demo_dir / DATASET_FINGERPRINT, dataset_fingerprint(plan, code), plan=plan)
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


def _make_checkpoint(
    workspace: Workspace, recipe: TrainingRecipe, evaluate: bool, report: Report, plan: RecordingPlan, code: str
) -> None:
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
    _write_fingerprint(
        scratch / CHECKPOINT_FINGERPRINT,
        checkpoint_fingerprint(dataset_fingerprint(plan, code), recipe, code),
        recipe=recipe,
        plan=plan,
    )
    shutil.rmtree(workspace.demo_checkpoint, ignore_errors=True)
    os.replace(scratch, workspace.demo_checkpoint)
    report(
        f"Checkpoint ready ({'trained' if trained else 'untrained'}, {run.steps} steps in {run.minutes:.1f} min) -> "
        f"{workspace.demo_checkpoint}"
    )


def ensure_demo_assets(
    workspace: Workspace | None = None, report: Report | None = None, plan: RecordingPlan = RecordingPlan()
) -> DemoAssets:
    """The cached demo dataset and checkpoint, generated first if missing or stale (about 3-4 minutes on 2 cores)."""
    workspace = (workspace or Workspace.default()).ensure()
    report = report or (lambda message: None)
    code = code_fingerprint()
    with _exclusive(workspace):
        _ensure_dataset(workspace, plan, report, code)
        if not _checkpoint_current(workspace, plan, code):
            _make_checkpoint(workspace, STRUCTURE_ONLY, evaluate=False, report=report, plan=plan, code=code)
    return DemoAssets(
        workspace.demo_dataset, workspace.demo_checkpoint, read_demo_marker(workspace.demo_checkpoint), plan=plan
    )


def train_demo_policy(
    workspace: Workspace | None = None, report: Report | None = None, recipe: TrainingRecipe = FIFTEEN_MINUTES
) -> DemoAssets:
    """Replace the demo checkpoint with the long CPU recipe, evaluated in the sim lab (about 15 minutes)."""
    workspace = (workspace or Workspace.default()).ensure()
    report = report or (lambda message: None)
    ensure_demo_assets(workspace, report)
    with _exclusive(workspace):
        _make_checkpoint(workspace, recipe, evaluate=True, report=report, plan=RecordingPlan(), code=code_fingerprint())
    return DemoAssets(workspace.demo_dataset, workspace.demo_checkpoint, read_demo_marker(workspace.demo_checkpoint))
