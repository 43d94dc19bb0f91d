"""The schema of the raw-sqlite3 registry (its PRAGMA user_version 1): policies, runs, episodes, tags, events.

A file made by that code is stamped with this revision instead of running it (database.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

APPEND_ONLY = "tags are append-only: add a new tag instead"


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("weights_sha256", sa.Text, nullable=False),
        sa.Column("policy_type", sa.Text, nullable=False),
        sa.Column("registered_at", sa.Text, nullable=False),
        sa.UniqueConstraint("path", "weights_sha256"),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("policy_id", sa.Integer, sa.ForeignKey("policies.id"), nullable=False),
        sa.Column("station", sa.Text, nullable=False),
        sa.Column("dataset_root", sa.Text, nullable=False),
        sa.Column("task", sa.Text, nullable=False),
        sa.Column("task_override", sa.Integer, nullable=False),
        sa.Column("chunk_size", sa.Integer, nullable=False),
        sa.Column("n_action_steps", sa.Integer, nullable=False),
        sa.Column("inference", sa.Text, nullable=False),
        sa.Column("rtc_execution_horizon", sa.Integer),
        sa.Column("camera_mapping_json", sa.Text, nullable=False),
        sa.Column("rename_map_json", sa.Text, nullable=False),
        sa.Column("fps", sa.Float, nullable=False),
        sa.Column("training_profile", sa.Text),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.CheckConstraint("task_override IN (0, 1)"),
        sa.CheckConstraint("inference IN ('sync', 'rtc')"),
    )
    op.create_table(
        "episodes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("dataset_root", sa.Text, nullable=False),
        sa.Column("episode_index", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("abort_reason", sa.Text),
        sa.Column("start_pose_distance_deg", sa.Float),
        sa.Column("start_pose_deltas_deg_json", sa.Text, nullable=False),
        sa.Column("length_frames", sa.Integer, nullable=False),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.Column("ended_at", sa.Text),
        sa.CheckConstraint("status IN ('recorded', 'aborted', 'discarded')"),
        sa.CheckConstraint("(status = 'aborted') = (abort_reason IS NOT NULL)"),
    )
    # A discarded episode left no frames, so its index is used again by the next episode.
    kept = sa.text("status != 'discarded'")
    op.create_index(
        "episodes_in_dataset",
        "episodes",
        ["dataset_root", "episode_index"],
        unique=True,
        sqlite_where=kept,
        postgresql_where=kept,
    )
    op.create_index("episodes_of_run", "episodes", ["run_id"])
    # Append-only: every decision and every later edit is a new row; the latest row per episode is its tag.
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("episode_id", sa.Integer, sa.ForeignKey("episodes.id"), nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("score", sa.Integer),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("tagged_at", sa.Text, nullable=False),
        sa.CheckConstraint("outcome IN ('success', 'failure', 'untagged')"),
        sa.CheckConstraint("score BETWEEN 0 AND 100"),
    )
    op.create_index("tags_of_episode", "tags", ["episode_id", "id"])
    if op.get_bind().dialect.name == "sqlite":
        for action in ("update", "delete"):
            op.execute(
                f"CREATE TRIGGER tags_are_append_only_{action} BEFORE {action.upper()} ON tags "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION tags_are_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER tags_are_append_only BEFORE UPDATE OR DELETE ON tags "
            "FOR EACH ROW EXECUTE FUNCTION tags_are_append_only()"
        )
        op.execute(
            "CREATE TRIGGER tags_are_append_only_truncate BEFORE TRUNCATE ON tags "
            "FOR EACH STATEMENT EXECUTE FUNCTION tags_are_append_only()"
        )
    op.execute(
        "CREATE VIEW latest_tags AS SELECT * FROM tags t "
        "WHERE t.id = (SELECT MAX(id) FROM tags WHERE episode_id = t.episode_id)"
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("station", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id")),
        sa.Column("logged_at", sa.Text, nullable=False),
    )
    op.create_index("events_by_station", "events", ["station", "id"])
