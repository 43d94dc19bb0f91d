"""The operator's start-pose tolerances, kept in the workspace so every page judges alike.

The Home reset page writes them, the Deploy page reads them: both pass them to
`core.start_pose.pose.verdict_for_station`. One JSON file, `start_pose_tolerances.json`, maps a
training profile's name to {motor: tolerance in joint units}; a motor that is not listed
uses the default rule of `core.start_pose.pose` (3 x training std, with a floor).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path

from core.start_pose.pose import StartPoseError
from core.workspace import Workspace

TOLERANCES_FILE = "start_pose_tolerances.json"


def tolerances_path(workspace: Workspace) -> Path:
    return workspace.root / TOLERANCES_FILE


def load_tolerance_overrides(workspace: Workspace, profile_name: str) -> dict[str, float]:
    """The operator's tolerances for one profile (motor -> joint units); empty when none were set."""
    return dict(_read_all(workspace).get(profile_name, {}))


def save_tolerance_overrides(workspace: Workspace, profile_name: str, overrides: Mapping[str, float]) -> None:
    """Replace one profile's tolerances (empty: back to the default rule); other profiles are kept."""
    for motor, value in overrides.items():
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise StartPoseError(f"The tolerance of {motor} must be a positive number of joint units; got {value!r}.")
    every = _read_all(workspace)
    if overrides:
        every[profile_name] = {motor: float(value) for motor, value in overrides.items()}
    else:
        every.pop(profile_name, None)
    path = tolerances_path(workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(every, indent=2, sort_keys=True))
    tmp.replace(path)  # atomic: a reader never sees half a file


def _read_all(workspace: Workspace) -> dict[str, dict[str, float]]:
    path = tolerances_path(workspace)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise StartPoseError(
            f"The start-pose tolerances file {path} cannot be read ({error}). Fix it, or delete it to use the default "
            "tolerances."
        ) from error
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise StartPoseError(
            f"The start-pose tolerances file {path} is not a mapping of profile -> {{joint: tolerance}}. Fix it or "
            "delete it."
        )
    return data
