"""Start-pose distances are shown in the profile's joint units: a radians training set gets "rad", never "°"."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from core.analytics.view import figures, load_analytics, summary_table
from core.training.profile import build_profile
from testkit.builders import write_dataset
from testkit.corpus import scaled
from tests.analytics.conftest import clean_episodes, training_episodes


@pytest.fixture(scope="module")
def radians(tmp_path_factory) -> tuple[Path, Path]:
    """The analytics training set and its clean deployment, recorded in radians (lerobot's use_degrees=False)."""
    root = tmp_path_factory.mktemp("radians")
    to_radians = math.pi / 180
    training = write_dataset(root / "training_rad", scaled(training_episodes(), to_radians), cameras=())
    run = write_dataset(root / "rollout_rad", scaled(clean_episodes(), to_radians), cameras=(), repo_id="local/rad")
    return training, run


def test_a_radians_profile_labels_start_pose_distances_in_radians(radians: tuple[Path, Path]) -> None:
    training, run = radians
    profile = build_profile(training, reference_frames=False)
    assert profile.joint_units.units == "radians"
    data = load_analytics(profile, [run])
    columns = list(summary_table(data).columns)
    assert "median start-pose distance (rad)" in columns and not any("°" in column for column in columns)
    start_pose = figures(data)["start_pose"]
    assert start_pose.layout.xaxis.title.text.endswith("(rad)")
    assert all(" rad<extra>" in trace.hovertemplate and "°" not in trace.hovertemplate for trace in start_pose.data)
    tolerance = start_pose.layout.annotations[0].text
    assert tolerance.startswith("tolerance ") and tolerance.endswith(" rad")
    assert float(tolerance.split()[1]) == pytest.approx(start_pose.layout.shapes[0].x0, abs=5e-4)


def test_a_degrees_profile_keeps_the_degree_sign(profile, clean_dir: Path) -> None:
    data = load_analytics(profile, [clean_dir])
    assert "median start-pose distance (°)" in summary_table(data).columns
    start_pose = figures(data)["start_pose"]
    assert start_pose.layout.xaxis.title.text.endswith("(°)")
    assert start_pose.layout.annotations[0].text.endswith("°")
