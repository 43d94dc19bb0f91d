"""The demo assets for a test session: the workspace's full demo when it is current, else a tiny one made fresh.

A full demo (50 episodes) is current when its fingerprint matches the code and recipe that would make it now
(`core.sim.demo_assets.demo_assets_current`); the tests never reuse a stale one. Otherwise they get a tiny demo
generated in a temporary folder by the same code: a few episodes and the structural checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.sim.demo_assets import DemoAssets, demo_assets_current, ensure_demo_assets
from core.sim.recording import RecordingPlan
from core.workspace import Workspace

TINY_DEMO = RecordingPlan(episodes=10)  # enough for the diagnosis's drift test (5) and hygiene's outliers (8)


def demo_for_tests(scratch: Path, report: Callable[[str], None] | None = None) -> DemoAssets:
    """The full demo of the default workspace if current, else a tiny demo generated under `scratch`."""
    full = Workspace.default()
    if demo_assets_current(full):
        return ensure_demo_assets(full, report)
    tiny = Workspace(Path(scratch) / "workspace")
    tiny.root.mkdir(parents=True, exist_ok=True)
    shared_cache = full.ensure().cache_dir  # derived files only (decimated meshes): shared, never regenerated
    if not tiny.cache_dir.exists():
        try:
            tiny.cache_dir.symlink_to(shared_cache, target_is_directory=True)
        except FileExistsError:  # another test process sharing this scratch folder made it first
            pass
    return ensure_demo_assets(tiny, report, plan=TINY_DEMO)
