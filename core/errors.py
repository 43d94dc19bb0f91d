"""User-facing errors: each message says what happened and what to do next.

Pages and the CLI show `str(error)` as it is, never a traceback, so the message must stand alone.
"""


class PreflightError(Exception):
    """Base class of every error whose message is meant for the operator."""


class DatasetError(PreflightError):
    """A dataset folder is missing, of the wrong version, or damaged."""


class DatasetNeedsConversion(DatasetError):
    """A LeRobot v2.1 dataset: readable once converted to v3.0 (`python -m core convert`)."""

    def __init__(self, message: str, root: str) -> None:
        super().__init__(message)
        self.root = root


class CheckpointError(PreflightError):
    """A policy checkpoint folder is missing files or does not fit its dataset."""


class StationError(PreflightError):
    """The station process could not start, crashed, or refused a command."""


class RegistryError(PreflightError):
    """The registry database cannot be opened or refused an operation (bad URL, unknown episode, bad score)."""
