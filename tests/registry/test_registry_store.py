"""What the Deploy page and the operator rely on: decisions are kept, edits keep history, nothing awaits silently."""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3

import pandas
import pytest
import sqlalchemy as sa

from core.analytics.runs import join_registry, success_table
from core.errors import CheckpointError, RegistryError
from core.registry import HEAD_REVISION, Registry, weights_sha256


def test_tags_survive_closing_and_reopening(registry, db_url, record):
    episode = record(0, start_pose_distance_deg=4.5, start_pose_deltas_deg={"shoulder_pan": 4.5, "gripper": -30.0})
    registry.tag_episode(episode.id, "success", score=80, note="clean grasp")
    del registry

    (row,) = Registry.open(db_url).episode_rows()
    assert (row.outcome, row.score, row.note) == ("success", 80, "clean grasp")
    assert row.episode_id == episode.id
    same = [field.name for field in dataclasses.fields(episode) if field.name != "id"]
    assert [getattr(row, name) for name in same] == [getattr(episode, name) for name in same]


def test_editing_a_tag_keeps_every_earlier_decision(registry, record):
    episode = record(0)
    registry.tag_episode(episode.id, "success", score=90, note="looked fine")
    registry.tag_episode(episode.id, "failure", score=20, note="replay: bin missed")

    assert registry.episode_rows()[0].outcome == "failure"
    history = registry.tag_history(episode.id)
    assert [(t.outcome, t.score, t.note) for t in history] == [
        ("success", 90, "looked fine"),
        ("failure", 20, "replay: bin missed"),
    ]
    assert history[0].tagged_at <= history[1].tagged_at


def test_tags_cannot_be_overwritten_even_with_sql(registry, db_url, record):
    episode = record(0)
    registry.tag_episode(episode.id, "success")
    engine = sa.create_engine(db_url)
    statements = ["UPDATE tags SET outcome = 'failure'", "DELETE FROM tags"]
    if registry.backend == "postgresql":
        statements.append("TRUNCATE tags")
    for statement in statements:
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as connection:
            connection.exec_driver_sql(statement)
    engine.dispose()
    assert registry.episode_rows()[0].outcome == "success"


@pytest.mark.parametrize("score", [-1, 101, 50.5, True, "80"])
def test_a_score_outside_0_to_100_is_refused_and_nothing_is_written(registry, record, score):
    episode = record(0)
    with pytest.raises(RegistryError, match="0 to 100"):
        registry.tag_episode(episode.id, "success", score=score)
    assert registry.tag_history(episode.id) == []


def test_scores_at_the_ends_of_the_range_and_no_score_are_accepted(registry, record):
    episode = record(0)
    assert registry.tag_episode(episode.id, "success", score=0).score == 0
    assert registry.tag_episode(episode.id, "success", score=100).score == 100
    assert registry.tag_episode(episode.id, "failure").score is None


def test_an_unknown_outcome_or_episode_is_refused(registry, record):
    episode = record(0)
    with pytest.raises(RegistryError, match="success, failure, untagged"):
        registry.tag_episode(episode.id, "maybe")
    with pytest.raises(RegistryError, match="no episode 999"):
        registry.tag_episode(999, "success")


def test_untagged_episodes_are_those_awaiting_a_decision(registry, run, record):
    awaiting = record(0)
    aborted = record(1, status="aborted", abort_reason="camera wrist lost")
    explicitly_untagged = record(2)
    decided = record(3)
    record(3, status="discarded")  # re-recorded: no frames kept, nothing to decide
    registry.tag_episode(explicitly_untagged.id, "untagged", note="operator unsure")
    registry.tag_episode(decided.id, "failure")

    assert [e.id for e in registry.untagged_episodes()] == [awaiting.id, aborted.id]
    assert [e.id for e in registry.untagged_episodes(station=run.station, run_id=run.id)] == [awaiting.id, aborted.id]
    assert registry.untagged_episodes(station="another-arm") == []


def test_an_aborted_episode_keeps_its_frames_and_reason(registry, record):
    stopped = record(0, status="aborted", abort_reason="NaN in action", start_pose_distance_deg=2.0)
    assert (stopped.status, stopped.abort_reason, stopped.length_frames) == ("aborted", "NaN in action", 90)

    with pytest.raises(RegistryError, match="abort_reason"):
        record(1, status="aborted")
    with pytest.raises(RegistryError, match="abort_reason"):
        record(2, status="aborted", abort_reason="")
    with pytest.raises(RegistryError, match="abort_reason"):
        record(3, abort_reason="camera wrist lost")


def test_an_episode_index_names_one_kept_episode(registry, record):
    record(0, status="discarded")
    kept = record(0)
    with pytest.raises(RegistryError, match="already in the registry"):
        record(0)
    assert [(row.episode_id, row.status) for row in registry.episode_rows()][1:] == [(kept.id, "recorded")]


def test_register_policy_is_idempotent_and_new_weights_make_a_new_policy(registry, checkpoint, make_checkpoint):
    first = registry.register_policy(checkpoint)
    assert registry.register_policy(checkpoint) == first
    assert first.policy_type == "act"
    assert first.weights_sha256 == hashlib.sha256((checkpoint / "model.safetensors").read_bytes()).hexdigest()

    make_checkpoint(checkpoint, seed=1)  # retrained into the same folder
    second = registry.register_policy(checkpoint)
    assert second.id != first.id and second.weights_sha256 != first.weights_sha256
    kept = registry.start_run(
        first.id,
        station="arm-1",
        dataset_root=checkpoint.parent / "rollout",
        task="t",
        chunk_size=1,
        n_action_steps=1,
        fps=30,
        camera_mapping={},
    )  # the first weights are still a policy
    registry.record_episode(kept.id, kept.dataset_root, 0, length_frames=1, started_at=kept.started_at)
    (row,) = registry.episode_rows()
    assert (row.policy_id, row.policy_path, row.weights_sha256) == (first.id, first.path, first.weights_sha256)
    assert row.policy_type == "act"


def test_a_folder_without_weights_is_refused_with_a_hint(tmp_path):
    with pytest.raises(CheckpointError, match="pretrained_model"):
        weights_sha256(tmp_path)


def test_a_run_keeps_its_settings(registry, checkpoint, tmp_path):
    policy = registry.register_policy(checkpoint)
    run = registry.start_run(
        policy.id,
        station="arm-2",
        dataset_root=tmp_path / "recordings" / "rollout_rtc",
        task="Grab the brain",
        task_override=True,
        chunk_size=50,
        n_action_steps=25,
        inference="rtc",
        rtc_execution_horizon=10,
        fps=30,
        camera_mapping={"front": "/dev/video0", "wrist": "/dev/video2"},
        rename_map={"observation.images.front": "observation.images.camera1"},
        training_profile="brain_v3",
    )
    registry.record_episode(run.id, run.dataset_root, 0, length_frames=1, started_at=run.started_at)
    (row,) = registry.episode_rows()
    assert row.run_id == run.id and row.dataset_root == run.dataset_root
    shared = [field.name for field in dataclasses.fields(run) if field.name not in ("id", "dataset_root", "started_at")]
    assert [getattr(row, name) for name in shared] == [getattr(run, name) for name in shared]
    assert (run.inference, run.rtc_execution_horizon, run.task_override) == ("rtc", 10, True)
    assert run.camera_mapping == {"front": "/dev/video0", "wrist": "/dev/video2"}

    with pytest.raises(RegistryError, match="sync, rtc"):
        registry.start_run(
            policy.id,
            station="arm-2",
            dataset_root=tmp_path,
            task="t",
            chunk_size=1,
            n_action_steps=1,
            fps=30,
            camera_mapping={},
            inference="async",
        )
    with pytest.raises(RegistryError, match="no policy 42"):
        registry.start_run(
            42,
            station="arm-2",
            dataset_root=tmp_path,
            task="t",
            chunk_size=1,
            n_action_steps=1,
            fps=30,
            camera_mapping={},
        )


def test_events_are_kept_in_order(registry, run):
    registry.log_event("arm-1", "camera_mapping_changed", {"front": "/dev/video0", "wrist": "/dev/video2"})
    payload = {"task": "Grab the brain", "closest_training_task": "Grasp a brain"}
    override = registry.log_event("arm-1", "task_override", payload, run_id=run.id)
    registry.log_event("arm-2", "emergency_stop", {"page": "Deploy"})

    assert (override.station, override.kind, override.run_id) == ("arm-1", "task_override", run.id)
    assert override.payload["closest_training_task"] == "Grasp a brain"
    kept = [(event.station, event.kind, event.run_id) for event in registry.events()]
    assert kept == [
        ("arm-1", "camera_mapping_changed", None),
        ("arm-1", "task_override", run.id),
        ("arm-2", "emergency_stop", None),
    ]


def test_success_rates_group_by_policy_and_chunk_settings(registry, run, record, tmp_path):
    for index, outcome in enumerate(["success", "success", "failure", "untagged", None]):
        episode = record(index)
        if outcome:
            registry.tag_episode(episode.id, outcome)
    registry.tag_episode(record(5, status="aborted", abort_reason="e-stop").id, "failure")
    record(6, status="discarded")
    other = registry.start_run(
        run.policy_id,
        station="arm-1",
        dataset_root=tmp_path / "rollout_b",
        task="Grab the brain",
        chunk_size=10,
        n_action_steps=1,
        fps=30,
        camera_mapping={},
    )
    registry.tag_episode(
        registry.record_episode(other.id, other.dataset_root, 0, length_frames=9, started_at=run.started_at).id,
        "success",
    )

    rows = registry.episode_rows()
    recorded = pandas.DataFrame(
        {
            "dataset_root": [r.dataset_root for r in rows if r.status != "discarded"],
            "episode_index": [r.episode_index for r in rows if r.status != "discarded"],
        }
    )
    joined = join_registry(recorded, rows)
    assert list(joined.loc[joined["status"] == "aborted", "outcome"]) == ["failure"]
    counts = {(c["chunk_size"], c["n_action_steps"]): c for c in success_table(joined).to_dict("records")}
    five = counts[(10, 5)]
    assert [five[name] for name in ("episodes", "successes", "failures", "untagged", "awaiting")] == [6, 2, 2, 1, 1]
    assert five["rate"] == 0.5
    assert (counts[(10, 1)]["successes"], counts[(10, 1)]["rate"]) == (1, 1.0)


def test_an_unsupported_database_url_says_what_to_use(tmp_path):
    with pytest.raises(RegistryError) as error:
        Registry.open("mysql://lab-server/preflight")
    message = str(error.value)
    assert "sqlite:////absolute/path.sqlite" in message and "postgresql+psycopg://" in message
    assert "one computer" in message and "NFS" in message and "PostgreSQL" in message
    with pytest.raises(RegistryError, match="names no file"):
        Registry.open("sqlite://")
    with pytest.raises(RegistryError, match="names no file"):
        Registry.open("sqlite:///:memory:")
    with pytest.raises(RegistryError, match="names no database"):
        Registry.open("postgresql+psycopg://station@lab-server")


def test_the_default_database_is_in_the_workspace_unless_the_url_is_set(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFLIGHT_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.delenv("PREFLIGHT_DATABASE_URL", raising=False)
    assert Registry.open().path == tmp_path / "ws" / "registry.sqlite"

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PREFLIGHT_DATABASE_URL", "sqlite:///shared/lab.sqlite")
    registry = Registry.open()
    assert registry.path == tmp_path / "shared" / "lab.sqlite" and registry.path.is_file()
    assert registry.url == f"sqlite:///{tmp_path}/shared/lab.sqlite"


def test_an_sqlite_file_is_in_wal_mode_at_the_newest_revision(sqlite_url):
    registry = Registry.open(sqlite_url)
    connection = sqlite3.connect(registry.path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("SELECT version_num FROM alembic_version").fetchone()[0] == HEAD_REVISION
    connection.close()


def test_a_newer_or_foreign_file_is_refused_with_a_clear_message(tmp_path):
    newer = tmp_path / "newer.sqlite"
    connection = sqlite3.connect(newer)
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    with pytest.raises(RegistryError, match="newer than this Preflight"):
        Registry.open(f"sqlite:///{newer}")

    foreign = tmp_path / "notes.sqlite"
    foreign.write_text("these are notes, not a database" * 100)
    with pytest.raises(RegistryError, match="not an SQLite database"):
        Registry.open(f"sqlite:///{foreign}")
