"""A simulated station on a PostgreSQL registry whose server goes away mid-run: the episode is recorded, the run
says that its writes are queued (RunStatus.registry_queued, the run message), and once the server is back the
queued episode is written, asks for its decision and fills its evaluation plan's slot."""

from __future__ import annotations

import pytest

from core.errors import StationError
from core.evaluation.plan import conditions_from, create_plan, open_plan
from core.registry import DATABASE_URL_ENV, Registry
from core.workspace import WORKSPACE_ENV
from testkit.stations import demo_workspace, running_station
from testkit.waiting import wait_for
from tests.deploy.conftest import run_phase, settings_for

pytestmark = pytest.mark.slow


def run_episode(station, **request) -> object:
    wait_for(lambda: station.state().mode == "idle", 60, "the station idle")
    before = len(station.run_status().episodes)
    station.start_episode(**request)
    return wait_for(
        lambda: (
            len((status := station.run_status()).episodes) > before and status.phase == "ready" and status.episodes[-1]
        ),
        120,
        "the episode saved",
    )


def test_a_station_that_loses_the_server_mid_run_shows_it_queues_and_fills_the_plan_slot_once_back(
    postgres, postgresql_url, demo_assets, tmp_path, monkeypatch
):
    workspace = demo_workspace(tmp_path / "workspace", demo_assets)
    monkeypatch.setenv(WORKSPACE_ENV, str(workspace.root))
    monkeypatch.setenv(DATABASE_URL_ENV, postgresql_url)  # the station process inherits it, as from the app
    registry = Registry.open()
    base = settings_for(demo_assets.checkpoint_dir, episode_time_s=2.0)
    plan = create_plan(registry, "demo", "n15 vs n30", conditions_from(base, [{"n_action_steps": 30}]), 1, 0)
    with running_station(workspace) as station:
        station.start_run(base)
        assert run_phase(station, "ready", "failed").phase == "ready"

        postgres.stop()
        try:
            queued = run_episode(station, plan_slot=(plan.record.id, 0))
            status = station.run_status()
            assert queued.registry_id is None and queued.frames > 0  # recorded, its frames saved
            assert status.registry_queued >= 1
            assert f"{status.registry_queued} writes are queued on this station" in status.message
        finally:
            postgres.start()

        with pytest.raises(StationError, match="needs a decision first"):  # written now, so it asks for its tag
            station.start_episode()
        (written,) = [row for row in registry.episode_rows() if row.episode_index == queued.episode_index]
        assert open_plan(registry, "demo").slots[0].episode_id == written.episode_id
        registry.tag_episode(written.episode_id, "success")
        after = run_episode(station)
        assert after.registry_id is not None and station.run_status().registry_queued == 0
