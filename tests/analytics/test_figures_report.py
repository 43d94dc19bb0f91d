"""Figures plot the metrics they are given; the report is one self-contained HTML file with the run's metadata."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.analytics.diagnosis import Diagnosis, camera_views, diagnose
from core.analytics.export import PNG_SCALE, ReportFrame, modebar_config, report_html
from core.analytics.figures import WIDTH_PX
from core.analytics.stats import wilson_interval
from core.analytics.view import FIGURE_TITLES, figures, load_analytics, run_settings, summary_table
from core.registry import Registry
from core.registry.weights import weights_sha256
from core.training.dataset_files import open_dataset
from core.training.profile import TrainingProfile
from core.training.video_frames import to_jpeg
from testkit.builders import camera_image
from tests.analytics.conftest import prepare_workspace


@pytest.fixture
def data(tmp_path: Path, training_dir: Path, clean_dir: Path, fault_dirs: dict[str, Path], sane_checkpoint: Path):
    root = prepare_workspace(
        tmp_path / "workspace",
        training_dir,
        {"rollout_clean": clean_dir, "rollout_jumpy": fault_dirs["action_jumps"]},
        sane_checkpoint,
    )
    profile = TrainingProfile.load(next((root / "profiles").glob("*/profile.json")))
    rows = Registry.open(f"sqlite:///{root / 'registry.sqlite'}").episode_rows()
    return load_analytics(profile, [root / "recordings" / "rollout_clean", root / "recordings" / "rollout_jumpy"], rows)


def test_figures_show_the_metrics(data) -> None:
    charts = figures(data)
    assert list(charts) == list(FIGURE_TITLES)
    jumps = {trace.name: trace for trace in charts["action_jumps"].data}
    assert list(jumps["training p95"].y) == pytest.approx([1.0, 2.0, 3.0, 4.0, 5.0])
    assert jumps["rollout_jumpy p95"].y[0] == 13.0 and jumps["rollout_clean p95"].y[0] == 1.0
    closed = {trace.name: trace for trace in charts["gripper_closed"].data}
    assert len(closed["actions"].y) == 6 + 3 + 3  # every episode of training and both runs
    bars = charts["success_rate"].data[0]
    low, high = wilson_interval(1, 2)
    assert list(bars.y) == [0.5, 0.5] and bars.error_y.array[0] == pytest.approx(high - 0.5)
    assert charts["success_rate"].layout.template.layout.font.family.startswith(
        "DejaVu Sans"
    )  # pinned, not the default


def test_summary_and_run_settings(data, sane_checkpoint: Path) -> None:
    summary = summary_table(data).set_index("dataset")
    assert summary.loc["rollout_jumpy", "worst jump p95 / training"] == 13.0
    assert summary.loc["rollout_clean", "success / judged"] == "1/2"
    settings = {entry["run"]: entry for entry in run_settings(data)}
    assert settings["rollout_jumpy"]["weights_sha256"] == weights_sha256(sane_checkpoint)
    assert settings["rollout_jumpy"]["n_action_steps"] == "6"


def test_report_is_self_contained_with_metadata_and_findings(data, sane_checkpoint: Path) -> None:
    jumpy = data.runs[1]
    found: Diagnosis = diagnose(
        data.profile, jumpy, training=data.training, views=camera_views(open_dataset(jumpy.root))
    )
    frame = ReportFrame("front at 0.0 s", to_jpeg(camera_image("front", 0, 0)))
    report = report_html(data, figures(data), diagnoses={jumpy.name: found}, frames=[frame])
    assert not re.search(r"<script[^>]+src=", report) and not re.search(r"<link[^>]+href=", report)
    for key in FIGURE_TITLES:
        assert f'id="plot-{key}"' in report
    assert str(sane_checkpoint.resolve()) in report and weights_sha256(sane_checkpoint) in report
    assert "[critical] action_jumps" in report and "Fix:" in report
    assert (
        "alt='front at 0.0 s'" in report and report.count("data:image/jpeg;base64,") >= 1 + 8
    )  # + training references
    assert data.profile.name in report and "Grab the brain" in report


def test_modebar_png_matches_the_server_export() -> None:
    options = modebar_config("gripper_closed")["toImageButtonOptions"]
    assert (options["format"], options["scale"], options["width"]) == ("png", PNG_SCALE, WIDTH_PX)
