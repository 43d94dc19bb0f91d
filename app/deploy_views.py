"""Widgets of the Deploy page: the preflight checklist, the task sentence as the model sees it, live telemetry, tags."""

from __future__ import annotations

import base64
import io

import pandas as pd
import streamlit as st

from core.deploy.preflight import Preflight
from core.profile import TrainingProfile
from core.registry import Registry
from core.task_check import TaskCheck

STATUS_ICONS = {"pass": ":material/check_circle:", "warn": ":material/warning:", "fail": ":material/cancel:"}
OUTCOMES = {"success": "Success", "failure": "Failure", "untagged": "Leave untagged (decided)"}


def checklist(preflight: Preflight) -> None:
    for item in preflight.items:
        show = {"pass": st.success, "warn": st.warning, "fail": st.error}[item.status]
        text = f"**{item.title}**: {item.evidence}" + (f"  \n*Fix:* {item.fix}" if item.fix and item.status != "pass" else "")
        show(text, icon=STATUS_ICONS[item.status])
        if item.id == "task" and item.status != "pass" and isinstance(item.detail, TaskCheck):
            task_detail(item.detail)


def task_detail(check: TaskCheck) -> None:
    """The character-level difference, and the tokens side by side when the policy reads the task."""
    st.markdown(f"Difference from the closest training sentence: `{check.diff_text}`  \n"
                "(`[-…-]` is in training only, `{+…+}` only in yours; `␣` a space, `⏎` a newline)")
    view = check.model_view
    if view is None:
        return
    st.caption(f"As the model sees it ({' → '.join(view.steps)}); first different token: {view.first_difference}")
    rows = [
        {"position": row.position, "training token": row.training_token, "training id": row.training_id,
         "your token": row.operator_token, "your id": row.operator_id, "same": "✓" if row.same else "✗"}
        for row in view.rows
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, use_container_width=True)


def blocking_summary(preflight: Preflight, task_override: bool) -> str:
    blocking = preflight.blocking(task_override)
    return "Blocked by: " + ", ".join(item.title.lower() for item in blocking) if blocking else ""


def telemetry(run, state, profile: TrainingProfile) -> None:
    """Joints, the gripper trace and the action-jump meter of the episode in progress, against training.

    Redrawn every second while the policy runs on the same machine, so everything here is static
    HTML (tables and an SVG trace): data grids and chart libraries would cost the browser a large
    share of a core that inference needs (bench/loop_bench.py)."""
    training_start = {spread.joint.removesuffix(".pos"): spread.mean for spread in profile.start_pose}
    st.table(
        pd.DataFrame([{"joint": motor, "follower": round(value, 1), "commanded": round((state.last_sent or {}).get(motor, float("nan")), 1),
                       "training start": round(training_start.get(motor, float("nan")), 1)} for motor, value in state.follower_pos.items()]
                     ).set_index("joint").style.format(precision=1),
    )
    left, right = st.columns(2)
    with left:
        st.caption("Gripper (0 closed, 100 open): policy action and measured state, last 10 s")
        samples = min(len(run.gripper_action), len(run.gripper_state))
        if samples:
            st.html(gripper_trace_svg(run.gripper_action[-samples:], run.gripper_state[-samples:]))
        if profile.gripper is not None:
            st.caption(f"Training: closed in {profile.gripper.closed_fraction_action:.0%} of action frames (closed at ≤ {profile.gripper.closed_threshold.value:.1f})")
    with right:
        st.caption("Action jumps |a(t) − a(t−1)| this episode against the training p95")
        training = {jump.joint.removesuffix(".pos"): jump.p95 for jump in profile.action_jumps}
        rows = [
            {"joint": motor, "now": run.last_jump.get(motor, 0.0), "episode max": value, "training p95": training.get(motor),
             "": "🔴" if training.get(motor) and value > 2 * training[motor] else "🟢"}
            for motor, value in run.jumps.items()
        ]
        if rows:
            st.table(pd.DataFrame(rows).set_index("joint").style.format(precision=1, na_rep="–"))


TRACE_COLOURS = {"action": "#1f77b4", "state": "#ff7f0e"}


def gripper_trace_svg(action: tuple[float, ...], state: tuple[float, ...], width: int = 320, height: int = 120) -> str:
    """Two polylines on a 0..100 scale, newest sample on the right; a legend names them."""

    def points(values: tuple[float, ...]) -> str:
        step = width / max(len(values) - 1, 1)
        return " ".join(f"{i * step:.1f},{height - max(0.0, min(100.0, v)) * height / 100:.1f}" for i, v in enumerate(values))

    lines = "".join(
        f'<polyline fill="none" stroke="{TRACE_COLOURS[name]}" stroke-width="2" points="{points(values)}"/>'
        for name, values in (("action", action), ("state", state))
    )
    legend = " ".join(f'<span style="color:{colour}">━ {name}</span>' for name, colour in TRACE_COLOURS.items())
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" preserveAspectRatio="none">'
        f'<rect width="{width}" height="{height}" fill="#f6f6f9"/>'
        f'<line x1="0" y1="{height / 2}" x2="{width}" y2="{height / 2}" stroke="#ddd"/>{lines}</svg>'
    )
    source = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    # an <img>: st.html's sanitiser removes inline <svg>, not images
    return (
        f'<img src="{source}" alt="gripper trace" data-testid="gripper-trace" style="width:100%;height:{height}px;border-radius:4px">'
        f'<div style="font-size:0.8em">{legend}</div>'
    )


def tag_form(registry: Registry, episode_id: int, episode_index: int, key: str, question: str = "how did it go?") -> bool:
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
