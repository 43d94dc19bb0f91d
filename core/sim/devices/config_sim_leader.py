"""Config of the simulated SO-101 leader arm: joints set from code or by a scripted operator."""

from __future__ import annotations

from dataclasses import dataclass

from lerobot.teleoperators import TeleoperatorConfig

SIM_LEADER_TYPE = "preflight_sim_leader"


@TeleoperatorConfig.register_subclass(SIM_LEADER_TYPE)
@dataclass
class SimLeaderConfig(TeleoperatorConfig):
    """`start_pose` (lerobot units, by motor name) is where the leader rests at connect; None = the lab's home pose."""

    start_pose: dict[str, float] | None = None
