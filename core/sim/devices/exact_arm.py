"""What a simulated SO-101 arm answers to lerobot's setup calls: always calibrated, nothing to calibrate or write.

A mixin placed before `Robot` or `Teleoperator` in the bases (`class SimFollower(ExactArm, Robot)`), so it
provides their abstract `is_calibrated`, `calibrate` and `configure`.
"""

from __future__ import annotations


class ExactArm:
    @property
    def is_calibrated(self) -> bool:
        return True

    def calibrate(self) -> None:
        """Nothing to do: the simulated encoders are exact."""

    def configure(self) -> None:
        """Nothing to do: the simulated servos need no registers written."""
