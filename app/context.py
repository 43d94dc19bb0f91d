"""What every page needs to know: the workspace and the active training profile."""

from __future__ import annotations

import streamlit as st

from core.errors import PreflightError
from core.training.profile import TrainingProfile
from core.training.selection import Selection, inputs_changed_at, load_selection, profile_of
from core.workspace import Workspace


def workspace() -> Workspace:
    return Workspace.default().ensure()


@st.cache_resource(show_spinner="Reading the training data...", max_entries=8)
def _profile(selection: Selection, workspace_root: str, changed_at: float) -> TrainingProfile:
    return profile_of(selection, Workspace.default())


def active_selection(required: bool = True) -> Selection | None:
    selection = load_selection(workspace())
    if selection is None and required:
        st.info("No training dataset selected yet: pick one on the Overview page.", icon=":material/dataset:")
    return selection


def profile_for(selection: Selection) -> TrainingProfile | None:
    """The profile of a dataset (and checkpoint), built once and cached; shows the error when it cannot be."""
    try:
        return _profile(selection, str(workspace().root), inputs_changed_at(selection))
    except PreflightError as error:
        st.error(str(error))
        return None


def active_profile(required: bool = True) -> TrainingProfile | None:
    """The profile of the selected dataset and checkpoint; explains on the page when there is none."""
    selection = active_selection(required)
    return None if selection is None else profile_for(selection)
