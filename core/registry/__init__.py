"""The registry: which policy ran with which settings, what it recorded, and what the operator decided.

SQLite through a database URL (`sqlite:///relative.sqlite`, `sqlite:////absolute.sqlite`;
default $PREFLIGHT_DATABASE_URL, else `registry.sqlite` in the workspace), safe for
several stations and the app writing at once. See docs/registry.md.
May import: the loose modules only; every other package may import it.
"""

from core.registry.database import (
    DATABASE_URL_ENV,
    SCHEMA_VERSION,
    MaskPasswords,
    default_database_url,
    mask_passwords,
)
from core.registry.records import (
    EPISODE_STATUSES,
    INFERENCE_MODES,
    OUTCOMES,
    EpisodeRecord,
    EpisodeRow,
    Event,
    PolicyRecord,
    RunRecord,
    Tag,
)
from core.registry.store import CSV_COLUMNS, Registry
from core.registry.weights import weights_sha256

__all__ = [
    "CSV_COLUMNS",
    "DATABASE_URL_ENV",
    "EPISODE_STATUSES",
    "INFERENCE_MODES",
    "OUTCOMES",
    "SCHEMA_VERSION",
    "EpisodeRecord",
    "EpisodeRow",
    "Event",
    "PolicyRecord",
    "Registry",
    "RunRecord",
    "Tag",
    "default_database_url",
    "mask_passwords",
    "MaskPasswords",
    "weights_sha256",
]
