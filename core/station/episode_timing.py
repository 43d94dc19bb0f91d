"""Where a policy episode's loop time went: observe, infer, send, record, each step timed, per episode.

The report (p50, p99 and max per stage, the loop period, overruns) is kept with the episode: in the run's status
for the run panel and as one JSON line per episode in the recording's `meta/preflight_timing.jsonl`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core import codec

STAGES = ("observe", "infer", "send", "record")
OVERRUN_PERIODS = 1.5  # a loop period longer than this many target periods is an overrun
TIMING_FILE = "preflight_timing.jsonl"


@dataclass(frozen=True)
class StageTiming:
    stage: str  # "observe", "infer", "send", "record", or "period" (one whole loop step)
    p50_ms: float
    p99_ms: float
    max_ms: float
    samples: int


@dataclass(frozen=True)
class TimingReport:
    episode_index: int
    target_ms: float
    stages: tuple[StageTiming, ...]  # STAGES, then "period"
    overruns: int  # loop periods longer than OVERRUN_PERIODS x target
    chunks_inline: int = 0  # action chunks the loop computed itself and waited for (ACT: the episode's first)
    chunks_prefetched: int = 0  # chunks computed in the background before the current one ran out
    chunks_late: int = 0  # of those, the ones the loop still had to wait for

    def stage(self, name: str) -> StageTiming | None:
        return next((timing for timing in self.stages if timing.stage == name), None)


class EpisodeTimer:
    """Collects stage durations from the threads of one episode; `report` summarises them."""

    def __init__(self, fps: float) -> None:
        self.target_s = 1.0 / fps
        self._samples: dict[str, list[float]] = {stage: [] for stage in (*STAGES, "period")}
        self._chunks = {"chunks_inline": 0, "chunks_prefetched": 0, "chunks_late": 0}
        self._lock = threading.Lock()

    def add(self, stage: str, seconds: float) -> None:
        with self._lock:
            self._samples[stage].append(seconds)

    def count_chunk(self, kind: str) -> None:
        """One action chunk came into use: "inline", "prefetched" or "late" (prefetched, still waited for)."""
        with self._lock:
            self._chunks[f"chunks_{kind}"] += 1
            if kind == "late":
                self._chunks["chunks_prefetched"] += 1

    def report(self, episode_index: int) -> TimingReport:
        with self._lock:
            samples = {stage: np.array(values) * 1e3 for stage, values in self._samples.items()}
        stages = tuple(
            StageTiming(
                stage,
                round(float(np.percentile(values, 50)), 2) if len(values) else 0.0,
                round(float(np.percentile(values, 99)), 2) if len(values) else 0.0,
                round(float(values.max()), 2) if len(values) else 0.0,
                len(values),
            )
            for stage, values in samples.items()
        )
        overruns = int((samples["period"] > OVERRUN_PERIODS * self.target_s * 1e3).sum())
        return TimingReport(episode_index, round(self.target_s * 1e3, 2), stages, overruns, **self._chunks)


def store_timing(dataset_root: Path, report: TimingReport) -> None:
    """Append the episode's report to the recording's `meta/preflight_timing.jsonl`."""
    path = Path(dataset_root) / "meta" / TIMING_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        handle.write(json.dumps(codec.to_json(report)) + "\n")
