"""The Deploy page's live run panel: pushed by the app server, painted without script reruns.

A `st.fragment(run_every=1.0)` showing the run cost chromium about a fifth of a core and the
app server 7 % during a policy episode, on the cores the policy's inference needs
(bench/loop_bench.py). Instead the server's `/run-panel/<station>` route (app/asgi.py) sends a
server-sent event each second with the panel's HTML and the run's moment (phase, episodes
ended, arm mode); a component (st.components.v2) paints the HTML and asks Streamlit for a rerun
only when the moment changes, so the controls below it follow.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import streamlit as st

from core.errors import PreflightError
from core.station.state import RunStatus, StationState
from core.training.profile import PROFILE_FILE, TrainingProfile
from core.workspace import Workspace

INTERVAL_S = 1.0  # between two pushes
TRACE_COLOURS = {"action": "#1f77b4", "state": "#ff7f0e"}

_CSS = """
.panel { font-family: var(--st-font); color: var(--st-text-color); font-size: 0.9rem; }
.panel table { border-collapse: collapse; margin: 0.25rem 0 0.75rem; }
.panel th, .panel td {
  border-bottom: 1px solid var(--st-border-color, #ddd); padding: 0.15rem 0.6rem; text-align: right;
}
.panel th:first-child, .panel td:first-child { text-align: left; }
.panel .columns { display: flex; gap: 1.5rem; flex-wrap: wrap; }
.panel .columns > div { flex: 1 1 320px; }
.panel .caption { color: var(--st-text-color); opacity: 0.7; font-size: 0.8rem; }
.panel progress { width: 100%; }
"""

_JS = """
const sources = new WeakMap();

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const panel = parentElement.querySelector(".panel");
  let live = sources.get(parentElement);
  if (!live || live.url !== data.url) {
    if (live) live.source.close();
    live = { url: data.url, source: new EventSource(data.url) };
    sources.set(parentElement, live);
  }
  live.known = JSON.stringify(data.moment);
  live.asked = false;
  live.source.onmessage = (event) => {
    const update = JSON.parse(event.data);
    panel.innerHTML = update.html;
    const moment = JSON.stringify(update.moment);
    if (moment !== live.known && !live.asked) {
      live.asked = true;  // one rerun per change; the rerun hands the new moment back in `data`
      setTriggerValue("moment", update.moment);
    }
  };
  return () => live.source.close();
}
"""

_COMPONENT = st.components.v2.component("preflight_run_panel", html='<div class="panel"></div>', css=_CSS, js=_JS)


def live_run_panel(station: str, state: StationState) -> None:
    """Mount the panel for `station`; the script reruns by itself when the run's moment changes."""
    _COMPONENT(
        data={"url": f"/run-panel/{station}", "moment": run_moment(state)},
        key=f"run-panel-{station}",
        on_moment_change=lambda: None,
    )


def run_moment(state: StationState) -> list:
    """What the page's controls depend on: when it changes, the page reruns."""
    run = state.run
    return [run.phase if run else None, len(run.episodes) if run else 0, state.mode]


def panel_html(state: StationState, workspace: Workspace) -> str:
    """The run's status line and, during an episode, its progress and telemetry against training."""
    run = state.run
    if run is None or run.is_idle:
        return '<p class="caption">No run open.</p>'
    status = f"<p><b>Run {run.run_id or ''}</b> · {html.escape(run.phase)} · {html.escape(run.message)}"
    if run.dataset_root:
        status += f"<br>Recording into <code>{html.escape(run.dataset_root)}</code>"
    if run.paused:
        status += f"<br><b>Paused, the arm holds:</b> {html.escape(run.paused)}"
    status += "</p>"
    if not run.episode_running or run.settings is None:
        return status + timing_html(run)
    progress = (
        f'<progress max="1" value="{min(run.elapsed_s / run.settings.episode_time_s, 1.0):.3f}"></progress>'
        f'<div class="caption">{run.elapsed_s:.1f} s · {run.frames} frames</div>'
    )
    return status + progress + telemetry_html(run, state, training_profile(workspace, run.settings.training_profile))


def timing_html(run: RunStatus) -> str:
    """Where the last episode's loop time went: each stage's p50, p99 and max, and the overruns."""
    timing = run.episodes[-1].timing if run.episodes else None
    if timing is None:
        return ""
    rows = [[stage.stage, stage.p50_ms, stage.p99_ms, stage.max_ms, stage.samples] for stage in timing.stages]
    return (
        f'<div class="caption">Episode {timing.episode_index}: loop time per step (target {timing.target_ms} ms, '
        f"{timing.overruns} overruns)</div>" + _table(["stage", "p50 ms", "p99 ms", "max ms", "steps"], rows)
    )


def telemetry_html(run: RunStatus, state: StationState, profile: TrainingProfile | None) -> str:
    """Joints, the gripper trace and the action-jump meter of the episode in progress, against training."""
    start = {spread.joint.removesuffix(".pos"): spread.mean for spread in profile.start_pose} if profile else {}
    sent = state.last_sent or {}
    joints = _table(
        ["joint", "follower", "commanded", "training start"],
        [[motor, value, sent.get(motor), start.get(motor)] for motor, value in state.follower_pos.items()],
    )
    samples = min(len(run.gripper_action), len(run.gripper_state))
    trace = gripper_trace_svg(run.gripper_action[-samples:], run.gripper_state[-samples:]) if samples else ""
    closed = ""
    if profile is not None and profile.gripper is not None:
        closed = (
            f'<div class="caption">Training: closed in {profile.gripper.closed_fraction_action:.0%} of action frames '
            f"(closed at ≤ {profile.gripper.closed_threshold.value:.1f})</div>"
        )
    training_p95 = {jump.joint.removesuffix(".pos"): jump.p95 for jump in profile.action_jumps} if profile else {}
    jumps = _table(
        ["joint", "now", "episode max", "training p95", ""],
        [
            [
                motor,
                run.last_jump.get(motor, 0.0),
                value,
                training_p95.get(motor),
                "🔴" if training_p95.get(motor) and value > 2 * training_p95[motor] else "🟢",
            ]
            for motor, value in run.jumps.items()
        ],
    )
    return (
        joints
        + (
            '<div class="columns"><div><div class="caption">Gripper (0 closed, 100 open): policy action and measured '
            "state, "
        )
        + f"last 10 s</div>{trace}{closed}</div>"
        + (
            '<div><div class="caption">Action jumps |a(t) − a(t−1)| this episode against the training '
            f"p95</div>{jumps}</div></div>"
        )
    )


def gripper_trace_svg(action: tuple[float, ...], state: tuple[float, ...], width: int = 320, height: int = 120) -> str:
    """Two polylines on a 0..100 scale, newest sample on the right, as an image; a legend names them."""

    def points(values: tuple[float, ...]) -> str:
        step = width / max(len(values) - 1, 1)
        return " ".join(
            f"{i * step:.1f},{height - max(0.0, min(100.0, v)) * height / 100:.1f}" for i, v in enumerate(values)
        )

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
    return (
        f'<img src="{source}" alt="gripper trace" data-testid="gripper-trace" '
        f'style="width:100%;height:{height}px;border-radius:4px"><div class="caption">{legend}</div>'
    )


def training_profile(workspace: Workspace, name: str | None) -> TrainingProfile | None:
    """The run's training profile (saved in the workspace when the run started); None if there is none."""
    if not name:
        return None
    path = workspace.profiles_dir / name / PROFILE_FILE
    try:
        return _load_profile(path, path.stat().st_mtime_ns)
    except (OSError, PreflightError):
        return None


@lru_cache(maxsize=4)
def _load_profile(path: Path, modified_ns: int) -> TrainingProfile:
    return TrainingProfile.load(path)


def _table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(name)}</th>" for name in header)
    body = "".join("<tr>" + "".join(f"<td>{_cell(value)}</td>" for value in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return "–" if value != value else f"{value:.1f}"
    return html.escape(str(value))


def as_event(state: StationState, workspace: Workspace) -> Mapping[str, object]:
    """One push: the panel's HTML and the moment it shows."""
    return {"html": panel_html(state, workspace), "moment": run_moment(state)}
