"""Server wrapper: `streamlit run app/asgi.py` serves the pages and Preflight's own HTTP routes."""

from pathlib import Path

import streamlit as st

app = st.App(str(Path(__file__).resolve().with_name("main.py")))
