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
    # one controlling browser session (core/station/control.py)
    CLAIM_CONTROL = "claim_control"
    RENEW_CONTROL = "renew_control"
    TAKE_CONTROL = "take_control"
    RELEASE_CONTROL = "release_control"
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


# What only the controlling session may do: move the arm, start or end runs and episodes, re-map cameras, change the
# simulated lab, release the emergency stop, stop the station. Reads and the emergency stop itself are never gated.
CONTROLLED = frozenset(
    {
        Command.RELEASE_EMERGENCY_STOP,
        Command.SET_MIRROR,
        Command.STOP_MOTION,
        Command.SET_CAMERA_MAPPING,
        Command.MOVE_HOME,
        Command.SHUTDOWN,
        Command.START_RUN,
        Command.START_EPISODE,
        Command.STOP_EPISODE,
        Command.DISCARD_EPISODE,
        Command.END_RUN,
        Command.SET_LEADER,
        Command.INJECT_FAULT,
    }
)
