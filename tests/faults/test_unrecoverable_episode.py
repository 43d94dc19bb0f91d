"""When an interrupted episode cannot be recovered (here: its run's folder is gone, as a full or failed disk would
leave it), the registry still holds it with its length and the reason, and the journal is kept for the operator."""

from __future__ import annotations

import numpy as np

from core.registry import Registry
from core.station.journal import EpisodeJournal, JournalHeader, read_journal
from core.station.policy_runs import recover_interrupted


def test_an_unrecoverable_episode_is_registered_with_its_length_and_reason(workspace, demo_assets, tmp_path):
    registry = Registry.open()
    policy = registry.register_policy(str(demo_assets.checkpoint_dir))
    gone = tmp_path / "recordings" / "run-on-a-failed-disk"
    run = registry.start_run(
        policy.id,
        station="demo",
        dataset_root=str(gone),
        task="Grab the brain",
        chunk_size=30,
        n_action_steps=15,
        fps=30,
        camera_mapping={"front": "sim:cam0"},
    )
    journal_root = tmp_path / "journal"
    journal = EpisodeJournal(journal_root / "run1-episode0", JournalHeader(run.id, str(gone), 0, 30, "Grab", 0.0))
    for index in range(45):
        journal.append(
            {
                "observation.state": np.full(6, index, np.float32),
                "action": np.zeros(6, np.float32),
                "observation.images.front": np.full((24, 32, 3), index, np.uint8),
                "task": "Grab the brain",
            }
        )
    journal.close(remove=False)
    assert len(read_journal(journal_root / "run1-episode0").frames) == 45

    (line,) = recover_interrupted(journal_root)

    (row,) = Registry.open().episode_rows(run_id=run.id)
    assert row.status == "aborted" and row.length_frames == 45
    assert row.abort_reason.startswith("interrupted") and "could not be recovered" in row.abort_reason
    assert (journal_root / "run1-episode0.unrecovered").is_dir(), "the journal was not kept"
    assert "could not be recovered" in line
    assert recover_interrupted(journal_root) == [], "an unrecoverable journal is tried once, not at every start"
