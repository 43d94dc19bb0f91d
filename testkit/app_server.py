"""Serving the real app for browser tests and benches: a Streamlit server on a free loopback port,
and Debian's chromium (Playwright's own browser download is not reachable from these machines)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.workspace import REPO_ROOT, WORKSPACE_ENV

APP = REPO_ROOT / "app" / "asgi.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_app(
    workspace_root: Path, script: Path = APP, env: dict | None = None, timeout_s: float = 60.0
) -> Iterator[tuple[str, int]]:
    """`streamlit run <script>` with the repository's .streamlit/config.toml; yields (url, server pid)."""
    port = free_port()
    log = open(Path(workspace_root) / f"streamlit-{script.stem}-{port}.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)],
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
                raise RuntimeError(f"{script.name} did not start; see {log.name}")
            time.sleep(0.3)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def current_button(page, name) -> object:
    """The button `name` as the newest script run drew it. While a rerun is under way Streamlit keeps the last run's
    elements on the page marked `data-stale="true"`; a download button clicked then serves the last run's data."""
    return page.locator("[data-testid='stElementContainer'][data-stale='false']").get_by_role("button", name=name)
