"""Device identity (cause: device_identity): each camera and arm answers where the station config bound it.

A binding is a config's device (`/dev/video0`, `2`, `/dev/ttyACM0`) and the stable identity (a `/dev/v4l/by-id`,
`/dev/v4l/by-path` or `/dev/serial/by-id` link) it pointed at when the operator saved the config. Critical when the
identity now points at another node or the node now has another identity (a replug); info for a device not bound
yet (a config saved before bindings existed). Resolving the links is the station's (`core.station.device_identity`).
Reasoning: docs/station.md#device-identity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.rules.finding import Evidence, Finding

FINDING_ID = "device_identity"
FIX_REPLUG = (
    "Plug the devices back as they were. If the new wiring is the one you want, bind it again: press Apply mapping "
    "on the Cameras page for a camera, save the station again on the Overview page for an arm."
)
FIX_UNBOUND = (
    "Save the config again to bind it: press Apply mapping on the Cameras page (cameras), or save the station on the "
    "Overview page (arms and cameras)."
)


@dataclass(frozen=True)
class DeviceBinding:
    """One device of a station config, resolved now against the identity recorded when the config was saved."""

    role: str  # "camera 'front'", "follower arm", "leader arm"
    device: str  # as the config names it: /dev/video0, 2, /dev/ttyACM0
    bound: str  # the stable identity recorded with the config; "": not bound yet
    found: str  # the stable identity of the node the device names now; "": none, or no such node
    node: str  # the node the device names now (/dev/video0); "": absent
    bound_node: str  # the node the recorded identity points at now; "": the link is gone (unplugged)

    @property
    def moved(self) -> bool:
        """Another device answers where this one was bound, or this one answers elsewhere."""
        return bool(self.bound) and not (self.bound_node and self.bound_node == self.node)

    def what_changed(self) -> str:
        """One sentence naming the device recorded in the config and the one found now."""
        now = f"{self.found}" if self.found else ("a device with no stable identity" if self.node else "nothing")
        where = f"is now at {self.bound_node}" if self.bound_node else "is not plugged in"
        at = f"/dev/video{self.device}" if self.device.isdigit() else self.device  # an OpenCV index
        return (
            f"The {self.role} ({self.device}) was bound to {self.bound} when the config was saved; {at} is now {now}, "
            f"and {self.bound} {where}."
        )


def judge_device_identity(bindings: Sequence[DeviceBinding], station_name: str) -> Finding:
    """Critical when any device moved (naming both devices), info when any is not bound yet, else ok."""
    numbers = {
        "bindings": [
            {
                "role": b.role,
                "device": b.device,
                "bound": b.bound,
                "found": b.found,
                "node": b.node,
                "bound_node": b.bound_node,
            }
            for b in bindings
        ]
    }
    moved = [binding for binding in bindings if binding.moved]
    if moved:
        return Finding(
            FINDING_ID,
            "critical",
            f"A replugged device answers in the wrong place on station '{station_name}'",
            Evidence(" ".join(binding.what_changed() for binding in moved), numbers),
            FIX_REPLUG,
        )
    unbound = [binding for binding in bindings if not binding.bound]
    if unbound:
        named = ", ".join(
            f"{b.role} ({b.device}{f', now {b.found}' if b.found else ', which has no stable identity'})"
            for b in unbound
        )
        return Finding(
            FINDING_ID,
            "info",
            "Devices not bound by identity yet",
            Evidence(
                f"Not bound by identity yet: {named}. A replug that moves it to another device would go unnoticed.",
                numbers,
            ),
            FIX_UNBOUND,
        )
    return Finding(
        FINDING_ID,
        "ok",
        "Every device answers where it was bound",
        Evidence(", ".join(f"{b.role}: {b.device} is {b.bound}" for b in bindings) + ".", numbers),
    )
