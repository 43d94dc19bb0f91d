"""`lerobot-rollout` from its own CLI entry point, with the simulated follower's observations timed (for
bench/loop_bench.py).

Usage: .venv/bin/python bench/timed_lerobot_rollout.py <the lerobot-rollout flags>
Environment: LOOP_BENCH_PERIODS_OUT (a JSON file for the periods), PREFLIGHT_TORCH_THREADS.

The code path is lerobot's own (`lerobot.scripts.lerobot_rollout.main`: its parser, context,
strategy and policy loop); only the robot boundary is instrumented: `SimFollower.get_observation`
records `time.perf_counter()` as each observation returns while the strategy's policy loop runs,
where the station times its rollout periods (`Station.observe_rollout`). Torch gets the thread count the
station's policy runs use (`core.station.policy_runs.inference_threads`), so both sides match.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from pathlib import Path

import core  # noqa: F401  (HF_HUB_OFFLINE, MUJOCO_GL)


def main() -> int:
    import torch
    from lerobot.rollout.strategies.base import BaseStrategy
    from lerobot.rollout.strategies.episodic import EpisodicStrategy
    from lerobot.scripts import lerobot_rollout

    from core.sim.devices.sim_follower import SimFollower
    from core.station.policy_runs import inference_threads

    torch.set_num_threads(inference_threads())
    stamps: list[float] = []
    timing = [False]

    def while_timing(method):
        @functools.wraps(method)
        def timed(*args, **kwargs):
            timing[0] = True
            try:
                return method(*args, **kwargs)
            finally:
                timing[0] = False

        return timed

    def observed(method):
        @functools.wraps(method)
        def timed(self):
            observation = method(self)
            if timing[0]:
                stamps.append(time.perf_counter())  # after the read, where Station.observe_rollout takes its time
            return observation

        return timed

    SimFollower.get_observation = observed(SimFollower.get_observation)
    EpisodicStrategy._policy_loop = while_timing(EpisodicStrategy._policy_loop)
    BaseStrategy.run = while_timing(BaseStrategy.run)
    try:
        lerobot_rollout.main()
    finally:
        periods_ms = [(later - earlier) * 1e3 for earlier, later in zip(stamps, stamps[1:])]
        out = Path(os.environ["LOOP_BENCH_PERIODS_OUT"])
        out.write_text(json.dumps({"periods_ms": periods_ms, "torch_threads": torch.get_num_threads()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
