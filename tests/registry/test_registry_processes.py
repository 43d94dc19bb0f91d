"""Several stations and the app share one registry file: a restart or a second writer must lose nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from core.registry import Registry
from tests.registry.conftest import WRITER

EPISODES_PER_STATION = 40


def python(code: str, *args: str) -> str:
    """Run `code` in a fresh interpreter, as a station or a second app process would."""
    return subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, timeout=60
    ).stdout


def test_a_tag_written_by_another_process_is_seen_and_edits_are_seen_back(registry, db_url, record):
    episode = record(0)
    python(
        "import sys; from core.registry import Registry; "
        "Registry.open(sys.argv[1]).tag_episode(int(sys.argv[2]), 'success', score=70, note='from the station')",
        db_url,
        str(episode.id),
    )
    assert registry.episode_rows()[0].note == "from the station"

    registry.tag_episode(episode.id, "failure", note="edited in the app")
    history = json.loads(
        python(
            "import sys, json; from core.registry import Registry; "
            "print(json.dumps([t.outcome for t in Registry.open(sys.argv[1]).tag_history(int(sys.argv[2]))]))",
            db_url,
            str(episode.id),
        )
    )
    assert history == ["success", "failure"]


def overlapped(intervals: list[dict]) -> bool:
    """Whether every writer was writing at one moment: the latest first write came before the earliest last one."""
    return max(i["first"] for i in intervals) < min(i["last"] for i in intervals)


def turns(writers: list[str]) -> int:
    """How often the writer changes along a commit-ordered list of who wrote each row."""
    return sum(a != b for a, b in zip(writers, writers[1:]))


def test_two_stations_writing_at_once_lose_no_rows(db_url, checkpoint):
    start_at_s = time.time() + 1.5
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                str(WRITER),
                db_url,
                str(checkpoint),
                station,
                str(EPISODES_PER_STATION),
                str(start_at_s),
                peer,  # each stops halfway until the other has written: they overlap however late one starts
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for station, peer in (("arm-1", "arm-2"), ("arm-2", "arm-1"))
    ]
    registry = Registry.open(db_url)
    while any(writer.poll() is None for writer in writers):  # the app polls while the stations write
        registry.untagged_episodes()
        time.sleep(0.01)
    assert [writer.wait() for writer in writers] == [0, 0], [writer.stderr.read() for writer in writers]
    assert overlapped([json.loads(writer.stdout.read()) for writer in writers]), "the stations wrote one after another"

    rows = registry.episode_rows()
    assert turns([row.station for row in rows]) >= 2, "each station's episodes in one block: no write was concurrent"
    assert len(rows) == 2 * EPISODES_PER_STATION
    assert len({row.policy_id for row in rows}) == 1, "both stations registered the same weights"
    for station in ("arm-1", "arm-2"):
        mine = [row for row in rows if row.station == station]
        assert sorted(row.episode_index for row in mine) == list(range(EPISODES_PER_STATION))
        assert all(row.outcome in ("success", "failure") and row.note == station for row in mine)
        assert len(registry.events(station=station)) == EPISODES_PER_STATION
    assert registry.untagged_episodes() == []


# Each editor stops halfway until the other has tagged the last episode, so on every episode the editor that began
# first has edits before and after the other's first one: they overlap however late one starts. It prints the
# monotonic times of its first and last edit (one clock for every process on the machine).
TAG_EDITOR = """
import json, sys, time
from core.registry import Registry
registry = Registry.open(sys.argv[1])
editor, peer, edits, episode_ids = sys.argv[2], sys.argv[3], int(sys.argv[4]), list(map(int, sys.argv[5].split(",")))
first = time.monotonic()
for edit in range(edits):
    if edit == edits // 2:
        deadline = time.monotonic() + 120
        while not any(t.note.startswith(peer) for t in registry.tag_history(episode_ids[-1])):
            if time.monotonic() > deadline:
                sys.exit(f"{peer} made no edit in 120 s")
            time.sleep(0.005)
    for episode_id in episode_ids:
        registry.tag_episode(episode_id, ("success", "failure")[edit % 2], score=edit, note=f"{editor}-{edit}")
print(json.dumps({"first": first, "last": time.monotonic()}))
"""
EDITS = 15


def test_two_processes_editing_the_same_tags_keep_every_edit_in_order(registry, db_url, record):
    episode_ids = [record(index).id for index in range(4)]
    editors = [
        subprocess.Popen(
            [sys.executable, "-c", TAG_EDITOR, db_url, editor, peer, str(EDITS), ",".join(map(str, episode_ids))],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for editor, peer in (("app", "station"), ("station", "app"))
    ]
    outputs = [editor.communicate(timeout=120) for editor in editors]
    assert [editor.returncode for editor in editors] == [0, 0], [err for _, err in outputs]
    assert overlapped([json.loads(out) for out, _ in outputs]), "the editors edited one after another"

    for episode_id in episode_ids:
        history = registry.tag_history(episode_id)
        assert turns([t.note.split("-")[0] for t in history]) >= 2, "one editor's edits in one block: none concurrent"
        assert len(history) == 2 * EDITS and len({t.note for t in history}) == 2 * EDITS  # none lost, none twice
        for editor in ("app", "station"):  # each editor's edits in the order it made them
            assert [t.note for t in history if t.note.startswith(editor)] == [f"{editor}-{e}" for e in range(EDITS)]
        assert [t.tagged_at for t in history] == sorted(t.tagged_at for t in history)  # history order is time order
        assert registry.episode_rows(run_id=None)[episode_ids.index(episode_id)].note == history[-1].note
