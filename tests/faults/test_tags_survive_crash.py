"""A decision survives crashes across processes: a tag the app wrote before the station was killed with SIGKILL
(mid-episode, the registry open in it) is there for a new process that opens the registry, which can go on
writing; the app's process that wrote the tag is killed -9 as well, so nothing was closed or checkpointed.

The simulated lab's devices are the only fakes; the registry is the workspace's real SQLite file (WAL mode).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from core.registry import Registry
from core.station import launcher
from core.station.config import demo_station_config
from testkit.stations import station_pid
from testkit.waiting import wait_for
from tests.faults.conftest import run_settings, start_episode

pytestmark = pytest.mark.slow

# The app's side, in its own process: tag the episode, say so, then wait to be killed.
TAGGER = """
import sys, time
from core.registry import Registry
Registry.open().tag_episode(int(sys.argv[1]), "success", score=90, note="tagged before the crash")
print("tagged", flush=True)
time.sleep(3600)
"""
# A process started after the crashes: what the registry says about the episode, then an edit of its tag.
READER = """
import json, sys
from core.registry import Registry
registry = Registry.open()
episode_id = int(sys.argv[1])
before = [(t.outcome, t.score, t.note) for t in registry.tag_history(episode_id)]
registry.tag_episode(episode_id, "failure", note="edited after the crash")
after = [t.outcome for t in registry.tag_history(episode_id)]
print(json.dumps({"before": before, "after": after, "awaiting": [e.id for e in registry.untagged_episodes()]}))
"""


def test_a_tag_written_before_the_station_is_killed_is_there_for_a_new_process(demo_workspace, demo_assets):
    client = launcher.start(demo_station_config(), demo_workspace)
    try:
        start_episode(client, run_settings(demo_assets.checkpoint_dir), min_frames=10)
        client.stop_episode()
        first = wait_for(
            lambda: (status := client.run_status()).phase == "ready" and status.episodes and status.episodes[-1],
            120,
            "the first episode's end",
        )
        assert first.status == "recorded" and first.registry_id is not None

        app = subprocess.Popen(
            [sys.executable, "-c", TAGGER, str(first.registry_id)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert app.stdout.readline().strip() == "tagged"
        finally:
            os.kill(app.pid, signal.SIGKILL)
            app.wait(timeout=30)
        assert app.returncode == -signal.SIGKILL

        wait_for(lambda: client.state().mode == "idle", 60, "the station idle")
        client.start_episode()  # the station holds the registry open, mid-episode, when it dies
        wait_for(lambda: client.run_status().frames >= 10, 180, "the second episode recording")
        run_id = client.run_status().run_id
        os.kill(station_pid(demo_workspace), signal.SIGKILL)
        wait_for(lambda: launcher.status("demo", demo_workspace).status == "crashed", 30, "the station crashed")

        seen = json.loads(
            subprocess.run(
                [sys.executable, "-c", READER, str(first.registry_id)],
                check=True,
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout
        )
        assert seen["before"] == [["success", 90, "tagged before the crash"]]
        assert seen["after"] == ["success", "failure"]  # the dead processes left no lock behind
        assert first.registry_id not in seen["awaiting"]

        client = launcher.start(demo_station_config(), demo_workspace)  # the restart recovers the killed episode
        interrupted = wait_for(
            lambda: [r for r in Registry.open().episode_rows(run_id=run_id) if r.status == "aborted"],
            180,
            "the interrupted episode recovered",
        )
        rows = {row.episode_id: row for row in Registry.open().episode_rows(run_id=run_id)}
        assert rows[first.registry_id].outcome == "failure" and rows[first.registry_id].note == "edited after the crash"
        assert [e.id for e in Registry.open().untagged_episodes(run_id=run_id)] == [r.episode_id for r in interrupted]
    finally:
        launcher.stop("demo", demo_workspace)
