"""The registry: which policy ran with which settings, what it recorded, and what the operator decided.

SQLAlchemy Core on SQLite (`sqlite:///relative.sqlite`, `sqlite:////absolute.sqlite`; default
$PREFLIGHT_DATABASE_URL, else `registry.sqlite` in the workspace) or PostgreSQL
(`postgresql+psycopg://...`, one registry for a lab), schema through Alembic, safe for several
stations and the app writing at once; a station's spool queues its writes while the database is away.
See docs/registry.md.
May import: the loose modules only; every other package may import it.
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
    EPISODE_STATUSES,
    INFERENCE_MODES,
    OUTCOMES,
    EpisodeRecord,
    EpisodeRow,
    Event,
    PlanRecord,
    PlanSlot,
    PolicyRecord,
    QueuedWrite,
    RunRecord,
    SpoolState,
    Tag,
)
from core.registry.store import CSV_COLUMNS, SHARED_RECORDINGS_ENV, Registry, dataset_location
from core.registry.weights import weights_sha256

__all__ = [
    "CSV_COLUMNS",
    "DATABASE_URL_ENV",
    "EPISODE_STATUSES",
    "INFERENCE_MODES",
    "OUTCOMES",
    "HEAD_REVISION",
    "SHARED_RECORDINGS_ENV",
    "EpisodeRecord",
    "EpisodeRow",
    "Event",
    "PlanRecord",
    "PlanSlot",
    "PolicyRecord",
    "QueuedWrite",
    "Registry",
    "RegistryUnavailable",
    "RunRecord",
    "SpoolState",
    "Tag",
    "dataset_location",
    "default_database_url",
    "mask_passwords",
    "mask_passwords_in_logs",
    "MaskPasswords",
    "weights_sha256",
]
