"""The start pose on a station: GO / NO-GO of its follower, the operator's tolerances, the automatic move home.

The judgement (tolerances, deltas) is the start-pose rule in `core.rules.start_pose`.
May import: `core.rules`, `core.training`, `core.policy` and the loose modules. `core.station`,
`core.deploy`, `app/` and `pages/` use it; it never imports them (a station's state is read
through the `ArmReading` protocol in `pose`).
"""
