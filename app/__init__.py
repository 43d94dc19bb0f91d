"""The Streamlit side of Preflight: entry script, server wrapper and shared widgets."""
