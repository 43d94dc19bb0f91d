"""A station stand-in for the multi-process tests: writes episodes, tags and events to a shared registry.

Usage: registry_writer.py DB_URL CHECKPOINT STATION EPISODES START_AT_UNIX_S [PEER_STATION]

With PEER_STATION, the writer stops after half its episodes until the peer's first episode is in the registry, so
two writers that meet each other overlap by construction, however late one of them starts. It prints its write
interval as JSON on stdout: {"first": ..., "last": ...}, `time.monotonic()` of its first and last write (one clock
for every process on the machine).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime

from core.registry import Registry

MEET_TIMEOUT_S = 120.0


def main(db_url: str, checkpoint: str, station: str, episodes: int, start_at_s: float, peer: str | None) -> None:
    registry = Registry.open(db_url)
    time.sleep(max(0.0, start_at_s - time.time()))  # both writers aim to begin together; `peer` makes sure they meet
    first_write = time.monotonic()
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
        if peer is not None and index == episodes // 2:
            meet(registry, peer)
        episode = registry.record_episode(
            run.id, run.dataset_root, index, length_frames=30, started_at=datetime.now(UTC)
        )
        registry.tag_episode(episode.id, "success" if index % 2 else "failure", score=index % 101, note=station)
        registry.log_event(station, "episode_tagged", {"episode_id": episode.id}, run_id=run.id)
        last_write = time.monotonic()
        time.sleep(0.005)  # a station pauses between episodes; the pause lets the other writer in, as in a lab
    print(json.dumps({"first": first_write, "last": last_write}), flush=True)


def meet(registry: Registry, peer: str) -> None:
    """Wait until `peer` has recorded an episode: from here on, both writers are writing."""
    deadline = time.monotonic() + MEET_TIMEOUT_S
    while not registry.episode_rows(station=peer, last=1):
        if time.monotonic() > deadline:
            sys.exit(f"{peer} wrote no episode in {MEET_TIMEOUT_S:.0f} s")
        time.sleep(0.005)


if __name__ == "__main__":
    main(
        sys.argv[1],
        sys.argv[2],
        sys.argv[3],
        int(sys.argv[4]),
        float(sys.argv[5]),
        sys.argv[6] if len(sys.argv) > 6 else None,
    )
