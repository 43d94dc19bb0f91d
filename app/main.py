"""Entry script: registers the pages and runs the one the operator picked."""

from pathlib import Path

import core  # noqa: F401  (environment defaults before anything reads them)
import streamlit as st

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"

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
navigation.run()
