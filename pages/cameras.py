"""Cameras page (not built yet)."""

import streamlit as st

st.title("Cameras")
st.info("Coming next: live feeds from the station beside the training frames for each camera role, an automatic role check and a Swap button.", icon=":material/construction:")
