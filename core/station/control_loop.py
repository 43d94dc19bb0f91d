"""The station's control loop: one thread that owns the hardware and ticks at the station's fps.

Other threads queue what touches the hardware (`run_in_loop`); it runs between two ticks. While
`paused` a policy episode drives the arm itself: the loop only publishes, and the episode's
observations are its periods (`rollout_tick`).
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np

from core.station.real_time import CONTROL_LOOP_PRIORITY, enter_real_time, sleep_until
from core.station.state import LoopStats

PERIOD_WINDOW = 300  # ticks kept for the period statistics (10 s at 30 Hz)
ROLLOUT_PERIODS_KEPT = 36_000  # an episode's raw periods for benchmarks (20 min at 30 Hz)
OVERRUN_PERIODS = 1.5  # a tick longer than this many periods is an overrun


class ControlLoop:
    """Calls `tick` once a period on its own thread (SCHED_FIFO where allowed); `publish` instead while paused."""

    def __init__(self, name: str, fps: int, tick: Callable[[], None], publish: Callable[[], None]) -> None:
        self.name = name
        self.fps = fps
        self.paused = False  # True while a policy episode drives the robot itself
        self._tick = tick
        self._publish = publish
        self._pending: queue.SimpleQueue[tuple[Callable[[], object], Future]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._periods_ms: deque[float] = deque(maxlen=PERIOD_WINDOW)
        self._overruns = 0
        self._rollout_periods_ms: deque[float] = deque(maxlen=ROLLOUT_PERIODS_KEPT)
        self._last_rollout_tick: float | None = None  # perf_counter of the episode's previous observation

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    def run_in_loop(self, action: Callable[[], object], timeout_s: float = 10.0):
        """Run `action` on the loop thread between two ticks and return its result (at once without a loop)."""
        if self._thread is None or not self._thread.is_alive():
            return action()
        future: Future = Future()
        self._pending.put((action, future))
        return future.result(timeout=timeout_s)

    def begin_rollout(self) -> None:
        """A policy episode starts: its periods are counted afresh."""
        self._last_rollout_tick = None
        self._rollout_periods_ms.clear()

    def rollout_tick(self) -> None:
        """The policy episode took an observation: the time since its previous one is a loop period."""
        now = time.perf_counter()
        if self._last_rollout_tick is not None:
            elapsed_ms = (now - self._last_rollout_tick) * 1e3
            self._record(elapsed_ms)
            self._rollout_periods_ms.append(elapsed_ms)
        self._last_rollout_tick = now

    def rollout_periods_ms(self) -> tuple[float, ...]:
        return tuple(self._rollout_periods_ms)

    def stats(self) -> LoopStats:
        periods = np.array(list(self._periods_ms) or [0.0])  # list(): one atomic copy, whichever thread appends
        return LoopStats(
            target_ms=round(1000 / self.fps, 2),
            p50_ms=round(float(np.percentile(periods, 50)), 2),
            p99_ms=round(float(np.percentile(periods, 99)), 2),
            max_ms=round(float(periods.max()), 2),
            samples=len(self._periods_ms),
            overruns=self._overruns,
        )

    def _run(self) -> None:
        real_time = enter_real_time(CONTROL_LOOP_PRIORITY)
        period = 1.0 / self.fps
        next_tick = time.perf_counter()
        last_start: float | None = None
        while not self._stop.is_set():
            start = time.perf_counter()
            if last_start is not None and not self.paused:  # during an episode the rollout's own periods count
                self._record((start - last_start) * 1e3)
            last_start = start
            self._run_pending()
            if self.paused:
                self._publish()  # a policy episode drives the arm; keep camera health and run progress fresh
            else:
                self._tick()
            next_tick += period
            delay = next_tick - time.perf_counter()
            if delay < -period:
                next_tick = time.perf_counter()
            else:
                sleep_until(next_tick, spin=not real_time)

    def _record(self, elapsed_ms: float) -> None:
        self._periods_ms.append(elapsed_ms)
        if elapsed_ms > OVERRUN_PERIODS * 1000 / self.fps:
            self._overruns += 1

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
