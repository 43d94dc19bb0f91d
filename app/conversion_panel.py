"""The Overview page's offer to convert a LeRobot v2.1 dataset: one click writes a v3.0 copy, with progress."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.context import workspace
from core.errors import PreflightError
from core.training.conversion import convert_v21, converted_folder
from core.training.selection import Selection, save_selection

PENDING_KEY = "v21_dataset_to_convert"  # session state: (source folder, policy folder or None)


def remember_for_conversion(source: str, policy_dir: str | None) -> None:
    st.session_state[PENDING_KEY] = (source, policy_dir)


def conversion_offer() -> None:
    """When a v2.1 dataset was picked: convert it (or use its copy converted before), then select the copy."""
    if PENDING_KEY not in st.session_state:
        return
    source, policy_dir = st.session_state[PENDING_KEY]
    target = converted_folder(Path(source))
    if target.exists():
        st.info(f"A v3.0 copy of this dataset is already at {target}.")
        if st.button("Use the v3.0 copy", type="primary"):
            _select(target, policy_dir)
        return
    st.info(f"Preflight can write a v3.0 copy of {source} to {target}: offline, the original stays as it is.")
    if not st.button("Convert a copy to v3.0", type="primary", icon=":material/transform:"):
        return
    bar = st.progress(0.0, text="Starting lerobot's converter...")

    def progress(done: int, total: int, stage: str) -> None:
        bar.progress(done / total, text="Converted." if stage == "done" else f"Converting the {stage}...")

    try:
        convert_v21(source, target, progress)
    except PreflightError as error:
        st.error(str(error))
        return
    _select(target, policy_dir)


def _select(target: Path, policy_dir: str | None) -> None:
    save_selection(workspace(), Selection(str(target), policy_dir))
    del st.session_state[PENDING_KEY]
    st.rerun()
