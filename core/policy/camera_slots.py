"""Which station camera feeds which image slot of the policy: the rename map a rollout must be given.

A policy names its image inputs (its slots). ACT trained on a lab's `front`/`wrist` cameras
has slots `observation.images.front`/`wrist`; a SmolVLA fine-tuned from `smolvla_base` keeps
the base model's slots `observation.images.camera1`, `camera2`, ..., and training stored a
rename map from the dataset's cameras to them in the checkpoint's preprocessor. lerobot's
rollout does not use that stored map: it replaces it with the one it is given (or an empty
one), so the map must be passed every time. Nothing in lerobot checks a given map: a slot
no camera fills is silently dropped by SmolVLA (it runs on fewer images than it was trained
on), and ACT fails on its first frame.

A station camera that is not renamed reaches the policy under its own key
(`observation.images.<name>`), exactly as lerobot's rename step does it; a camera whose key
is no slot is simply not seen. Slots named `empty_camera_<i>` (SmolVLA's `empty_cameras`)
are fed a blank image by the policy itself and take no camera.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from core.policy.checkpoint import CheckpointInfo

IMAGE_PREFIX = "observation.images."
EMPTY_SLOT = re.compile(r"^observation\.images\.empty_camera_\d+$")
# Fallback order when nothing else decides: scene cameras take the first slot, wrist cameras the next.
ROLE_WORDS: tuple[tuple[str, ...], ...] = (
    ("front", "top", "overhead", "scene", "table", "main", "high"),
    ("wrist", "gripper", "hand"),
)

SlotState = Literal["filled", "empty_camera", "missing", "used_twice"]
ProblemKind = Literal[
    "missing_slot", "slot_used_twice", "camera_used_twice", "unknown_camera", "unknown_slot", "empty_slot_fed"
]
Origin = Literal["identity", "stored", "order", "edited"]


@dataclass(frozen=True)
class SlotStatus:
    slot: str  # the policy's image key, e.g. observation.images.camera1
    state: SlotState
    cameras: tuple[str, ...]  # station camera names feeding it (two or more when used twice)
    trained_from: str | None  # the training dataset's camera the stored rename map fed into this slot
    note: str


@dataclass(frozen=True)
class SlotProblem:
    """A mapping the run must not start with; `message` says what is wrong and what to change."""

    kind: ProblemKind
    message: str


@dataclass(frozen=True)
class CameraSlots:
    policy_type: str
    station_cameras: tuple[str, ...]  # names, as the station calls them
    rename_map: dict[
        str, str
    ]  # pass to the rollout as is: station key -> policy key (cameras already named like their slot are left out)
    slots: tuple[SlotStatus, ...]  # in the policy's order
    unused_cameras: tuple[str, ...]  # station cameras the policy does not see
    problems: tuple[SlotProblem, ...]
    origin: Origin  # how the mapping was chosen
    explanation: str

    @property
    def blocking(self) -> bool:
        return bool(self.problems)


def camera_key(name: str) -> str:
    return name if name.startswith(IMAGE_PREFIX) else IMAGE_PREFIX + name


def camera_name(key: str) -> str:
    return key.removeprefix(IMAGE_PREFIX)


def is_empty_slot(slot: str) -> bool:
    return bool(EMPTY_SLOT.match(slot))


def propose_camera_slots(
    checkpoint: CheckpointInfo, station_cameras: Sequence[str], training_cameras: Sequence[str] = ()
) -> CameraSlots:
    """The mapping to deploy with: the stored map where it names station cameras, same names next, then role order.

    `training_cameras`: the training dataset's camera keys or names (from the profile), to say
    what each slot saw in training.
    """
    station = [camera_key(name) for name in station_cameras]
    real_slots = [slot for slot in checkpoint.image_keys if not is_empty_slot(slot)]
    assigned: dict[str, str] = {}  # slot -> station key
    decided_by: set[str] = set()

    def assign(slot: str, camera: str, how: str) -> None:
        assigned[slot] = camera
        decided_by.add(how)

    for source, target in checkpoint.rename_map.items():
        if target in real_slots and target not in assigned and source in station and source not in assigned.values():
            assign(target, source, "stored")
    for slot in real_slots:
        if slot not in assigned and slot in station and slot not in assigned.values():
            assign(slot, slot, "identity")
    free_slots = [slot for slot in real_slots if slot not in assigned]
    free_cameras = sorted(
        (key for key in station if key not in assigned.values()), key=lambda key: (_role_rank(key), station.index(key))
    )
    for slot, camera in zip(free_slots, free_cameras):
        assign(slot, camera, "order")

    origin: Origin = "order" if "order" in decided_by else "stored" if "stored" in decided_by else "identity"
    pairs = [(camera, slot) for slot, camera in assigned.items()]
    pairs += [(key, key) for key in station if key not in assigned.values()]  # unrenamed cameras keep their key
    return _judge(checkpoint, station, pairs, origin, training_cameras)


def check_rename_map(
    checkpoint: CheckpointInfo,
    station_cameras: Sequence[str],
    rename_map: Mapping[str, str],
    training_cameras: Sequence[str] = (),
) -> CameraSlots:
    """Judge a rename map as lerobot will apply it: mapped cameras get their target key, the others keep their own."""
    station = [camera_key(name) for name in station_cameras]
    pairs = [(camera_key(source), camera_key(target)) for source, target in rename_map.items()]
    pairs += [(key, key) for key in station if key not in {camera_key(source) for source in rename_map}]
    return _judge(checkpoint, station, pairs, "edited", training_cameras)


def check_slot_choice(
    checkpoint: CheckpointInfo,
    station_cameras: Sequence[str],
    choice: Mapping[str, str | None],
    training_cameras: Sequence[str] = (),
) -> CameraSlots:
    """Judge a page's one-camera-per-slot choice (slot -> station camera name, None for none)."""
    station = [camera_key(name) for name in station_cameras]
    pairs = [(camera_key(camera), camera_key(slot)) for slot, camera in choice.items() if camera]
    chosen = {camera for camera, _ in pairs}
    pairs += [(key, key) for key in station if key not in chosen]
    return _judge(checkpoint, station, pairs, "edited", training_cameras)


def _judge(
    checkpoint: CheckpointInfo,
    station: Sequence[str],
    pairs: Iterable[tuple[str, str]],
    origin: Origin,
    training_cameras: Sequence[str],
) -> CameraSlots:
    pairs = list(dict.fromkeys(pairs))
    slots = list(checkpoint.image_keys)
    trained_from = _trained_from(checkpoint, [camera_key(name) for name in training_cameras])
    problems: list[SlotProblem] = []
    station_names = ", ".join(camera_name(key) for key in station) or "none"
    slot_names = ", ".join(camera_name(slot) for slot in slots if not is_empty_slot(slot)) or "none"

    feeding: dict[str, list[str]] = {slot: [] for slot in slots}
    for camera, target in pairs:
        renamed = camera != target
        if camera not in station:
            problems.append(
                SlotProblem(
                    "unknown_camera",
                    f"The map names camera '{camera_name(camera)}', which this station does not have "
                    f"(its cameras: {station_names}). Map one of the station's cameras instead.",
                )
            )
        elif target not in feeding:
            if renamed:
                problems.append(
                    SlotProblem(
                        "unknown_slot",
                        f"'{camera_name(camera)}' is mapped to '{camera_name(target)}', which is not an image input of "
                        f"this {checkpoint.policy_type} policy (its slots: {slot_names}). Map it to one of those.",
                    )
                )
        elif is_empty_slot(target):
            problems.append(
                SlotProblem(
                    "empty_slot_fed",
                    f"'{camera_name(camera)}' is mapped to '{camera_name(target)}', a slot the policy was trained "
                    "to see blank (empty_cameras). Map it to another slot or leave it unmapped.",
                )
            )
        else:
            feeding[target].append(camera)

    uses: dict[str, list[str]] = {}
    for camera, target in pairs:
        if camera in station and target in feeding and not is_empty_slot(target):
            uses.setdefault(camera, []).append(target)
    for camera, targets in uses.items():
        if len(targets) > 1:
            problems.append(
                SlotProblem(
                    "camera_used_twice",
                    f"Camera '{camera_name(camera)}' feeds {' and '.join(camera_name(t) for t in targets)}; "
                    "a camera can fill one slot only. Choose a different camera for all but one of them.",
                )
            )

    statuses = []
    for slot in slots:
        cameras = tuple(camera_name(c) for c in feeding[slot])
        saw = trained_from.get(slot)
        saw_text = f" (in training: {camera_name(saw)})" if saw and saw != slot else ""
        if is_empty_slot(slot):
            statuses.append(SlotStatus(slot, "empty_camera", (), None, "blank image, as in training (empty_cameras)"))
        elif not cameras:
            statuses.append(SlotStatus(slot, "missing", (), saw, f"no camera{saw_text}"))
            problems.append(SlotProblem("missing_slot", _missing_message(checkpoint, slot, saw, station, feeding)))
        elif len(cameras) > 1:
            statuses.append(SlotStatus(slot, "used_twice", cameras, saw, f"fed by {' and '.join(cameras)}{saw_text}"))
            problems.append(
                SlotProblem(
                    "slot_used_twice",
                    f"Slot '{camera_name(slot)}' is fed by {' and '.join(cameras)}; each slot takes one "
                    f"camera{saw_text}. Keep one of them on it and map the other to a free slot or leave it unmapped.",
                )
            )
        else:
            statuses.append(SlotStatus(slot, "filled", cameras, saw, f"{cameras[0]}{saw_text}"))

    seen = {camera for slot in slots for camera in feeding[slot]}
    unused = tuple(camera_name(key) for key in station if key not in seen)
    rename_map = {
        camera: target for camera, target in pairs if camera != target and camera in station and target in feeding
    }
    return CameraSlots(
        policy_type=checkpoint.policy_type,
        station_cameras=tuple(camera_name(key) for key in station),
        rename_map=rename_map,
        slots=tuple(statuses),
        unused_cameras=unused,
        problems=tuple(problems),
        origin=origin,
        explanation=_explanation(origin, statuses, unused, checkpoint),
    )


def _trained_from(checkpoint: CheckpointInfo, training_keys: Sequence[str]) -> dict[str, str]:
    """slot -> the dataset camera that fed it in training (the stored map), or the slot itself when the dataset had that
    key."""
    fed = {target: source for source, target in checkpoint.rename_map.items()}
    for slot in checkpoint.image_keys:
        if slot not in fed and slot in training_keys:
            fed[slot] = slot
    return fed


def _missing_message(
    checkpoint: CheckpointInfo, slot: str, saw: str | None, station: Sequence[str], feeding: Mapping[str, list[str]]
) -> str:
    unused = [key for key in station if all(key not in cameras for cameras in feeding.values())]
    suggestion = saw if saw in station else unused[0] if unused else None
    consequence = (
        "SmolVLA would silently run on fewer images than it was trained on"
        if checkpoint.policy_type == "smolvla"
        else f"the {checkpoint.policy_type} policy would fail on its first frame"
    )
    trained = f" In training it saw '{camera_name(saw)}'." if saw and saw != slot else ""
    fix = (
        f' Map a station camera to it, e.g. "{suggestion}": "{slot}".'
        if suggestion
        else " The station has no camera left for it: add the camera that showed this view in training."
    )
    return f"No camera feeds the policy's slot '{camera_name(slot)}': {consequence}.{trained}{fix}"


def _explanation(
    origin: Origin, statuses: Sequence[SlotStatus], unused: Sequence[str], checkpoint: CheckpointInfo
) -> str:
    fills = (
        ", ".join(f"{s.cameras[0]} -> {camera_name(s.slot)}" for s in statuses if s.state == "filled")
        or "no slot filled"
    )
    how = {
        "identity": "the station's cameras are named like the policy's slots",
        "stored": "the rename map stored in the checkpoint, the one training used",
        "order": "chosen by order (scene camera first, wrist camera next) where neither the stored map nor the names "
        "decide; check on the Cameras page that each camera shows what its slot saw in training",
        "edited": "the operator's choice",
    }[origin]
    empty = sum(s.state == "empty_camera" for s in statuses)
    parts = [f"{fills}: {how}."]
    if empty:
        parts.append(f"{empty} slot(s) stay blank, as in training (empty_cameras={checkpoint.empty_cameras}).")
    if unused:
        parts.append(f"Not seen by the policy: {', '.join(unused)}.")
    return " ".join(parts)


def _role_rank(key: str) -> int:
    name = camera_name(key).lower()
    return next((rank for rank, words in enumerate(ROLE_WORDS) if any(word in name for word in words)), len(ROLE_WORDS))
