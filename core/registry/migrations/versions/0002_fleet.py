"""A lab with many arms: each run names the computer that made it and where its dataset lies in the shared
recordings folder; runs are looked up by station and computer.

Runs kept before this revision were made on the computer that upgrades the file (an SQLite registry is
shared only on one computer), so they are given its host name.
"""

import socket

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("runs") as runs:
        runs.add_column(sa.Column("computer", sa.Text, nullable=False, server_default=""))
        runs.add_column(sa.Column("dataset_shared", sa.Text))
    op.execute(sa.text("UPDATE runs SET computer = :host").bindparams(host=socket.gethostname()))
    op.create_index("runs_by_station", "runs", ["station", "computer"])
