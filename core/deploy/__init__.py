"""Deploying a policy: the preflight gate every run passes before the policy drives the arm.

May import: `core.station` (its state and client), `core.rules`, `core.start_pose`,
`core.training`, `core.policy` and the loose modules. Only `app/`, `pages/` and `core.cli` import it.
"""
