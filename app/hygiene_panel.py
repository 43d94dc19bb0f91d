"""The Overview page's hygiene table: flagged training episodes with a frame from each, and which to exclude."""

from __future__ import annotations

import base64

import streamlit as st

from app.context import workspace
from core.errors import PreflightError
from core.training.camera_frames import camera_frame
from core.training.dataset_files import open_dataset
from core.training.exclusions import load_exclusions, save_exclusions
from core.training.profile import TrainingProfile
from core.training.video_frames import to_jpeg

FRAMES_SHOWN = 24  # flagged episodes that get a thumbnail (decoding costs tens of milliseconds each)


@st.cache_data(show_spinner=False, max_entries=4)
def _thumbnails(dataset_dir: str, episodes: tuple[int, ...]) -> dict[int, str]:
    """Episode -> a data URL of its first frame from the first readable camera ("" when none can be read)."""
    dataset = open_dataset(dataset_dir)
    if not dataset.camera_keys:
        return {}
    by_index = {episode.index: episode for episode in dataset.episodes}
    thumbnails = {}
    for index in episodes[:FRAMES_SHOWN]:
        try:
            image, _ = camera_frame(dataset, by_index[index], dataset.camera_keys[0])
        except (PreflightError, KeyError):
            continue
        thumbnails[index] = "data:image/jpeg;base64," + base64.b64encode(to_jpeg(image, max_width_px=120)).decode()
    return thumbnails


def hygiene_table(profile: TrainingProfile) -> None:
    """One row per flagged episode with its reasons and first frame; the episodes chosen to leave out are saved."""
    hygiene = profile.hygiene
    if hygiene is None:
        return
    episodes = hygiene.flagged_episodes
    if not episodes:
        return
    st.subheader("Flagged training episodes")
    st.caption(
        "Each episode the hygiene section above names, with why. Choose the ones to leave out of the merge plan."
    )
    ws = workspace()
    excluded = set(load_exclusions(ws, profile.name))
    thumbnails = _thumbnails(profile.dataset_dir, episodes)
    rows = [
        {"episode": episode, "first frame": thumbnails.get(episode, ""), "why": ", ".join(hygiene.reasons_for(episode))}
        for episode in episodes
    ]
    st.dataframe(
        rows, column_config={"first frame": st.column_config.ImageColumn("first frame")}, hide_index=True, row_height=64
    )
    chosen = set(
        st.multiselect(
            "Leave out of the merge plan",
            options=list(episodes),
            default=sorted(excluded & set(episodes)),
            key=f"exclusions_{profile.name}",
            help="Saved with this dataset's profile; the merge on Analytics and `python -m core merge` skip them.",
        )
    )
    if chosen != excluded & set(episodes):
        save_exclusions(ws, profile.name, chosen | (excluded - set(episodes)))
        st.toast(f"Excluded episodes saved: {sorted(chosen) or 'none'}")
    if chosen:
        st.caption(f"Excluded from the merge plan (Analytics, `python -m core merge`): {sorted(chosen)}.")
