"""Deploy page (not built yet)."""

import streamlit as st

st.title("Deploy")
st.info("Coming next: a preflight gate (task sentence, cameras, start pose, chunk settings) before policy episodes run through lerobot's rollout engine, with success tagging.", icon=":material/construction:")
