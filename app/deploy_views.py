"""Widgets of the Deploy page: the preflight checklist, the task sentence as the model sees it, tags."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from core.deploy.gate import Preflight, gate_status
from core.policy.task_check import TaskCheck
from core.registry import Registry
from core.text import markdown_literal

STATUS_ICONS = {"pass": ":material/check_circle:", "warn": ":material/warning:", "fail": ":material/cancel:"}
OUTCOMES = {"success": "Success", "failure": "Failure", "untagged": "Leave untagged (decided)"}


def checklist(preflight: Preflight) -> None:
    for finding in preflight.findings:
        status = gate_status(finding)
        show = {"pass": st.success, "warn": st.warning, "fail": st.error}[status]
        text = f"**{finding.title}**: {finding.evidence.sentence}" + (
            f"  \n*Fix:* {finding.fix}" if finding.fix and status != "pass" else ""
        )
        show(text, icon=STATUS_ICONS[status])
        detail = preflight.details.get(finding.id)
        if finding.is_problem and isinstance(detail, TaskCheck):
            task_detail(detail)


def task_detail(check: TaskCheck) -> None:
    """The character-level difference, and the tokens side by side when the policy reads the task."""
    st.markdown(
        f"Difference from the closest training sentence: {markdown_literal(check.diff_text)}  \n"
        "(`[-…-]` is in training only, `{+…+}` only in yours; `␣` a space, `⏎` a newline)"
    )
    view = check.model_view
    if view is None:
        return
    st.caption(f"As the model sees it ({' → '.join(view.steps)}); first different token: {view.first_difference}")
    rows = [
        {
            "position": row.position,
            "training token": row.training_token,
            "training id": row.training_id,
            "your token": row.operator_token,
            "your id": row.operator_id,
            "same": "✓" if row.same else "✗",
        }
        for row in view.rows
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, use_container_width=True)


def blocking_summary(preflight: Preflight, task_override: bool) -> str:
    blocking = preflight.blocking(task_override)
    return "Blocked by: " + ", ".join(finding.title.lower() for finding in blocking) if blocking else ""


def tag_form(
    registry: Registry, episode_id: int, episode_index: int, key: str, question: str = "how did it go?"
) -> bool:
    """Success / failure / untagged, a score and a note for one episode; True once saved."""
    with st.form(f"tag-{key}-{episode_id}"):
        st.markdown(f"**Episode {episode_index}**: {question}")
        outcome = st.radio("Outcome", list(OUTCOMES), format_func=OUTCOMES.get, horizontal=True, index=None)
        with_score = st.checkbox("Give a score")
        score = st.slider("Score", 0, 100, 50, disabled=False)
        note = st.text_input("Note (optional)")
        if st.form_submit_button("Save the tag", type="primary"):
            if outcome is None:
                st.error("Choose an outcome: success, failure or untagged.")
                return False
            registry.tag_episode(episode_id, outcome, score=score if with_score else None, note=note)
            return True
    return False


def tags_csv(registry: Registry, station: str) -> str:
    buffer = io.StringIO()
    registry.export_csv(buffer, station=station)
    return buffer.getvalue()
