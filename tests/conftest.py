"""Fixtures shared by every test area: a throw-away workspace, and the real app in a real browser.

Browser tests drive Debian's chromium (/usr/bin/chromium) through Playwright; Playwright's
own browser download is not reachable from these machines.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

import core  # noqa: F401  (HF_HUB_OFFLINE and MUJOCO_GL defaults for every test)
from core.workspace import REPO_ROOT, WORKSPACE_ENV, Workspace

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """An empty workspace that `Workspace.default()` returns for the duration of one test."""
    monkeypatch.setenv(WORKSPACE_ENV, str(tmp_path / "workspace"))
    return Workspace.default().ensure()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_app(workspace_root: Path, timeout_s: float = 60.0, env: dict | None = None) -> Iterator[str]:
    """Serve the real app (`streamlit run app/asgi.py`) on a free loopback port; yield its URL."""
    port = free_port()
    log = open(workspace_root / f"streamlit-{port}.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "app" / "asgi.py"), "--server.port", str(port)],
        cwd=REPO_ROOT,
        env={**os.environ, WORKSPACE_ENV: str(workspace_root), **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The app did not start; see {log.name}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def demo_assets():
    """The demo dataset and ACT checkpoint from the simulated lab, generated once (a few minutes) and cached in the workspace."""
    from core.demo import ensure_demo_assets

    return ensure_demo_assets(Workspace.default(), report=lambda message: print(message, flush=True))
