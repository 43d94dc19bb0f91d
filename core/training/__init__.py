"""The training side: a LeRobot dataset read as lerobot reads it, and what Preflight learns from it.

Holds dataset reading (`dataset_files`), frame statistics, reference frames and their appearance
signatures, the `TrainingProfile` and its summary, the operator's selection, and the planner.
May import: `core.policy`, `core.registry` and the loose modules (`errors`, `workspace`, `so101`).
Never imports `start_pose`, `rules`, `station`, `deploy`, `analytics` or `cli`: they import it.
"""
