"""Entry script: the frame every page shares (icon, logo, the station sidebar and its emergency stop), then the page."""

from pathlib import Path

import streamlit as st

import core  # noqa: F401  (environment defaults before anything reads them)
from app.context import share_station
from app.station_panel import station_sidebar

ROOT = Path(__file__).resolve().parent.parent
PAGES_DIR = ROOT / "pages"
ASSETS_DIR = ROOT / "assets"  # served by the app itself: the browser loads nothing from outside 127.0.0.1

st.set_page_config(page_title="Preflight", page_icon=ASSETS_DIR / "icon.png", layout="wide")
st.logo(ASSETS_DIR / "logo.png", icon_image=ASSETS_DIR / "icon.png")

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
