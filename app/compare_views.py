"""The Analytics page's Compare tab: an evaluation plan or two runs, their conditions side by side, the tests, the
rates figure and the pairs' agreement."""

from __future__ import annotations

import streamlit as st

from core.analytics.compare_view import (
    ComparisonView,
    agreement_table,
    conditions_table,
    rates_figure,
    run_choices,
    runs_comparison,
    significant,
    statistics_table,
)
from core.analytics.export import figure_png, modebar_config
from core.errors import PreflightError
from core.evaluation.results import plan_results
from core.registry import EpisodeRow, Registry

PLAN, RUNS = "Evaluation plan", "Two runs"


def pick_comparison(registry: Registry, rows: list[EpisodeRow]) -> ComparisonView | None:
    """The plan (newest by default) or the two runs the operator picks, compared; None when there is nothing yet."""
    plans = list(reversed(registry.plans()))  # newest first
    mode = st.segmented_control(
        "Compare", [PLAN, RUNS], default=PLAN if plans else RUNS, required=True, key="compare_mode"
    )
    try:
        if mode == PLAN:
            if not plans:
                st.info(
                    "No evaluation plan yet: start one on the Deploy page, or compare two runs.",
                    icon=":material/science:",
                )
                return None
            records = {record.id: record for record in plans}
            plan_id = st.selectbox(
                "Evaluation plan",
                list(records),
                format_func=lambda i: (
                    f"plan {i}: {records[i].name} · {records[i].station} · "
                    f"{records[i].created_at:%Y-%m-%d %H:%M} · {'open' if records[i].ended_at is None else 'closed'}"
                ),
                key="compare_plan",
            )
            results = plan_results(registry, plan_id)
            st.caption(f"Order {results.plan.order_text} (twins: each block of the order shares its start).")
            return results.view
        runs = run_choices(rows)
        if len(runs) < 2:
            st.info("Two runs with episodes in the registry are needed to compare them.", icon=":material/science:")
            return None
        ids = list(runs)
        left, right = st.columns(2)
        run_a = left.selectbox("Run A", ids, index=len(ids) - 2, format_func=runs.get, key="compare_run_a")
        run_b = right.selectbox("Run B", ids, index=len(ids) - 1, format_func=runs.get, key="compare_run_b")
        paired = st.checkbox(
            "Paired: the runs' judged episodes are twins in order (matched starts)",
            key="compare_paired",
            help="The exact McNemar test on the pairs instead of Fisher's exact test.",
        )
        return runs_comparison(registry, run_a, run_b, paired=paired)
    except PreflightError as error:
        st.error(str(error))
        return None


def show_comparison(view: ComparisonView) -> None:
    """The conditions, the rates figure, and each condition's tests against A with the pairs' table."""
    st.subheader(view.title)
    st.table(conditions_table(view), hide_index=True)
    figure = rates_figure(view)
    st.plotly_chart(figure, theme=None, config=modebar_config("comparison"), key="chart_comparison")
    st.download_button(
        "PNG: success rate per condition",
        data=lambda: figure_png(figure),
        file_name="comparison.png",
        mime="image/png",
        on_click="ignore",
        icon=":material/image:",
        key="png_comparison",
    )
    for item in view.comparisons:
        st.markdown(f"#### {item.label_b} against {item.label_a}")
        if item.comparison is None:
            st.info(item.note)
            continue
        tests, pairs = st.columns([3, 2])
        tests.table(statistics_table(item), hide_index=True)
        agreement = agreement_table(item)
        if agreement is not None:
            pairs.table(agreement, hide_index=True)
        say = st.success if significant(item) else st.info
        say(item.comparison.verdict)
        st.caption(item.note)
