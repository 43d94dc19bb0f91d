"""Where Preflight keeps its own files: one workspace folder, configurable.

The workspace holds station configs, computed profiles, demo assets, deployment
recordings and the registry database. Nothing outside it is written, except
lerobot's own caches.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from core.errors import PreflightError

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKSPACE_ENV = "PREFLIGHT_WORKSPACE"
NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")  # station and dataset names: they become folder names


def checked_name(name: str, what: str, error: type[PreflightError] = PreflightError) -> str:
    """`name` when it is 1-64 letters, digits, `_` or `-`; otherwise `error` saying so (no path can escape)."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise error(
            f"{what.capitalize()} name {name!r} is not allowed: use 1 to 64 letters, digits, '_' or '-' (it becomes "
            "a folder name in the workspace)."
        )
    return name


class _Below:
    """A workspace property: the path `parts` below the workspace's root."""

    def __init__(self, *parts: str) -> None:
        self.parts = parts

    def __get__(self, workspace: Workspace | None, owner: type | None = None) -> Path:
        if workspace is None:
            raise AttributeError(f"a workspace path ({'/'.join(self.parts)}): read it from a Workspace")
        return workspace.root.joinpath(*self.parts)


@dataclass(frozen=True)
class Workspace:
    root: Path

    demo_dir = _Below("demo")  # generated demo assets: the training dataset and the checkpoint
    demo_dataset = _Below("demo", "dataset")
    demo_checkpoint = _Below("demo", "checkpoint")
    profiles_dir = _Below("profiles")
    stations_dir = _Below("stations")
    recordings_dir = _Below("recordings")
    cache_dir = _Below("cache")  # derived files that can be rebuilt at any time (decimated meshes and the like)
    registry_path = _Below("registry.sqlite")

    @classmethod
    def default(cls) -> Workspace:
        """The folder named by $PREFLIGHT_WORKSPACE, else `workspace/` in the repository."""
        return cls(Path(os.environ.get(WORKSPACE_ENV, REPO_ROOT / "workspace")).expanduser().resolve())

    def ensure(self) -> Workspace:
        for folder in (self.root, self.profiles_dir, self.stations_dir, self.recordings_dir, self.cache_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self
