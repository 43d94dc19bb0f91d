"""The Fleet tab of Analytics: every station's runs from the registry, filtered, with each station's success rate.

It reads the registry only (no dataset, no training profile), so a computer with no recordings can show it."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from core.analytics.view import FLEET_FILTERS, fleet
from core.registry.records import EpisodeRow


def fleet_panel(rows: Sequence[EpisodeRow]) -> None:
    """The filters (station, computer, policy, setting), the success rate per station and the runs."""
    options = fleet(rows).choices
    picked = dict(zip(FLEET_FILTERS, st.columns(len(FLEET_FILTERS))))
    chosen = {name: picked[name].multiselect(name.capitalize(), options[name], key=f"fleet_{name}") for name in picked}
    lab = fleet(rows, **chosen)
    st.subheader("Success rate per station")
    st.dataframe(
        lab.per_station, hide_index=True, column_config={"rate": st.column_config.NumberColumn(format="percent")}
    )
    st.subheader("Runs")
    st.dataframe(lab.runs, hide_index=True, column_config={"rate": st.column_config.NumberColumn(format="percent")})
