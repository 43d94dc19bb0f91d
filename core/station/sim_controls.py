"""Commands only a simulated station has: the demo leader's sliders and fault injection.

A real lab moves its leader arm by hand and makes its faults by accident; the simulated
lab takes both as commands, so demos and tests can show every failure on purpose.
"""

from __future__ import annotations

from collections.abc import Callable

from core.errors import StationError
from core.sim import faults
from core.so101 import motor_of
from core.station.commands import Command

FAULTS: dict[str, Callable] = {
    "swap_cables": faults.swap_camera_cables,
    "unswap_cables": lambda lab: faults.swap_camera_cables(lab, swapped=False),
    "unplug_camera": faults.unplug_camera,
    "plug_camera": lambda lab, device="sim:cam0": faults.unplug_camera(lab, device, unplugged=False),
    "displace_start_pose": faults.displace_start_pose,
    "restore_start_pose": faults.restore_start_pose,
    "change_scene_look": faults.change_scene_look,
    "move_object_distribution": faults.move_object_distribution,
    "clear_faults": faults.clear_faults,
}


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
        FAULTS[fault](self.station.arm.robot.lab, **parameters)
        self.station.note("fault", f"simulated fault injected: {fault} {parameters or ''}".strip())

    def active_faults(self) -> dict:
        state = self.station.arm.robot.lab.faults
        return {
            "cables_swapped": state.cables_swapped,
            "start_pose_displaced": state.start_pose_displaced,
            "any": state.any,
        }
