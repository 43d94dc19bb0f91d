"""The station panel in the sidebar of every page: which station, is it alive, the emergency stop, and who controls it.

The emergency stop is the first thing in the sidebar on every page, so it is one click
away wherever the operator is. The browser posts it straight to the app server, which
sends it to the station at once (app/emergency_stop.py); any browser session can press it.
Every other command acts for this tab's session, and only the session in control may send it (app/control.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from app.context import workspace
from app.control import bound, control_line, control_status, control_view, read_only
from app.emergency_stop import emergency_stop_button
from core.errors import PreflightError, StationError
from core.station import launcher
from core.station.client import StationClient
from core.station.config import StationConfig, demo_station_config, list_stations
from core.workspace import Workspace

STATUS_REFRESH_S = 2.0  # the sidebar's station line redraws this often, on every page
_auto_started: set[str] = set()  # simulated stations this server has started once on its own


def station_sidebar() -> StationClient | None:
    """Draw the panel; return a client when the selected station is running."""
    ws = workspace()
    names = list_stations(ws)
    if not names:
        demo_station_config().save(ws)
        names = list_stations(ws)
    with st.sidebar:
        name = st.selectbox("Station", names, key="station_name")
        client = _running_client(name, ws)
        client = None if client is None else bound(client)
        emergency_stop_button(name if client is not None else None)
        _process_status(name, ws, client)
        if client is not None and StationConfig.load(ws, name).is_sim:
            _simulated_faults(client)
    return client


def _running_client(name: str, ws: Workspace) -> StationClient | None:
    client = launcher.connect(name, ws)
    if client is not None:
        return client
    process = launcher.status(name, ws)
    config = StationConfig.load(ws, name)
    if config.is_sim and process.status == "stopped" and name not in _auto_started:
        _auto_started.add(name)
        with st.spinner(f"Starting the simulated station '{name}'..."):
            try:
                return launcher.start(config, ws)
            except StationError as error:
                st.sidebar.error(str(error))
    return None


def _process_status(name: str, ws: Workspace, client: StationClient | None) -> None:
    if client is not None:
        try:
            drawn = (client.state().estopped, control_view(client, control_status(client)))
        except StationError as error:
            st.error(str(error))
            return
        _live_status(name, client, drawn)
        st.button(
            "Stop station",
            key="stop_station",
            width="stretch",
            disabled=read_only(),
            on_click=_stop,
            args=(name, ws, client),
        )
        return
    process = launcher.status(name, ws)
    if process.status in ("crashed", "failed"):
        st.error(process.message)
        if process.log_tail:
            with st.expander("Station log"):
                st.code(process.log_tail, language=None)
    else:
        st.caption(f"Station **{name}** is not running.")
    st.button("Start station", key="start_station", width="stretch", on_click=_start, args=(name, ws))


@st.fragment(run_every=STATUS_REFRESH_S)
def _live_status(name: str, client: StationClient, drawn: tuple) -> None:
    """The station's line, redrawn on its own: a latch from another tab, from the station itself, or a press
    whose rerun the browser lost still shows within STATUS_REFRESH_S, and the whole page follows it; so does a
    change of control. Each run renews this session's control lease (the heartbeat)."""
    try:
        state = client.state()
        control = control_status(client)
    except StationError as error:
        st.error(str(error))
        return
    if (state.estopped, control_view(client, control)) != drawn:
        st.rerun(scope="app")
    control_line(client, control)
    if state.estopped:
        st.error("Emergency stop latched: the arm holds its position.")
        command_button("Release emergency stop", client.release_emergency_stop, key="release_estop")
    elif state.mode == "error":
        st.error(state.error)
    else:
        st.caption(f"Station **{name}** running ({state.kind}, {state.mode}), loop p99 {state.loop.p99_ms:.1f} ms")


def station_action(
    command: Callable[..., object], /, *arguments: object, done: str | None = None, **keywords: object
) -> None:
    """A button's callback: `command(*arguments, **keywords)`, a StationClient method; its refusal (or `done`) is a
    toast.

    Every button that commands the station acts in a callback: Streamlit runs it at the start of
    the script run the click causes, so a rerun that preempts that run (a fragment's, a component's)
    cannot drop the click, and the redraw that follows already shows the command's effect.
    """
    try:
        command(*arguments, **keywords)
    except PreflightError as error:
        st.toast(str(error), icon=":material/error:")
        return
    if done:
        st.toast(done)


def command_button(
    label: str,
    command: Callable[..., object],
    /,
    *arguments: object,
    done: str | None = None,
    container: Any = st,
    **button: Any,
) -> bool:
    """A button (full width unless told) that runs the station command `command(*arguments)` through
    `station_action`; `container` is where it is drawn (a column), `button` are st.button's options. It is disabled
    while another browser session controls the station."""
    button.setdefault("width", "stretch")
    button["disabled"] = button.get("disabled", False) or read_only()
    return container.button(label, on_click=station_action, args=(command, *arguments), kwargs={"done": done}, **button)


def _stop(name: str, ws: Workspace, client: StationClient) -> None:
    """Stop station: only from the session in control (it claims control first, as every command does)."""
    try:
        client.claim_control()
    except StationError as error:
        st.toast(str(error), icon=":material/error:")
        return
    launcher.stop(name, ws)


def _start(name: str, ws: Workspace) -> None:
    try:
        launcher.start(StationConfig.load(ws, name), ws)
    except StationError as error:
        st.toast(str(error), icon=":material/error:")


SIM_FAULTS = {
    "Swap the camera cables": "swap_cables",
    "Plug the cables back": "unswap_cables",
    "Displace the start pose, open the gripper": "displace_start_pose",
    "Dim the lights, green table": "change_scene_look",
    "Move the object elsewhere": "move_object_distribution",
    "Clear all faults": "clear_faults",
}


def _simulated_faults(client: StationClient) -> None:
    """Demo only: make the real failures happen on purpose in the simulated lab; they outlast a restart."""
    try:
        active = client.sim_faults().get("summary", "")
    except StationError:
        active = ""
    if active:
        st.caption(f"Simulated lab: {active} (kept across restarts, as in a lab).")
    with st.expander("Simulated lab: inject a fault"):
        for label, fault in SIM_FAULTS.items():
            command_button(
                label, client.inject_fault, fault, done=f"Simulated lab: {label.lower()}", key=f"fault_{fault}"
            )
