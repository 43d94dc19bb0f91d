"""A station stand-in for the multi-process tests: writes episodes, tags and events to a shared registry.

Usage: registry_writer.py DB_URL CHECKPOINT STATION EPISODES START_AT_UNIX_S
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

from core.registry import Registry


def main(db_url: str, checkpoint: str, station: str, episodes: int, start_at_s: float) -> None:
    registry = Registry.open(db_url)
    time.sleep(max(0.0, start_at_s - time.time()))  # both writers begin together
    policy = registry.register_policy(checkpoint)
    run = registry.start_run(
        policy.id,
        station=station,
        dataset_root=f"/recordings/rollout_{station}",
        task="Grab the brain",
        chunk_size=10,
        n_action_steps=5,
        fps=30,
        camera_mapping={"front": "0", "wrist": "2"},
    )
    for index in range(episodes):
        episode = registry.record_episode(
            run.id, run.dataset_root, index, length_frames=30, started_at=datetime.now(UTC)
        )
        registry.tag_episode(episode.id, "success" if index % 2 else "failure", score=index % 101, note=station)
        registry.log_event(station, "episode_tagged", {"episode_id": episode.id}, run_id=run.id)
        time.sleep(0.005)  # a station pauses between episodes; the pause lets the other writer in, as in a lab


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
