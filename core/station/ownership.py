"""One process per arm, and only our own processes signalled.

`robot_lock` takes an exclusive `flock` on the serial port itself, or, for the simulated lab, on a
lock file in the station's own folder (owned by the user, opened with O_NOFOLLOW, never
truncated). `is_station_process` tells a station's pid from a recycled one by its command line
and start time. Why: docs/security.md.
"""

from __future__ import annotations

import fcntl
import os
import re
import shlex
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import StationError

LOCK_FILE = "robot.lock"
_RECORD_BYTES = 160  # the holder's line, padded: written in place, so the file is never truncated
LEFTOVER_WAIT_S = 15.0  # how long a dead holder's forked workers may keep the lock before it is reported held


@contextmanager
def robot_lock(device: str | None, folder: Path, station_name: str) -> Iterator[None]:
    """Exclusive for the process's life (the kernel releases it when we die): the serial port `device`, or with
    None the lock file in `folder` (a simulated lab has no device)."""
    fd = _open_device(device) if device else _open_lock_file(folder)
    try:
        deadline = time.monotonic() + LEFTOVER_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as error:
                holder = "" if device else os.pread(fd, _RECORD_BYTES, 0).decode(errors="replace").strip()
                if _holder_is_gone(holder) and time.monotonic() < deadline:
                    time.sleep(0.2)  # a killed station's forked workers still hold the lock for a moment
                    continue
                raise StationError(
                    f"The robot {device or 'simulated lab of station ' + repr(station_name)} is already driven by "
                    f"{holder or 'another process'}. Stop that station first; only one process may drive an arm."
                ) from error
        if not device:
            record = f"station '{station_name}' (pid {os.getpid()})".encode()[:_RECORD_BYTES]
            os.pwrite(fd, record.ljust(_RECORD_BYTES), 0)
        yield
    finally:
        os.close(fd)


def _holder_is_gone(holder: str) -> bool:
    """The lock record names a pid that no longer runs (gone, or a zombie): what holds the lock then are its
    leftover workers, which the kernel releases as they exit."""
    match = re.search(r"\(pid (\d+)\)", holder)
    if match is None:
        return False
    try:
        state = Path(f"/proc/{match.group(1)}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")  # exited (a zombie waits for its parent to read its status)


def _open_device(device: str) -> int:
    try:
        return os.open(device, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise StationError(
            f"Cannot open the arm's serial port {device} ({error.strerror}). Plug the arm in, check the port with "
            "lerobot-find-port, and that you may use it (the dialout group)."
        ) from error


def _open_lock_file(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise StationError(
            f"The lock folder {folder} must be a folder of your own that others cannot write to. Fix it with "
            f"chmod go-w {shlex.quote(str(folder))}, or use a workspace of your own (PREFLIGHT_WORKSPACE)."
        )
    path = folder / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as error:
        raise StationError(
            f"Refused the lock file {path} ({error.strerror}): it must be a plain file, never a link. Remove it and "
            "start the station again."
        ) from error
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
        os.close(fd)
        raise StationError(f"Refused the lock file {path}: it is not a plain file of your own. Remove it.")
    return fd


def process_start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat field 22); None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def is_station_process(pid: int, name: str, start_ticks: int | None) -> bool:
    """The pid is still the station `name` that wrote its runtime.json: same command line and start time."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv = handle.read().decode(errors="replace").split("\0")
    except OSError:
        return False
    runs_station = any(argv[i : i + 5] == ["core", "station", "run", "--name", name] for i in range(len(argv)))
    return runs_station and start_ticks is not None and process_start_ticks(pid) == start_ticks
