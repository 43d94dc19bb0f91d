"""What the browser benches share (bench/stream_bench.py, bench/loop_bench.py): a demo workspace, Streamlit
servers, chromium, CPU time.

Every process started here is stopped by the context manager that started it, on errors and
Ctrl-C too (SIGTERM is turned into KeyboardInterrupt so the same clean-up runs).
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from core.workspace import WORKSPACE_ENV, Workspace
from testkit.app_server import CHROMIUM, CHROMIUM_ARGS, serve_app


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} cores"


def stop_on_sigterm() -> None:
    def interrupt(*_) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def demo_workspace(prefix: str) -> Workspace:
    """A throw-away workspace whose demo/ is the cached demo dataset and ACT checkpoint (generated first if missing)."""
    from core.sim.demo_assets import ensure_demo_assets

    assets = ensure_demo_assets(Workspace.default(), report=lambda message: print(message, flush=True))
    workspace = Workspace(Path(tempfile.mkdtemp(prefix=prefix)) / "workspace").ensure()
    workspace.demo_dir.symlink_to(assets.dataset_root.parent, target_is_directory=True)
    os.environ[WORKSPACE_ENV] = str(workspace.root)  # the station, the servers and this process agree
    return workspace


def streamlit_server(script: Path, workspace: Workspace, env: dict | None = None, timeout_s: float = 90.0):
    """`streamlit run <script>` on a free loopback port (the tests' own server helper); yields (url, pid)."""
    return serve_app(workspace.root, script=script, env=env, timeout_s=timeout_s)


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's chromium through Playwright (its own browser download is not reachable here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (chromium's renderer and GPU processes, for instance)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def browser_pids() -> list[int]:
    """The chromium processes this bench started (they run below Playwright's driver, below us)."""
    pids = []
    for pid in descendants(os.getpid()):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip().startswith("chrom"):
                pids.append(pid)
        except OSError:
            continue
    return pids


class CpuMeter:
    """CPU seconds per named group of processes between `start()` and `stop()`, as percent of one core."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self.groups = groups  # name -> () -> list of pids
        self._started: dict[str, dict[int, float]] = {}
        self._at = 0.0

    def start(self) -> None:
        self._at = time.monotonic()
        self._started = {name: {pid: cpu_seconds(pid) for pid in pids()} for name, pids in self.groups.items()}

    def stop(self) -> dict[str, float]:
        elapsed = time.monotonic() - self._at
        usage = {}
        for name, pids in self.groups.items():
            before = self._started[name]
            used = sum(
                max(0.0, cpu_seconds(pid) - before.get(pid, 0.0)) for pid in pids()
            )  # processes gone since are left out
            usage[name] = 100 * used / elapsed
        return usage
