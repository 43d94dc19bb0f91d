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
        text = f"**{markdown_literal(finding.title)}**: {markdown_literal(finding.evidence.sentence)}" + (
            f"  \n*Fix:* {markdown_literal(finding.fix)}" if finding.fix and status != "pass" else ""
        )  # findings quote the training task and names from the data: shown as text
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
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def blocking_summary(preflight: Preflight, task_override: bool) -> str:
    blocking = preflight.blocking(task_override)
    return "Blocked by: " + ", ".join(finding.title.lower() for finding in blocking) if blocking else ""


def tag_form(
    registry: Registry, episode_id: int, episode_index: int, key: str, question: str = "how did it go?"
) -> bool:
    """Success / failure / untagged, a score and a note for one episode; True in the script run the save caused.

    The tag is written in the submit button's callback, before that run starts, so a rerun that coalesces with the
    click (the run panel's, a fragment's) cannot drop it."""
    form_key = f"tag-{key}-{episode_id}"

    def save() -> None:
        outcome = st.session_state[f"{form_key}-outcome"]
        if outcome is None:
            st.session_state["tag-form-refused"] = form_key
            return
        score = st.session_state[f"{form_key}-score"] if st.session_state[f"{form_key}-with-score"] else None
        registry.tag_episode(episode_id, outcome, score=score, note=st.session_state[f"{form_key}-note"])
        st.session_state["tag-form-saved"] = form_key

    with st.form(form_key):
        st.markdown(f"**Episode {episode_index}**: {question}")
        st.radio(
            "Outcome",
            list(OUTCOMES),
            format_func=OUTCOMES.get,
            horizontal=True,
            index=None,
            key=f"{form_key}-outcome",
        )
        st.checkbox("Give a score", key=f"{form_key}-with-score")
        st.slider("Score", 0, 100, 50, key=f"{form_key}-score")
        st.text_input("Note (optional)", key=f"{form_key}-note")
        st.form_submit_button("Save the tag", type="primary", on_click=save)
    if st.session_state.get("tag-form-refused") == form_key:
        del st.session_state["tag-form-refused"]
        st.error("Choose an outcome: success, failure or untagged.")
    if st.session_state.get("tag-form-saved") == form_key:
        del st.session_state["tag-form-saved"]
        return True
    return False


def tags_csv(registry: Registry, station: str) -> str:
    buffer = io.StringIO()
    registry.export_csv(buffer, station=station)
    return buffer.getvalue()
