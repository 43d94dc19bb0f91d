"""Training episodes the operator chose to leave out (from the hygiene flags), stored beside the saved profile.

`<workspace>/profiles/<profile name>/exclusions.json`: a list of episode indices. Kept apart from
profile.json so rebuilding the profile never loses the choice; the merge plan leaves them out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from core.errors import DatasetError
from core.workspace import Workspace

EXCLUSIONS_FILE = "exclusions.json"


def exclusions_path(workspace: Workspace, profile_name: str) -> Path:
    return workspace.profiles_dir / profile_name / EXCLUSIONS_FILE


def load_exclusions(workspace: Workspace, profile_name: str) -> tuple[int, ...]:
    """The excluded episode indices of a profile, sorted; () when none were chosen."""
    path = exclusions_path(workspace, profile_name)
    if not path.is_file():
        return ()
    try:
        data = json.loads(path.read_text())
        return tuple(sorted({int(episode) for episode in data["excluded_episodes"]}))
    except (ValueError, KeyError, TypeError) as error:
        raise DatasetError(
            f"{path} is damaged ({error!r}): delete it and choose the excluded episodes again."
        ) from error


def save_exclusions(workspace: Workspace, profile_name: str, episodes: Iterable[int]) -> Path:
    path = exclusions_path(workspace, profile_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"excluded_episodes": sorted({int(episode) for episode in episodes})}, indent=1))
    return path
