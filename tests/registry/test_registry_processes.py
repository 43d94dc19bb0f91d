"""Several stations and the app share one registry file: a restart or a second writer must lose nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from core.registry import Registry

WRITER = Path(__file__).with_name("registry_writer.py")
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


def test_two_stations_writing_at_once_lose_no_rows(db_url, checkpoint):
    start_at_s = time.time() + 1.5
    writers = [
        subprocess.Popen(
            [sys.executable, str(WRITER), db_url, str(checkpoint), station, str(EPISODES_PER_STATION), str(start_at_s)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for station in ("arm-1", "arm-2")
    ]
    registry = Registry.open(db_url)
    while any(writer.poll() is None for writer in writers):  # the app polls while the stations write
        registry.untagged_episodes()
        time.sleep(0.01)
    assert [writer.wait() for writer in writers] == [0, 0], [writer.stderr.read() for writer in writers]

    rows = registry.episode_rows()
    assert len(rows) == 2 * EPISODES_PER_STATION
    assert len({row.policy_id for row in rows}) == 1, "both stations registered the same weights"
    for station in ("arm-1", "arm-2"):
        mine = [row for row in rows if row.station == station]
        assert sorted(row.episode_index for row in mine) == list(range(EPISODES_PER_STATION))
        assert all(row.outcome in ("success", "failure") and row.note == station for row in mine)
        assert len(registry.events(station=station)) == EPISODES_PER_STATION
    assert registry.untagged_episodes() == []


TAG_EDITOR = """
import sys, time
from core.registry import Registry
registry = Registry.open(sys.argv[1])
time.sleep(max(0.0, float(sys.argv[3]) - time.time()))
for edit in range(int(sys.argv[4])):
    for episode_id in map(int, sys.argv[5].split(",")):
        registry.tag_episode(episode_id, ("success", "failure")[edit % 2], score=edit, note=f"{sys.argv[2]}-{edit}")
"""
EDITS = 15


def test_two_processes_editing_the_same_tags_keep_every_edit_in_order(registry, db_url, record):
    episode_ids = [record(index).id for index in range(4)]
    start_at_s = time.time() + 1.5
    editors = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                TAG_EDITOR,
                db_url,
                editor,
                str(start_at_s),
                str(EDITS),
                ",".join(map(str, episode_ids)),
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        for editor in ("app", "station")
    ]
    assert [editor.wait(timeout=120) for editor in editors] == [0, 0], [e.stderr.read() for e in editors]

    for episode_id in episode_ids:
        history = registry.tag_history(episode_id)
        assert len(history) == 2 * EDITS and len({t.note for t in history}) == 2 * EDITS  # none lost, none twice
        for editor in ("app", "station"):  # each editor's edits in the order it made them
            assert [t.note for t in history if t.note.startswith(editor)] == [f"{editor}-{e}" for e in range(EDITS)]
        assert [t.tagged_at for t in history] == sorted(t.tagged_at for t in history)  # history order is time order
        assert registry.episode_rows(run_id=None)[episode_ids.index(episode_id)].note == history[-1].note
