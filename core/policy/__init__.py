"""The policy checkpoint and what it expects: features, camera slots, the task as the model reads it,
chunking and inference settings, SmolVLA's backbone files.

May import: `core.registry` (the inference modes it records) and the loose modules only.
Everything that judges a checkpoint against data imports this package, never the reverse.
"""
