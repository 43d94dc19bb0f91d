"""Where a report's numbers come from: a fingerprint of the data files read and the versions that read them.

Two reports with the same fingerprint were computed from the same data. The fingerprint is the
sha256 of every dataset's metadata and data parquet files (meta/, data/), in a fixed order; video
files are left out (they are large, and only a few frames are read from them).
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import core

CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Provenance:
    data_sha256: str
    datasets: tuple[str, ...]
    preflight_version: str
    lerobot_version: str

    def line(self) -> str:
        return (
            f"data sha256 {self.data_sha256[:16]}… ({len(self.datasets)} dataset(s)); Preflight "
            f"{self.preflight_version}; lerobot {self.lerobot_version}"
        )


def provenance_of(roots: Sequence[str | Path]) -> Provenance:
    digest = hashlib.sha256()
    for root in dict.fromkeys(str(Path(r).resolve()) for r in roots):
        base = Path(root)
        files = [
            base / "meta" / "info.json",
            *sorted((base / "meta").rglob("*.parquet")),
            *sorted((base / "data").rglob("*.parquet")),
        ]
        for path in files:
            if not path.is_file():
                continue
            digest.update(str(path.relative_to(base)).encode())
            with path.open("rb") as file:
                while chunk := file.read(CHUNK_BYTES):
                    digest.update(chunk)
    return Provenance(
        data_sha256=digest.hexdigest(),
        datasets=tuple(dict.fromkeys(str(Path(r).resolve()) for r in roots)),
        preflight_version=preflight_version(),
        lerobot_version=_package_version("lerobot"),
    )


@lru_cache(maxsize=1)
def preflight_version() -> str:
    """`core.__version__`, with the git commit of the checkout when it is one (`0.7.0+abc1234`)."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(Path(core.__file__).parent), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return core.__version__
    return f"{core.__version__}+{commit}" if commit else core.__version__


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"
