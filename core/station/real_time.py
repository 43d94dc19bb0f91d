"""Scheduling for the station's threads: nice -10 for all of them, SCHED_FIFO for the control loop, nice -20 for
a policy episode's loop. Where the system refuses, the threads keep normal scheduling and the log says so
(docs/station.md#scheduling)."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

STATION_NICE = -10  # every thread of the station process, ahead of the app server and browsers
CONTROL_LOOP_PRIORITY = 10  # the station loop: observe, safety gate, send (1..99)
POLICY_NICE = -20  # a policy episode's loop: about 9x the CPU share of the station's other threads (nice -10)


def raise_station_priority() -> bool:
    """The whole station ahead of page rendering and browsers on the same machine. Call it before
    starting threads: Linux nice values are per thread, and new threads inherit their creator's."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, STATION_NICE)
    except OSError:
        log.info("station at normal priority (raising it needs root or CAP_SYS_NICE)")
        return False
    return True


def enter_real_time(priority: int) -> bool:
    """Put the calling thread under SCHED_FIFO at `priority`; False where the system refuses."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except (OSError, AttributeError):
        log.info("normal scheduling for %s (SCHED_FIFO needs root or CAP_SYS_NICE)", _thread_name())
        return False
    return True


@contextmanager
def favoured(nice: int) -> Iterator[bool]:
    """The calling thread at `nice` inside the block (a policy episode, not its loading); yields whether it was
    granted."""
    thread = threading.get_native_id()
    before = os.getpriority(os.PRIO_PROCESS, thread)
    try:
        os.setpriority(os.PRIO_PROCESS, thread, nice)
    except OSError:
        log.info("normal CPU share for %s (a negative nice needs root or CAP_SYS_NICE)", _thread_name())
        yield False
        return
    try:
        yield True
    finally:
        os.setpriority(os.PRIO_PROCESS, thread, before)


def sleep_until(deadline: float, spin: bool = True) -> None:
    """Sleep most of the way, then spin the last millisecond: time.sleep alone overshoots by ~1 ms
    under normal scheduling. A SCHED_FIFO thread wakes on time, so it just sleeps."""
    remaining = deadline - time.perf_counter()
    if not spin:
        time.sleep(max(remaining, 0.0))
        return
    if remaining > 0.002:
        time.sleep(remaining - 0.0015)
    while time.perf_counter() < deadline:
        pass


def _thread_name() -> str:
    return threading.current_thread().name
