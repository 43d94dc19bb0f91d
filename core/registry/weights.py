"""A policy's identity: the SHA-256 of its weights, so a retrained checkpoint in the same folder is a new policy.

Hashing a SmolVLA checkpoint reads about a gigabyte, so digests are cached per process
by (path, size, modification time): calling this before every run costs a `stat`.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from core.errors import CheckpointError

WEIGHTS_FILE = "model.safetensors"
SHARDED_WEIGHTS_GLOB = "model-*-of-*.safetensors"
READ_CHUNK_BYTES = 8 * 1024 * 1024

_digests: dict[tuple[tuple[str, int, int], ...], str] = {}
_digests_lock = threading.Lock()


def weights_files(checkpoint_dir: str | Path) -> list[Path]:
    """`model.safetensors`, or the shards of a sharded checkpoint in order."""
    folder = Path(checkpoint_dir)
    single = folder / WEIGHTS_FILE
    if single.is_file():
        return [single]
    shards = sorted(folder.glob(SHARDED_WEIGHTS_GLOB))
    if not shards:
        raise CheckpointError(
            f"No weights in {folder}: expected {WEIGHTS_FILE}. Point at the checkpoint's "
            "`pretrained_model/` folder (the one with config.json and model.safetensors)."
        )
    return shards


def weights_sha256(checkpoint_dir: str | Path) -> str:
    """Hex SHA-256 of the weights (shards hashed as one stream); for one file it equals `sha256sum
    model.safetensors`."""
    files = weights_files(checkpoint_dir)
    key = tuple((str(file.resolve()), stat.st_size, stat.st_mtime_ns) for file in files for stat in [file.stat()])
    with _digests_lock:
        if key in _digests:
            return _digests[key]
    digest = hashlib.sha256()
    for file in files:
        with file.open("rb") as stream:
            while chunk := stream.read(READ_CHUNK_BYTES):
                digest.update(chunk)
    value = digest.hexdigest()
    with _digests_lock:
        _digests[key] = value
    return value
