"""One controlling browser session per station: the lease the station holds and the check its commands pass.

The first session to act holds control; every command of `CONTROLLED` (commands.py) that names a session claims the
lease first, and one from another session is refused while the holder renews it within its `lease_s`. Take control
hands it over and marks whom it was taken from. Why and how: docs/station.md (One controlling session).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from core.errors import StationError

DEFAULT_LEASE_S = 15.0  # a holder silent this long loses control (the app renews it every 2 s)
MAX_LEASE_S = 300.0
Role = Literal["holder", "free", "other"]  # a session's part: it controls, anyone may take it by acting, read-only
LostBecause = Literal["", "taken", "silent"]


@dataclass(frozen=True)
class ControlStatus:
    """Who controls the station now, and who last lost control to another session."""

    holder: str | None = None  # the controlling session; None: nobody, or the holder fell silent
    since: float | None = None  # unix time the holder got control
    lease_s: float = DEFAULT_LEASE_S  # the holder's lease: control lapses this long after its last renewal
    lost_by: str | None = None  # the session that last lost control to another one
    lost_at: float | None = None  # unix time
    lost_because: LostBecause = ""  # "taken": Take control; "silent": its lease lapsed and another session acted

    def role_of(self, session: str | None) -> Role:
        if self.holder is None:
            return "free"
        return "holder" if session == self.holder else "other"

    def lost_by_session(self, session: str | None) -> bool:
        """`session` lost control to another session and has not got it back."""
        return session is not None and self.lost_by == session and self.holder != session


class ControlRefused(StationError):
    """A command from a session that does not control the station."""


class ControlLease:
    """The station's lease: thread-safe; expiry on the monotonic `clock`, times shown in unix time."""

    def __init__(
        self, station: str, on_change: Callable[[str], None] = lambda message: None, clock=time.monotonic
    ) -> None:
        self.station = station
        self._on_change = on_change
        self._clock = clock
        self._lock = threading.Lock()
        self._status = ControlStatus()
        self._renewed = -math.inf  # clock time of the holder's last renewal

    def status(self) -> ControlStatus:
        with self._lock:
            return self._current()

    def claim(self, session: str, lease_s: float = DEFAULT_LEASE_S) -> ControlStatus:
        """Get control if nobody holds it, renew it if `session` does; ControlRefused while another session does."""
        with self._lock:
            status = self._current()
            if status.holder not in (None, session):
                since = time.strftime("%H:%M:%S", time.localtime(status.since))
                raise ControlRefused(
                    f"Another browser session controls station '{self.station}' (since {since}): this page is "
                    "read-only. Press Take control in the sidebar to act from here (that session is told); the "
                    "emergency stop works from every page."
                )
            status, change = self._hand_to(session, lease_s, "taken")
        return self._told(status, change)

    def renew(self, session: str, lease_s: float = DEFAULT_LEASE_S) -> ControlStatus:
        """The holder's heartbeat: renew its lease; any other session only reads the status."""
        lease_s = _checked(lease_s)
        with self._lock:
            if self._current().holder == session:
                self._renewed = self._clock()
                self._status = replace(self._status, lease_s=lease_s)
            return self._current()

    def take(self, session: str, lease_s: float = DEFAULT_LEASE_S) -> ControlStatus:
        """Take control from whoever holds it; the holder sees it was taken (`lost_by`)."""
        with self._lock:
            status, change = self._hand_to(session, lease_s, "taken")
        return self._told(status, change)

    def release(self, session: str) -> ControlStatus:
        """Give control up if `session` holds it (the app, for a session whose tab it saw close)."""
        change = ""
        with self._lock:
            if self._current().holder == session:
                self._status = replace(self._status, holder=None, since=None)
                change = "control released: the browser session that held it is closed"
            status = self._current()
        return self._told(status, change)

    def _hand_to(self, session: str, lease_s: float, lost_because: LostBecause) -> tuple[ControlStatus, str]:
        """Lock held: `session` holds control; the status and the event to tell ("" when the holder stays).
        A holder whose lease lapsed lost control by being silent, whatever the new holder did."""
        lease_s = _checked(lease_s)
        if not session or not isinstance(session, str):
            raise StationError("Control needs a browser session id.")
        previous, live = self._status.holder, self._current().holder
        self._renewed = self._clock()
        if previous == session:
            self._status = replace(self._status, lease_s=lease_s, since=self._status.since if live else time.time())
            return self._current(), ""
        lost = {}
        if previous is not None:
            how = lost_because if live is not None else "silent"
            lost = {"lost_by": previous, "lost_at": time.time(), "lost_because": how}
        self._status = replace(self._status, holder=session, since=time.time(), lease_s=lease_s, **lost)
        how = {"taken": " from another one (Take control)", "silent": " from a silent one"}.get(
            lost.get("lost_because", ""), ""
        )
        return self._current(), f"a browser session took control{how}; every other session is read-only"

    def _told(self, status: ControlStatus, change: str) -> ControlStatus:
        """Outside the lock: `on_change` may read the status (the station publishes a snapshot)."""
        if change:
            self._on_change(change)
        return status

    def _current(self) -> ControlStatus:
        """The status with a lapsed lease shown as nobody's (lock held)."""
        status = self._status
        if status.holder is not None and self._clock() - self._renewed > status.lease_s:
            return replace(status, holder=None, since=None)
        return status


def _checked(lease_s: object) -> float:
    if isinstance(lease_s, bool) or not isinstance(lease_s, (int, float)) or not 0 < lease_s <= MAX_LEASE_S:
        raise StationError(
            f"A control lease is a number of seconds above 0 and at most {MAX_LEASE_S:g}; got {lease_s!r}."
        )
    return float(lease_s)
