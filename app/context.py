"""What every page needs to know: the workspace, the running station and the active training profile.

app/main.py draws the station sidebar before each page and shares its client here; a page opens with
`profile_or_stop()` and `station_or_stop(...)`, which explain on the page what is missing and stop it.
"""

from __future__ import annotations

import streamlit as st

from core.errors import PreflightError
from core.station.client import StationClient
from core.training.profile import TrainingProfile
from core.training.selection import Selection, inputs_changed_at, load_selection, profile_of
from core.workspace import Workspace

_STATION_KEY = "preflight_running_station"  # session state: the client the sidebar connected in this script run


def workspace() -> Workspace:
    return Workspace.default().ensure()


def share_station(client: StationClient | None) -> None:
    """For app/main.py: the station the sidebar connected to in this run (None when it is not running)."""
    st.session_state[_STATION_KEY] = client


def station_or_stop(start_it_to: str, icon: str) -> StationClient:
    """The running station of the sidebar; otherwise asks to "Start the station (sidebar) `start_it_to`." and stops."""
    client = st.session_state.get(_STATION_KEY)
    if client is None:
        st.info(f"Start the station (sidebar) {start_it_to}.", icon=icon)
        st.stop()
    return client


@st.cache_resource(show_spinner="Reading the training data...", max_entries=8)
def _profile(selection: Selection, workspace_root: str, changed_at: float) -> TrainingProfile:
    return profile_of(selection, Workspace.default())


def active_selection(required: bool = True) -> Selection | None:
    """The dataset and checkpoint picked on the Overview page; when `required`, says so on the page if there is none."""
    selection = load_selection(workspace())
    if selection is None and required:
        st.info("No training dataset selected yet: pick one on the Overview page.", icon=":material/dataset:")
    return selection


def selection_or_stop() -> Selection:
    """The active selection; otherwise explains that there is none and stops the page."""
    selection = active_selection()
    if selection is None:
        st.stop()
    return selection


def _profile_for(selection: Selection) -> TrainingProfile | None:
    """The profile of a dataset (and checkpoint), built once and cached; shows the error when it cannot be."""
    try:
        return _profile(selection, str(workspace().root), inputs_changed_at(selection))
    except PreflightError as error:
        st.error(str(error))
        return None


def active_profile(required: bool = True) -> TrainingProfile | None:
    """The profile of the selected dataset and checkpoint; when `required`, explains on the page if there is none."""
    selection = active_selection(required)
    return None if selection is None else _profile_for(selection)


def profile_or_stop(selection: Selection | None = None) -> TrainingProfile:
    """The profile of `selection` (default: the active one); otherwise explains why there is none and stops the page."""
    profile = _profile_for(selection) if selection is not None else active_profile()
    if profile is None:
        st.stop()
    return profile
