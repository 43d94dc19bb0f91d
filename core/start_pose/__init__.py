"""The start pose: the training start pose and its tolerances, GO / NO-GO, and the automatic move home.

May import: `core.training` and the loose modules. `core.rules`, `core.station`, `core.deploy`
and `core.analytics` use it; it never imports them (a station's state is read through the
`ArmReading` protocol in `pose`).
"""
