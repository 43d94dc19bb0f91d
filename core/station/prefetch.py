"""Sync inference that keeps its rate: the next action chunk is computed in the background before the current runs out.

lerobot's sync engine calls `select_action` on every tick; for ACT that is one slow tick (a whole chunk,
about 0.25 s on one CPU thread) every n_action_steps ticks, and at 30 fps the loop then misses frames.
This engine drives the policy through `predict_action_chunk` instead (the fix lerobot's own sync engine
notes as its TODO) and serves a local queue of postprocessed actions. When `lead` actions are left, it
hands the current observation to a background thread; the chunk that comes back was computed for that
tick, so after the `lead` actions that ran meanwhile, it is served from index `lead` on. The executed
actions are exactly what a chunk computed `lead` ticks earlier says for those ticks, as in lerobot's
asynchronous inference; reasoning and figures: docs/station.md, bench/loop_bench.py.

Only for ACT without temporal ensembling (the ensembler lives in `select_action`); `lead` is at most
chunk_size - n_action_steps, so a run with n_action_steps == chunk_size computes inline as before.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from copy import copy

import torch

log = logging.getLogger(__name__)
SPARE_TICKS = 2  # ticks of slack beyond the last chunk's inference time


def can_prefetch(engine) -> bool:
    """The engine is lerobot's sync engine on a policy this module knows how to drive chunk by chunk."""
    from lerobot.rollout.inference.sync import SyncInferenceEngine

    policy = getattr(engine, "_policy", None)
    config = getattr(policy, "config", None)
    return (
        isinstance(engine, SyncInferenceEngine)
        and getattr(config, "type", None) == "act"
        and getattr(config, "temporal_ensemble_coeff", None) is None
        and config.chunk_size > config.n_action_steps
    )


class PrefetchingEngine:
    """Wraps lerobot's `SyncInferenceEngine` (its policy, processors and action order) with a chunk prefetch."""

    def __init__(self, sync_engine, fps: float) -> None:
        self._sync = sync_engine
        self._policy = sync_engine._policy
        self._period_s = 1.0 / fps
        self._max_lead = self._policy.config.chunk_size - self._policy.config.n_action_steps
        self._actions: deque[torch.Tensor] = deque()
        self._pending: Future | None = None
        self._pending_lead = 0
        self._last_chunk_s = 0.0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chunk-prefetch")
        self._lock = threading.Lock()
        self.on_chunk: Callable[[str], None] = lambda kind: None  # told "inline", "prefetched" or "late"

    @property
    def lead(self) -> int:
        """Actions left when the next chunk is asked for: the last chunk's time in ticks plus SPARE_TICKS."""
        return max(1, min(self._max_lead, math.ceil(self._last_chunk_s / self._period_s) + SPARE_TICKS))

    # InferenceEngine
    def start(self) -> None:
        self._sync.start()

    def stop(self) -> None:
        self._drop_pending()
        self._pool.shutdown(wait=True)
        self._sync.stop()

    def reset(self) -> None:
        self._drop_pending()
        self._actions.clear()
        self._sync.reset()

    def pause(self) -> None:
        self._sync.pause()

    def resume(self) -> None:
        self._sync.resume()

    def notify_observation(self, obs: dict) -> None:
        self._sync.notify_observation(obs)

    def get_action(self, obs_frame: dict | None) -> torch.Tensor | None:
        if obs_frame is None:
            return None
        if not self._actions:
            if self._pending is not None:
                self.on_chunk("prefetched" if self._pending.done() else "late")
                chunk, lead = self._pending.result(), self._pending_lead
                self._pending = None
            else:
                self.on_chunk("inline")
                chunk, lead = self._chunk(obs_frame), 0
            steps = self._policy.config.n_action_steps
            self._actions.extend(chunk[lead : lead + steps])
        action = self._actions.popleft()
        if self._pending is None and len(self._actions) <= self.lead:
            self._pending_lead = self.lead
            self._pending = self._pool.submit(self._chunk, copy(obs_frame))
        return action

    def _chunk(self, obs_frame: dict) -> list[torch.Tensor]:
        """The postprocessed actions of one chunk for this observation, in the dataset's action order."""
        from lerobot.policies.utils import make_robot_action, prepare_observation_for_inference

        sync = self._sync
        started = time.perf_counter()
        autocast = (
            torch.autocast(device_type=sync._device.type)
            if sync._device.type == "cuda" and self._policy.config.use_amp
            else nullcontext()
        )
        with self._lock, torch.inference_mode(), autocast:
            observation = prepare_observation_for_inference(copy(obs_frame), sync._device, sync._task, sync._robot_type)
            observation = sync._preprocessor(observation)
            chunk = self._policy.predict_action_chunk(observation)  # (1, chunk_size, action_dim), normalised
            actions = [sync._postprocessor(chunk[:, index]).squeeze(0).cpu() for index in range(chunk.shape[1])]
        self._last_chunk_s = time.perf_counter() - started
        ordered = []
        for action in actions:
            named = make_robot_action(action, sync._dataset_features)
            ordered.append(torch.tensor([named[key] for key in sync._ordered_action_keys]))
        return ordered

    def _drop_pending(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            try:
                self._pending.result(timeout=10)
            except Exception:  # noqa: BLE001 - an abandoned chunk's failure changes nothing
                log.debug("abandoned prefetch failed", exc_info=True)
            self._pending = None
