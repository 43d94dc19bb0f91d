"""One controlling browser session per station, from the page's side: this tab's session, the station's client bound
to it, the sidebar's control line with Take control, and whether this page is read-only.

The station holds the lease and refuses a command from another session (core/station/control.py); the page only
draws what the station says. The sidebar's station line renews the lease every STATUS_REFRESH_S (the heartbeat).
"""

from __future__ import annotations

import time

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.errors import PreflightError
from core.station.client import StationClient
from core.station.control import ControlStatus

_READ_ONLY_KEY = "preflight_read_only"  # session state: another session controls the station this page shows
_served: set[str] = set()  # sessions this server has served: one of them no longer connected closed its tab


def session_id() -> str | None:
    """This browser tab's Streamlit session (a reload is a new one); None outside a script run."""
    context = get_script_run_ctx()
    return None if context is None else context.session_id


def bound(client: StationClient) -> StationClient:
    """`client` acting for this tab's session: the station accepts its commands only while the session controls it."""
    session = session_id()
    if session is None:
        return client
    _served.add(session)
    return client.for_session(session)


def control_status(client: StationClient) -> ControlStatus:
    """The heartbeat: renews this session's lease when it holds control, and gives up the control of a session this
    server saw close (a closed tab or a reload tells nobody, so its control would otherwise wait for the lease)."""
    status = client.renew_control()
    holder = status.holder
    if holder is not None and holder != client.session and holder in _served and not _connected(holder):
        status = client.release_control(holder)
        _served.discard(holder)
    st.session_state[_READ_ONLY_KEY] = status.role_of(client.session) == "other"
    return status


def read_only() -> bool:
    """Another browser session controls the station: this page's controls are disabled (the emergency stop is not)."""
    return bool(st.session_state.get(_READ_ONLY_KEY, False))


def control_view(client: StationClient, status: ControlStatus) -> tuple[str, bool]:
    """What the page's controls depend on: this session's role, and whether it lost control to another one."""
    return status.role_of(client.session), status.lost_by_session(client.session)


def control_line(client: StationClient, status: ControlStatus) -> None:
    """The sidebar's control line: who controls the station, Take control for a read-only page, and the notice to a
    session whose control was taken."""
    role = status.role_of(client.session)
    if status.lost_by_session(client.session):
        when = time.strftime("%H:%M:%S", time.localtime(status.lost_at))
        why = (
            "Another browser session took control"
            if status.lost_because == "taken"
            else f"This page was silent for over {status.lease_s:.0f} s and another browser session took control"
        )
        st.warning(f"{why} at {when}: this page is read-only now.", icon=":material/lock:")
    if role == "other":
        if not status.lost_by_session(client.session):
            st.info(
                "Another browser session controls this station: this page is read-only. The emergency stop works here.",
                icon=":material/visibility:",
            )
        st.button(
            "Take control",
            key="take_control",
            icon=":material/front_hand:",
            width="stretch",
            help="The other session is told and becomes read-only.",
            on_click=_take,
            args=(client,),
        )
    elif role == "holder":
        st.caption("This page controls the station; other browser sessions see it read-only.")


def _take(client: StationClient) -> None:
    try:
        client.take_control()
    except PreflightError as error:
        st.toast(str(error), icon=":material/error:")
        return
    st.toast("You control the station now; the other browser session was told.")


def _connected(session: str) -> bool:
    return not runtime.exists() or runtime.get_instance().is_active_session(session)
