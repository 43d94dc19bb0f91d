"""Two simulated stations in separate processes share one PostgreSQL registry; Analytics' fleet view shows both
stations' runs, filters them by station, computer, policy and setting, and gives each station's success rate.

Here rather than in tests/analytics: it needs this folder's PostgreSQL server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import replace

from core.analytics.view import fleet
from core.registry import Registry
from tests.registry.conftest import WRITER


def test_two_station_processes_share_one_postgresql_registry_and_the_fleet_view_shows_both(postgresql_url, checkpoint):
    start_at_s = time.time() + 1.5
    writers = [
        subprocess.Popen(
            [sys.executable, str(WRITER), postgresql_url, str(checkpoint), station, "12", str(start_at_s)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for station in ("arm-1", "arm-2")
    ]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0], [w.stderr.read() for w in writers]
    rows = Registry.open(postgresql_url).episode_rows()

    lab = fleet(rows)
    assert lab.choices["station"] == ["arm-1", "arm-2"] and lab.choices["computer"] == [socket.gethostname()]
    assert sorted(lab.runs["station"]) == ["arm-1", "arm-2"] and list(lab.runs["episodes"]) == [12, 12]
    # the writer tags odd episodes success, even ones failure: 6 of 12 on each arm
    assert list(lab.per_station["successes"]) == [6, 6] and list(lab.per_station["rate"]) == [0.5, 0.5]
    assert all(0 < low < 0.5 < high < 1 for low, high in zip(lab.per_station["low"], lab.per_station["high"]))
    assert list(fleet(rows, station=["arm-2"]).runs["station"]) == ["arm-2"]
    assert fleet(rows, computer=["another-pc"]).runs.empty
    (setting,) = lab.choices["setting"]
    assert setting == "chunk 10/5, sync, 30 fps" and len(fleet(rows, setting=[setting]).runs) == 2
    (policy,) = lab.choices["policy"]
    assert policy == "act_brain@005000" and len(fleet(rows, policy=[policy], station=["arm-1"]).runs) == 1


def test_a_dataset_on_another_computer_is_found_through_the_share_or_its_host_is_named(tmp_path, monkeypatch):
    from core.registry import dataset_location
    from core.registry.records import EpisodeRow

    share = tmp_path / "share"
    (share / "arm-1" / "run1").mkdir(parents=True)
    fields = {name: None for name in EpisodeRow.__dataclass_fields__}
    base = EpisodeRow(**fields)
    elsewhere = replace(
        base, dataset_root="/home/lab/recordings/run1", computer="lab-pc-2", dataset_shared="arm-1/run1"
    )
    monkeypatch.setenv("PREFLIGHT_SHARED_RECORDINGS", str(share))
    assert dataset_location(elsewhere) == (share / "arm-1" / "run1", "")
    monkeypatch.delenv("PREFLIGHT_SHARED_RECORDINGS")
    folder, message = dataset_location(elsewhere)
    assert folder is None and "on lab-pc-2" in message and "PREFLIGHT_SHARED_RECORDINGS" in message
    folder, message = dataset_location(replace(elsewhere, dataset_shared=None))
    assert folder is None and "/home/lab/recordings/run1 on lab-pc-2" in message and "outside" in message


def test_analytics_on_another_computer_lists_and_joins_a_run_through_the_share(tmp_path, monkeypatch):
    """The station recorded /home/lab/recordings/run1 on lab-pc-2; this computer mounts the lab's recordings folder
    elsewhere: the run is listed from the share and its registry facts join the recording read there."""
    import pandas as pd

    from core.analytics.runs import find_recordings, join_registry
    from core.registry.records import EpisodeRow
    from core.workspace import Workspace

    share = tmp_path / "mnt" / "recordings"
    (share / "arm-1" / "run1" / "meta").mkdir(parents=True)
    (share / "arm-1" / "run1" / "meta" / "info.json").write_text("{}")
    base = EpisodeRow(**dict.fromkeys(EpisodeRow.__dataclass_fields__))
    row = replace(
        base,
        dataset_root="/home/lab/recordings/run1",
        computer="lab-pc-2",
        dataset_shared="arm-1/run1",
        episode_index=0,
        status="recorded",
        outcome="success",
    )
    monkeypatch.setenv("PREFLIGHT_SHARED_RECORDINGS", str(share))
    here = (share / "arm-1" / "run1").resolve()
    assert find_recordings(Workspace(tmp_path / "workspace"), [row]) == [here]
    metrics = pd.DataFrame({"dataset_root": [str(here)], "episode_index": [0]})
    assert list(join_registry(metrics, [row])["outcome"]) == ["success"]
    monkeypatch.delenv("PREFLIGHT_SHARED_RECORDINGS")  # not mounted: not listed, its outcome unknown
    assert find_recordings(Workspace(tmp_path / "workspace"), [row]) == []
    assert list(join_registry(metrics, [row])["outcome"]) == ["unknown"]
