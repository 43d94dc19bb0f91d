"""Two processes tag the same episodes at once, many times, through the real SQLite registry: every tag written is
there exactly once (tags are append-only; the latest is the episode's decision)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from core.registry import Registry

TAGS_PER_PROCESS = 150

WRITER = """
import sys
from core.registry import Registry
writer, episodes, count = sys.argv[1], [int(e) for e in sys.argv[2].split(",")], int(sys.argv[3])
registry = Registry.open()
for i in range(count):
    registry.tag_episode(episodes[i % len(episodes)], ("success", "failure")[i % 2], note=f"{writer}-{i}")
"""


def test_concurrent_tag_writes_from_two_processes_lose_and_duplicate_none(workspace, demo_assets):
    registry = Registry.open()
    policy = registry.register_policy(str(demo_assets.checkpoint_dir))
    run = registry.start_run(
        policy.id,
        station="demo",
        dataset_root=str(workspace.root / "recordings" / "r"),
        task="Grab the brain",
        chunk_size=30,
        n_action_steps=15,
        fps=30,
        camera_mapping={"front": "sim:cam0"},
    )
    episodes = [
        registry.record_episode(
            run.id, str(workspace.root / "recordings" / "r"), i, length_frames=10, started_at=datetime.now(UTC)
        ).id
        for i in range(3)
    ]
    ids = ",".join(map(str, episodes))
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, name, ids, str(TAGS_PER_PROCESS)]) for name in ("a", "b")
    ]
    assert [writer.wait(timeout=300) for writer in writers] == [0, 0]

    notes = [tag.note for episode in episodes for tag in Registry.open().tag_history(episode)]
    expected = {f"{name}-{i}" for name in ("a", "b") for i in range(TAGS_PER_PROCESS)}
    assert len(notes) == len(expected), f"{len(expected) - len(set(notes))} lost, {len(notes) - len(set(notes))} dup"
    assert set(notes) == expected
