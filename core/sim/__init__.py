"""The simulated SO-101 lab: MuJoCo physics and cameras behind lerobot's Robot, Teleoperator and
camera interfaces, the scripted expert, fault injection and the demo assets.

May import: `core.policy`, `core.training` (demo assets only) and the loose modules.
Pages and the station use it; it never imports `station`, `deploy`, `analytics` or `cli`.
"""
