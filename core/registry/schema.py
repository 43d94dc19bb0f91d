"""The registry's tables at the newest migration, as SQLAlchemy Core tables the store queries.

The schema itself is made by the Alembic migrations in migrations/versions; a test checks the two agree.
"""

import sqlalchemy as sa

metadata = sa.MetaData()

policies = sa.Table(
    "policies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("weights_sha256", sa.Text, nullable=False),
    sa.Column("policy_type", sa.Text, nullable=False),
    sa.Column("registered_at", sa.Text, nullable=False),
    sa.UniqueConstraint("path", "weights_sha256"),
)

runs = sa.Table(
    "runs",
    metadata,
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
    sa.Column("computer", sa.Text, nullable=False),
    sa.Column("dataset_shared", sa.Text),  # the dataset's path inside the lab's shared recordings folder
)

episodes = sa.Table(
    "episodes",
    metadata,
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
)

tags = sa.Table(
    "tags",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("episode_id", sa.Integer, sa.ForeignKey("episodes.id"), nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("score", sa.Integer),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("tagged_at", sa.Text, nullable=False),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("station", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("payload_json", sa.Text, nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id")),
    sa.Column("logged_at", sa.Text, nullable=False),
)

plans = sa.Table(
    "plans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("station", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("episodes_per_condition", sa.Integer, nullable=False),
    sa.Column("conditions_json", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("ended_at", sa.Text),
)

plan_slots = sa.Table(
    "plan_slots",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("condition", sa.Integer, nullable=False),
    sa.Column("pair", sa.Integer, nullable=False),
    sa.Column("seed", sa.Integer, nullable=False),
    sa.Column("episode_id", sa.Integer, sa.ForeignKey("episodes.id"), unique=True),
    sa.UniqueConstraint("plan_id", "position"),
)

TABLES: tuple[sa.Table, ...] = (
    policies,
    runs,
    episodes,
    tags,
    events,
    plans,
    plan_slots,
)  # in an order that keeps foreign keys valid
