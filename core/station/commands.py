"""The station's vocabulary: every command a client may send, as one enum.

A request on the wire is `{"op": command.value, **arguments}`; the reply is `("ok", value)` or
`("error", message)`. Callers use the typed methods of `StationClient`, never the raw names.
"""

from __future__ import annotations

from enum import Enum


class Command(Enum):
    PING = "ping"
    STATE = "state"
    FRAME = "frame"
    TIMINGS = "timings"
    EMERGENCY_STOP = "estop"
    RELEASE_EMERGENCY_STOP = "release_estop"
    SET_MIRROR = "set_mirror"
    STOP_MOTION = "stop_motion"
    SET_CAMERA_MAPPING = "set_camera_mapping"
    MOVE_HOME = "move_home"
    SHUTDOWN = "shutdown"
    # policy runs (core/station/policy_runs.py)
    START_RUN = "start_run"
    START_EPISODE = "start_episode"
    STOP_EPISODE = "stop_episode"
    DISCARD_EPISODE = "discard_episode"
    END_RUN = "end_run"
    RUN_STATUS = "run_status"
    # simulated stations only (core/station/sim_controls.py)
    SET_LEADER = "set_leader"
    INJECT_FAULT = "inject_fault"
    SIM_FAULTS = "sim_faults"

    @classmethod
    def named(cls, op: object) -> Command | None:
        """The command a request names, or None for a name the station does not know."""
        try:
            return cls(op)
        except ValueError:
            return None
