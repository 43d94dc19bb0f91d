"""The training dataset and policy checkpoint the operator works with, shared by every page.

Stored in the workspace (`selection.json`) so a page reload, another browser tab or a
server restart sees the same choice. Until the operator picks folders, the demo assets
are the selection when they exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from core import codec
from core.training.profile import PROFILE_FILE, TrainingProfile, build_profile, profile_name
from core.workspace import Workspace

SELECTION_FILE = "selection.json"


@dataclass(frozen=True)
class Selection:
    dataset_dir: str
    policy_dir: str | None = None


def load_selection(workspace: Workspace) -> Selection | None:
    path = workspace.root / SELECTION_FILE
    if path.is_file():
        return codec.from_json(Selection, json.loads(path.read_text()))
    if (workspace.demo_dataset / "meta" / "info.json").is_file():
        policy = workspace.demo_checkpoint if workspace.demo_checkpoint.is_dir() else None
        return Selection(str(workspace.demo_dataset), str(policy) if policy else None)
    return None


def save_selection(workspace: Workspace, selection: Selection) -> None:
    workspace.root.mkdir(parents=True, exist_ok=True)
    (workspace.root / SELECTION_FILE).write_text(json.dumps(codec.to_json(selection), indent=2))


def profile_of(selection: Selection, workspace: Workspace) -> TrainingProfile:
    """The selection's training profile: the saved one while still current, else built and saved now."""
    path = workspace.profiles_dir / profile_name(selection.dataset_dir) / PROFILE_FILE
    if path.is_file() and path.stat().st_mtime >= inputs_changed_at(selection):
        profile = TrainingProfile.load(path)
        saved_policy = profile.checkpoint.path if profile.checkpoint else None
        if _same_checkpoint(saved_policy, selection.policy_dir):
            return profile
    profile = build_profile(selection.dataset_dir, selection.policy_dir)
    profile.save(path)
    return profile


def inputs_changed_at(selection: Selection) -> float:
    """The newest modification time of the files a profile is computed from."""
    inputs = [Path(selection.dataset_dir) / "meta" / "info.json"]
    if selection.policy_dir:
        inputs += [p for p in Path(selection.policy_dir).rglob("*.json")]
    return max((p.stat().st_mtime for p in inputs if p.exists()), default=0.0)


def _same_checkpoint(saved: str | None, selected: str | None) -> bool:
    if saved is None or selected is None:
        return saved is None and selected is None
    from core.policy.checkpoint import find_pretrained_model

    try:
        return Path(saved).resolve() == find_pretrained_model(selected)
    except Exception:  # noqa: BLE001 - a broken selection is rebuilt, which reports the problem
        return False
