"""Sync and RTC inference settings in seconds at the fps, the ones that cannot work, and lerobot's configs from them."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from core import codec
from core.policy.checkpoint import CheckpointInfo
from core.policy.inference_settings import (
    DEFAULT_ATTENTION_SCHEDULE,
    DEFAULT_EXECUTION_HORIZON,
    DEFAULT_MAX_GUIDANCE_WEIGHT,
    DEFAULT_QUEUE_THRESHOLD,
    InferenceSettings,
    apply_policy_overrides,
    inference_config,
    plan_inference,
    supports_rtc,
)


def test_sync_in_seconds(smolvla_info: CheckpointInfo) -> None:
    settings = plan_inference(smolvla_info, fps=30, n_action_steps=25)
    assert (settings.chunk_size, settings.n_action_steps, settings.rtc_execution_horizon) == (50, 25, None)
    assert settings.chunk_horizon_s == pytest.approx(50 / 30) and settings.replan_period_s == pytest.approx(25 / 30)
    assert not settings.blocking
    assert "plans 50 actions (1.67 s at 30 fps)" in settings.explanation
    assert (
        "first 25 (0.83 s)" in settings.explanation and "other 25 planned actions are dropped" in settings.explanation
    )
    assert "react sooner" in settings.trade_off


def test_rtc_in_seconds_with_lerobots_defaults(smolvla_info: CheckpointInfo) -> None:
    settings = plan_inference(smolvla_info, fps=30, inference="rtc")
    assert settings.rtc_supported and not settings.blocking and not settings.warnings
    assert (settings.rtc_execution_horizon, settings.rtc_queue_threshold) == (10, 30)
    assert settings.execution_horizon_s == pytest.approx(10 / 30) and settings.replan_period_s == pytest.approx(20 / 30)
    assert (
        "Its first 10 actions (0.33 s)" in settings.explanation and "every 20 actions, 0.67 s" in settings.explanation
    )


def test_settings_that_cannot_work_are_blocking(smolvla_info: CheckpointInfo, act_info: CheckpointInfo) -> None:
    assert "between 1 and chunk_size 50" in plan_inference(smolvla_info, 30, n_action_steps=60).problems[0]
    assert "lerobot pads" in plan_inference(smolvla_info, 30, "rtc", rtc_execution_horizon=60).problems[0]
    act_rtc = plan_inference(act_info, 30, "rtc")
    assert not act_rtc.rtc_supported and "Use sync inference" in act_rtc.problems[0]
    ensembling = dataclasses.replace(act_info, config={**act_info.config, "temporal_ensemble_coeff": 0.01})
    assert "n_action_steps = 1" in plan_inference(ensembling, 30, n_action_steps=5).problems[0]
    assert plan_inference(smolvla_info, 0).blocking
    assert plan_inference(smolvla_info, 30, "async").blocking


def test_settings_that_work_badly_are_warned_about(smolvla_info: CheckpointInfo) -> None:
    padded = plan_inference(smolvla_info, 30, "rtc", rtc_execution_horizon=40)
    assert not padded.blocking and "fills the rest of the horizon with zeros" in padded.warnings[0]
    slow_sync = plan_inference(smolvla_info, 30, n_action_steps=10, inference_latency_ms=250)
    assert slow_sync.latency_frames == 8 and "the arm stops that long every 10 frames" in slow_sync.warnings[0]
    assert "Consider RTC" in slow_sync.warnings[0]
    dry = plan_inference(
        smolvla_info, 30, "rtc", rtc_queue_threshold=5, rtc_execution_horizon=5, inference_latency_ms=400
    )
    assert "queue runs dry" in dry.warnings[0]


def test_lerobot_configs_from_the_settings(smolvla_info: CheckpointInfo) -> None:
    from lerobot.configs.types import RTCAttentionSchedule
    from lerobot.rollout.inference import RTCInferenceConfig, SyncInferenceConfig

    assert isinstance(inference_config(plan_inference(smolvla_info, 30)), SyncInferenceConfig)
    rtc = inference_config(
        plan_inference(
            smolvla_info, 30, "rtc", rtc_execution_horizon=8, rtc_queue_threshold=20, rtc_attention_schedule="exp"
        )
    )
    assert isinstance(rtc, RTCInferenceConfig) and rtc.type == "rtc"
    assert (rtc.rtc.enabled, rtc.rtc.execution_horizon, rtc.queue_threshold, rtc.rtc.prefix_attention_schedule) == (
        True,
        8,
        20,
        RTCAttentionSchedule.EXP,
    )


def test_defaults_are_lerobots() -> None:
    from lerobot.policies.rtc.configuration_rtc import RTCConfig
    from lerobot.rollout.inference import RTCInferenceConfig

    rtc = RTCConfig()
    assert (rtc.execution_horizon, rtc.max_guidance_weight, rtc.prefix_attention_schedule.value) == (
        DEFAULT_EXECUTION_HORIZON,
        DEFAULT_MAX_GUIDANCE_WEIGHT,
        DEFAULT_ATTENTION_SCHEDULE,
    )
    assert RTCInferenceConfig().queue_threshold == DEFAULT_QUEUE_THRESHOLD


@pytest.mark.parametrize("policy_type", ["act", "diffusion", "smolvla", "pi0", "pi05"])
def test_rtc_support_matches_lerobots_policy_classes(act_info: CheckpointInfo, policy_type: str) -> None:
    """lerobot's rule (supports_rtc() and an RTC-shaped predict_action_chunk), applied to the class without weights."""
    from lerobot.policies.factory import get_policy_class

    cls = get_policy_class(policy_type)
    stub = type("Stub", (), {"config": None})()
    try:
        inspect.signature(cls.predict_action_chunk).bind(stub, object(), inference_delay=0, prev_chunk_left_over=None)
        shaped = True
    except TypeError:
        shaped = False
    assert supports_rtc(dataclasses.replace(act_info, policy_type=policy_type)) == (cls.supports_rtc(stub) and shaped)


def test_overrides_on_the_loaded_policy_config(smolvla_info: CheckpointInfo, smolvla_checkpoint) -> None:
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.policies.rtc.configuration_rtc import RTCConfig

    config = PreTrainedConfig.from_pretrained(smolvla_checkpoint)
    config.rtc_config = RTCConfig()  # as a checkpoint saved after an RTC run may carry it
    assert apply_policy_overrides(plan_inference(smolvla_info, 30, n_action_steps=25), config) == {
        "n_action_steps": 25,
        "rtc_config": None,
    }
    assert (config.n_action_steps, config.rtc_config) == (25, None)
    assert apply_policy_overrides(plan_inference(smolvla_info, 30, "rtc"), config) == {}


def test_settings_round_trip_as_json(smolvla_info: CheckpointInfo) -> None:
    settings = plan_inference(smolvla_info, 30, "rtc", rtc_execution_horizon=40)
    assert codec.from_json(InferenceSettings, codec.to_json(settings)) == settings


def test_a_zero_guidance_weight_is_refused(smolvla_info: CheckpointInfo) -> None:
    assert (
        "guidance weight must be positive"
        in plan_inference(smolvla_info, 30, "rtc", rtc_max_guidance_weight=0).problems[0]
    )
