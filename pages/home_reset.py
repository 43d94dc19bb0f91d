"""Home reset page (not built yet)."""

import streamlit as st

st.title("Home reset")
st.info("Coming next: live leader and follower joints against the training start pose, a GO / NO-GO verdict and an automatic move home.", icon=":material/construction:")
