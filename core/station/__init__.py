"""The station: the one process that owns a robot, its leader arm and its cameras.

Pages never talk to hardware: they start a station process, find it again after a reload,
read its state snapshots and frames, and send it commands through the typed client.
May import: `core.start_pose`, `core.rules`, `core.training`, `core.policy`, `core.registry`,
`core.sim` and the loose modules. Never imports `deploy`, `analytics` or `cli`.
"""
