"""Fault injection: the deployment failures of a real lab, made on purpose in the simulated one.

Each fault is physical, as it would be in a lab: swapping the camera cables exchanges what the
devices `sim:cam0` and `sim:cam1` show (a station's name -> device mapping is untouched, so
its `front` image shows the wrist view); a displaced start pose is the arm left elsewhere with
its gripper open; lighting and table colour change the scene's look; a moved object
distribution places the brain where training never did. Every function is safe to call while
the lab's realtime thread runs (the change is queued to that thread) and returns at once
after it is applied.
"""

from __future__ import annotations

from dataclasses import replace

from core.sim.lab import DEFAULT_OBJECT_REGION, SIM_HOME_POSE, LabFaults, ObjectRegion, SceneLook, SimLab
from core.so101 import GRIPPER

# The arm left well away from the training start pose (about 25-35 degrees per joint), gripper open.
DISPLACED_START_OFFSETS_DEG: dict[str, float] = {
    "shoulder_pan": 25.0,
    "shoulder_lift": 30.0,
    "elbow_flex": -35.0,
    "wrist_flex": -25.0,
}
OPEN_GRIPPER_PERCENT = 60.0
DIM_LIGHTING = 0.45
GREEN_TABLE_RGB = (0.30, 0.46, 0.32)
# Further out and to the right of the training region, still within the arm's reach.
SHIFTED_OBJECT_REGION = ObjectRegion(x_min_m=0.26, x_max_m=0.29, y_min_m=-0.13, y_max_m=-0.09)


def swap_camera_cables(lab: SimLab, swapped: bool = True) -> None:
    """Plug the front and wrist cameras into each other's ports (False: plug them back)."""
    lab.submit(lambda lab: lab.set_faults(replace(lab.faults, cables_swapped=swapped)))


def unplug_camera(lab: SimLab, device: str = "sim:cam0", unplugged: bool = True) -> None:
    """Pull a camera's cable (False: plug it back): the device stops sending frames, as a real one does."""
    lab._check_device(device)

    def apply(lab: SimLab) -> None:
        devices = set(lab.faults.unplugged)
        devices.add(device) if unplugged else devices.discard(device)
        lab.set_faults(replace(lab.faults, unplugged=frozenset(devices)))

    lab.submit(apply)


def unplug_bus(lab: SimLab, unplugged: bool = True) -> None:
    """Pull the follower's serial cable (False: plug it back): reading and commanding the arm fail, the servos hold
    their last goal under torque."""
    lab.submit(lambda lab: lab.set_faults(replace(lab.faults, bus_unplugged=unplugged)))


def displace_start_pose(
    lab: SimLab, offsets_deg: dict[str, float] | None = None, gripper_percent: float = OPEN_GRIPPER_PERCENT
) -> dict[str, float]:
    """Move the arm now, and at every reset, to a pose away from the home pose with the gripper open.

    Returns the displaced start pose (lerobot units).
    """
    offsets = DISPLACED_START_OFFSETS_DEG if offsets_deg is None else offsets_deg
    pose = {motor: value + offsets.get(motor, 0.0) for motor, value in SIM_HOME_POSE.items()}
    pose[GRIPPER] = gripper_percent

    def apply(lab: SimLab) -> dict[str, float]:
        lab.start_pose = pose
        lab.set_faults(replace(lab.faults, start_pose_displaced=True))
        lab.place_arm(pose)
        return lab.joints()

    lab.submit(apply)
    return dict(pose)


def restore_start_pose(lab: SimLab) -> None:
    """Resets start from the home pose again (the arm stays where it is until the next reset)."""

    def apply(lab: SimLab) -> None:
        lab.start_pose = dict(SIM_HOME_POSE)
        lab.set_faults(replace(lab.faults, start_pose_displaced=False))

    lab.submit(apply)


def change_scene_look(
    lab: SimLab, lighting: float = DIM_LIGHTING, table_rgb: tuple[float, float, float] = GREEN_TABLE_RGB
) -> None:
    """Dim (or brighten, above 1) the room's lights and recolour the table."""
    if lighting < 0:
        raise ValueError(f"lighting is a brightness factor (1 = normal); got {lighting}.")
    lab.submit(
        lambda lab: lab.set_faults(replace(lab.faults, look=SceneLook(lighting=lighting, table_rgb=tuple(table_rgb))))
    )


def move_object_distribution(lab: SimLab, region: ObjectRegion = SHIFTED_OBJECT_REGION, place_now: bool = True) -> None:
    """Draw future brain placements from `region`; with `place_now`, move the brain there at once."""

    def apply(lab: SimLab) -> None:
        lab.set_faults(replace(lab.faults, object_region=region))
        if place_now:
            lab.place_brain(*region.sample(lab.rng))

    lab.submit(apply)


def restore_faults(lab: SimLab, state: LabFaults, start_pose: dict[str, float] | None = None) -> None:
    """Put back a fault state saved before a restart: wiring, look, object region (the brain is placed in it) and,
    with `start_pose`, where resets put the arm. The arm stays where it is until the next reset."""

    def apply(lab: SimLab) -> None:
        lab.start_pose = dict(start_pose) if state.start_pose_displaced and start_pose else dict(SIM_HOME_POSE)
        lab.set_faults(state)
        if state.object_region != DEFAULT_OBJECT_REGION:
            lab.place_brain(*state.object_region.sample(lab.rng))

    lab.submit(apply)


def clear_faults(lab: SimLab) -> None:
    """Back to the healthy lab: cables right, home start pose, normal look, training distribution.

    The arm and the brain stay where they are until the next reset.
    """

    def apply(lab: SimLab) -> None:
        lab.start_pose = dict(SIM_HOME_POSE)
        lab.set_faults(LabFaults(object_region=DEFAULT_OBJECT_REGION))

    lab.submit(apply)
