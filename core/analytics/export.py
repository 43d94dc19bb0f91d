"""Sharing: a figure as PNG (kaleido on the system chromium) and the whole view as one self-contained HTML file.

kaleido 1.5 finds Debian's chromium on PATH by itself, offline; the first image of a process
starts a persistent kaleido server (`kaleido.start_sync_server`), which makes each later export
about a second instead of four. `get_chrome` is never called: it would download a browser.

The HTML report needs nothing but a browser: plotly.js is inlined once, frames are base64 JPEGs,
and it carries the run's metadata (policy path and weights hash, settings, training profile,
diagnosis findings) next to the figures.
"""

from __future__ import annotations

import base64
import html
import json
import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import plotly.graph_objects as go

from core.analytics.compare_view import (
    ComparisonView,
    agreement_table,
    conditions_table,
    rates_figure,
    statistics_table,
)
from core.analytics.diagnosis import Diagnosis, no_findings_sentence
from core.analytics.figures import HEIGHT_PX, WIDTH_PX
from core.analytics.provenance import Provenance, provenance_of
from core.analytics.view import FIGURE_TITLES, AnalyticsData, run_settings, summary_table
from core.errors import PreflightError
from core.training.profile_summary import format_profile

PNG_SCALE = 2
_server_lock = threading.Lock()
_server_started = False


def modebar_config(filename: str) -> dict[str, object]:
    """`st.plotly_chart` config: the camera button saves the same PNG the server would (size and scale)."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {
            "format": "png",
            "scale": PNG_SCALE,
            "filename": filename,
            "width": WIDTH_PX,
            "height": None,
        },
    }


def figure_png(figure: go.Figure, scale: int = PNG_SCALE) -> bytes:
    """The figure as PNG bytes, rendered by kaleido in the system chromium."""
    global _server_started
    import kaleido

    height = figure.layout.height or HEIGHT_PX
    with _server_lock:
        try:
            if not _server_started:
                kaleido.start_sync_server(silence_warnings=True)
                _server_started = True
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # plotly warns that kopts are ignored by a running server
                return figure.to_image(format="png", width=WIDTH_PX, height=height, scale=scale)
        except Exception as error:  # kaleido raises its own and chromium's errors; all mean "no image"
            raise PreflightError(
                f"Server-side PNG export failed ({type(error).__name__}: {error}). It needs Debian's chromium (apt-get "
                "install chromium). The camera icon in the figure's toolbar saves the same PNG from the browser."
            ) from error


@dataclass(frozen=True)
class ReportFrame:
    caption: str
    jpeg: bytes


def report_html(
    data: AnalyticsData,
    figures: Mapping[str, go.Figure],
    *,
    diagnoses: Mapping[str, Diagnosis] | None = None,
    frames: Sequence[ReportFrame] = (),
    title: str = "Preflight analytics",
    generated_at: datetime | None = None,
    provenance: Provenance | None = None,
    comparison: ComparisonView | None = None,
) -> str:
    """One self-contained HTML document: metadata and provenance, findings, the comparison (when one is given),
    summary, figures and frames."""
    from plotly.offline import get_plotlyjs

    generated_at = generated_at or datetime.now(UTC)
    provenance = provenance or provenance_of(
        [d.root for d in ([data.training] if data.training is not None else []) + list(data.runs)]
    )
    sections = [
        f"<h1>{_e(title)}</h1>",
        f"<p class='meta'>Generated {generated_at.isoformat(timespec='seconds')} · training profile "
        f"<code>{_e(data.profile.name)}</code> · {len(data.runs)} deployment run(s)</p>",
        f"<p class='meta provenance'>Data sha256 <code>{_e(provenance.data_sha256)}</code> · Preflight "
        f"{_e(provenance.preflight_version)} · lerobot {_e(provenance.lerobot_version)}</p>",
        "<h2>Deployment runs</h2>",
        _runs_section(data),
        "<h2>Diagnosis</h2>",
        _diagnosis_section(diagnoses or {}),
        *([_comparison_section(comparison)] if comparison is not None else []),
        "<h2>Summary</h2>",
        summary_table(data).to_html(
            index=False, float_format=lambda v: f"{v:.3g}", na_rep="", classes="summary", border=0
        ),
        "<h2>Figures</h2>",
    ]
    for key, figure in figures.items():
        heading = FIGURE_TITLES.get(key) or figure.layout.title.text or key
        sections.append(f"<section class='figure' id='figure-{_e(key)}'><h3>{_e(heading)}</h3>")
        sections.append(
            figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"plot-{key}", default_width="100%")
        )
        sections.append("</section>")
    if frames:
        sections.append("<h2>Frames</h2><div class='frames'>")
        for frame in frames:
            data_url = "data:image/jpeg;base64," + base64.b64encode(frame.jpeg).decode("ascii")
            sections.append(
                f"<figure><img src='{data_url}' "
                f"alt='{_e(frame.caption)}'><figcaption>{_e(frame.caption)}</figcaption></figure>"
            )
        sections.append("</div>")
    sections += [
        "<h2>Training profile</h2>",
        f"<pre>{_e(format_profile(data.profile))}</pre>",
        _reference_frames(data),
    ]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_e(title)}</title><style>{_STYLE}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        + "\n".join(sections)
        + "</body></html>"
    )


def _runs_section(data: AnalyticsData) -> str:
    if not data.runs:
        return "<p>No deployment run was selected.</p>"
    rows = []
    for entry in run_settings(data):
        cells = "".join(f"<tr><th>{_e(k)}</th><td>{_e(_text(v))}</td></tr>" for k, v in entry.items() if k != "run")
        rows.append(f"<h3>{_e(str(entry['run']))}</h3><table class='settings'>{cells}</table>")
    return "\n".join(rows)


def _diagnosis_section(diagnoses: Mapping[str, Diagnosis]) -> str:
    if not diagnoses:
        return "<p>Not run for this report.</p>"
    parts = []
    for run, diagnosis in diagnoses.items():
        parts.append(f"<h3>{_e(run)}</h3>")
        if not diagnosis.findings:
            parts.append(f"<p>{_e(no_findings_sentence(diagnosis))}</p>")
        for finding in diagnosis.findings:
            parts.append(
                f"<div class='finding {finding.severity}'><b>[{finding.severity}] {_e(finding.id)}</b>: "
                f"{_e(finding.title)}<br>Evidence: {_e(finding.evidence.sentence)}<br>Fix: {_e(finding.fix)}</div>"
            )
        parts.append(f"<p class='meta checks-run'>Checks run: {_e(', '.join(diagnosis.checked) or 'none')}</p>")
        if diagnosis.skipped:
            parts.append(
                "<p class='meta'>Not checked: "
                + "; ".join(f"{_e(s.id)} ({_e(s.reason)})" for s in diagnosis.skipped)
                + "</p>"
            )
    return "\n".join(parts)


def _comparison_section(view: ComparisonView) -> str:
    table = {"index": False, "border": 0, "classes": "comparison"}
    parts = [
        f"<section id='comparison'><h2>Comparison: {_e(view.title)}</h2>",
        conditions_table(view).to_html(**table),
    ]
    for item in view.comparisons:
        parts.append(f"<h3>{_e(item.label_b)} against {_e(item.label_a)}</h3>")
        if item.comparison is None:
            parts.append(f"<p>{_e(item.note)}</p>")
            continue
        parts.append(statistics_table(item).to_html(**table))
        parts.append(f"<p class='verdict'><b>{_e(item.comparison.verdict)}</b></p><p class='meta'>{_e(item.note)}</p>")
        pairs = agreement_table(item)
        if pairs is not None:
            parts.append(pairs.to_html(**table))
    parts.append(
        rates_figure(view).to_html(
            full_html=False, include_plotlyjs=False, div_id="plot-comparison", default_width="100%"
        )
    )
    parts.append("</section>")
    return "\n".join(parts)


def _reference_frames(data: AnalyticsData) -> str:
    images = [
        f"<figure><img src='data:image/jpeg;base64,{frame.jpeg_b64}' alt='training {camera.name}'>"
        f"<figcaption>training {_e(camera.name)}, episode {frame.episode_index}</figcaption></figure>"
        for camera in data.profile.cameras
        for frame in camera.reference_frames
    ]
    return "<h3>Training reference frames</h3><div class='frames'>" + "".join(images) + "</div>" if images else ""


def _text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


_STYLE = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; margin: 2em auto; max-width: 1100px; color: #1f2937; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #e5e7eb; padding-bottom: 0.2em; margin-top: 1.6em; }
.meta { color: #6b7280; } pre { background: #f9fafb; padding: 1em; overflow-x: auto; font-size: 12px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 3px 8px; border-bottom: 1px solid #e5e7eb; text-align: left; }
.finding { padding: 0.6em 0.8em; margin: 0.5em 0; border-left: 4px solid #9ca3af; background: #f9fafb; }
.finding.critical { border-color: #dc2626; } .finding.warning { border-color: #f59e0b; }
.finding.info { border-color: #2563eb; }
.frames { display: flex; flex-wrap: wrap; gap: 12px; } figure { margin: 0; }
figure img { max-width: 320px; display: block; }
figcaption { font-size: 12px; color: #6b7280; }
"""
