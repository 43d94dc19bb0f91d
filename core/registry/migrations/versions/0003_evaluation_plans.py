"""Evaluation plans: a plan's conditions and its balanced order of slots, each slot filled by one kept episode."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("station", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("episodes_per_condition", sa.Integer, nullable=False),
        sa.Column("conditions_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("ended_at", sa.Text),
    )
    op.create_table(
        "plan_slots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("condition", sa.Integer, nullable=False),
        sa.Column("pair", sa.Integer, nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("episode_id", sa.Integer, sa.ForeignKey("episodes.id"), unique=True),
        sa.UniqueConstraint("plan_id", "position"),
    )
    op.create_index("plans_by_station", "plans", ["station"])
