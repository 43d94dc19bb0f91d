"""One rule per failure cause: each module holds its thresholds and its judgement.

The Deploy gate (`core.deploy.gate`) and the diagnosis (`core.analytics.diagnosis`) both call these
rules, so the two never disagree; every rule returns a `core.rules.finding.Finding`.
May import: `core.training`, `core.policy` and the loose modules. Never imports `start_pose`,
`station`, `deploy`, `analytics` or `cli`: they import it.
"""
