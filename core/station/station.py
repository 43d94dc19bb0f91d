"""The station: one arm, its leader and cameras, composed of the guarded arm, the camera feeds, the control loop
and the policy runs. Each tick reads the follower and the leader, lets the active motion (leader mirroring, a move
home) propose a target, sends it through the safety gate and publishes a snapshot.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from core.errors import StationError
from core.rules.calibration import ArmCalibration
from core.rules.device_identity import DeviceBinding
from core.so101 import motor_of
from core.start_pose.move_home import DEFAULT_MAX_SPEED_DEG_S, SETTLE_TIMEOUT_S, MoveHome, plan_move_home
from core.station import device_identity, devices
from core.station.camera_feed import CameraFeeds, EncodedFrame
from core.station.commands import Command
from core.station.config import StationConfig
from core.station.control import ControlLease
from core.station.control_loop import ControlLoop
from core.station.safety import LATCHED, GuardedArm, UnsafeActionError
from core.station.state import ArmRelease, Mode, StationEvent, StationState, StationTimings
from core.workspace import Workspace

log = logging.getLogger(__name__)
EVENT_WINDOW = 20
REST_TOLERANCE = 2.0  # joint units: the arm counts as at its rest pose (torque may be released)
PARK_MARGIN_S = 5.0  # beyond the planned move and its settling, before parking is given up
IDENTITY_CHECK_S = 1.0  # how often a real station resolves its devices' identities again


class Motion(Protocol):
    """Something that drives the follower for a while: leader mirroring, a move home."""

    mode: Mode

    def step(self, follower: dict[str, float], leader: dict[str, float] | None) -> dict[str, float] | None:
        """The next target (motor -> position), or None when the motion is finished.

        `follower` and `leader` map motor names to present positions, in the robot's units.
        """

    def progress(self) -> dict:
        """What the page shows about it (fractions, distances, reasons)."""


class StationExtension(Protocol):
    """A capability added to a station (simulator controls, move home, policy runs): its commands."""

    def handlers(self) -> dict[Command, Callable]:
        """Command -> callable taking keyword arguments, served to clients."""


class MirrorLeader:
    """The follower copies the leader arm, as `lerobot-teleoperate` does, after approaching it at
    `catch_up_deg_per_tick` until within `caught_up_within`."""

    mode: Mode = "mirror"
    caught_up_within = 2.0  # joint units

    def __init__(self, catch_up_deg_per_tick: float = 1.5) -> None:
        self.catch_up_deg_per_tick = catch_up_deg_per_tick
        self.caught_up = False
        self._target: dict[str, float] | None = None

    def step(self, follower: dict[str, float], leader: dict[str, float] | None) -> dict[str, float] | None:
        if leader is None:
            raise StationError("Leader mirroring needs a leader arm; this station has none.")
        if self.caught_up:
            return dict(leader)
        previous = self._target or follower
        limit = self.catch_up_deg_per_tick
        self._target = {
            m: previous[m] + min(max(leader[m] - previous[m], -limit), limit) for m in leader if m in previous
        }
        self.caught_up = all(abs(self._target[m] - leader[m]) <= self.caught_up_within for m in self._target)
        return dict(self._target)

    def progress(self) -> dict:
        return {"caught_up": self.caught_up}


class Station:
    """One arm behind its parts: `arm` (safety gate, emergency stop), `cameras`, `loop` and `runs`.

    Commands arrive on the server's threads; what touches the hardware runs on the loop thread,
    except the emergency stop, which holds the arm from the thread that received it.
    """

    def __init__(self, config: StationConfig, workspace: Workspace, dev_root: Path = device_identity.ROOT) -> None:
        self.config = config
        self.workspace = workspace
        self.dev_root = dev_root  # where /dev is found (device identities)
        self.arm = GuardedArm(devices.build_robot(config))
        self.cameras = CameraFeeds(config.name, config.cameras, self.arm.robot)
        self.leader = devices.build_leader(config)
        self.loop = ControlLoop(f"station-{config.name}", config.fps, tick=self._tick, publish=self.publish)
        self._motion: Motion | None = None
        self._mode: Mode = "starting"
        self._error = ""
        self._leader_pos: dict[str, float] | None = None
        self._events: deque[StationEvent] = deque(maxlen=EVENT_WINDOW)
        self._state: StationState | None = None
        self._state_ready = threading.Event()
        self._device_bindings: tuple[DeviceBinding, ...] = ()  # () on the simulated lab
        self._calibrations: tuple[ArmCalibration, ...] = ()
        self._stopping = threading.Event()
        self.control = ControlLease(config.name, on_change=lambda message: self.note("control", message))
        self.extensions: list[StationExtension] = []
        self.sim = None  # the simulated lab's controls (SimControls) on a simulated station
        if config.is_sim:
            from core.station.sim_controls import SimControls

            self.sim = SimControls(self)
            self.extensions.append(self.sim)
        from core.station.policy_runs import PolicyRuns

        self.runs = PolicyRuns(self)
        self.extensions.append(self.runs)

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        device_identity.require_arms_in_place(self.config, self.dev_root)  # before any bus is opened
        devices.connect(self.arm.robot, "follower", self.config)
        if self.leader is not None:
            try:
                devices.connect(self.leader, "leader", self.config)
            except StationError:
                self.arm.robot.disconnect()
                raise
        self.arm.set_limits(devices.joint_limits(self.arm.robot, self.config), self.config.max_relative_target)
        restored = self.sim.restore_faults() if self.sim is not None else ""  # a lab's faults outlast a restart
        self._calibrations = devices.calibrations(self.arm.robot, self.leader, self.config)
        self._device_bindings = device_identity.device_bindings(self.config, self.dev_root)
        if self._device_bindings:
            threading.Thread(target=self._watch_devices, name="device-identity", daemon=True).start()
        self._mode = "idle"
        self.loop.start()
        if not self._state_ready.wait(timeout=10):
            raise StationError(f"Station '{self.config.name}' connected but produced no state within 10 s.")
        if restored:
            self.note("fault", restored)
        threading.Thread(target=self._recover, name="recover-episodes", daemon=True).start()

    def _watch_devices(self) -> None:
        """Resolve the devices' identities again every IDENTITY_CHECK_S: a replug shows before the next run."""
        while not self._stopping.wait(IDENTITY_CHECK_S):
            try:
                self._device_bindings = device_identity.device_bindings(self.config, self.dev_root)
            except OSError as error:
                log.warning("device identities not resolved: %s", error)

    def _recover(self) -> None:
        for line in self.runs.recover_interrupted():
            self.note("recovered", line)

    def stop(self, reason: str = "stop command") -> ArmRelease:
        """Stop the station the one safe way, whatever asked (the stop command, a signal, the app gone): end any
        policy run (the episode in progress is saved), move the arm to its rest pose at the rest speed limit, and
        only then disconnect; torque is released only at the rest pose and only if `torque_release` allows."""
        self._stopping.set()
        self.runs.close(reason)
        self._park()
        self.loop.stop()
        release = self._release(reason)
        log.warning("station stopping (%s): %s", reason, release.message)
        robot = self.arm.robot
        if hasattr(robot.config, "disable_torque_on_disconnect"):  # SO101FollowerConfig and the simulated arm
            robot.config.disable_torque_on_disconnect = release.torque == "released"
        for device in (self.leader, robot):
            if device is not None and device.is_connected:
                try:
                    device.disconnect()
                except Exception:  # noqa: BLE001 - keep disconnecting the rest
                    log.exception("disconnect failed")
        self._mode = "stopped"
        return release

    def rest_pose(self) -> dict[str, float] | None:
        """Where the arm parks before the station lets go: the config's, else the simulated lab's home pose."""
        if self.config.rest_pose:
            return dict(self.config.rest_pose)
        if self.config.is_sim:
            from core.sim.lab import SIM_HOME_POSE

            return dict(SIM_HOME_POSE)
        return None

    def _park(self) -> None:
        """Drive the arm to the rest pose through the loop and the safety gate; return when it is there or it
        cannot get there (emergency stop latched, the station in error, no rest pose, the time is up)."""
        rest = self.rest_pose()
        if rest is None or self.arm.estopped or self._mode == "error" or not self.loop.running:
            self._motion = None
            return
        motion = MoveHome(rest, self.config.fps, self.config.rest_speed_deg_s)
        plan = plan_move_home(dict(self.arm.follower_pos), rest, motion.max_speed_deg_s, motion.gripper_speed)
        self._motion, self._mode = motion, "move_home"
        self.note("mode", "moving to the rest pose before stopping")
        deadline = time.monotonic() + plan.duration_s + SETTLE_TIMEOUT_S + PARK_MARGIN_S
        while self._motion is motion and self.loop.running and time.monotonic() < deadline:
            time.sleep(0.05)  # the loop drives the motion; this thread only waits for it to end
        self._motion = None
        if self._mode == "move_home":
            self._mode = "idle"
        if self._mode != "error" and self.loop.running and not self.arm.estopped:
            try:  # a settled move may end a hair short of its target: the last command is the rest pose itself
                self.loop.run_in_loop(lambda: self.arm.send(rest))
            except Exception as error:  # noqa: BLE001 - reported by the release: not at rest, torque held
                log.error("the last command to the rest pose failed: %s", error)

    def _release(self, reason: str) -> ArmRelease:
        rest = self.rest_pose()
        position = dict(self.arm.follower_pos)
        error = max((abs(position[m] - rest[m]) for m in rest if m in position), default=None) if rest else None
        at_rest = error is not None and error <= REST_TOLERANCE
        release = self.config.torque_release == "at_rest" and at_rest and not self.arm.estopped
        if release:
            message = "The arm is at its rest pose; torque released."
        elif self.config.torque_release == "never":
            message = "The arm holds under torque (torque_release: never)."
        elif rest is None:
            message = "No rest pose is configured: the arm holds under torque where it is."
        elif self.arm.estopped:
            message = "Emergency stop latched: the arm holds under torque where it is."
        else:
            message = f"The arm did not reach its rest pose ({error:.1f} off): it holds under torque where it is."
        return ArmRelease(
            reason=reason,
            rest_pose=rest,
            reached_rest=at_rest,
            max_error=None if error is None else round(error, 2),
            torque="released" if release else "held",
            position=position,
            last_sent=None if self.arm.last_sent is None else dict(self.arm.last_sent),
            message=message,
        )

    # -- commands (any thread) ----------------------------------------------------------------
    def state(self) -> StationState:
        assert self._state is not None
        return self._state

    def timings(self) -> StationTimings:
        return StationTimings(self.loop.rollout_periods_ms(), self.arm.estop_received_at, self.arm.estop_hold_at)

    def frame(self, camera: str, after_seq: int = 0, wait_s: float = 1.0) -> EncodedFrame | None:
        return self.cameras.frame(camera, after_seq, wait_s)

    def emergency_stop(self) -> None:
        """Latch: no command reaches the arm until `release_estop`; the arm holds where it is now.

        The hold is sent from the caller's thread at once, between two hardware accesses of
        whoever drives the arm (the loop, or a policy episode in the middle of an inference).
        """
        self.arm.latch_estop()
        self._motion = None
        if self._mode not in ("error", "rollout"):
            self._mode = "idle"
        self.runs.on_estop()  # a policy episode drives the robot outside the loop: it stops too
        try:
            self.arm.hold()
        except Exception as error:  # noqa: BLE001 - the loop retries the hold at its next tick
            self.arm.hold_sent = False
            log.error("emergency stop could not command the hold: %s", error)
        self.note("estop", "Emergency stop: the follower holds its position until released.")

    def release_estop(self) -> None:
        self.arm.release_estop()
        self.note("estop", "Emergency stop released.")

    def set_mirror(self, enabled: bool) -> None:
        if enabled:
            self.start_motion(MirrorLeader())
        elif self._mode == "mirror":
            self.stop_motion()

    def start_motion(self, motion: Motion) -> None:
        self._require_movable()
        if self._motion is not None and self._motion.mode != motion.mode:
            busy = "Leader mirroring is on" if self._mode == "mirror" else f"The station is busy ({self._mode})"
            raise StationError(f"{busy}: stop it before starting {motion.mode.replace('_', ' ')}.")
        self._motion = motion
        self._mode = motion.mode
        self.note("mode", f"{motion.mode} started")

    def stop_motion(self) -> None:
        if self._motion is not None:
            self.note("mode", f"{self._motion.mode} stopped by the operator")
        self._motion = None
        if self._mode not in ("rollout", "error"):
            self._mode = "idle"
        self.arm.hold_sent = False

    def set_camera_mapping(self, mapping: dict[str, str]) -> StationConfig:
        """Re-plug cameras in software: name -> device. Saved, logged, applied between ticks."""
        if self._mode not in ("idle", "error"):
            raise StationError(f"Cameras can be re-mapped only while the arm is idle (now: {self._mode}).")
        new_config = self.config.with_camera_mapping(mapping)
        if not new_config.is_sim:  # the operator saved this mapping: bind each camera to the device it has now
            new_config = device_identity.bind_cameras(new_config, self.dev_root)
        before = self.config.camera_mapping
        self.loop.run_in_loop(lambda: self._reconnect_cameras(new_config))
        self._device_bindings = device_identity.device_bindings(new_config, self.dev_root)
        new_config.save(self.workspace)
        self.note("camera_mapping", f"camera mapping {before} -> {new_config.camera_mapping}")
        from core.registry import Registry

        Registry.open().log_event(
            self.config.name, "camera_mapping_changed", {"before": before, "after": new_config.camera_mapping}
        )
        return new_config

    @property
    def estopped(self) -> bool:
        return self.arm.estopped

    @property
    def mode(self) -> Mode:
        return self._mode

    def move_home(self, target: dict[str, float], max_speed_deg_s: float = DEFAULT_MAX_SPEED_DEG_S) -> None:
        from core.start_pose.move_home import MoveHome

        self.start_motion(MoveHome(target, self.config.fps, max_speed_deg_s))

    # -- a policy episode drives the arm (core/station/station_robot.py) ------------------------
    def begin_rollout(self) -> None:
        """Hand the arm to a policy episode: the loop stops commanding, cameras become strict."""

        def handover() -> None:
            self._require_movable()
            if self._motion is not None:
                raise StationError(f"The arm is busy ({self._mode}); stop that before the episode.")
            self.loop.paused = True
            self._mode = "rollout"
            self.cameras.set_strict(True, self.config.stale_frame_s * 1e3)

        self.loop.run_in_loop(handover)
        self.loop.begin_rollout()
        self.note("mode", "policy episode started")

    def end_rollout(self) -> None:
        """Take the arm back: hold where it is, cameras lenient again, the loop resumes."""
        self.cameras.set_strict(False)
        try:
            self.arm.hold()
        except Exception as error:  # noqa: BLE001 - a dead bus is reported by the next tick
            log.error("could not hold the arm after the episode: %s", error)
        if self._mode == "rollout":
            self._mode = "idle"
        self.loop.paused = False
        self.note("mode", "policy episode ended; the arm holds its position")

    def observe_rollout(self, observation: dict) -> None:
        """Every observation a policy episode takes is published like the loop's own."""
        self.loop.rollout_tick()
        follower = {key: float(value) for key, value in observation.items() if key.endswith(".pos")}
        leader = None
        if self.leader is not None:
            try:
                leader = self.leader.get_action()
            except Exception:  # noqa: BLE001 - the leader is only shown during episodes
                leader = None
        self._observe(follower, leader)
        self.publish()

    # -- the loop's tick ----------------------------------------------------------------------------
    def _tick(self) -> None:
        try:
            observation = self.arm.read_observation()
            follower = {key: float(value) for key, value in observation.items() if key.endswith(".pos")}
            leader = self.leader.get_action() if self.leader is not None else None
        except Exception as error:  # noqa: BLE001 - a failing bus is reported, never fatal to the loop
            self._fail(f"Reading the arm failed: {type(error).__name__}: {error}")
            self.publish()
            return
        self._observe(follower, leader)
        try:
            self._command()
        except (StationError, UnsafeActionError) as error:
            self._motion = None
            self._mode = "idle"
            self._error = str(error)
            self.note("error", str(error))
        except Exception as error:  # noqa: BLE001
            self._fail(f"Commanding the arm failed: {type(error).__name__}: {error}")
        self.publish()

    def _command(self) -> None:
        if self.arm.estopped:
            if not self.arm.hold_sent:
                self.arm.hold()
            return
        motion = self._motion
        if motion is None:
            return
        target = motion.step(dict(self.arm.follower_pos), None if self._leader_pos is None else dict(self._leader_pos))
        if target is None:
            self.note("mode", f"{motion.mode} finished")
            self._motion = None
            self._mode = "idle"
            return
        self.arm.send(target)

    def _observe(self, follower: dict[str, float], leader: dict[str, float] | None) -> None:
        self.arm.follower_pos = {motor_of(key): value for key, value in follower.items()}
        self._leader_pos = None if leader is None else {motor_of(key): float(value) for key, value in leader.items()}

    def publish(self) -> None:
        gate = self.arm.gate
        assert gate is not None
        self._state = StationState(
            name=self.config.name,
            kind=self.config.kind,
            mode=self._mode,
            estopped=self.arm.estopped,
            follower_pos=dict(self.arm.follower_pos),
            leader_pos=None if self._leader_pos is None else dict(self._leader_pos),
            last_sent=None if self.arm.last_sent is None else dict(self.arm.last_sent),
            cameras=self.cameras.statuses(),
            camera_mapping=self.config.camera_mapping,
            loop=self.loop.stats(),
            fps=self.config.fps,
            use_degrees=self.config.use_degrees,
            joint_lower=dict(gate.limits.lower),
            joint_upper=dict(gate.limits.upper),
            published_at=time.time(),
            error=self._error,
            events=tuple(self._events),
            activity=self._motion.progress() if self._motion is not None else {},
            run=self.runs.status(),
            device_bindings=self._device_bindings,
            calibrations=self._calibrations,
            control=self.control.status(),
        )
        self._state_ready.set()

    # -- internals ------------------------------------------------------------------------------
    def _reconnect_cameras(self, new_config: StationConfig) -> None:
        self.cameras.reconnect(new_config.cameras)
        self.config = new_config

    def _require_movable(self) -> None:
        if self.arm.estopped:
            raise StationError(LATCHED)
        if self._mode == "error":
            raise StationError(f"The station is in error: {self._error}")

    def _fail(self, message: str) -> None:
        if self._error != message:
            log.error(message)
            self.note("error", message)
        self._error = message
        self._motion = None
        self._mode = "error"

    def note(self, kind: str, message: str) -> None:
        """Log a change and publish it at once: a client that sees a command's reply also sees its effect."""
        log.info("%s: %s", kind, message)
        self._events.append(StationEvent(time.time(), kind, message))
        if self.arm.gate is not None:
            self.publish()
