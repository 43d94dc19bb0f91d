"""Commands only a simulated station has: the demo leader's sliders and fault injection.

A real lab moves its leader arm by hand and makes its faults by accident; the simulated
lab takes both as commands, so demos and tests can show every failure on purpose. Its faults
are physical, so they outlast a restart as a lab's would: each injection is saved in the station's
folder (`sim_faults.json`) and put back when the station starts (docs/simulated-lab.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core import codec
from core.errors import StationError
from core.sim import faults
from core.sim.lab import LabFaults
from core.so101 import motor_of
from core.station.commands import Command
from core.station.config import station_dir

log = logging.getLogger(__name__)

FAULTS: dict[str, Callable] = {
    "swap_cables": faults.swap_camera_cables,
    "unswap_cables": lambda lab: faults.swap_camera_cables(lab, swapped=False),
    "unplug_camera": faults.unplug_camera,
    "plug_camera": lambda lab, device="sim:cam0": faults.unplug_camera(lab, device, unplugged=False),
    "unplug_bus": faults.unplug_bus,
    "plug_bus": lambda lab: faults.unplug_bus(lab, unplugged=False),
    "displace_start_pose": faults.displace_start_pose,
    "restore_start_pose": faults.restore_start_pose,
    "change_scene_look": faults.change_scene_look,
    "move_object_distribution": faults.move_object_distribution,
    "clear_faults": faults.clear_faults,
}
FAULTS_FILE = "sim_faults.json"
FAULTS_FORMAT = 1


@dataclass(frozen=True)
class SavedFaults:
    """The simulated lab's physical state that a station restart leaves as it is (`sim_faults.json`)."""

    faults: LabFaults
    start_pose: dict[str, float] | None = None  # where resets put the arm while the start pose is displaced


def faults_path(station) -> Path:
    return station_dir(station.workspace, station.config.name) / FAULTS_FILE


class SimControls:
    def __init__(self, station) -> None:
        self.station = station

    def handlers(self) -> dict[Command, Callable]:
        return {
            Command.SET_LEADER: self.set_leader,
            Command.INJECT_FAULT: self.inject_fault,
            Command.SIM_FAULTS: self.active_faults,
        }

    def set_leader(self, joints: dict[str, float]) -> None:
        """Move the simulated leader arm (what the operator's hand does on a real one)."""
        self.station.leader.set_joints({motor_of(key): float(value) for key, value in joints.items()})

    def inject_fault(self, fault: str, **parameters) -> None:
        if fault not in FAULTS:
            raise StationError(f"Unknown fault '{fault}'; the simulated lab knows {', '.join(FAULTS)}.")
        FAULTS[fault](self._lab, **parameters)
        self._save()
        self.station.note("fault", f"simulated fault injected: {fault} {parameters or ''}".strip())

    def active_faults(self) -> dict:
        """Which faults are active, and `summary`: them in words ("" when none)."""
        state = self._lab.faults
        active = {
            "cables_swapped": state.cables_swapped,
            "unplugged": sorted(state.unplugged),
            "bus_unplugged": state.bus_unplugged,
            "start_pose_displaced": state.start_pose_displaced,
            "scene_look_changed": state.look != LabFaults().look,
            "object_region_moved": state.object_region != LabFaults().object_region,
            "any": state.any,
        }
        return {**active, "summary": described(active)}

    def restore_faults(self) -> str:
        """At start, before the loop runs: the faults saved before the restart, back in the lab (none saved: a
        healthy lab). Returns what the station's events should say ("": nothing to say)."""
        path = faults_path(self.station)
        if not path.exists():
            return ""
        try:
            data = json.loads(path.read_text())
            if data.get("format") != FAULTS_FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {FAULTS_FORMAT}")
            saved = codec.from_json(SavedFaults, data["saved"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            return f"the simulated lab's saved faults in {path} are unreadable ({error}): the lab starts healthy"
        faults.restore_faults(self._lab, saved.faults, saved.start_pose)
        if not saved.faults.any:
            return ""
        return f"simulated faults kept from before the restart: {self.active_faults()['summary']}"

    def _save(self) -> None:
        lab = self._lab
        state = lab.faults
        saved = SavedFaults(state, dict(lab.start_pose) if state.start_pose_displaced else None)
        path = faults_path(self.station)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"format": FAULTS_FORMAT, "saved": codec.to_json(saved)}, indent=1))
        tmp.replace(path)

    @property
    def _lab(self):
        return self.station.arm.robot.lab


def described(active: dict) -> str:
    """The active faults of `SimControls.active_faults` in words ("" when none)."""
    return ", ".join(
        label
        for label, on in (
            ("camera cables swapped", active.get("cables_swapped")),
            (f"camera unplugged ({', '.join(active.get('unplugged', ()))})", active.get("unplugged")),
            ("follower bus unplugged", active.get("bus_unplugged")),
            ("start pose displaced", active.get("start_pose_displaced")),
            ("lights dimmed, table recoloured", active.get("scene_look_changed")),
            ("object placed elsewhere", active.get("object_region_moved")),
        )
        if on
    )
