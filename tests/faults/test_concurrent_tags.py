"""Two processes tag the same episodes at once, many times, through the real SQLite registry: every tag written is
there exactly once (tags are append-only; the latest is the episode's decision).

Each writer stops halfway until the other has tagged the last episode, so they overlap however late one starts; the
test checks that they did (their write intervals, and each episode's history alternating between them)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

from core.registry import Registry

TAGS_PER_PROCESS = 150

WRITER = """
import json, sys, time
from core.registry import Registry
writer, peer, episodes, count = sys.argv[1], sys.argv[2], [int(e) for e in sys.argv[3].split(",")], int(sys.argv[4])
registry = Registry.open()
first = time.monotonic()
for i in range(count):
    if i == count // 2:  # meet the peer: wait until it has tagged the last episode
        deadline = time.monotonic() + 120
        while not any(t.note.startswith(peer + "-") for t in registry.tag_history(episodes[-1])):
            if time.monotonic() > deadline:
                sys.exit(f"{peer} wrote no tag in 120 s")
            time.sleep(0.005)
    registry.tag_episode(episodes[i % len(episodes)], ("success", "failure")[i % 2], note=f"{writer}-{i}")
    last = time.monotonic()
print(json.dumps({"first": first, "last": last}))  # time.monotonic is one clock for every process on the machine
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
        subprocess.Popen([sys.executable, "-c", WRITER, name, peer, ids, str(TAGS_PER_PROCESS)], stdout=subprocess.PIPE)
        for name, peer in (("a", "b"), ("b", "a"))
    ]
    intervals = [json.loads(writer.communicate(timeout=300)[0]) for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0]
    assert max(i["first"] for i in intervals) < min(i["last"] for i in intervals), "one writer wrote after the other"
    for episode in episodes:  # on every episode, the writer that began first has tags before and after the other's
        who = [tag.note.split("-")[0] for tag in Registry.open().tag_history(episode)]
        assert sum(x != y for x, y in zip(who, who[1:])) >= 2, f"episode {episode}: one writer's tags in one block"

    notes = [tag.note for episode in episodes for tag in Registry.open().tag_history(episode)]
    expected = {f"{name}-{i}" for name in ("a", "b") for i in range(TAGS_PER_PROCESS)}
    assert len(notes) == len(expected), f"{len(expected) - len(set(notes))} lost, {len(notes) - len(set(notes))} dup"
    assert set(notes) == expected
