"""Waiting for a live system (a station process, a browser) to reach a state, with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T], timeout_s: float = 10.0, what: str = "the condition", interval_s: float = 0.05
) -> T:
    """Poll `predicate` until it returns something truthy, and return that; fail after `timeout_s`, naming `what`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
