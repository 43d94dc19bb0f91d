"""Widgets for live camera feeds: the MJPEG image and the feed's status line."""

from __future__ import annotations

import html

import streamlit as st

from core.errors import PreflightError
from core.rules.finding import Finding
from core.start_pose.pose import verdict_for_station
from core.station.state import CameraStatus, StationState
from core.training.profile import TrainingProfile

EPISODE_FEED_FPS = 5  # the Deploy page's feeds while a policy episode runs (bench/loop_bench.py)
SEVERITY_ICONS = {
    "ok": ":material/check_circle:",
    "info": ":material/info:",
    "warning": ":material/warning:",
    "critical": ":material/cancel:",
}
HEALTH_ICONS = {"ok": "🟢", "starting": "⚪", "black": "⚫", "frozen": "🧊", "stale": "🟠", "lost": "🔴"}


def live_feed(station: str, camera: str, height_px: int | None = None, max_fps: int | None = None) -> None:
    """The camera as MJPEG from this server's own /stream route: painted as frames arrive, no reruns.

    `max_fps` caps the frames sent (the newest one each time): a feed costs the station, the
    server and the browser about a third of a core at 30 fps, and a policy episode needs it more.
    """
    style = f"width:100%;height:{height_px}px;object-fit:contain" if height_px else "width:100%"
    query = f"?fps={max_fps}" if max_fps else ""
    st.html(
        f'<img src="/stream/{html.escape(station)}/{html.escape(camera)}{query}" alt="live {html.escape(camera)} '
        f'camera" data-testid="live-feed-{html.escape(camera)}" style="{style};border-radius:6px;background:#111">'
    )


def feed_status(camera: CameraStatus | None) -> str:
    if camera is None:
        return "🔴 no such camera on the station"
    age = "no frame yet" if camera.frame_age_ms is None else f"frame age {camera.frame_age_ms:.0f} ms"
    line = (
        f"{HEALTH_ICONS.get(camera.health, '')} **{camera.health}** · {camera.device} · "
        f"{camera.fps_measured:.0f}/{camera.fps_target:.0f} fps · {age}"
    )
    return f"{line}  \n{camera.message}" if camera.message else line


def finding_banner(finding: Finding) -> None:
    """A rule's finding as one banner: green when nothing is wrong, else its severity's colour, with the fix."""
    head = f"**{finding.title}**" if finding.is_problem else f"**OK**: {finding.title}."
    text = f"{head} {finding.evidence.sentence}" + (
        f"  \n*Fix:* {finding.fix}" if finding.is_problem and finding.fix else ""
    )
    show = {"ok": st.success, "info": st.info, "warning": st.warning, "critical": st.error}[finding.severity]
    show(text, icon=SEVERITY_ICONS[finding.severity])


def arm_at_start_pose(state: StationState, profile: TrainingProfile) -> bool:
    """Whether the arm is where the training frames were taken (True when the start pose cannot be judged)."""
    try:
        return verdict_for_station(state, profile).go
    except PreflightError:
        return True
