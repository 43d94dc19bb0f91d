"""Plotly figures of training against deployment, all on one pinned template.

Every figure carries the `preflight` template in its own layout (not a process default), so the
browser's modebar PNG, kaleido's PNG and the HTML report draw it identically; the page shows
them with `theme=None` for the same reason. Training is always grey; runs take the palette.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.analytics.compare import ConditionSummary
from core.analytics.metrics import DatasetMetrics, histogram_edges
from core.analytics.runs import OUTCOME_ORDER
from core.so101 import GRIPPER, motor_of
from core.training.frame_stats import DEGREES, JointUnits, JumpStats

WIDTH_PX = 1000  # the size of every exported PNG (times the scale), also used by the modebar button
HEIGHT_PX = 460
TRAINING_COLOUR = "#6b7280"
RUN_COLOURS = (
    "#2563eb",
    "#d97706",
    "#059669",
    "#dc2626",
    "#7c3aed",
    "#0891b2",
    "#db2777",
    "#65a30d",
    "#92400e",
    "#1e3a8a",
)
OUTCOME_COLOURS = {
    "training": TRAINING_COLOUR,
    "success": "#16a34a",
    "failure": "#dc2626",
    "untagged": "#9ca3af",
    "awaiting": "#f59e0b",
    "unknown": "#cbd5e1",
}
TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font=dict(family="DejaVu Sans, Arial, sans-serif", size=13, color="#1f2937"),
        title=dict(font=dict(size=16), x=0.01, xanchor="left"),
        paper_bgcolor="white",
        plot_bgcolor="white",
        colorway=list(RUN_COLOURS),
        xaxis=dict(showgrid=True, gridcolor="#e5e7eb", linecolor="#9ca3af", zeroline=False, ticks="outside"),
        yaxis=dict(showgrid=True, gridcolor="#e5e7eb", linecolor="#9ca3af", zeroline=False, ticks="outside"),
        legend=dict(bgcolor="rgba(255,255,255,0.8)", orientation="v", yanchor="top", y=1, xanchor="left", x=1.02),
        margin=dict(l=70, r=20, t=80, b=60),
        height=HEIGHT_PX,
        hoverlabel=dict(font_size=12),
    )
)


def run_colours(runs: Sequence[DatasetMetrics]) -> dict[str, str]:
    """A stable colour per run, in the order the runs were picked."""
    return {run.name: RUN_COLOURS[i % len(RUN_COLOURS)] for i, run in enumerate(runs)}


def _figure(title: str, **layout: object) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(template=TEMPLATE, title=title, **layout)
    return figure


def gripper_closed_figure(
    training: DatasetMetrics | None, runs: Sequence[DatasetMetrics], threshold: float
) -> go.Figure:
    """Per-episode gripper-closed fraction, actions and states, training first then each run."""
    figure = _figure(
        f"Gripper closed fraction per episode (closed: gripper ≤ {threshold:.1f})",
        boxmode="group",
        yaxis=dict(title="share of the episode's frames", range=[-0.03, 1.03], tickformat=".0%"),
    )
    datasets = ([training] if training is not None else []) + list(runs)
    for column, name, colour in (
        ("closed_fraction_action", "actions", "#2563eb"),
        ("closed_fraction_state", "states", "#d97706"),
    ):
        x, y, text = [], [], []
        for dataset in datasets:
            label = _label(dataset, training)
            x += [label] * len(dataset.episodes)
            y += dataset.episodes[column].tolist()
            text += [f"episode {i}" for i in dataset.episodes["episode_index"]]
        figure.add_trace(
            go.Box(
                x=x,
                y=y,
                name=name,
                marker_color=colour,
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                text=text,
                hovertemplate="%{x} %{text}: %{y:.0%}<extra>" + name + "</extra>",
            )
        )
    return figure


def gripper_action_figure(
    training: DatasetMetrics | None, runs: Sequence[DatasetMetrics], threshold: float
) -> go.Figure:
    """Distribution of gripper action values (share of frames per 2-unit bin), with the closed threshold."""
    figure = _figure(
        "Gripper action distribution",
        xaxis=dict(title="gripper action (0 = closed, 100 = open)", range=[0, 100]),
        yaxis=dict(title="share of frames", tickformat=".0%"),
    )
    edges = histogram_edges()
    centres = (edges[:-1] + edges[1:]) / 2
    colours = run_colours(runs)
    for dataset in ([training] if training is not None else []) + list(runs):
        counts = np.asarray(dataset.gripper_action_histogram, dtype=float)
        share = counts / counts.sum() if counts.sum() else counts
        is_training = dataset is training
        figure.add_trace(
            go.Scatter(
                x=centres,
                y=share,
                mode="lines",
                line_shape="hvh",
                name=_label(dataset, training),
                line=dict(
                    color=TRAINING_COLOUR if is_training else colours[dataset.name], width=3 if is_training else 2
                ),
                fill="tozeroy" if is_training else None,
                fillcolor="rgba(107,114,128,0.15)",
                hovertemplate="%{x:.0f}: %{y:.1%}<extra>%{fullData.name}</extra>",
            )
        )
    figure.add_vline(x=threshold, line=dict(color="#111827", dash="dash"), annotation_text=f"closed ≤ {threshold:.1f}")
    return figure


def action_jumps_figure(training_jumps: Sequence[JumpStats], runs: Sequence[DatasetMetrics]) -> go.Figure:
    """Per-joint action jumps: training's p95 (bar) and max (dash) against each run's p95 (dot) and max (ring)."""
    figure = _figure(
        "Action jumps between frames, per joint (training envelope against each run)",
        scattermode="group",
        yaxis=dict(title="|a(t) − a(t−1)| per frame", rangemode="tozero"),
    )
    arm = [stats for stats in training_jumps if motor_of(stats.joint) != GRIPPER]
    motors = [motor_of(stats.joint) for stats in arm]
    figure.add_trace(
        go.Bar(
            x=motors,
            y=[s.p95 for s in arm],
            name="training p95",
            marker_color="rgba(107,114,128,0.30)",
            customdata=[s.p50 for s in arm],
            hovertemplate="%{x}: training p95 %{y:.2f} (p50 %{customdata:.2f})<extra></extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=motors,
            y=[s.max for s in arm],
            mode="markers",
            name="training max",
            marker=dict(symbol="line-ew-open", size=40, color=TRAINING_COLOUR, line=dict(width=3)),
            hovertemplate="%{x}: training max %{y:.2f}<extra></extra>",
        )
    )
    colours = run_colours(runs)
    markers = {"p95": dict(size=11), "max": dict(size=11, symbol="circle-open", line=dict(width=2))}
    for run in runs:
        for statistic, marker in markers.items():
            figure.add_trace(
                go.Scatter(
                    x=motors,
                    y=[getattr(run.jump(m), statistic) if m in run.arm_motors else None for m in motors],
                    mode="markers",
                    name=f"{run.name} {statistic}",
                    legendgroup=run.name,
                    offsetgroup=run.name,
                    marker=dict(marker, color=colours[run.name]),
                    hovertemplate=f"%{{x}}: {statistic} %{{y:.2f}}<extra>{run.name}</extra>",
                )
            )
    return figure


def unit_label(units: JointUnits) -> str:
    """The joint units as a column or axis label: °, rad, or their name where no symbol says them (range units)."""
    return units.symbol.strip() or f"{units.units} units"


def start_pose_figure(episodes: pd.DataFrame, tolerance: float | None = None, units: JointUnits = DEGREES) -> go.Figure:
    """Start-pose distance of each episode against its outcome; training episodes on their own row. The distance
    and the tolerance are in the profile's joint `units`, and labelled with them."""
    figure = _figure(
        "Start-pose distance against outcome",
        xaxis=dict(
            title=f"start-pose distance: worst arm joint from the training mean ({unit_label(units)})",
            rangemode="tozero",
        ),
        showlegend=False,
    )
    precision = ".3f" if units.units == "radians" else ".1f"
    rows = episodes.assign(row=np.where(episodes.get("is_training", False), "training", episodes["outcome"]))
    present = [name for name in ("training", *OUTCOME_ORDER) if (rows["row"] == name).any()]
    figure.update_yaxes(title="", categoryorder="array", categoryarray=list(reversed(present)))
    for row_name in ("training", *OUTCOME_ORDER):
        subset = rows[rows["row"] == row_name]
        if subset.empty:
            continue
        figure.add_trace(
            go.Box(
                x=subset["start_pose_distance_deg"],
                y=[row_name] * len(subset),
                name=row_name,
                orientation="h",
                boxpoints="all",
                jitter=0.5,
                pointpos=0,
                fillcolor="rgba(0,0,0,0)",
                line=dict(color="rgba(0,0,0,0)"),
                marker=dict(color=OUTCOME_COLOURS[row_name], size=8, opacity=0.85),
                text=[f"{d} episode {i}" for d, i in zip(subset["dataset"], subset["episode_index"])],
                hovertemplate=f"%{{text}}: %{{x:{precision}}}{units.symbol}<extra>{row_name}</extra>",
            )
        )
    if tolerance is not None:
        figure.add_vline(
            x=tolerance, line=dict(color="#111827", dash="dash"), annotation_text=f"tolerance {units.format(tolerance)}"
        )
    return figure


def _rates_figure(title: str) -> go.Figure:
    """An empty figure with a 0-100 % success-rate axis."""
    return _figure(
        title,
        yaxis=dict(title="success rate (success / judged)", range=[0, 1.08], tickformat=".0%"),
        xaxis=dict(tickangle=0, automargin=True),
        showlegend=False,
    )


def _nothing_judged(figure: go.Figure, text: str) -> go.Figure:
    figure.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    return figure


def success_rate_figure(table: pd.DataFrame) -> go.Figure:
    """Success rate per policy and chunk setting, with 95 % Wilson intervals and the counts."""
    figure = _rates_figure("Success rate per policy and chunk setting (95 % Wilson interval)")
    judged = table[(table["successes"] + table["failures"]) > 0] if not table.empty else table
    if judged.empty:
        return _nothing_judged(figure, "No judged episodes yet: tag episodes success or failure on the Deploy page.")
    rates = judged["rate"].astype(float)
    figure.add_trace(
        go.Bar(
            x=[
                f"{row.policy}<br>chunk {row.chunk_size} / {row.n_action_steps} steps, {row.inference}"
                f"<br>{row.successes} of {row.successes + row.failures} judged"
                for row in judged.itertuples()
            ],
            y=rates,
            marker_color=RUN_COLOURS[0],
            error_y=dict(
                type="data",
                symmetric=False,
                array=judged["high"] - rates,
                arrayminus=rates - judged["low"],
                color="#111827",
            ),
            text=[f"{s}/{s + f}" for s, f in zip(judged["successes"], judged["failures"])],
            textposition="none",
            customdata=np.column_stack([judged["low"], judged["high"], judged["untagged"], judged["awaiting"]]),
            hovertemplate="%{x}<br>%{y:.0%} (%{text}), 95 %% CI %{customdata[0]:.0%}–%{customdata[1]:.0%}"
            "<br>untagged %{customdata[2]}, awaiting %{customdata[3]}<extra></extra>",
        )
    )
    return figure


def condition_rates_figure(conditions: Sequence[ConditionSummary], descriptions: Sequence[str] = ()) -> go.Figure:
    """Each condition's success rate with its 95 % Wilson interval as error bars (`descriptions`: what makes each one
    that condition, under its name)."""
    figure = _rates_figure("Success rate per condition (95 % Wilson interval)")
    if not conditions:
        return _nothing_judged(figure, "No judged episodes yet: tag the episodes success or failure.")
    described = list(descriptions) + [""] * (len(conditions) - len(descriptions))
    rates = np.array([c.rate for c in conditions])
    figure.add_trace(
        go.Bar(
            x=[
                "<br>".join([c.name, *_wrapped(d), f"{c.successes} of {c.episodes} judged"])
                for c, d in zip(conditions, described)
            ],
            y=rates,
            marker_color=[RUN_COLOURS[i % len(RUN_COLOURS)] for i in range(len(conditions))],
            error_y=dict(
                type="data",
                symmetric=False,
                array=np.array([c.wilson_high for c in conditions]) - rates,
                arrayminus=rates - np.array([c.wilson_low for c in conditions]),
                color="#111827",
            ),
            text=[f"{c.successes}/{c.episodes}" for c in conditions],
            textposition="none",
            customdata=np.array([[c.wilson_low, c.wilson_high] for c in conditions]),
            hovertemplate="%{x}<br>%{y:.0%} (%{text}), 95 % CI %{customdata[0]:.0%}–%{customdata[1]:.0%}"
            "<extra></extra>",
        )
    )
    return figure


def episode_figure(
    frames: Mapping[str, np.ndarray], names: Sequence[str], title: str, closed_threshold: float | None = None
) -> go.Figure:
    """One episode over time: arm joint actions (solid) and states (dotted) above, the gripper below."""
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.06)
    figure.update_layout(
        template=TEMPLATE,
        title=f"{title} (solid: action, dotted: state)",
        height=560,
    )
    time_s = np.asarray(frames["timestamp"], dtype=float)
    for i, name in enumerate(names):
        motor = motor_of(name)
        row = 2 if motor == GRIPPER else 1
        colour = "#111827" if row == 2 else RUN_COLOURS[i % len(RUN_COLOURS)]
        figure.add_trace(
            go.Scatter(
                x=time_s, y=frames["action"][:, i], name=f"{motor} action", line=dict(color=colour), legendgroup=motor
            ),
            row=row,
            col=1,
        )
        figure.add_trace(
            go.Scatter(
                x=time_s,
                y=frames["observation.state"][:, i],
                name=f"{motor} state",
                line=dict(color=colour, dash="dot"),
                legendgroup=motor,
                showlegend=False,
            ),
            row=row,
            col=1,
        )
    if closed_threshold is not None:
        figure.add_hline(
            y=closed_threshold, line=dict(color="#dc2626", dash="dash"), row=2, col=1, annotation_text="closed below"
        )
    figure.update_yaxes(title_text="arm joints", row=1, col=1)
    figure.update_yaxes(title_text="gripper", range=[-5, 105], row=2, col=1)
    figure.update_xaxes(title_text="time in the episode (s)", row=2, col=1)
    return figure


def _wrapped(text: str, width: int = 36, lines: int = 3) -> list[str]:
    """A tick label's lines: a long description (a policy path) must not run into its neighbour's."""
    wrapped = textwrap.wrap(text, width, break_long_words=True)
    return wrapped[: lines - 1] + ["…"] if len(wrapped) > lines else wrapped


def _label(dataset: DatasetMetrics, training: DatasetMetrics | None) -> str:
    return f"training: {dataset.name}" if dataset is training else dataset.name
