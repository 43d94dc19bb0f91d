"""Where Preflight keeps its own files: one workspace folder, configurable.

The workspace holds station configs, computed profiles, demo assets, deployment
recordings and the registry database. Nothing outside it is written, except
lerobot's own caches.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKSPACE_ENV = "PREFLIGHT_WORKSPACE"


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def default(cls) -> "Workspace":
        """The folder named by $PREFLIGHT_WORKSPACE, else `workspace/` in the repository."""
        return cls(Path(os.environ.get(WORKSPACE_ENV, REPO_ROOT / "workspace")).expanduser().resolve())

    @property
    def demo_dir(self) -> Path:
        """Generated demo assets: the training dataset and the checkpoint."""
        return self.root / "demo"

    @property
    def demo_dataset(self) -> Path:
        return self.demo_dir / "dataset"

    @property
    def demo_checkpoint(self) -> Path:
        return self.demo_dir / "checkpoint"

    @property
    def profiles_dir(self) -> Path:
        return self.root / "profiles"

    @property
    def stations_dir(self) -> Path:
        return self.root / "stations"

    @property
    def recordings_dir(self) -> Path:
        return self.root / "recordings"

    @property
    def cache_dir(self) -> Path:
        """Derived files that can be rebuilt at any time (decimated meshes and the like)."""
        return self.root / "cache"

    @property
    def registry_path(self) -> Path:
        return self.root / "registry.sqlite"

    def ensure(self) -> "Workspace":
        for folder in (self.root, self.profiles_dir, self.stations_dir, self.recordings_dir, self.cache_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self
