"""Does one side (a dataset, the station, a recording) have the inputs and outputs a policy's config.json names?

Compared: the size of `observation.state` and of `action`, and the policy's image slots. On a
training dataset a slot is fed only by the camera of that key or the one the stored rename map
sends to it (lerobot-train used that map). On a station or a recording any rename map can still
be chosen, so a slot is missing only where the camera slot proposal leaves it empty (fewer cameras
than slots). The judgement of a mismatch is `core.rules.features`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.policy.camera_slots import camera_key, camera_name, is_empty_slot, propose_camera_slots
from core.policy.checkpoint import CheckpointInfo

STATE = "observation.state"
ACTION = "action"


@dataclass(frozen=True)
class FeatureCheck:
    """What the policy expects against what `side` provides; a size is None where there is none."""

    side: str  # "training dataset", "station" or "recording"
    expected_state_size: int | None  # the policy's observation.state; None when it takes no state
    found_state_size: int | None
    expected_action_size: int | None
    found_action_size: int | None
    missing_cameras: tuple[str, ...]  # policy image keys nothing on this side feeds
    cameras: tuple[str, ...] | None  # this side's camera keys; None when unknown (cameras not compared)

    @property
    def state_differs(self) -> bool:
        return self.expected_state_size is not None and self.expected_state_size != self.found_state_size

    @property
    def action_differs(self) -> bool:
        return self.expected_action_size is not None and self.expected_action_size != self.found_action_size

    @property
    def matches(self) -> bool:
        return not (self.state_differs or self.action_differs or self.missing_cameras)

    def describe(self) -> str:
        """The differences in one clause, e.g. "a 12-value observation.state where the training dataset has 6"."""
        parts = []
        for key, differs, expected, found in (
            (STATE, self.state_differs, self.expected_state_size, self.found_state_size),
            (ACTION, self.action_differs, self.expected_action_size, self.found_action_size),
        ):
            if differs:
                has = f"has {found}" if found is not None else "has none"
                parts.append(f"a {expected}-value {key} where the {self.side} {has}")
        if self.missing_cameras:
            cameras = ", ".join(camera_name(key) for key in self.cameras or ()) or "none"
            parts.append(
                f"camera keys {', '.join(self.missing_cameras)} that the {self.side} does not feed "
                f"(its cameras: {cameras})"
            )
        return "; ".join(parts) if parts else f"the {self.side} has every feature the policy expects"


def check_features(
    checkpoint: CheckpointInfo,
    side: str,
    *,
    state_size: int | None,
    action_size: int | None,
    cameras: Sequence[str] | None,
    rename_map: Mapping[str, str] | None = None,
) -> FeatureCheck:
    """Compare the policy's features with a side's; `rename_map` given: the map that side's cameras go through (a
    training dataset: the stored one), None: any map can still be chosen, so only a shortage of cameras counts."""
    keys = tuple(camera_key(name) for name in cameras) if cameras is not None else None
    return FeatureCheck(
        side=side,
        expected_state_size=checkpoint.feature_size(STATE),
        found_state_size=state_size,
        expected_action_size=checkpoint.feature_size(ACTION),
        found_action_size=action_size,
        missing_cameras=_missing_slots(checkpoint, keys, rename_map) if keys is not None else (),
        cameras=keys,
    )


def _missing_slots(
    checkpoint: CheckpointInfo, cameras: tuple[str, ...], rename_map: Mapping[str, str] | None
) -> tuple[str, ...]:
    if rename_map is None:
        proposal = propose_camera_slots(checkpoint, cameras)
        return tuple(status.slot for status in proposal.slots if status.state == "missing")
    renames = {camera_key(source): camera_key(target) for source, target in rename_map.items()}
    mapped = {renames.get(key, key) for key in cameras}
    return tuple(slot for slot in checkpoint.image_keys if not is_empty_slot(slot) and slot not in mapped)
