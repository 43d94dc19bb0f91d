"""Evaluations: A/B plans of policies and settings, run in a balanced interleaved order with matched starts.

- `plan`: conditions (run settings that differ in policy, n_action_steps, inference or task), the
  balanced order (ABBA...) with a seed per pair of twins, and the next slot to run;
- `results`: a plan's tagged episodes per condition, compared with `core.analytics.compare`.

Reasoning and sources: docs/evaluations.md.
May import: `core.analytics`, `core.station` (run settings), `core.rules`, `core.start_pose`,
`core.training`, `core.policy`, `core.registry` and the loose modules. Only `app/`, `pages/` and
`core.cli` import it.
"""
