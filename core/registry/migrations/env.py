"""Alembic's entry: migrations run on the connection the registry passes in (core/registry/database.py)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection)
with context.begin_transaction():  # joins the caller's transaction: the migration commits with it or not at all
    context.run_migrations()
