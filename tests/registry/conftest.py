"""Fixtures for the registry tests: each runs on a real SQLite file in tmp_path and on a fresh database of a
real PostgreSQL server the session starts (testkit/postgres.py), with a small real checkpoint folder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from core.registry import EpisodeRecord, Registry, RunRecord
from testkit.postgres import PostgresServer, shared_postgres

WRITER = Path(__file__).with_name("registry_writer.py")  # a station process that writes to a registry


@pytest.fixture
def make_checkpoint() -> Callable[[Path, int], Path]:
    return write_checkpoint


def write_checkpoint(folder: Path, seed: int = 0) -> Path:
    """A `pretrained_model/`-like folder: config.json and a real (tiny) model.safetensors."""
    folder.mkdir(parents=True, exist_ok=True)
    save_file(
        {"weight": np.random.default_rng(seed).standard_normal((8, 8)).astype(np.float32)}, folder / "model.safetensors"
    )
    (folder / "config.json").write_text('{"type": "act", "chunk_size": 10, "n_action_steps": 5}')
    return folder


@pytest.fixture(scope="session")
def postgres() -> PostgresServer:
    """The session's throwaway PostgreSQL cluster, shared with the other test folders that need one."""
    return shared_postgres()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'lab' / 'registry.sqlite'}"


@pytest.fixture
def postgresql_url(postgres: PostgresServer) -> str:
    """A fresh, empty database on the session's server."""
    return postgres.fresh_database("registry")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on both backends."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def registry(db_url: str) -> Registry:
    return Registry.open(db_url)


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    return write_checkpoint(tmp_path / "train" / "act_brain" / "checkpoints" / "005000" / "pretrained_model")


@pytest.fixture
def run(registry: Registry, checkpoint: Path, tmp_path: Path) -> RunRecord:
    policy = registry.register_policy(checkpoint)
    return registry.start_run(
        policy.id,
        station="arm-1",
        dataset_root=tmp_path / "recordings" / "rollout_brain",
        task="Grab the brain",
        chunk_size=10,
        n_action_steps=5,
        fps=30,
        camera_mapping={"front": "/dev/video2", "wrist": "/dev/video0"},
    )


@pytest.fixture
def record(registry: Registry, run: RunRecord) -> Callable[..., EpisodeRecord]:
    """Records an episode of `run` (3 s at 30 fps) under the given index."""

    def record_episode(episode_index: int, **settings) -> EpisodeRecord:
        started_at = datetime(2025, 5, 1, 10, 0, episode_index % 60, tzinfo=UTC)
        return registry.record_episode(
            run.id, run.dataset_root, episode_index, length_frames=90, started_at=started_at, **settings
        )

    return record_episode
