"""What a station declares about a recording it makes: robot type, joint units and calibration.

lerobot's `meta/info.json` keeps only the fields lerobot knows (it drops others when it rewrites the file), so the
station writes this beside it, as `meta/preflight_recording.json`; lerobot ignores the file. Datasets recorded
elsewhere have none: `read_recording_setup` gives None and the units are judged from names and values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from core import codec

SETUP_FILE = Path("meta") / "preflight_recording.json"
SETUP_VERSION = 1


@dataclass(frozen=True)
class RecordingSetup:
    """The recording station's robot, joint units (lerobot's use_degrees) and calibration id."""

    robot_type: str
    use_degrees: bool  # True: arm joints in degrees; False: lerobot's -100..100 range units
    calibration: str  # the lerobot calibration id of the follower
    station: str = ""
    version: int = SETUP_VERSION

    @property
    def units(self) -> str:
        return "degrees" if self.use_degrees else "range"


def write_recording_setup(root: str | Path, setup: RecordingSetup) -> Path:
    """Write the setup into a dataset folder (its `meta/` is created if lerobot has not yet); returns the file."""
    path = Path(root) / SETUP_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(codec.to_json(setup), indent=2))
    tmp.replace(path)
    return path


def read_recording_setup(root: str | Path) -> RecordingSetup | None:
    """The setup a station declared for this dataset; None when there is none or it cannot be read (then the
    units are judged from names and values, as for any dataset)."""
    path = Path(root) / SETUP_FILE
    try:
        data = json.loads(path.read_text())
        if data.get("version") != SETUP_VERSION:
            return None
        return codec.from_json(RecordingSetup, data)
    except (OSError, ValueError, TypeError, AttributeError):
        return None
