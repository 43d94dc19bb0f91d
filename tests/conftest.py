"""Fixtures shared by every test area: a throw-away workspace, and the real app in a real browser.

Browser tests drive Debian's chromium (/usr/bin/chromium) through Playwright; Playwright's
own browser download is not reachable from these machines.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import core  # noqa: F401  (HF_HUB_OFFLINE and MUJOCO_GL defaults for every test)
from core.station.client import StationClient
from core.workspace import REPO_ROOT, WORKSPACE_ENV, Workspace
from testkit.app_server import CHROMIUM, CHROMIUM_ARGS, serve_app
from testkit.stations import running_station

# Every child process of the tests (station processes, the app server, lerobot's CLIs, `python -m core`) imports this
# checkout's code first, whatever checkout built the venv's .pth files.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """An empty workspace that `Workspace.default()` returns for the duration of one test."""
    monkeypatch.setenv(WORKSPACE_ENV, str(tmp_path / "workspace"))
    return Workspace.default().ensure()


@pytest.fixture(scope="module")
def station_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The workspace of the module's station; a test area whose station needs more (the demo assets) overrides it."""
    return Workspace(Path(tmp_path_factory.mktemp("station")) / "workspace").ensure()


@pytest.fixture(scope="module")
def station(station_workspace: Workspace) -> Iterator[StationClient]:
    """The simulated demo station, a real station process started as the app starts it, shared by one module's
    tests (starting one takes a few seconds) and stopped after them."""
    with running_station(station_workspace) as client:
        yield client


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@contextmanager
def running_app(workspace_root: Path, timeout_s: float = 60.0, env: dict | None = None) -> Iterator[str]:
    """Serve the real app (`streamlit run app/asgi.py`) on a free loopback port; yield its URL."""
    with serve_app(workspace_root, env=env, timeout_s=timeout_s) as (url, _):
        yield url


@pytest.fixture
def demo_app(tmp_path: Path, demo_assets, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Workspace]]:
    """The real app on a fresh workspace that holds the demo assets: (its URL, the workspace)."""
    workspace = Workspace(tmp_path / "workspace").ensure()
    workspace.demo_dir.symlink_to(demo_assets.dataset_root.parent, target_is_directory=True)
    monkeypatch.setenv(WORKSPACE_ENV, str(workspace.root))
    with running_app(workspace.root) as url:
        yield url, workspace


@pytest.fixture(scope="session")
def demo_assets(tmp_path_factory: pytest.TempPathFactory):
    """The demo dataset and ACT checkpoint from the simulated lab: the workspace's full demo when its fingerprint
    says the code and recipe that made it are today's, otherwise a tiny demo (a few episodes, the structural
    checkpoint) generated for this session in a temporary folder (testkit/demo.py)."""
    from testkit.demo import demo_for_tests

    # pytest-xdist workers share one tiny demo (under the run's common temp folder): the first to ask builds it, the
    # other waits on its lock (core.sim.demo_assets) instead of building a second copy on the same two cores
    shared = os.environ.get("PYTEST_XDIST_WORKER") is not None
    scratch = tmp_path_factory.getbasetemp().parent / "shared-demo" if shared else tmp_path_factory.mktemp("demo")
    return demo_for_tests(scratch, report=lambda message: print(message, flush=True))
