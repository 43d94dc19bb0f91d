"""Copy a whole registry into an empty one (a lab's SQLite history into its PostgreSQL server), ids kept.

The source is read in one transaction and the target written in one: either every row arrives, counts
checked per table before the commit, or nothing does.
"""

from __future__ import annotations

import sqlalchemy as sa

from core.errors import RegistryError
from core.registry import database
from core.registry.schema import TABLES
from core.registry.store import Registry

BATCH_ROWS = 5000


def copy_registry(source: Registry, target_url: str) -> dict[str, int]:
    """Every row of `source` into the registry at `target_url`, which must hold none; returns rows per table."""
    target = Registry.open(target_url)
    if any(target.counts().values()):
        raise RegistryError(
            f"The target registry {target.url} already holds rows ({_counts_text(target.counts())}): copy only into "
            "an empty one, so that every id stays what the operators saw."
        )
    rows = source._read(lambda connection: {table.name: _all(connection, table) for table in TABLES})
    expected = {name: len(table_rows) for name, table_rows in rows.items()}

    def work(connection: sa.Connection) -> dict[str, int]:
        for table in TABLES:
            for start in range(0, len(rows[table.name]), BATCH_ROWS):
                connection.execute(table.insert(), rows[table.name][start : start + BATCH_ROWS])
        if connection.dialect.name == "postgresql":  # the next ids follow the copied ones
            for table in TABLES:
                connection.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                    )
                )
        copied = {
            table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in TABLES
        }
        if copied != expected:
            raise RegistryError(
                f"The copy into {target.url} does not add up (source: {_counts_text(expected)}; target: "
                f"{_counts_text(copied)}); nothing was kept. Try again; if it persists, report it."
            )
        return copied

    return database.run_transaction(target._engine(), work, write=True)


def _all(connection: sa.Connection, table: sa.Table) -> list[dict]:
    return [dict(row._mapping) for row in connection.execute(sa.select(table).order_by(table.c.id))]


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {name}" for name, count in counts.items())
