"""Stable identities of a station's devices: the udev links that name a camera or a serial adapter whatever its index.

`bind_devices` records, next to each device of a config, the link that points at it now (when the operator saves
the config); `device_bindings` resolves them again (the station at start and every second) for the rule
`core.rules.device_identity`. A by-id link is preferred (it names the device itself, with its USB serial number
where it has one), a by-path link (the USB port) is the fallback. Every function takes `root`, where `/dev` is
found: tests build a fake tree there. The simulated lab's `sim:camN` devices have no identity.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from core.errors import StationError
from core.rules.device_identity import DeviceBinding, judge_device_identity
from core.station.config import SIM_DEVICE_PREFIX, CameraSpec, StationConfig

ROOT = Path("/")
CAMERA_LINKS = ("dev/v4l/by-id", "dev/v4l/by-path")  # most stable first
SERIAL_LINKS = ("dev/serial/by-id", "dev/serial/by-path")


def node_of(device: str, root: Path = ROOT) -> str:
    """The device node a config's device names now ("2" -> /dev/video2, a link -> its target); "" when absent."""
    if not device or device.startswith(SIM_DEVICE_PREFIX):
        return ""
    path = root / (f"dev/video{device}" if device.isdigit() else device.lstrip("/"))
    if not path.exists():
        return ""
    resolved = path.resolve()
    try:
        return "/" + resolved.relative_to(root.resolve()).as_posix()
    except ValueError:  # a link out of `root` (only in a hand-made tree)
        return resolved.as_posix()


def identity_of(node: str, links: tuple[str, ...], root: Path = ROOT) -> str:
    """The first stable link (as /dev/...) that points at `node`; "" when none does."""
    if not node:
        return ""
    target = (root / node.lstrip("/")).resolve()
    for folder in links:
        directory = root / folder
        if not directory.is_dir():
            continue
        for name in sorted(os.listdir(directory)):
            if (directory / name).resolve() == target:
                return f"/{folder}/{name}"
    return ""


def _is_stable(device: str) -> bool:
    return any(device.startswith(f"/{folder}/") for folder in (*CAMERA_LINKS, *SERIAL_LINKS))


def stable_identity(device: str, links: tuple[str, ...], root: Path = ROOT) -> str:
    """What to record for a device: itself when it already is a stable link, else the link pointing at it now."""
    if _is_stable(device):
        return device
    return identity_of(node_of(device, root), links, root)


def bind_cameras(config: StationConfig, root: Path = ROOT) -> StationConfig:
    """The config with each camera bound to the identity its device has now (the operator saved this mapping)."""
    return replace(
        config,
        cameras=tuple(
            replace(camera, identity=stable_identity(camera.device, CAMERA_LINKS, root)) for camera in config.cameras
        ),
    )


def bind_devices(config: StationConfig, root: Path = ROOT) -> StationConfig:
    """The config with its cameras and arm ports bound to the identities they have now; a simulated lab unchanged."""
    if config.is_sim:
        return config
    return replace(
        bind_cameras(config, root),
        robot_port_identity=stable_identity(config.robot_port, SERIAL_LINKS, root) if config.robot_port else "",
        leader_port_identity=stable_identity(config.leader_port, SERIAL_LINKS, root) if config.leader_port else "",
    )


def binding(role: str, device: str, bound: str, links: tuple[str, ...], root: Path = ROOT) -> DeviceBinding:
    """`device` resolved now against `bound`, the identity recorded for it."""
    node = node_of(device, root)
    return DeviceBinding(
        role=role,
        device=device,
        bound=bound,
        found=(device if node else "") if _is_stable(device) else identity_of(node, links, root),
        node=node,
        bound_node=node_of(bound, root) if bound else "",
    )


def arm_bindings(config: StationConfig, root: Path = ROOT) -> tuple[DeviceBinding, ...]:
    if config.is_sim:
        return ()
    arms = [("follower arm", config.robot_port, config.robot_port_identity)]
    if config.leader_port:
        arms.append(("leader arm", config.leader_port, config.leader_port_identity))
    return tuple(binding(role, port, bound, SERIAL_LINKS, root) for role, port, bound in arms if port)


def camera_bindings(cameras: tuple[CameraSpec, ...], root: Path = ROOT) -> tuple[DeviceBinding, ...]:
    return tuple(
        binding(f"camera '{camera.name}'", camera.device, camera.identity, CAMERA_LINKS, root)
        for camera in cameras
        if not camera.device.startswith(SIM_DEVICE_PREFIX)
    )


def device_bindings(config: StationConfig, root: Path = ROOT) -> tuple[DeviceBinding, ...]:
    """Every device of a real station, resolved now; () for the simulated lab."""
    if config.is_sim:
        return ()
    return (*arm_bindings(config, root), *camera_bindings(config.cameras, root))


def require_arms_in_place(config: StationConfig, root: Path = ROOT) -> None:
    """Refuse to connect an arm whose port now answers with another adapter: it would drive the wrong arm."""
    finding = judge_device_identity(arm_bindings(config, root), config.name)
    if finding.severity == "critical":
        raise StationError(f"Station '{config.name}' was not started: {finding.evidence.sentence} {finding.fix}")
