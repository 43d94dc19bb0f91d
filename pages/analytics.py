"""Analytics page (not built yet)."""

import streamlit as st

st.title("Analytics")
st.info("Coming next: training against deployment metrics, a diagnosis of likely root causes and a training planner.", icon=":material/construction:")
