"""A simulated SO-101 lab: one MuJoCo world that the follower, cameras and faults share.

One thread owns physics and rendering (an EGL context belongs to the thread that made
it). Two clock modes:
- realtime: a thread owned by the lab steps physics at wall-clock rate and renders each
  attached camera stream at its fps; other threads read the latest joints and frames and
  queue commands (targets, resets, faults) to it. This is how a station behaves like a
  real arm.
- lockstep: no thread; the caller advances time with `advance(seconds)` and everything
  runs in the caller's thread, as fast as the CPU allows (dataset generation, tests).

Labs live in a process-wide registry keyed by a lab id, so devices created separately
from configs (the follower, each camera) attach to the same world.
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import cv2
import mujoco
import numpy as np

from core.sim import model as scene
from core.sim.devices.config_sim_camera import SIM_CAMERA_DEVICES
from core.sim.units import motor_units, to_lerobot, to_radians
from core.so101 import HOME_POSE, MOTOR_NAMES
from core.workspace import Workspace

T = TypeVar("T")
logger = logging.getLogger(__name__)

# The lab's start pose: the documented home pose, except where the model's limits force a
# change. elbow_flex 100 degrees is past the model's limit (96.8): 96 is the nearest pose
# the servo can hold without pressing into its end stop.
SIM_HOME_POSE: dict[str, float] = {**HOME_POSE, "elbow_flex": 96.0}

# Physical camera devices of the lab and the MuJoCo camera each one shows when cabled correctly.
CAMERA_DEVICES: dict[str, str] = SIM_CAMERA_DEVICES
assert set(CAMERA_DEVICES.values()) == {scene.FRONT_CAMERA, scene.WRIST_CAMERA}

DEFAULT_LAB_ID = "default"
# The realtime thread drops simulated time rather than run faster than the wall clock
# after a stall (a paused debugger, a swapped-out process) longer than this.
MAX_CATCH_UP_S = 0.1
_IDLE_WAIT_S = 0.004
# A lifted brain must be this far above its resting height to count as lifted.
LIFT_SUCCESS_M = 0.04


class Clock(str, enum.Enum):
    REALTIME = "realtime"
    LOCKSTEP = "lockstep"


@dataclass(frozen=True)
class ObjectRegion:
    """Where a reset places the brain: a rectangle on the table (m, arm base frame) and a yaw spread."""

    x_min_m: float
    x_max_m: float
    y_min_m: float
    y_max_m: float
    yaw_max_deg: float = 25.0

    def sample(self, rng: np.random.Generator) -> tuple[float, float, float]:
        """An (x_m, y_m, yaw_deg) placement, uniform in the region."""
        return (
            float(rng.uniform(self.x_min_m, self.x_max_m)),
            float(rng.uniform(self.y_min_m, self.y_max_m)),
            float(rng.uniform(-self.yaw_max_deg, self.yaw_max_deg)),
        )


# The training distribution: inside the band a top-down grasp reaches (the arm is 5-DOF and
# wrist_flex stops at 95 degrees), in front of the base and clear of the bin.
DEFAULT_OBJECT_REGION = ObjectRegion(x_min_m=0.20, x_max_m=0.26, y_min_m=-0.07, y_max_m=0.07)


@dataclass(frozen=True)
class Frame:
    """One rendered camera image (H, W, 3 uint8 RGB) and when it was taken on the lab's clock."""

    image: np.ndarray
    timestamp_s: float
    sim_time_s: float


@dataclass(frozen=True)
class BrainState:
    """The true state of the toy brain, for judging success (a real lab has no such sensor)."""

    position_m: tuple[float, float, float]
    yaw_deg: float
    lifted_m: float
    touches_both_jaws: bool
    # From the brain's centre to the point midway between the two jaw pads.
    jaw_distance_m: float

    @property
    def grasped_and_lifted(self) -> bool:
        return self.touches_both_jaws and self.lifted_m >= LIFT_SUCCESS_M


@dataclass(frozen=True)
class SceneLook:
    """What the cameras see of the room: lighting level (1 = normal) and table colour."""

    lighting: float = 1.0
    table_rgb: tuple[float, float, float] = scene.TABLE_RGB


@dataclass(frozen=True)
class LabFaults:
    """Which faults are injected now; the default is a healthy lab."""

    cables_swapped: bool = False
    unplugged: frozenset[str] = frozenset()  # camera devices whose cable is pulled: they send nothing
    bus_unplugged: bool = False  # the follower's serial cable is pulled: its reads and commands fail
    start_pose_displaced: bool = False
    look: SceneLook = field(default_factory=SceneLook)
    object_region: ObjectRegion = DEFAULT_OBJECT_REGION

    @property
    def any(self) -> bool:
        return self != LabFaults()


@dataclass
class _Stream:
    """One camera device rendered at one size, shared by every reader of that device."""

    device: str
    width: int
    height: int
    fps: float
    readers: int = 0
    latest: Frame | None = None
    version: int = -1
    next_due_s: float = 0.0


class SimLab:
    """The simulated lab. Create through `get_lab` so devices of one lab id share it."""

    def __init__(
        self, lab_id: str = DEFAULT_LAB_ID, clock: Clock = Clock.REALTIME, cache_dir: Path | None = None, seed: int = 0
    ):
        self.lab_id = lab_id
        self.clock = Clock(clock)
        self.model = scene.build_scene(cache_dir or Workspace.default().cache_dir)
        self.data = mujoco.MjData(self.model)
        self.rng = np.random.default_rng(seed)
        self.start_pose: dict[str, float] = dict(SIM_HOME_POSE)
        self._faults = LabFaults()
        self._wiring: dict[str, str] = dict(CAMERA_DEVICES)

        self._arm_qpos = np.array([self.model.joint(m).qposadr[0] for m in MOTOR_NAMES])
        self._arm_dofs = np.array([self.model.joint(m).dofadr[0] for m in MOTOR_NAMES])
        self._arm_ctrl = np.array([self.model.actuator(m).id for m in MOTOR_NAMES])
        brain_joint = self.model.joint(scene.BRAIN_JOINT)
        self._brain_qpos = brain_joint.qposadr[0]
        self._brain_dof = brain_joint.dofadr[0]
        self._brain_geom = self.model.geom(scene.BRAIN_COLLISION_GEOM).id
        self._brain_body = self.model.body(scene.BRAIN_BODY).id
        self._pad_geoms = {self.model.geom(name).id for name in scene.JAW_PADS}
        self._table_geom = self.model.geom(scene.TABLE_GEOM).id
        self._lights = [self.model.light(scene.KEY_LIGHT).id]
        self._light_diffuse = self.model.light_diffuse[self._lights].copy()
        self._headlight = (self.model.vis.headlight.ambient.copy(), self.model.vis.headlight.diffuse.copy())
        self._brain_rest_z = scene.BRAIN_HALF_SIZE_M[2]
        self._servo_gains = (
            self.model.actuator_gainprm[self._arm_ctrl, 0].copy(),
            self.model.actuator_biasprm[self._arm_ctrl, 1:3].copy(),
        )
        self.torque_enabled = True

        self._lock = threading.Condition(threading.RLock())
        self._targets_rad = np.zeros(len(MOTOR_NAMES))
        self._targets_dirty = False
        self._joints: dict[str, float] = {}
        self._brain: BrainState | None = None
        self._version = 0
        self._streams: dict[tuple[str, int, int], _Stream] = {}
        self._renderers: dict[tuple[int, int, int], mujoco.Renderer] = {}
        self._commands: queue.SimpleQueue[tuple[Callable[[SimLab], object], Future]] = queue.SimpleQueue()
        self._users = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._owner_thread_id: int | None = None

        self._reset_now(self.start_pose, self.rng)

    # ----- clock -----------------------------------------------------------------------

    def now(self) -> float:
        """The lab's clock: wall-clock seconds in realtime mode, simulated seconds in lockstep."""
        return time.monotonic() if self.clock is Clock.REALTIME else float(self.data.time)

    def advance(self, seconds: float) -> None:
        """Lockstep only: run queued commands, then simulate `seconds` in the caller's thread."""
        if self.clock is not Clock.LOCKSTEP:
            raise RuntimeError(f"Lab '{self.lab_id}' runs in realtime: its own thread advances time.")
        self._run_commands()
        self._apply_targets()
        steps = max(1, round(seconds / self.model.opt.timestep))
        mujoco.mj_step(self.model, self.data, nstep=steps)
        self._publish_state()

    def acquire(self) -> None:
        """A device starts using the lab; in realtime mode the first one starts the lab's thread."""
        with self._lock:
            self._users += 1
            stopping = self._thread if self._thread is not None and self._stop.is_set() else None
        if stopping is not None and stopping is not threading.current_thread():
            stopping.join(timeout=5.0)  # the last device just left: let that thread finish first
        with self._lock:
            if self.clock is Clock.REALTIME and (self._thread is None or not self._thread.is_alive()):
                self._stop.clear()
                self._thread = threading.Thread(target=self._run_realtime, name=f"sim-lab-{self.lab_id}", daemon=True)
                self._thread.start()

    def release(self) -> None:
        """A device stops using the lab; the last one stops the realtime thread (the world stays)."""
        with self._lock:
            self._users = max(0, self._users - 1)
            thread = self._thread if self._users == 0 else None
            if thread is not None:
                self._stop.set()
        if thread is None:
            return
        if thread is not threading.current_thread():
            thread.join(timeout=5.0)
        with self._lock:
            if self._thread is thread:
                self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def close(self) -> None:
        """Stop the thread and free the renderers this thread created."""
        with self._lock:
            self._users = 1
        self.release()
        self._close_renderers()

    # ----- commands --------------------------------------------------------------------

    def submit(self, command: Callable[[SimLab], T], wait: bool = True, timeout_s: float = 5.0) -> T | Future:
        """Run `command(lab)` where it may touch the model and data: in the lab's thread (realtime,
        between physics steps) or at once in the caller's thread (lockstep, or no thread running)."""
        if not self.running or threading.get_ident() == self._owner_thread_id:
            result = command(self)
            self._version += 1
            self._publish_state()
            if wait:
                return result
            future: Future = Future()
            future.set_result(result)
            return future
        future = Future()
        self._commands.put((command, future))
        return future.result(timeout=timeout_s) if wait else future

    def _run_commands(self) -> None:
        ran = False
        while True:
            try:
                command, future = self._commands.get_nowait()
            except queue.Empty:
                break
            ran = True
            try:
                future.set_result(command(self))
            except BaseException as error:  # the caller sees it through the future
                future.set_exception(error)
        if ran:
            self._version += 1

    # ----- arm -------------------------------------------------------------------------

    def set_targets(self, targets: dict[str, float]) -> None:
        """Servo goal positions in lerobot units (motors not named keep their goal). Thread-safe."""
        units = motor_units()
        with self._lock:
            for index, motor in enumerate(MOTOR_NAMES):
                if motor in targets:
                    self._targets_rad[index] = units[motor].to_radians(units[motor].clip(float(targets[motor])))
            self._targets_dirty = True

    def set_torque(self, enabled: bool) -> None:
        """Servo torque on or off, as a Feetech bus's torque enable: off, the servos push no more and gravity
        takes the arm. Applied before the call returns."""
        self.submit(lambda lab: lab._set_torque_now(enabled))

    def _set_torque_now(self, enabled: bool) -> None:
        gain, bias = self._servo_gains
        self.model.actuator_gainprm[self._arm_ctrl, 0] = gain if enabled else 0.0
        self.model.actuator_biasprm[self._arm_ctrl, 1:3] = bias if enabled else 0.0
        if enabled and not self.torque_enabled:  # a servo enabled again holds where it is, as a real one does
            with self._lock:
                self._targets_rad[:] = self.data.qpos[self._arm_qpos]
                self._targets_dirty = True
        self.torque_enabled = enabled

    def joints(self) -> dict[str, float]:
        """Present joint positions in lerobot units (degrees, gripper 0..100), latest published."""
        with self._lock:
            return dict(self._joints)

    def brain(self) -> BrainState:
        with self._lock:
            assert self._brain is not None
            return self._brain

    def reset(
        self, start_pose: dict[str, float] | None = None, brain_placement: tuple[float, float, float] | None = None
    ) -> None:
        """Put the arm at `start_pose` (default: the lab's start pose) holding still, and the brain
        at `brain_placement` (x_m, y_m, yaw_deg; default: drawn from the object region)."""
        self.submit(lambda lab: lab._reset_now(start_pose or lab.start_pose, lab.rng, brain_placement))

    def _reset_now(
        self, pose: dict[str, float], rng: np.random.Generator, placement: tuple[float, float, float] | None = None
    ) -> None:
        self.place_arm(pose)
        self.place_brain(*(placement or self._faults.object_region.sample(rng)))
        mujoco.mj_forward(self.model, self.data)
        self._publish_state()

    def place_arm(self, pose: dict[str, float]) -> None:
        """Owner thread only (inside `submit`): put the arm at `pose` (lerobot units), at rest, holding it."""
        angles = to_radians({**self.joints(), **pose} if self._joints else pose)
        for index, motor in enumerate(MOTOR_NAMES):
            self.data.qpos[self._arm_qpos[index]] = angles[motor]
        self.data.qvel[self._arm_dofs] = 0.0
        with self._lock:
            self._targets_rad[:] = [angles[motor] for motor in MOTOR_NAMES]
            self._targets_dirty = True
        self._apply_targets()

    def place_brain_from_seed(self, seed: int) -> tuple[float, float, float]:
        """Put the brain where `seed` draws it from the current object region: twins of an evaluation share it.
        Returns the placement (x_m, y_m, yaw_deg)."""
        placement = self.faults.object_region.sample(np.random.default_rng(seed))
        self.submit(lambda lab: lab.place_brain(*placement))
        return placement

    def place_brain(self, x_m: float, y_m: float, yaw_deg: float) -> None:
        """Owner thread only (inside `submit`): put the brain at rest on the table."""
        half_yaw = np.radians(yaw_deg) / 2
        address = self._brain_qpos
        self.data.qpos[address : address + 3] = [x_m, y_m, self._brain_rest_z]
        self.data.qpos[address + 3 : address + 7] = [np.cos(half_yaw), 0.0, 0.0, np.sin(half_yaw)]
        self.data.qvel[self._brain_dof : self._brain_dof + 6] = 0.0

    def _apply_targets(self) -> None:
        with self._lock:
            if not self._targets_dirty:
                return
            self.data.ctrl[self._arm_ctrl] = self._targets_rad
            self._targets_dirty = False

    def _publish_state(self) -> None:
        joints = to_lerobot(dict(zip(MOTOR_NAMES, self.data.qpos[self._arm_qpos].tolist())))
        brain = self._measure_brain()
        with self._lock:
            self._joints = joints
            self._brain = brain
            self._version += 1

    def _measure_brain(self) -> BrainState:
        position = self.data.geom_xpos[self._brain_geom]
        count = self.data.ncon
        first, second = self.data.contact.geom1[:count], self.data.contact.geom2[:count]
        partners = np.concatenate([second[first == self._brain_geom], first[second == self._brain_geom]])
        touching = set(partners.tolist()) & self._pad_geoms
        w, x, y, z = self.data.xquat[self._brain_body]
        jaws = np.mean([self.data.geom_xpos[pad] for pad in self._pad_geoms], axis=0)
        return BrainState(
            position_m=tuple(float(v) for v in position),
            yaw_deg=float(np.degrees(np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z)))),
            lifted_m=float(position[2] - self._brain_rest_z),
            touches_both_jaws=touching == self._pad_geoms,
            jaw_distance_m=float(np.linalg.norm(jaws - position)),
        )

    # ----- scene look and wiring (owner thread only: call inside `submit`) -------------

    @property
    def faults(self) -> LabFaults:
        return self._faults

    def set_faults(self, faults: LabFaults) -> None:
        """Owner thread only: apply a fault state to wiring, lights and table colour."""
        self._faults = faults
        devices = list(CAMERA_DEVICES)
        views = list(CAMERA_DEVICES.values())
        if faults.cables_swapped:
            views = views[::-1]
        self._wiring = dict(zip(devices, views))
        level = faults.look.lighting
        self.model.light_diffuse[self._lights] = self._light_diffuse * level
        self.model.vis.headlight.ambient = self._headlight[0] * level
        self.model.vis.headlight.diffuse = self._headlight[1] * level
        self.model.geom_rgba[self._table_geom, :3] = faults.look.table_rgb

    # ----- cameras ---------------------------------------------------------------------

    def attach_stream(self, device: str, width: int, height: int, fps: float) -> None:
        """A camera reader starts: the lab renders `device` at this size and fps from now on."""
        self._check_device(device)
        with self._lock:
            stream = self._streams.setdefault((device, width, height), _Stream(device, width, height, fps))
            stream.fps = max(stream.fps, fps)
            stream.readers += 1

    def detach_stream(self, device: str, width: int, height: int) -> None:
        with self._lock:
            stream = self._streams.get((device, width, height))
            if stream is not None:
                stream.readers -= 1
                if stream.readers <= 0:
                    del self._streams[(device, width, height)]

    def latest_frame(self, device: str, width: int, height: int) -> Frame | None:
        """The newest frame of an attached stream. Without a running thread (lockstep) it is
        rendered here, in the caller's thread, whenever the world moved since the last one."""
        key = (device, width, height)
        with self._lock:
            stream = self._streams.get(key)
            if stream is None:
                raise RuntimeError(f"Camera {device} at {width}x{height} is not attached to lab '{self.lab_id}'.")
            if self.running:
                return stream.latest
        if stream.version != self._version:
            self._render(stream)
        return stream.latest

    def wait_frame(self, device: str, width: int, height: int, newer_than_s: float, timeout_s: float) -> Frame:
        """Realtime: block until the stream has a frame newer than `newer_than_s` (lab clock)."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while True:
                frame = self.latest_frame(device, width, height)
                if frame is not None and frame.timestamp_s > newer_than_s:
                    return frame
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.running:
                    raise TimeoutError(
                        f"No new frame from {device} within {timeout_s * 1000:.0f} ms (lab '{self.lab_id}')."
                    )
                self._lock.wait(remaining)

    def render_now(self, device: str, width: int, height: int) -> np.ndarray:
        """Owner thread only: render one image of `device` as it is cabled now."""
        self._check_device(device)
        key = (threading.get_ident(), width, height)
        renderer = self._renderers.get(key)
        if renderer is None:
            renderer = self._renderers[key] = mujoco.Renderer(self.model, height=height, width=width)
        renderer.update_scene(self.data, camera=self._wiring[device])
        return renderer.render()

    def _render(self, stream: _Stream) -> None:
        image = _with_sensor_noise(self.render_now(stream.device, stream.width, stream.height))
        with self._lock:
            stream.latest = Frame(image=image, timestamp_s=self.now(), sim_time_s=float(self.data.time))
            stream.version = self._version
            self._lock.notify_all()

    def _check_device(self, device: str) -> None:
        if device not in CAMERA_DEVICES:
            raise ValueError(f"Unknown simulated camera '{device}'. The lab has: {', '.join(CAMERA_DEVICES)}.")

    def _close_renderers(self) -> None:
        me = threading.get_ident()
        for key in [key for key in self._renderers if key[0] == me]:
            self._renderers.pop(key).close()

    # ----- the realtime thread ---------------------------------------------------------

    def _run_realtime(self) -> None:
        self._owner_thread_id = threading.get_ident()
        timestep = self.model.opt.timestep
        wall_start, sim_start = time.monotonic(), float(self.data.time)
        try:
            while not self._stop.is_set():
                self._run_commands()
                self._apply_targets()
                now = time.monotonic()
                behind_s = sim_start + (now - wall_start) - self.data.time
                if behind_s > MAX_CATCH_UP_S:
                    wall_start, sim_start = now, float(self.data.time)
                    behind_s = timestep
                steps = int(behind_s / timestep)
                if steps > 0:
                    mujoco.mj_step(self.model, self.data, nstep=steps)
                    self._publish_state()
                self._render_due_streams(time.monotonic())
                self._stop.wait(self._seconds_to_next_event())
        except Exception:
            logger.exception("The simulated lab '%s' stopped: its thread failed", self.lab_id)
            raise
        finally:
            self._close_renderers()
            self._owner_thread_id = None
            with self._lock:
                self._lock.notify_all()

    def _render_due_streams(self, now: float) -> None:
        with self._lock:
            due = [stream for stream in self._streams.values() if stream.next_due_s <= now]
        for stream in due:
            if stream.device not in self._faults.unplugged:
                self._render(stream)
            period = 1.0 / stream.fps
            next_due = stream.next_due_s + period
            stream.next_due_s = next_due if next_due > now else now + period

    def _seconds_to_next_event(self) -> float:
        with self._lock:
            next_frame = min((stream.next_due_s for stream in self._streams.values()), default=np.inf)
        return float(np.clip(next_frame - time.monotonic(), 0.0, _IDLE_WAIT_S))


SENSOR_NOISE_LEVELS = 2  # +-2 of 255: a live camera never sends two identical frames, a frozen driver does
_NOISE_MARGIN_PX = 32
_noise_banks: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}
_noise_rng = np.random.default_rng(0)


def _with_sensor_noise(image: np.ndarray) -> np.ndarray:
    """Live frames carry sensor noise like a real camera's: a fixed noise field at a random offset per
    frame, added with saturation (about 1 ms at 640x480, against 6 ms for fresh Gaussian noise)."""
    height, width = image.shape[:2]
    bank = _noise_banks.get(image.shape)
    if bank is None:
        shape = (height + _NOISE_MARGIN_PX, width + _NOISE_MARGIN_PX, *image.shape[2:])
        bank = _noise_banks[image.shape] = tuple(
            _noise_rng.integers(0, SENSOR_NOISE_LEVELS + 1, size=shape).astype(np.uint8) for _ in range(2)
        )
    (y1, x1), (y2, x2) = _noise_rng.integers(0, _NOISE_MARGIN_PX, size=(2, 2))
    return cv2.subtract(
        cv2.add(image, bank[0][y1 : y1 + height, x1 : x1 + width]), bank[1][y2 : y2 + height, x2 : x2 + width]
    )


_labs: dict[str, SimLab] = {}
_labs_lock = threading.Lock()


def get_lab(
    lab_id: str = DEFAULT_LAB_ID, clock: Clock | str | None = None, cache_dir: Path | None = None, seed: int = 0
) -> SimLab:
    """The lab registered under `lab_id`, created on first use (realtime unless `clock` says otherwise).

    Raises if an existing lab runs another clock mode than the one asked for: a device that
    expects lockstep would otherwise wait forever on a lab that advances by itself.
    """
    with _labs_lock:
        lab = _labs.get(lab_id)
        if lab is None:
            lab = _labs[lab_id] = SimLab(lab_id, Clock(clock or Clock.REALTIME), cache_dir=cache_dir, seed=seed)
        elif clock is not None and lab.clock is not Clock(clock):
            raise RuntimeError(
                f"Simulated lab '{lab_id}' already runs in {lab.clock.value} mode, not {Clock(clock).value}. "
                "Use another lab id, or close the lab first (core.sim.lab.close_lab)."
            )
        return lab


def close_lab(lab_id: str = DEFAULT_LAB_ID) -> None:
    """Stop a lab's thread and forget its world; the next `get_lab` builds a fresh one."""
    with _labs_lock:
        lab = _labs.pop(lab_id, None)
    if lab is not None:
        lab.close()
