"""How a chunking policy is run: synchronous inference or lerobot's real-time chunking (RTC), in seconds.

A chunking policy plans `chunk_size` actions at a time. With synchronous inference the
control loop stops for one inference, executes the first `n_action_steps` actions of the
plan and drops the rest: every `n_action_steps` frames there is a boundary where the new
plan may start somewhere else than the old one ended (the 10-26 degree jumps between frames
of a jerky deployment), and a pause the length of one inference. RTC (SmolVLA, pi0, ...)
plans in a background thread while the arm keeps moving, and steers the first
`execution_horizon` actions of each new chunk to agree with what was still queued from the
previous one, so chunks join without a jump.

These settings are the ones the registry records with each run (inference,
rtc_execution_horizon, chunk_size, n_action_steps). The defaults and the rules below are
lerobot 0.6.1's (`lerobot.rollout.inference`, `lerobot.policies.rtc`), and a test holds
them to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from core.policy.checkpoint import CheckpointInfo
from core.registry.records import INFERENCE_MODES, Inference

# lerobot's RTC defaults: RTCConfig(execution_horizon, max_guidance_weight, prefix_attention_schedule) and
# RTCInferenceConfig.queue_threshold.
DEFAULT_EXECUTION_HORIZON = 10
DEFAULT_QUEUE_THRESHOLD = 30
DEFAULT_MAX_GUIDANCE_WEIGHT = 10.0
DEFAULT_ATTENTION_SCHEDULE = "LINEAR"
# Policy types whose lerobot class supports RTC (`supports_rtc()` and an RTC-shaped predict_action_chunk).
RTC_POLICY_TYPES = frozenset({"smolvla", "pi0", "pi05", "groot", "evo1"})


def supports_rtc(checkpoint: CheckpointInfo) -> bool:
    """Whether lerobot can run this policy with RTC, decided from its config alone (no weights, no torch)."""
    if checkpoint.policy_type == "molmoact2":  # its class answers from the config
        return checkpoint.config.get("inference_action_mode") == "continuous"
    return checkpoint.policy_type in RTC_POLICY_TYPES


@dataclass(frozen=True)
class InferenceSettings:
    policy_type: str
    fps: float
    inference: Inference
    chunk_size: int  # actions per plan
    n_action_steps: int  # sync: actions executed from each plan before the next inference
    rtc_execution_horizon: int | None  # RTC: leading actions of a new chunk steered toward the old one; None with sync
    rtc_queue_threshold: int | None  # RTC: a new chunk is started when this many actions or fewer are queued
    rtc_max_guidance_weight: float | None
    rtc_attention_schedule: str | None  # ZEROS, ONES, LINEAR or EXP: how the steering fades over the horizon
    rtc_supported: bool
    inference_latency_ms: float | None  # measured time of one inference, when known
    problems: tuple[str, ...]  # settings that cannot work: the run must not start
    warnings: tuple[str, ...]

    @property
    def blocking(self) -> bool:
        return bool(self.problems)

    @property
    def chunk_horizon_s(self) -> float:
        """How far ahead one plan reaches."""
        return self.chunk_size / self.fps

    @property
    def replan_period_s(self) -> float:
        """Time between the starts of two inferences; with RTC 0 means as soon as the previous one finishes."""
        if self.inference == "sync":
            return self.n_action_steps / self.fps
        return max(self.chunk_size - (self.rtc_queue_threshold or 0), 0) / self.fps

    @property
    def execution_horizon_s(self) -> float | None:
        return self.rtc_execution_horizon / self.fps if self.rtc_execution_horizon is not None else None

    @property
    def latency_frames(self) -> int | None:
        """Control frames that pass during one inference (lerobot's RTC `inference_delay`)."""
        return math.ceil(self.inference_latency_ms / 1000 * self.fps) if self.inference_latency_ms is not None else None

    @property
    def explanation(self) -> str:
        """The settings in seconds at the fps, as the Deploy page shows them."""
        fps = f"{self.fps:g} fps"
        if self.inference == "sync":
            dropped = self.chunk_size - self.n_action_steps
            return (
                f"Each inference plans {self.chunk_size} actions ({self.chunk_horizon_s:.2f} s at {fps}). The arm "
                f"executes the first {self.n_action_steps} ({self.replan_period_s:.2f} s), then the control loop waits "
                "for the next inference on a fresh observation"
                + (f"; the other {dropped} planned actions are dropped." if dropped else ".")
                + " "
                + self.trade_off
            )
        threshold = self.rtc_queue_threshold or 0
        start = (
            f"whenever {threshold} or fewer actions are queued (every {self.chunk_size - threshold} actions, "
            f"{self.replan_period_s:.2f} s, plus the inference time)"
            if threshold < self.chunk_size
            else f"as soon as the previous one finished (queue threshold {threshold} >= chunk_size {self.chunk_size})"
        )
        return (
            f"Inference runs in the background while the arm moves. A new chunk of {self.chunk_size} actions "
            f"({self.chunk_horizon_s:.2f} s at {fps}) is started {start}, and replaces the queue less the actions "
            f"executed while it was computed. Its first {self.rtc_execution_horizon} actions "
            f"({self.execution_horizon_s:.2f} s) are steered to agree with what was still queued from the previous "
            f"chunk ({self.rtc_attention_schedule} fade, guidance weight at most {self.rtc_max_guidance_weight:g}), so "
            "chunks join without a jump. " + self.trade_off
        )

    @property
    def trade_off(self) -> str:
        """Smoothness against reactivity, in one sentence."""
        if self.inference == "sync":
            return (
                "Fewer executed actions per plan react sooner to what the cameras see but add boundaries where plans "
                "can disagree (jumps) and inference pauses; more move smoothly between boundaries but react later."
            )
        return (
            "A longer execution horizon joins chunks more smoothly but lets a new observation change the motion only "
            "after it; a shorter one reacts sooner with a less even join."
        )


def plan_inference(
    checkpoint: CheckpointInfo,
    fps: float,
    inference: str = "sync",
    *,
    n_action_steps: int | None = None,
    rtc_execution_horizon: int | None = None,
    rtc_queue_threshold: int | None = None,
    rtc_max_guidance_weight: float | None = None,
    rtc_attention_schedule: str | None = None,
    inference_latency_ms: float | None = None,
) -> InferenceSettings:
    """Settings for a run with this checkpoint at `fps`: the checkpoint's and lerobot's defaults unless given,
    judged."""
    chunk_size = int(checkpoint.chunk_size or checkpoint.config.get("horizon") or checkpoint.n_action_steps or 1)
    n_action_steps = int(n_action_steps if n_action_steps is not None else checkpoint.n_action_steps or chunk_size)
    rtc = inference == "rtc"
    settings = InferenceSettings(
        policy_type=checkpoint.policy_type,
        fps=float(fps),
        inference="rtc" if rtc else "sync",
        chunk_size=chunk_size,
        n_action_steps=n_action_steps,
        rtc_execution_horizon=(
            rtc_execution_horizon if rtc_execution_horizon is not None else DEFAULT_EXECUTION_HORIZON
        )
        if rtc
        else None,
        rtc_queue_threshold=(rtc_queue_threshold if rtc_queue_threshold is not None else DEFAULT_QUEUE_THRESHOLD)
        if rtc
        else None,
        rtc_max_guidance_weight=(
            rtc_max_guidance_weight if rtc_max_guidance_weight is not None else DEFAULT_MAX_GUIDANCE_WEIGHT
        )
        if rtc
        else None,
        rtc_attention_schedule=(rtc_attention_schedule or DEFAULT_ATTENTION_SCHEDULE).upper() if rtc else None,
        rtc_supported=supports_rtc(checkpoint),
        inference_latency_ms=inference_latency_ms,
        problems=(),
        warnings=(),
    )
    problems, warnings = _judge(settings, checkpoint, inference)
    return replace(settings, problems=tuple(problems), warnings=tuple(warnings))


def _judge(s: InferenceSettings, checkpoint: CheckpointInfo, asked: str) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    warnings: list[str] = []
    if asked not in INFERENCE_MODES:
        problems.append(f"Unknown inference '{asked}': choose one of {', '.join(INFERENCE_MODES)}.")
    if s.fps <= 0:
        problems.append(f"fps must be positive (got {s.fps:g}): use the training dataset's fps.")
        return problems, warnings
    if s.inference == "sync":
        if not 1 <= s.n_action_steps <= s.chunk_size:
            problems.append(
                f"n_action_steps {s.n_action_steps} must be between 1 and chunk_size {s.chunk_size}: a plan has only "
                f"{s.chunk_size} actions. Set it to at most {s.chunk_size}."
            )
        if checkpoint.config.get("temporal_ensemble_coeff") is not None and s.n_action_steps != 1:
            problems.append(
                "This ACT averages overlapping plans (temporal_ensemble_coeff), which needs n_action_steps = 1: set "
                "it to 1."
            )
        if s.latency_frames is not None and s.inference_latency_ms > 1000 / s.fps:
            warnings.append(
                f"One inference takes {s.inference_latency_ms:.0f} ms, {s.latency_frames} frames at {s.fps:g} fps: the "
                f"arm stops that long every {s.n_action_steps} frames ({s.replan_period_s:.2f} s)"
                + (". Consider RTC, which plans while the arm moves." if s.rtc_supported else ".")
            )
        return problems, warnings
    if not s.rtc_supported:
        problems.append(
            f"lerobot's real-time chunking needs a flow-matching policy (SmolVLA, pi0, pi05, ...); this checkpoint is "
            f"{s.policy_type}. Use sync inference."
        )
        return problems, warnings
    horizon, threshold = s.rtc_execution_horizon, s.rtc_queue_threshold
    if horizon < 1 or horizon > s.chunk_size:
        problems.append(
            f"The execution horizon {horizon} must be between 1 and chunk_size {s.chunk_size}: lerobot pads the "
            "previous chunk's leftover to the horizon and fails when that is longer than a chunk. Set it to at most "
            f"{s.chunk_size}."
        )
    elif horizon > threshold:
        warnings.append(
            f"The execution horizon {horizon} exceeds the queue threshold {threshold}: a new chunk starts with at most "
            f"{threshold} actions left, and lerobot fills the rest of the horizon with zeros, steering those actions "
            f"toward the training mean. Use a horizon of at most {threshold}."
        )
    if threshold < 0:
        problems.append(f"The queue threshold must be 0 or more (got {threshold}).")
    if s.rtc_max_guidance_weight <= 0:
        problems.append(f"The maximum guidance weight must be positive (got {s.rtc_max_guidance_weight:g}).")
    if s.rtc_attention_schedule not in ("ZEROS", "ONES", "LINEAR", "EXP"):
        problems.append(f"Unknown attention schedule '{s.rtc_attention_schedule}': use ZEROS, ONES, LINEAR or EXP.")
    if s.latency_frames is not None and s.latency_frames >= min(threshold, s.chunk_size):
        warnings.append(
            f"One inference takes {s.inference_latency_ms:.0f} ms, {s.latency_frames} frames at {s.fps:g} fps, while a "
            f"new chunk starts with at most {min(threshold, s.chunk_size)} actions queued: the queue runs dry and the "
            "arm waits. Raise the queue threshold or use a faster device."
        )
    if s.n_action_steps != (checkpoint.n_action_steps or s.n_action_steps):
        warnings.append("n_action_steps is not used with RTC: the queue threshold decides when the next chunk starts.")
    return problems, warnings


def inference_config(settings: InferenceSettings):
    """lerobot's `InferenceEngineConfig` for `RolloutConfig.inference`."""
    from lerobot.configs.types import RTCAttentionSchedule
    from lerobot.policies.rtc.configuration_rtc import RTCConfig
    from lerobot.rollout.inference import RTCInferenceConfig, SyncInferenceConfig

    if settings.inference == "sync":
        return SyncInferenceConfig()
    return RTCInferenceConfig(
        rtc=RTCConfig(
            enabled=True,
            execution_horizon=settings.rtc_execution_horizon,
            max_guidance_weight=settings.rtc_max_guidance_weight,
            prefix_attention_schedule=RTCAttentionSchedule(settings.rtc_attention_schedule),
        ),
        queue_threshold=settings.rtc_queue_threshold,
    )


def apply_policy_overrides(settings: InferenceSettings, policy_config: Any) -> dict[str, Any]:
    """Set the run's settings on the loaded `PreTrainedConfig` before the rollout builds the policy; returns what
    changed.

    Sync inference executes `n_action_steps` from each chunk, and SmolVLA's select_action refuses
    a config that still carries an enabled `rtc_config`; with RTC the rollout sets its own.
    """
    changed: dict[str, Any] = {}
    if settings.inference == "sync":
        if getattr(policy_config, "n_action_steps", settings.n_action_steps) != settings.n_action_steps:
            changed["n_action_steps"] = settings.n_action_steps
        if getattr(policy_config, "rtc_config", None) is not None:
            changed["rtc_config"] = None
    for name, value in changed.items():
        setattr(policy_config, name, value)
    return changed
