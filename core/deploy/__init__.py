"""Deploying a policy: the preflight gate every run passes before the policy drives the arm.

May import: `core.station` (its state and client), `core.rules`, `core.start_pose`, `core.training`,
`core.policy`, `core.registry` and the loose modules. Only `app/` and `pages/` import it.
"""
