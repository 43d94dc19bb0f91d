"""Analytics and spreadsheets read the registry as one row per episode; the columns are a documented contract."""

from __future__ import annotations

import csv
import io
import re

from core.registry import CSV_COLUMNS
from core.workspace import REPO_ROOT


def test_csv_has_one_row_per_episode_with_settings_recording_and_tag(registry, run, record, tmp_path):
    tagged = record(0, start_pose_distance_deg=12.5, start_pose_deltas_deg={"shoulder_lift": 12.5, "gripper": 40.0})
    registry.tag_episode(tagged.id, "success", score=85, note='grasped, "slow"')
    record(1, status="aborted", abort_reason="camera wrist lost")

    out = tmp_path / "exports" / "episodes.csv"
    assert registry.export_csv(out) == 2
    with out.open(newline="") as stream:
        reader = csv.DictReader(stream)
        assert tuple(reader.fieldnames) == CSV_COLUMNS
        first, second = list(reader)

    assert first["policy_path"].endswith("act_brain/checkpoints/005000/pretrained_model")
    assert len(first["weights_sha256"]) == 64 and first["policy_type"] == "act"
    assert (first["dataset_root"], first["episode_index"]) == (run.dataset_root, "0")
    assert (
        first["task"],
        first["task_override"],
        first["chunk_size"],
        first["n_action_steps"],
        first["inference"],
    ) == ("Grab the brain", "false", "10", "5", "sync")
    assert first["camera_mapping"] == '{"front": "/dev/video2", "wrist": "/dev/video0"}'
    assert (first["start_pose_distance_deg"], first["status"], first["abort_reason"]) == ("12.5", "recorded", "")
    assert (first["outcome"], first["score"], first["note"]) == ("success", "85", 'grasped, "slow"')
    assert first["tagged_at"].endswith("+00:00")
    assert (second["status"], second["abort_reason"], second["outcome"], second["tagged_at"]) == (
        "aborted",
        "camera wrist lost",
        "",
        "",
    )


def test_csv_export_filters_by_station_and_writes_to_an_open_file(registry, record):
    record(0)
    buffer = io.StringIO()
    assert registry.export_csv(buffer, station="another-arm") == 0
    assert buffer.getvalue().strip() == ",".join(CSV_COLUMNS)


def test_the_registry_doc_documents_every_csv_column():
    doc = (REPO_ROOT / "docs" / "registry.md").read_text()
    section = doc.split("## CSV export", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(\w+)`", section, flags=re.MULTILINE))
    assert documented == set(CSV_COLUMNS)
