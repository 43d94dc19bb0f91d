"""Policy runs inside the station through lerobot's rollout engine: one policy load and one dataset per run,
episodes on the operator's command. Whatever ends an episode, the arm holds where it is, the frames recorded so
far are saved and the registry gets the episode with its status and reason (docs/station.md#design-notes).
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from core.errors import PreflightError, StationError
from core.so101 import GRIPPER, motor_of
from core.station.camera_feed import StaleFrame
from core.station.commands import Command
from core.station.config import station_dir
from core.station.config_station_robot import StationRobotConfig
from core.station.episode_timing import EpisodeTimer, store_timing
from core.station.journal import EpisodeJournal, JournalHeader, episode_saved, read_journal, recover_journal
from core.station.prefetch import PrefetchingEngine, can_prefetch
from core.station.real_time import POLICY_NICE, favoured
from core.station.run_settings import RunSettings
from core.station.safety import UnsafeActionError
from core.station.sealed_recording import seal_each_episode, seal_saved_episode
from core.station.state import EpisodeOutcome, RunStatus
from core.station.station_robot import EmergencyStopped, expose
from core.training.recording_setup import RecordingSetup, write_recording_setup

log = logging.getLogger(__name__)
TRACE_LENGTH = 300  # 10 s at 30 Hz of gripper and jump telemetry for the live page
INTERRUPTED = "interrupted"  # an aborted episode's reason starts so when the operator did not end it (see abort_reason)


class PolicyRuns:
    """The station extension that opens policy runs and records their episodes (the run commands of `Command`)."""

    def __init__(self, station) -> None:
        self.station = station
        self._status = RunStatus("idle")
        self._requests: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._shutdown = threading.Event()
        self._thread: threading.Thread | None = None
        self._events: dict[str, bool] = {"exit_early": False, "rerecord_episode": False, "stop_recording": False}
        self._discard = False
        self._estop_pressed = False  # during the episode in progress
        self._plan_slot: tuple[int, int] | None = None  # (plan id, position) the episode in progress fills
        self._stopping = ""  # why the station is stopping, while it ends the run
        self._lock = threading.Lock()
        self._trace_action: deque[float] = deque(maxlen=TRACE_LENGTH)
        self._trace_state: deque[float] = deque(maxlen=TRACE_LENGTH)
        self._previous_action: dict[str, float] | None = None
        self._jumps: dict[str, float] = {}
        self._last_jump: dict[str, float] = {}
        self._episode_started = 0.0
        self._frames = 0
        self._journal: EpisodeJournal | None = None
        self._timer: EpisodeTimer | None = None
        self._last_observation_at: float | None = None
        expose(station)

    @property
    def journal_root(self) -> Path:
        return station_dir(self.station.workspace, self.station.config.name) / "journal"

    def registry(self):
        """The registry, with this station's spool: episodes and events queue there while the database is away."""
        from core.registry import Registry

        return Registry.open(spool=station_dir(self.station.workspace, self.station.config.name) / "registry-spool")

    def recover_interrupted(self) -> list[str]:
        """The episodes a crash of this station interrupted, recovered (see `recover_interrupted`)."""
        return recover_interrupted(self.journal_root)

    def handlers(self) -> dict[Command, Callable]:
        return {
            Command.START_RUN: self.start_run,
            Command.START_EPISODE: self.start_episode,
            Command.STOP_EPISODE: self.stop_episode,
            Command.DISCARD_EPISODE: self.discard_episode,
            Command.END_RUN: self.end_run,
            Command.RUN_STATUS: self.status,
        }

    # -- commands ---------------------------------------------------------------------------------
    def start_run(self, settings: RunSettings) -> RunStatus:
        if self._thread is not None and self._thread.is_alive():
            raise StationError("A policy run is already open on this station: end it first.")
        if self.station.estopped:
            raise StationError("Emergency stop is latched: release it before starting a run.")
        self._shutdown.clear()
        self._requests = queue.SimpleQueue()
        self._set(RunStatus("loading", "Loading the policy and preparing the recording...", settings=settings))
        self._thread = threading.Thread(target=self._run, args=(settings,), name="policy-run", daemon=True)
        self._thread.start()
        return self._status

    def start_episode(self, scene_seed: int | None = None, plan_slot: tuple[int, int] | None = None) -> RunStatus:
        if not self._status.between_episodes:
            raise StationError(f"No episode can start now (run {self._status.phase}). {self._status.message}".strip())
        if self.station.estopped:
            raise StationError("Emergency stop is latched: release it before starting an episode.")
        from core.registry import RegistryUnavailable

        try:
            waiting = self.registry().untagged_episodes(run_id=self._status.run_id)
        except RegistryUnavailable:
            waiting = []  # episodes queued while the database is away cannot be tagged yet; recording goes on
        if waiting:
            episode = waiting[0]
            raise StationError(
                f"Episode {episode.episode_index} needs a decision first: tag it success, failure or untagged on the "
                f"Deploy page (or `python -m core registry tag {episode.id} success|failure|untagged`)."
            )
        settings = self._status.settings
        if self.station.mode == "mirror" and settings is not None and settings.reset == "leader":
            self.station.stop_motion()  # the operator reset the scene with the leader; the policy takes over
        if self.station.mode not in ("idle",):
            raise StationError(f"The arm is busy ({self.station.mode}); wait for it or stop it before the episode.")
        if scene_seed is not None and self.station.config.is_sim:
            placement = self.station.arm.robot.lab.place_brain_from_seed(int(scene_seed))
            self.station.note(
                "scene",
                f"object placed from seed {scene_seed}: x {placement[0]:.3f} m, y "
                f"{placement[1]:.3f} m, yaw {placement[2]:.0f}°",
            )
        self._plan_slot = tuple(plan_slot) if plan_slot is not None else None
        self._requests.put("episode")
        return self._status

    def stop_episode(self) -> None:
        self._events["exit_early"] = True

    def discard_episode(self) -> None:
        """End the episode now and mark it discarded (its frames are still saved: nothing recorded is lost)."""
        self._discard = True
        self._events["exit_early"] = True

    def end_run(self) -> RunStatus:
        self._events["exit_early"] = True
        self._requests.put("end")
        return self._status

    def on_estop(self) -> None:
        self._events["exit_early"] = True
        self._estop_pressed = True

    def close(self, reason: str = "stop command", timeout_s: float = 60.0) -> None:
        """End the run (the station is stopping): the episode in progress is saved, marked interrupted with
        `reason`, and the recording finalised."""
        if self._thread is None or not self._thread.is_alive():
            return
        self._stopping = reason
        self.end_run()
        self._shutdown.set()
        self._thread.join(timeout=timeout_s)

    def status(self) -> RunStatus:
        with self._lock:
            status = self._status
        if status.episode_running:
            status = replace(
                status,
                elapsed_s=round(time.monotonic() - self._episode_started, 2),
                frames=self._frames,
                gripper_action=tuple(self._trace_action),
                gripper_state=tuple(self._trace_state),
                jumps=dict(self._jumps),
                last_jump=dict(self._last_jump),
            )
        return status

    # -- the run thread ---------------------------------------------------------------------------
    def _run(self, settings: RunSettings) -> None:
        ctx = strategy = None
        try:
            import torch
            from lerobot.rollout.context import build_rollout_context

            torch.set_num_threads(inference_threads())
            from lerobot.rollout.strategies.episodic import EpisodicStrategy

            from core.station.rollout_config import rollout_config

            config, dataset_root, plan = rollout_config(
                settings,
                self.station.config,
                StationRobotConfig(station=self.station.config.name),
                self.station.workspace,
            )
            ctx = build_rollout_context(config, self._shutdown)
            self._declare_setup(dataset_root)
            run_id = self._register_run(settings, dataset_root, plan)
            strategy = _station_episodes(EpisodicStrategy)(config.strategy, self)
            strategy.setup(ctx)
            self._set(
                replace(
                    self._status,
                    phase="ready",
                    message="Ready: start an episode.",
                    run_id=run_id,
                    dataset_root=str(dataset_root),
                )
            )
            strategy.run(ctx)
            self._set(replace(self._status, phase="ended", message="Run ended; the recording is finalised."))
        except Exception as error:  # noqa: BLE001 - shown on the page; the arm was already held
            log.exception("policy run failed")
            message = str(error) if isinstance(error, PreflightError) else f"{type(error).__name__}: {error}"
            self._set(replace(self._status, phase="failed", message=f"The run failed: {message}"))
        finally:
            if strategy is not None and ctx is not None:
                try:
                    strategy.teardown(ctx)
                except Exception:  # noqa: BLE001
                    log.exception("finalising the recording failed")

    def _declare_setup(self, dataset_root: Path) -> None:
        """Write the robot type, joint units and calibration beside the recording's info.json (Preflight reads it)."""
        config = self.station.config
        write_recording_setup(
            dataset_root,
            RecordingSetup(
                robot_type=self.station.arm.robot.name,
                use_degrees=config.use_degrees,
                calibration=config.robot_id,
                station=config.name,
            ),
        )

    def _register_run(self, settings: RunSettings, dataset_root: Path, plan) -> int:
        from core.registry import Registry

        registry = Registry.open()
        policy = registry.register_policy(settings.policy_dir)
        run = registry.start_run(
            policy.id,
            station=self.station.config.name,
            dataset_root=str(dataset_root),
            task=settings.task,
            chunk_size=plan.chunk_size,
            n_action_steps=plan.n_action_steps,
            fps=self.station.config.fps,
            camera_mapping=self.station.config.camera_mapping,
            task_override=settings.task_override,
            inference=plan.inference,
            rtc_execution_horizon=plan.rtc_execution_horizon,
            rename_map=settings.rename_map,
            training_profile=settings.training_profile,
        )
        if settings.task_override:
            registry.log_event(self.station.config.name, "task_override", {"task": settings.task}, run_id=run.id)
        return run.id

    def next_request(self) -> str:
        """Block until the operator starts an episode or ends the run."""
        while not self._shutdown.is_set():
            try:
                return self._requests.get(timeout=0.2)
            except queue.Empty:
                continue
        return "end"

    def episode_began(self, episode_index: int) -> dict:
        """Called by the strategy before the policy loop: hand the arm to the rollout, note the start pose."""
        self._events.update(exit_early=False, rerecord_episode=False)
        self._discard = False
        self._estop_pressed = False
        self._trace_action.clear()
        self._trace_state.clear()
        self._previous_action = None
        self._jumps, self._last_jump = {}, {}
        self._frames = 0
        self._timer, self._last_observation_at = EpisodeTimer(self.station.config.fps), None
        follower = self.station.state().follower_pos
        self._keep_start_frame()
        self.station.begin_rollout()
        self._episode_started = time.monotonic()
        status = self._status
        self._journal = EpisodeJournal(
            self.journal_root / f"run{status.run_id}-episode{episode_index}",
            JournalHeader(
                status.run_id,
                status.dataset_root,
                episode_index,
                self.station.config.fps,
                status.settings.task,
                time.time(),
            ),
        )
        self._set(
            replace(
                self._status, phase="episode", message=f"Episode {episode_index} running.", episode_index=episode_index
            )
        )
        return follower

    def timed(self, stage: str, started: float) -> None:
        """One step of the episode's loop took from `started` (perf_counter) until now, in `stage`."""
        if self._timer is not None:
            self._timer.add(stage, time.perf_counter() - started)

    def count_chunk(self, kind: str) -> None:
        if self._timer is not None:
            self._timer.count_chunk(kind)

    def guarded_observation(self) -> dict:
        """The follower's observation once every camera is fresh and in step with the others. A stale frame or two
        cameras too far apart pause the episode: the arm holds, the run names the camera, and it goes on when the
        frames do; paused `camera_lost_s` for it, the camera is lost and the episode ends."""
        now = time.perf_counter()
        if self._timer is not None and self._last_observation_at is not None:
            self._timer.add("period", now - self._last_observation_at)
        self._last_observation_at = now
        config = self.station.config
        paused_at: float | None = None
        while True:
            problem = ""
            try:
                observation = self.station.arm.read_observation()
                skew_ms, newest, oldest = self.station.cameras.skew()
                if skew_ms > config.camera_skew_s * 1e3:
                    problem = f"cameras '{newest}' and '{oldest}' are {skew_ms:.0f} ms apart"
            except StaleFrame as error:
                problem = str(error)
            if not problem:
                if paused_at is not None:
                    self._pause("")
                return observation
            if paused_at is None:
                paused_at = time.monotonic()
                self.station.arm.hold()
                self._pause(problem)
            if time.monotonic() - paused_at > config.camera_lost_s:
                raise CameraLost(f"{problem}; paused {config.camera_lost_s:.1f} s, the camera is lost")
            if self.station.estopped:
                raise EmergencyStopped("Emergency stop pressed while the episode was paused.")
            if self._events["exit_early"]:
                raise StoppedWhilePaused(f"stopped by the operator while paused ({problem})")
            time.sleep(1 / (2 * config.fps))  # half a frame: the cameras' next frames are what it waits for

    def _pause(self, problem: str) -> None:
        if problem:
            log.warning("episode paused: %s", problem)
            self.station.note("paused", f"Episode paused, the arm holds: {problem}")
        else:
            self.station.note("paused", "Episode resumed: the cameras are fresh again")
        self._set(replace(self._status, paused=problem))

    def journal_frame(self, frame: dict) -> None:
        """A frame the recording just took: into the crash journal of the episode."""
        if self._journal is not None:
            self._journal.append(frame)

    def record_frame(self, action: dict[str, float], observation: dict) -> None:
        """Telemetry for the live page: the gripper trace and the action jumps of the policy."""
        action = {motor_of(key): float(value) for key, value in action.items()}
        self._frames += 1
        if GRIPPER in action:
            self._trace_action.append(round(action[GRIPPER], 2))
        state = observation.get(f"{GRIPPER}.pos")
        if state is not None:
            self._trace_state.append(round(float(state), 2))
        if self._previous_action is not None:
            self._last_jump = {
                m: round(abs(action[m] - self._previous_action[m]), 3) for m in action if m in self._previous_action
            }
            for motor, jump in self._last_jump.items():
                self._jumps[motor] = max(self._jumps.get(motor, 0.0), jump)
        self._previous_action = action

    def episode_ended(
        self, dataset, settings: RunSettings, episode_index: int, follower_at_start: dict, status: str, reason: str
    ) -> None:
        """Hold the arm, save what was recorded, register the episode, start the reset."""
        from core.rules.start_pose import start_pose_deltas, start_pose_distance

        self.station.end_rollout()
        timing = self._timer.report(episode_index) if self._timer is not None else None
        self._timer = None
        if self._discard and status == "recorded":
            status, reason = "discarded", "discarded by the operator"
        duration = time.monotonic() - self._episode_started
        self._set(replace(self._status, phase="saving", message=f"Saving episode {episode_index}..."))
        frames = dataset.writer.episode_buffer["size"] if dataset.has_pending_frames() else 0
        registry_id, queued = None, self._status.registry_queued
        distance = start_pose_distance(settings.start_pose, follower_at_start) if settings.start_pose else None
        if frames:
            dataset.save_episode()
            seal_saved_episode(dataset)
            deltas = start_pose_deltas(settings.start_pose, follower_at_start) if settings.start_pose else None
            registry = self.registry()
            slot, self._plan_slot = self._plan_slot, None
            record = registry.record_episode(
                self._status.run_id,
                self._status.dataset_root,
                episode_index,
                length_frames=frames,
                started_at=datetime.fromtimestamp(time.time() - duration, tz=UTC),
                status=status,
                abort_reason=reason if status == "aborted" else None,  # a discard's reason is for the page only
                start_pose_distance_deg=distance,
                start_pose_deltas_deg=deltas,
                plan_slot=slot,  # a kept episode fills it, also once a queued one is written
            )
            registry_id = record.id  # None while it is queued in the spool
            queued = registry.spool_state().queued
            if timing is not None:
                store_timing(Path(self._status.dataset_root), timing)
        if self._journal is not None:  # saved and registered: the crash copy is no longer needed
            self._journal.close(remove=True)
            self._journal = None
        outcome = EpisodeOutcome(
            episode_index,
            registry_id,
            status,
            reason or ("no frame was recorded" if not frames else ""),
            frames,
            round(duration, 2),
            distance,
            timing,
        )
        message = _ended_message(outcome)
        if frames and queued:
            message = (
                f"{message} The registry cannot be reached: {queued} writes are queued on this station and are "
                "written when it is back."
            )
        if not self.station.estopped:
            try:  # the reset starts before the run says "ready", so nobody sees an idle arm in between
                if settings.reset == "move_home" and settings.start_pose:
                    self.station.move_home(settings.start_pose, settings.move_home_speed_deg_s)
                elif settings.reset == "leader" and self.station.leader is not None:
                    self.station.set_mirror(True)
            except StationError as error:
                message = f"{message} The reset did not start: {error}"
        self._set(
            replace(
                self._status,
                phase="ready",
                message=message,
                episodes=(*self._status.episodes, outcome),
                episode_index=None,
                paused="",
                registry_queued=queued,
            )
        )

    def _keep_start_frame(self) -> None:
        """An evaluation episode keeps its front camera's frame at the start (the first camera's when none is called
        front): the target its twin is set up to."""
        if self._plan_slot is None or not self.station.config.cameras:
            return
        names = [spec.name for spec in self.station.config.cameras]
        camera = "front" if "front" in names else names[0]
        frame = self.station.frame(camera, 0, 1.0)
        if frame is None:
            log.warning("no %s frame to keep for slot %s of plan %s", camera, self._plan_slot[1], self._plan_slot[0])
            return
        path = start_frame_path(self.station.workspace, self.station.config.name, *self._plan_slot)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(frame.jpeg)

    def _set(self, status: RunStatus) -> None:
        with self._lock:
            self._status = status


def start_frame_path(workspace, station: str, plan_id: int, position: int) -> Path:
    """Where the station keeps the start frame of an evaluation plan's slot (a JPEG of its front camera)."""
    return station_dir(workspace, station) / "plan-frames" / f"plan{plan_id}-slot{position}.jpg"


def recover_interrupted(journal_root: Path) -> list[str]:
    """Episodes a crash interrupted (their journals are left behind), each added to its run's dataset up to its
    last flushed second and registered as interrupted; one that cannot be is registered with its length and the
    reason, and its journal kept. Returns what happened, one line per episode."""
    from core.registry import Registry

    done = []
    for folder in sorted(journal_root.glob("run*-episode*")):
        if not folder.is_dir() or folder.suffix == ".unrecovered":
            continue
        frames, header = 0, None
        try:
            journaled = read_journal(folder)
            header, frames = journaled.header, len(journaled.frames)
            if episode_saved(journaled.header):  # the crash came after its save, before the journal was removed
                shutil.rmtree(folder)
                continue
            index = recover_journal(journaled)
            reason = (
                f"{INTERRUPTED}: the station died mid-episode; {frames} frames recovered up to the last flushed second"
            )
        except Exception as error:  # noqa: BLE001 - a disk full, a broken folder: registered, journal kept
            log.exception("recovering %s failed", folder)
            index = None if header is None else header.episode_index
            kept = folder.with_name(folder.name + ".unrecovered")
            folder.rename(kept)
            reason = (
                f"{INTERRUPTED}: the station died mid-episode and its {frames} journaled frames could not be "
                f"recovered ({type(error).__name__}: {error}); the journal is kept in {kept}"
            )
        if header is None or index is None:
            done.append(reason)
            continue
        Registry.open().record_episode(
            header.run_id,
            header.dataset_root,
            index,
            length_frames=frames,
            started_at=datetime.fromtimestamp(header.started_at, tz=UTC),
            status="aborted",
            abort_reason=reason,
        )
        if folder.exists():
            shutil.rmtree(folder)
        done.append(f"Episode {index} of {Path(header.dataset_root).name}: {reason}")
    return done


def inference_threads() -> int:
    """Torch threads for the policy: all cores but one (at least one), or PREFLIGHT_TORCH_THREADS."""
    import os

    return int(os.environ.get("PREFLIGHT_TORCH_THREADS") or max(1, (os.cpu_count() or 2) - 1))


def _ended_message(outcome: EpisodeOutcome) -> str:
    if outcome.status == "aborted":
        return (
            f"Episode {outcome.episode_index} aborted: {outcome.reason.rstrip('.')}. The arm holds its position; "
            f"{outcome.frames} frames were kept."
        )
    return (
        f"Episode {outcome.episode_index} {outcome.status} ({outcome.frames} frames, {outcome.duration_s:.1f} s). Tag "
        "it before the next one."
    )


class CameraLost(StationError):
    """A camera stayed stale or out of step past `camera_lost_s`, or failed: the episode ends as interrupted."""


class StoppedWhilePaused(StationError):
    """The operator ended an episode a stale camera had paused."""


def abort_reason(error: BaseException, step: int) -> str:
    """One line the operator understands, for the registry and the page; `step` is the frames recorded so far.
    A fault the operator did not cause (an unsafe action, a lost camera or bus) starts `interrupted: `, like a
    station that stopped or died mid-episode; the emergency stop and Stop while paused are the operator's own."""
    if isinstance(error, EmergencyStopped):
        return "emergency stop"
    if isinstance(error, StoppedWhilePaused):
        return str(error)
    if isinstance(error, UnsafeActionError):
        return f"{INTERRUPTED}: unsafe action at step {step}: {error}"
    if isinstance(error, CameraLost | TimeoutError) or "camera" in str(error).lower():
        return f"{INTERRUPTED}: camera lost: {error}"
    if isinstance(error, ConnectionError | OSError) or "serial" in str(error).lower() or "bus" in str(error).lower():
        return (
            f"{INTERRUPTED}: bus lost: {type(error).__name__}: {error}. Check the arm's USB cable and power, then "
            "start again."
        )
    return f"policy error: {type(error).__name__}: {error}"


def _station_episodes(base):
    """lerobot's EpisodicStrategy, driven by station commands instead of a keyboard listener."""

    class StationEpisodes(base):
        def __init__(self, config, runs: PolicyRuns) -> None:
            super().__init__(config)
            self.runs = runs

        def setup(self, ctx) -> None:
            self._init_engine(ctx)
            if can_prefetch(self._engine):  # the next chunk computed before the current one runs out
                self._engine = ctx.policy.inference = PrefetchingEngine(self._engine, ctx.runtime.cfg.fps)
                self._engine.on_chunk = self.runs.count_chunk
            self._listener, self._events = None, self.runs._events
            get_action = self._engine.get_action

            def timed_get_action(observation_frame):
                started = time.perf_counter()
                try:
                    return get_action(observation_frame)
                finally:
                    self.runs.timed("infer", started)

            self._engine.get_action = timed_get_action

        def run(self, ctx) -> None:
            from lerobot.datasets import VideoEncodingManager

            cfg = ctx.runtime.cfg
            dataset = ctx.data.dataset
            seal_each_episode(dataset)
            add_frame = dataset.add_frame

            def journaled_add_frame(frame: dict) -> None:
                started = time.perf_counter()
                add_frame(frame)
                self.runs.journal_frame(frame)
                self.runs.timed("record", started)

            dataset.add_frame = journaled_add_frame
            settings: RunSettings = self.runs._status.settings
            with VideoEncodingManager(dataset):
                while self.runs.next_request() == "episode":
                    episode_index = dataset.num_episodes
                    self._engine.reset()
                    self._interpolator.reset()
                    self._engine.resume()
                    follower_at_start = self.runs.episode_began(episode_index)
                    status, reason = "recorded", ""
                    try:
                        with favoured(POLICY_NICE):
                            self._policy_loop(
                                ctx=ctx,
                                robot=ctx.hardware.robot_wrapper,
                                events=self._events,
                                features=ctx.data.dataset_features,
                                fps=cfg.fps,
                                control_time_s=settings.episode_time_s,
                                dataset=dataset,
                                single_task=settings.task,
                            )
                    except Exception as error:  # noqa: BLE001 - every failure ends the episode the same safe way
                        log.warning("episode %s aborted at step %s: %s", episode_index, self.runs._frames, error)
                        status, reason = "aborted", abort_reason(error, self.runs._frames)
                    finally:
                        self._engine.pause()
                    if self.runs._estop_pressed and status == "recorded":
                        status, reason = "aborted", "emergency stop"
                    if self.runs._stopping and status == "recorded":
                        status, reason = "aborted", f"{INTERRUPTED}: the station stopped ({self.runs._stopping})"
                    self.runs.episode_ended(dataset, settings, episode_index, follower_at_start, status, reason)

        def _log_telemetry(self, obs_processed, action_dict, runtime_ctx) -> None:
            if action_dict is not None:
                self.runs.record_frame(action_dict, obs_processed or {})

    return StationEpisodes
