"""The registry: which policy ran with which settings, what it recorded, and what the operator decided.

SQLAlchemy Core on SQLite (`sqlite:///relative.sqlite`, `sqlite:////absolute.sqlite`; default
$PREFLIGHT_DATABASE_URL, else `registry.sqlite` in the workspace) or PostgreSQL
(`postgresql+psycopg://...`, one registry for a lab), schema through Alembic, safe for several
stations and the app writing at once; a station's spool queues its writes while the database is away.
See docs/registry.md.
May import: the loose modules only; every other package may import it. Record types beyond those re-exported
here are in core.registry.records.
"""

from core.registry.database import (
    DATABASE_URL_ENV,
    HEAD_REVISION,
    MaskPasswords,
    RegistryUnavailable,
    default_database_url,
    mask_passwords,
    mask_passwords_in_logs,
)
from core.registry.records import (
    OUTCOMES,
    EpisodeRecord,
    EpisodeRow,
    PlanRecord,
    PlanSlot,
    QueuedWrite,
    RunRecord,
)
from core.registry.store import CSV_COLUMNS, SHARED_RECORDINGS_ENV, Registry, dataset_location
from core.registry.weights import weights_sha256

__all__ = [
    "CSV_COLUMNS",
    "DATABASE_URL_ENV",
    "OUTCOMES",
    "HEAD_REVISION",
    "SHARED_RECORDINGS_ENV",
    "EpisodeRecord",
    "EpisodeRow",
    "PlanRecord",
    "PlanSlot",
    "QueuedWrite",
    "Registry",
    "RegistryUnavailable",
    "RunRecord",
    "dataset_location",
    "default_database_url",
    "mask_passwords",
    "mask_passwords_in_logs",
    "MaskPasswords",
    "weights_sha256",
]
