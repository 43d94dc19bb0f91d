"""A station's local queue of registry writes while the database cannot be reached.

`pending.jsonl` in the station's spool folder holds one validated row per line (table, values, when, why,
and for an evaluation episode the plan slot it fills), fsynced; `flush` inserts them in order, oldest first,
and drops each line once its row is committed. A row the database refuses on flush (an episode index already
taken) moves to `rejected.jsonl`, never away. The reasoning is in docs/registry.md (Stations keep recording).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.registry.records import QueuedWrite, SpoolState

PENDING = "pending.jsonl"
REJECTED = "rejected.jsonl"

_thread_lock = threading.Lock()


class Spool:
    """The queue in `folder`; safe for the threads of one station and for a second process on the same folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def append(self, table: str, values: dict[str, Any], error: str, plan_slot: list[int] | None = None) -> QueuedWrite:
        """Keep the row (and the plan slot it fills) for later; returns once it is on disk."""
        queued_at = datetime.now(UTC)
        entry = {"table": table, "values": values, "queued_at": queued_at.isoformat(), "error": error}
        line = json.dumps(entry | ({"plan_slot": plan_slot} if plan_slot is not None else {}))
        with self._locked():
            with open(self.folder / PENDING, "a", encoding="utf-8") as stream:
                stream.write(line + "\n")
                stream.flush()
                os.fsync(stream.fileno())
        return QueuedWrite(table=table, queued_at=queued_at)

    def flush(self, insert: Callable[[str, dict[str, Any], list[int] | None], None], refused: type[Exception]) -> int:
        """Insert the queued rows in order with `insert(table, values, plan_slot)`; stops at the first failure
        other than `refused` (the database is still away), which it lets through. Returns how many were written."""
        written = 0
        with self._locked():
            entries = self._entries(PENDING)
            for position, entry in enumerate(entries):
                try:
                    insert(entry["table"], entry["values"], entry.get("plan_slot"))
                    written += 1
                except refused as error:
                    self._append_line(REJECTED, {**entry, "refused": str(error)})
                self._rewrite(entries[position + 1 :])
        return written

    def state(self) -> SpoolState:
        """What is queued, read from disk (the app and the station see the same)."""
        with self._locked():
            entries = self._entries(PENDING)
            rejected = len(self._entries(REJECTED))
        return SpoolState(
            queued=len(entries),
            oldest_at=datetime.fromisoformat(entries[0]["queued_at"]) if entries else None,
            last_error=entries[-1]["error"] if entries else "",
            rejected=rejected,
        )

    def has_pending(self) -> bool:
        path = self.folder / PENDING
        return path.is_file() and path.stat().st_size > 0

    def _entries(self, name: str) -> list[dict[str, Any]]:
        path = self.folder / name
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def _rewrite(self, entries: list[dict[str, Any]]) -> None:
        temporary = self.folder / (PENDING + ".tmp")
        with open(temporary, "w", encoding="utf-8") as stream:
            stream.writelines(json.dumps(entry) + "\n" for entry in entries)
            stream.flush()
            os.fsync(stream.fileno())
        temporary.replace(self.folder / PENDING)

    def _append_line(self, name: str, entry: dict[str, Any]) -> None:
        with open(self.folder / name, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(entry) + "\n")
            stream.flush()
            os.fsync(stream.fileno())

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with _thread_lock, open(self.folder / "lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
