"""The station's control loop: observe, publish, and move the follower when a motion asks.

One loop thread owns the hardware. It runs at the station's fps: read the follower
(joints and cameras), read the leader, let the active motion (leader mirroring, a move
home) propose a target, pass it through the safety gate, send it, publish a snapshot.
Commands from pages arrive on other threads; anything that touches hardware is queued
to the loop thread, except the emergency stop, which takes effect at the next tick.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from concurrent.futures import Future
from typing import Callable, Protocol

import numpy as np

from core.errors import StationError
from core.station.safety import SafetyGate, UnsafeActionError
from core.so101 import motor_of, pos_key
from core.station import devices
from core.station.camera_feed import CameraFeed, EncodedFrame
from core.station.commands import Command
from core.station.config import StationConfig
from core.station.real_time import CONTROL_LOOP_PRIORITY, enter_real_time, sleep_until
from core.station.state import LoopStats, Mode, StationEvent, StationState, StationTimings
from core.workspace import Workspace

log = logging.getLogger(__name__)
PERIOD_WINDOW = 300  # ticks kept for the period statistics (10 s at 30 Hz)
ROLLOUT_PERIODS_KEPT = 36_000  # an episode's raw periods for benchmarks (20 min at 30 Hz)
EVENT_WINDOW = 20


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
    """The follower copies the leader arm, as `lerobot-teleoperate` does, after a slow catch-up.

    When mirroring starts with the leader far from the follower, jumping there at the safety
    gate's step limit would swing the arm at hundreds of degrees per second; instead the
    follower first approaches the leader at `catch_up_deg_per_tick`, then follows it directly.
    """

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
        self._target = {m: previous[m] + min(max(leader[m] - previous[m], -limit), limit) for m in leader if m in previous}
        self.caught_up = all(abs(self._target[m] - leader[m]) <= self.caught_up_within for m in self._target)
        return dict(self._target)

    def progress(self) -> dict:
        return {"caught_up": self.caught_up}


class Station:
    def __init__(self, config: StationConfig, workspace: Workspace) -> None:
        self.config = config
        self.workspace = workspace
        self.robot = devices.build_robot(config)
        self.feeds = self._install_feeds()
        self.leader = devices.build_leader(config)
        self.gate: SafetyGate | None = None
        self._motion: Motion | None = None
        self._mode: Mode = "starting"
        self._estopped = False
        self._hold_sent = False
        self._error = ""
        self._pending: queue.SimpleQueue[tuple[Callable[[], object], Future]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._periods_ms: deque[float] = deque(maxlen=PERIOD_WINDOW)
        self._overruns = 0
        self._events: deque[StationEvent] = deque(maxlen=EVENT_WINDOW)
        self._follower: dict[str, float] = {}
        self._leader_pos: dict[str, float] | None = None
        self._last_sent: dict[str, float] | None = None
        self._state: StationState | None = None
        self._state_ready = threading.Event()
        self._io = threading.RLock()  # one hardware access at a time: the loop, an episode, the e-stop
        self.loop_paused = False  # True while another thread (a policy rollout) drives the robot itself
        self._last_tick: float | None = None  # perf_counter of the rollout's previous observation
        self._rollout_periods_ms: deque[float] = deque(maxlen=ROLLOUT_PERIODS_KEPT)
        self._estop_received_at: float | None = None
        self._estop_hold_at: float | None = None
        self.extensions: list[StationExtension] = []
        if config.is_sim:
            from core.station.sim_controls import SimControls

            self.extensions.append(SimControls(self))
        from core.station.policy_runs import PolicyRuns

        self.runs = PolicyRuns(self)
        self.extensions.append(self.runs)

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        devices.connect(self.robot, "follower", self.config)
        if self.leader is not None:
            try:
                devices.connect(self.leader, "leader", self.config)
            except StationError:
                self.robot.disconnect()
                raise
        self.gate = SafetyGate(devices.joint_limits(self.robot, self.config), self.config.max_relative_target)
        self._mode = "idle"
        self._thread = threading.Thread(target=self._loop, name=f"station-{self.config.name}", daemon=True)
        self._thread.start()
        if not self._state_ready.wait(timeout=10):
            raise StationError(f"Station '{self.config.name}' connected but produced no state within 10 s.")

    def stop(self) -> None:
        """End any policy run (its recording is saved), stop the loop holding the arm, disconnect everything."""
        self.runs.close()
        self._motion = None
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for device in (self.leader, self.robot):
            if device is not None and device.is_connected:
                try:
                    device.disconnect()
                except Exception:  # noqa: BLE001 - keep disconnecting the rest
                    log.exception("disconnect failed")
        self._mode = "stopped"

    # -- commands (any thread) ----------------------------------------------------------------
    def state(self) -> StationState:
        assert self._state is not None
        return self._state

    def timings(self) -> StationTimings:
        return StationTimings(tuple(self._rollout_periods_ms), self._estop_received_at, self._estop_hold_at)

    def frame(self, camera: str, after_seq: int = 0, wait_s: float = 1.0) -> EncodedFrame | None:
        feed = self.feeds.get(camera)
        if feed is None:
            raise StationError(f"Station '{self.config.name}' has no camera named '{camera}' (it has {sorted(self.feeds)}).")
        return feed.wait_jpeg(after_seq, wait_s)

    def emergency_stop(self) -> None:
        """Latch: no command reaches the arm until `release_estop`; the arm holds where it is now.

        The hold is sent from the caller's thread at once, between two hardware accesses of
        whoever drives the arm (the loop, or a policy episode in the middle of an inference).
        """
        self._estop_received_at, self._estop_hold_at = time.time(), None
        self._estopped = True
        self._motion = None
        if self._mode not in ("error", "rollout"):
            self._mode = "idle"
        self.on_estop()
        try:
            self.hold()
        except Exception as error:  # noqa: BLE001 - the loop retries the hold at its next tick
            self._hold_sent = False
            log.error("emergency stop could not command the hold: %s", error)
        self.note("estop", "Emergency stop: the follower holds its position until released.")

    def release_estop(self) -> None:
        self._estopped = False
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
        self._hold_sent = False

    def set_camera_mapping(self, mapping: dict[str, str]) -> StationConfig:
        """Re-plug cameras in software: name -> device. Saved, logged, applied between ticks."""
        if self._mode not in ("idle", "error"):
            raise StationError(f"Cameras can be re-mapped only while the arm is idle (now: {self._mode}).")
        new_config = self.config.with_camera_mapping(mapping)
        before = self.config.camera_mapping
        self.run_in_loop(lambda: self._reconnect_cameras(new_config))
        new_config.save(self.workspace)
        self.note("camera_mapping", f"camera mapping {before} -> {new_config.camera_mapping}")
        from core.registry import Registry

        Registry.open().log_event(self.config.name, "camera_mapping_changed", {"before": before, "after": new_config.camera_mapping})
        return new_config

    def run_in_loop(self, action: Callable[[], object], timeout_s: float = 10.0):
        """Run `action` on the loop thread between two ticks and return its result."""
        if self._thread is None or not self._thread.is_alive():
            return action()
        future: Future = Future()
        self._pending.put((action, future))
        return future.result(timeout=timeout_s)

    def on_estop(self) -> None:
        """Whoever drives the robot outside the loop (a policy episode) stops too."""
        self.runs.on_estop()

    @property
    def estopped(self) -> bool:
        return self._estopped

    @property
    def mode(self) -> Mode:
        return self._mode

    def move_home(self, target: dict[str, float], max_speed_deg_s: float = 30.0) -> None:
        from core.start_pose.move_home import MoveHome

        self.start_motion(MoveHome(target, self.config.fps, max_speed_deg_s))

    def begin_rollout(self) -> None:
        """Hand the arm to a policy episode: the loop stops commanding, cameras become strict."""

        def handover() -> None:
            self._require_movable()
            if self._motion is not None:
                raise StationError(f"The arm is busy ({self._mode}); stop that before the episode.")
            self.loop_paused = True
            self._mode = "rollout"
            for feed in self.feeds.values():
                feed.strict = True

        self.run_in_loop(handover)
        self._last_tick = None
        self._rollout_periods_ms.clear()
        self.note("mode", "policy episode started")

    def end_rollout(self) -> None:
        """Take the arm back: hold where it is, cameras lenient again, the loop resumes."""
        for feed in self.feeds.values():
            feed.strict = False
        try:
            self.hold()
        except Exception as error:  # noqa: BLE001 - a dead bus is reported by the next tick
            log.error("could not hold the arm after the episode: %s", error)
        if self._mode == "rollout":
            self._mode = "idle"
        self.loop_paused = False
        self.note("mode", "policy episode ended; the arm holds its position")

    def observe_rollout(self, observation: dict) -> None:
        """Every observation a policy episode takes is published like the loop's own."""
        now = time.perf_counter()
        if self._last_tick is not None:
            elapsed_ms = (now - self._last_tick) * 1e3
            self._periods_ms.append(elapsed_ms)
            self._rollout_periods_ms.append(elapsed_ms)
            if elapsed_ms > 1.5 * 1000 / self.config.fps:
                self._overruns += 1
        self._last_tick = now
        follower = {key: float(value) for key, value in observation.items() if key.endswith(".pos")}
        leader = None
        if self.leader is not None:
            try:
                leader = self.leader.get_action()
            except Exception:  # noqa: BLE001 - the leader is only shown during episodes
                leader = None
        self.observe(follower, leader)
        self.publish()

    # -- the loop -----------------------------------------------------------------------------
    def _loop(self) -> None:
        real_time = enter_real_time(CONTROL_LOOP_PRIORITY)
        period = 1.0 / self.config.fps
        next_tick = time.perf_counter()
        last_start: float | None = None
        while not self._stop.is_set():
            start = time.perf_counter()
            if last_start is not None and not self.loop_paused:  # during an episode the rollout's own periods count
                elapsed_ms = (start - last_start) * 1e3
                self._periods_ms.append(elapsed_ms)
                if elapsed_ms > 1.5 * period * 1e3:
                    self._overruns += 1
            last_start = start
            self._run_pending()
            if self.loop_paused:
                self.publish()  # a policy episode drives the arm; keep camera health and run progress fresh
            else:
                self._tick()
            next_tick += period
            delay = next_tick - time.perf_counter()
            if delay < -period:
                next_tick = time.perf_counter()
            else:
                sleep_until(next_tick, spin=not real_time)

    def _tick(self) -> None:
        try:
            observation = self.read_observation()
            follower = {key: float(value) for key, value in observation.items() if key.endswith(".pos")}
            leader = self.leader.get_action() if self.leader is not None else None
        except Exception as error:  # noqa: BLE001 - a failing bus is reported, never fatal to the loop
            self._fail(f"Reading the arm failed: {type(error).__name__}: {error}")
            self.publish()
            return
        self.observe(follower, leader)
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
        if self._estopped:
            if not self._hold_sent:
                self.hold()
            return
        motion = self._motion
        if motion is None:
            return
        target = motion.step(dict(self._follower), None if self._leader_pos is None else dict(self._leader_pos))
        if target is None:
            self.note("mode", f"{motion.mode} finished")
            self._motion = None
            self._mode = "idle"
            return
        self.send(target)

    def send(self, target: dict[str, float]) -> dict[str, float]:
        """Every command to the arm goes through here: safety gate first, then lerobot's send_action.

        `target` maps motor names (or `<motor>.pos` keys) to positions; returns what was sent, by motor.
        """
        if self._estopped:
            raise StationError("Emergency stop is latched: release it before moving the arm.")
        assert self.gate is not None
        present = {pos_key(motor): value for motor, value in self._follower.items()}
        safe = self.gate.clip({pos_key(motor_of(key)): value for key, value in target.items()}, present)
        with self._io:
            if self._estopped:  # pressed while this command was being prepared
                raise StationError("Emergency stop is latched: release it before moving the arm.")
            sent = self.robot.send_action(safe.action)
        self._last_sent = {motor_of(key): float(value) for key, value in sent.items()}
        return self._last_sent

    def hold(self) -> None:
        """Command the position the arm has right now (read fresh): it stops where it is, under torque."""
        with self._io:
            present = {key: float(value) for key, value in self.robot.get_observation().items() if key.endswith(".pos")}
            self.robot.send_action(present)
            if self._estopped and self._estop_hold_at is None:
                self._estop_hold_at = time.time()
        self._last_sent = {motor_of(key): value for key, value in present.items()}
        self._hold_sent = True

    def read_observation(self) -> dict:
        """One observation of the follower (joints and cameras), serialised with every other arm access."""
        with self._io:
            return self.robot.get_observation()

    def observe(self, follower: dict[str, float], leader: dict[str, float] | None) -> None:
        self._follower = {motor_of(key): value for key, value in follower.items()}
        self._leader_pos = None if leader is None else {motor_of(key): float(value) for key, value in leader.items()}

    def publish(self) -> None:
        assert self.gate is not None
        periods = np.array(list(self._periods_ms) or [0.0])  # list(): one atomic copy, whichever thread appends
        self._state = StationState(
            name=self.config.name,
            kind=self.config.kind,
            mode=self._mode,
            estopped=self._estopped,
            follower_pos=dict(self._follower),
            leader_pos=None if self._leader_pos is None else dict(self._leader_pos),
            last_sent=None if self._last_sent is None else dict(self._last_sent),
            cameras=tuple(feed.status() for feed in self.feeds.values()),
            camera_mapping=self.config.camera_mapping,
            loop=LoopStats(
                target_ms=round(1000 / self.config.fps, 2),
                p50_ms=round(float(np.percentile(periods, 50)), 2),
                p99_ms=round(float(np.percentile(periods, 99)), 2),
                max_ms=round(float(periods.max()), 2),
                samples=len(self._periods_ms),
                overruns=self._overruns,
            ),
            fps=self.config.fps,
            use_degrees=self.config.use_degrees,
            joint_lower=dict(self.gate.limits.lower),
            joint_upper=dict(self.gate.limits.upper),
            published_at=time.time(),
            error=self._error,
            events=tuple(self._events),
            activity=self._motion.progress() if self._motion is not None else {},
            run=self.runs.status() if hasattr(self, "runs") else None,
        )
        self._state_ready.set()

    # -- internals ------------------------------------------------------------------------------
    def _install_feeds(self) -> dict[str, CameraFeed]:
        feeds = {spec.name: CameraFeed(spec, self.robot.cameras[spec.name]) for spec in self.config.cameras}
        self.robot.cameras.update(feeds)
        return feeds

    def _reconnect_cameras(self, new_config: StationConfig) -> None:
        from lerobot.cameras import make_cameras_from_configs

        for feed in self.feeds.values():
            if feed.inner.is_connected:
                feed.inner.disconnect()
        cameras = make_cameras_from_configs({spec.name: devices.camera_config(spec) for spec in new_config.cameras})
        for spec in new_config.cameras:
            cameras[spec.name].connect()
            self.feeds[spec.name].spec = spec
            self.feeds[spec.name].inner = cameras[spec.name]
        self.config = new_config

    def _require_movable(self) -> None:
        if self._estopped:
            raise StationError("Emergency stop is latched: release it before moving the arm.")
        if self._mode == "error":
            raise StationError(f"The station is in error: {self._error}")

    def _run_pending(self) -> None:
        while True:
            try:
                action, future = self._pending.get_nowait()
            except queue.Empty:
                return
            try:
                future.set_result(action())
            except Exception as error:  # noqa: BLE001 - handed back to the caller
                future.set_exception(error)

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
        if self.gate is not None:
            self.publish()
