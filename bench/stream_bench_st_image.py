"""Bench only, the baseline of bench/stream_bench.py: live video the plain Streamlit way.

`st.image` in a fragment that reruns every 1/30 s and fetches the newest JPEG of each camera
from the station (`StationClient.frame`), as a page would without the MJPEG route. Served by a
second Streamlit server: `streamlit run bench/stream_bench_st_image.py` with PREFLIGHT_WORKSPACE
set; STREAM_BENCH_STATION names the station (default "demo").
"""

import os

import streamlit as st

import core  # noqa: F401  (environment defaults)
from core.station import launcher
from core.workspace import Workspace

STATION = os.environ.get("STREAM_BENCH_STATION", "demo")
CAMERAS = ("front", "wrist")

st.set_page_config(page_title="st.image baseline", layout="wide")
client = launcher.connect(STATION, Workspace.default())
if client is None:
    st.error(f"Station '{STATION}' is not running.")
    st.stop()


@st.fragment(run_every=1 / 30)
def feeds() -> None:
    for camera, column in zip(CAMERAS, st.columns(len(CAMERAS))):
        frame = client.frame(camera, after_seq=0, wait_s=1.0)
        if frame is not None:
            with column.container(key=f"feed-{camera}"):
                st.image(frame.jpeg, caption=camera)


feeds()
