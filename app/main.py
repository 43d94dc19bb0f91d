"""Entry script: the frame every page shares (the station sidebar with its emergency stop), then the page."""

from pathlib import Path

import core  # noqa: F401  (environment defaults before anything reads them)
import streamlit as st

from app.context import share_station
from app.station_panel import station_sidebar

ROOT = Path(__file__).resolve().parent.parent
PAGES_DIR = ROOT / "pages"

st.set_page_config(page_title="Preflight", page_icon=":material/flight_takeoff:", layout="wide")

navigation = st.navigation(
    [
        st.Page(PAGES_DIR / "overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page(PAGES_DIR / "cameras.py", title="Cameras", icon=":material/videocam:"),
        st.Page(PAGES_DIR / "home_reset.py", title="Home reset", icon=":material/home:"),
        st.Page(PAGES_DIR / "deploy.py", title="Deploy", icon=":material/rocket_launch:"),
        st.Page(PAGES_DIR / "analytics.py", title="Analytics", icon=":material/analytics:"),
    ]
)
share_station(station_sidebar())
navigation.run()
