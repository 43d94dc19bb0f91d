"""What a station publishes: immutable snapshots that pages read at 10-20 Hz.

Joint positions are in the robot's own units, as lerobot reports them: degrees for the
arm joints with `use_degrees=True` (else -100..100), the gripper 0..100 with 0 closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from core.rules.calibration import ArmCalibration
from core.rules.device_identity import DeviceBinding
from core.station.control import ControlStatus
from core.station.episode_timing import TimingReport
from core.station.run_settings import RunSettings

Phase = Literal["idle", "loading", "ready", "episode", "saving", "ended", "failed"]  # of a policy run
Mode = Literal["starting", "idle", "mirror", "move_home", "rollout", "error", "stopped"]
CameraHealth = Literal["starting", "ok", "black", "frozen", "stale", "lost"]


@dataclass(frozen=True)
class CameraStatus:
    name: str
    device: str
    width: int
    height: int
    fps_target: float
    fps_measured: float
    frame_age_ms: float | None  # None until the first frame arrives
    seq: int  # increases with every new frame
    health: CameraHealth
    message: str = ""


@dataclass(frozen=True)
class LoopStats:
    """Control-loop periods over the last few seconds."""

    target_ms: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    samples: int
    overruns: int  # ticks since start that took longer than 1.5 periods


@dataclass(frozen=True)
class StationTimings:
    """Raw timings for benchmarks (bench/loop_bench.py): LoopStats keeps only percentiles of a mixed window."""

    rollout_periods_ms: tuple[float, ...]  # between consecutive observations of the current (or last) policy episode
    estop_received_at: float | None  # unix time the last emergency stop reached the station
    estop_hold_at: float | None  # unix time the first hold command after it reached the robot


@dataclass(frozen=True)
class ArmRelease:
    """How a stopping station left the follower (written into `exit.json`)."""

    reason: str  # why the station stopped: "stop command", "SIGTERM", "SIGINT", "parent gone"...
    rest_pose: dict[str, float] | None  # where it was to park; None: none configured
    reached_rest: bool  # every joint within REST_TOLERANCE of the rest pose when the station let go
    max_error: float | None  # largest |position - rest| over the joints, joint units; None without a rest pose
    torque: str  # "released" (at rest, as configured) or "held" (kept on: never, e-stop, or not at rest)
    position: dict[str, float]  # motor -> where the arm was when it was disconnected
    last_sent: dict[str, float] | None  # motor -> the last command before the disconnect
    message: str  # what the operator reads


@dataclass(frozen=True)
class StationEvent:
    at: float  # unix time
    kind: str  # "estop", "camera_mapping", "mode", "error", ...
    message: str


@dataclass(frozen=True)
class StationState:
    name: str
    kind: str
    mode: Mode
    estopped: bool
    follower_pos: dict[str, float]  # motor -> position, robot units
    leader_pos: dict[str, float] | None  # None without a leader arm
    last_sent: dict[str, float] | None  # motor -> the last position actually commanded
    cameras: tuple[CameraStatus, ...]
    camera_mapping: dict[str, str]
    loop: LoopStats
    fps: int
    use_degrees: bool
    joint_lower: dict[str, float]
    joint_upper: dict[str, float]
    published_at: float  # unix time of this snapshot
    error: str = ""  # why the station is in mode "error", or the last refused command
    events: tuple[StationEvent, ...] = field(default_factory=tuple)
    activity: dict = field(default_factory=dict)  # progress of the running motion (move home)
    run: RunStatus | None = None  # the open policy run, if any
    device_bindings: tuple[DeviceBinding, ...] = ()  # each real device against its bound identity, at most 1 s old
    calibrations: tuple[ArmCalibration, ...] = ()  # the real arms' calibration files as lerobot loaded them
    control: ControlStatus = field(default_factory=ControlStatus)  # which browser session controls the station

    def camera(self, name: str) -> CameraStatus | None:
        return next((camera for camera in self.cameras if camera.name == name), None)


@dataclass(frozen=True)
class EpisodeOutcome:
    episode_index: int
    registry_id: int | None
    status: str  # "recorded" | "aborted" | "discarded"
    reason: str
    frames: int
    duration_s: float
    start_pose_distance: float | None
    timing: TimingReport | None = None  # where the loop's time went (observe, infer, send, record)


@dataclass(frozen=True)
class RunStatus:
    phase: Phase
    message: str = ""
    run_id: int | None = None
    dataset_root: str = ""
    settings: RunSettings | None = None
    episodes: tuple[EpisodeOutcome, ...] = ()
    episode_index: int | None = None  # the episode now recording
    elapsed_s: float = 0.0
    frames: int = 0
    gripper_action: tuple[float, ...] = ()  # recent gripper actions of the policy (0..100)
    gripper_state: tuple[float, ...] = ()  # recent measured gripper positions
    jumps: dict[str, float] = field(default_factory=dict)  # largest |a(t) - a(t-1)| per joint this episode
    last_jump: dict[str, float] = field(default_factory=dict)
    paused: str = ""  # why the episode in progress is paused (a stale or skewed camera), the arm holding
    registry_queued: int = 0  # registry writes queued on the station while the database is away (0: none)

    @property
    def is_idle(self) -> bool:
        """No run has been opened on this station yet."""
        return self.phase == "idle"

    @property
    def is_open(self) -> bool:
        """A run holds the station: loading its policy, between episodes, in one or saving one."""
        return self.phase not in ("idle", "ended", "failed")

    @property
    def has_failed(self) -> bool:
        return self.phase == "failed"

    @property
    def between_episodes(self) -> bool:
        """Ready for the next episode (the last one may still need its tag)."""
        return self.phase == "ready"

    @property
    def episode_running(self) -> bool:
        return self.phase == "episode"

    @property
    def takes_episode_commands(self) -> bool:
        """Between episodes or in one: an episode can be started, stopped or discarded, the run ended."""
        return self.between_episodes or self.episode_running
