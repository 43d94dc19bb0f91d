"""Every saved episode sealed on disk at once: a station crash later in the run loses no saved episode.

lerobot's writer keeps one data parquet file (and one episode-metadata file) open for a whole
run and writes their footers only in `finalize()`: a crash mid-run left every saved episode
unreadable. With a file size limit below any episode, each episode starts files of its own, and
closing the writers right after `save_episode()` writes their footers. One data, metadata and
video file per episode is what a lab run of tens of episodes can afford. Reasoning: docs/station.md.
"""

from __future__ import annotations

ONE_EPISODE_PER_FILE_MB = 1e-6  # below any episode's size: lerobot opens new files for each episode


def seal_each_episode(dataset) -> None:
    """Make every later `save_episode()` of this LeRobotDataset start new data, metadata and video files."""
    dataset.meta.update_chunk_settings(
        data_files_size_in_mb=ONE_EPISODE_PER_FILE_MB, video_files_size_in_mb=ONE_EPISODE_PER_FILE_MB
    )


def seal_saved_episode(dataset) -> None:
    """Write the footers of the episode just saved (lerobot has no public call for this short of `finalize()`)."""
    dataset.writer.close_writer()
    dataset.meta._close_writer()
