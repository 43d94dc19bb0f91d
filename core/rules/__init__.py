"""One rule per failure cause: each module holds its thresholds and its judgement.

The Deploy gate (`core.deploy.gate`) and the diagnosis (`core.analytics.diagnosis`) both call
these rules, so the two never disagree. Every rule returns `core.rules.finding.Finding`.
May import: `core.start_pose`, `core.training`, `core.policy` and the loose modules.
Never imports `station`, `deploy`, `analytics` or `cli`.
"""
