"""What a policy checkpoint says about itself, read from its JSON files only (no torch, no weights).

Pages call this often, so it must stay cheap. It accepts the folder lerobot-train writes at
each level: `pretrained_model/` itself, its parent `checkpoints/NNN/`, or the run's output
folder (`outputs/train/x/`, read through `checkpoints/last/pretrained_model`).

From `config.json`: policy type, chunk_size, n_action_steps, the image keys the policy
expects, SmolVLA's `empty_cameras` and its vision-language backbone (`vlm_model_name`).
From `policy_preprocessor.json`: the rename_map of its RenameObservationsProcessorStep, and how
it turns the task sentence into tokens (SmolVLA appends a newline, then tokenises).
From `train_config.json` (lerobot-train only): steps, batch_size and the training dataset; with
`training_state/training_step.json` next to `pretrained_model/`, the step this checkpoint was
saved at. The raw dicts are kept so policy-specific readers (SmolVLA's tokenizer and VLM) can
build on this without reading the files again.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import CheckpointError
from core.policy.processor_safety import check_step_names

CONFIG_FILE = "config.json"
PREPROCESSOR_FILE = "policy_preprocessor.json"
TRAIN_CONFIG_FILE = "train_config.json"
TRAINING_STEP_FILE = Path("training_state") / "training_step.json"
DEMO_MARKER_FILE = "preflight_demo.json"  # the demo checkpoint's statement of what it is (core.sim.demo_policy)
RENAME_STEP_NAMES = ("rename_observations_processor", "RenameObservationsProcessorStep")
TOKENIZER_STEP_NAMES = ("tokenizer_processor", "TokenizerProcessorStep")
NEWLINE_STEP_NAMES = ("smolvla_new_line_processor", "NewLineTaskProcessorStep")
MIGRATE_COMMAND = "python -m lerobot.processor.migrate_policy_normalization --pretrained-path {path} --output-dir {out}"


@dataclass(frozen=True)
class TrainingRun:
    """The training run that produced a checkpoint, from `train_config.json`."""

    steps: int  # the run's planned total
    batch_size: int  # per process
    checkpoint_step: int | None  # the step this checkpoint was saved at, when training_state/ is present
    num_processes: int
    dataset_repo_id: str | None
    dataset_root: str | None
    dataset_episodes: tuple[int, ...] | None  # None: every episode

    @property
    def trained_steps(self) -> int:
        return self.checkpoint_step if self.checkpoint_step is not None else self.steps

    def epochs(self, frames: int) -> float:
        """How many times training went over `frames` frames: steps x batch_size x processes / frames."""
        return self.trained_steps * self.batch_size * self.num_processes / frames


@dataclass(frozen=True)
class LanguageInput:
    """How the policy's preprocessor turns the task sentence into tokens; absent for policies that ignore it (ACT)."""

    appends_newline: (
        bool  # SmolVLA's NewLineTaskProcessorStep: "Grab the brain" reaches the tokenizer as "Grab the brain\n"
    )
    tokenizer_name: str  # a Hub repo id or a local folder, loaded with AutoTokenizer
    max_length: int  # tokens; longer sentences are cut when `truncation`
    padding: str  # "longest" or "max_length"
    padding_side: str
    truncation: bool


@dataclass(frozen=True)
class CheckpointInfo:
    path: str  # the pretrained_model folder
    policy_type: str
    chunk_size: int | None
    n_action_steps: int | None
    image_keys: tuple[str, ...]  # input features of type VISUAL, as the policy names them
    rename_map: Mapping[str, str]  # stored in the preprocessor: robot/dataset key -> policy key
    training: TrainingRun | None  # None when there is no train_config.json
    config: Mapping[str, Any]  # raw config.json
    train_config: Mapping[str, Any] | None  # raw train_config.json
    empty_cameras: int = 0  # SmolVLA: blank image slots (`observation.images.empty_camera_<i>`) no camera fills
    vlm_model_name: str | None = None  # SmolVLA: the vision-language backbone, a Hub repo id or a local folder
    load_vlm_weights: bool = False  # SmolVLA: the backbone's own weights are loaded too (before the checkpoint's)
    language: LanguageInput | None = None  # None: the policy does not read the task sentence
    untrained: str | None = None  # what the demo marker says of an untrained checkpoint; None: trained

    def feature_size(self, key: str) -> int | None:
        """The size of an input or output feature in config.json (`observation.state`, `action`); None when absent."""
        for group in ("input_features", "output_features"):
            shape = ((self.config.get(group) or {}).get(key) or {}).get("shape")
            if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], int):
                return shape[0]
        return None


def find_pretrained_model(path: str | Path) -> Path:
    """The `pretrained_model/` folder behind any of the folders lerobot-train writes."""
    folder = Path(path).expanduser()
    if not folder.exists():
        raise CheckpointError(f"The checkpoint folder {folder} does not exist. Check the path.")
    if not folder.is_dir():
        raise CheckpointError(
            f"{folder} is a file. Give the checkpoint's pretrained_model folder (the one with config.json)."
        )
    for candidate in (folder, folder / "pretrained_model", folder / "checkpoints" / "last" / "pretrained_model"):
        if (candidate / CONFIG_FILE).is_file():
            return candidate.resolve()
    raise CheckpointError(
        f"{folder} is not a policy checkpoint: no {CONFIG_FILE} in it, in pretrained_model/ or in "
        "checkpoints/last/pretrained_model/. Give the pretrained_model folder that lerobot-train wrote "
        "(outputs/train/<run>/checkpoints/<step>/pretrained_model)."
    )


def read_checkpoint(path: str | Path) -> CheckpointInfo:
    """Read a checkpoint's JSON files; `CheckpointError` says what is missing and what to do."""
    folder = find_pretrained_model(path)
    config = _read_json(folder / CONFIG_FILE)
    if "type" not in config:
        raise CheckpointError(
            f"{folder / CONFIG_FILE} has no policy 'type'. It was not written by lerobot: give the pretrained_model "
            "folder."
        )
    if not (folder / PREPROCESSOR_FILE).is_file():
        raise CheckpointError(
            f"{folder} has no {PREPROCESSOR_FILE}: it was saved by an older lerobot, before policies carried their "
            "processor pipelines, and lerobot 0.6.1 cannot run it. Migrate it offline:\n  "
            f"{MIGRATE_COMMAND.format(path=shlex.quote(str(folder)), out=shlex.quote(f'{folder}_migrated'))}"
        )
    check_step_names(folder)  # before anything reads a step: a checkpoint must not name code outside lerobot
    preprocessor = _read_json(folder / PREPROCESSOR_FILE)
    train_config = _read_json(folder / TRAIN_CONFIG_FILE) if (folder / TRAIN_CONFIG_FILE).is_file() else None
    return CheckpointInfo(
        path=str(folder),
        policy_type=str(config["type"]),
        chunk_size=config.get("chunk_size"),
        n_action_steps=config.get("n_action_steps"),
        image_keys=tuple(
            key for key, feature in (config.get("input_features") or {}).items() if feature.get("type") == "VISUAL"
        ),
        rename_map=_rename_map(preprocessor),
        training=_training_run(train_config, folder) if train_config is not None else None,
        config=config,
        train_config=train_config,
        empty_cameras=int(config.get("empty_cameras") or 0),
        vlm_model_name=config.get("vlm_model_name"),
        load_vlm_weights=bool(config.get("load_vlm_weights", False)),
        language=_language_input(preprocessor),
        untrained=_untrained(folder),
    )


def _untrained(folder: Path) -> str | None:
    """The demo marker's account of an untrained checkpoint; None for a lab's own checkpoint or a trained demo."""
    if not (folder / DEMO_MARKER_FILE).is_file():
        return None
    marker = _read_json(folder / DEMO_MARKER_FILE)
    if marker.get("trained", True):
        return None
    return f"the untrained demo checkpoint, {marker.get('steps', '?')} training steps"


def _step_name(step: Mapping[str, Any]) -> str:
    return step.get("registry_name") or str(step.get("class", "")).rsplit(".", 1)[-1]


def _rename_map(preprocessor: Mapping[str, Any]) -> dict[str, str]:
    for step in preprocessor.get("steps", []):
        if _step_name(step) in RENAME_STEP_NAMES:
            return dict((step.get("config") or {}).get("rename_map") or {})
    return {}


def _language_input(preprocessor: Mapping[str, Any]) -> LanguageInput | None:
    steps = list(preprocessor.get("steps", []))
    names = [_step_name(step) for step in steps]
    tokenizer_at = next((i for i, name in enumerate(names) if name in TOKENIZER_STEP_NAMES), None)
    if tokenizer_at is None:
        return None
    config = steps[tokenizer_at].get("config") or {}
    return LanguageInput(
        appends_newline=any(name in NEWLINE_STEP_NAMES for name in names[:tokenizer_at]),
        tokenizer_name=str(config.get("tokenizer_name") or ""),
        max_length=int(config.get("max_length", 512)),
        padding=str(config.get("padding", "max_length")),
        padding_side=str(config.get("padding_side", "right")),
        truncation=bool(config.get("truncation", True)),
    )


def _training_run(train_config: Mapping[str, Any], folder: Path) -> TrainingRun:
    dataset = train_config.get("dataset") or {}
    repo_id = dataset.get("repo_id")
    episodes = dataset.get("episodes")
    step_file = folder.parent / TRAINING_STEP_FILE
    training_step = _read_json(step_file) if step_file.is_file() else {}
    try:
        return TrainingRun(
            steps=int(train_config["steps"]),
            batch_size=int(train_config["batch_size"]),
            checkpoint_step=int(training_step["step"]) if "step" in training_step else None,
            num_processes=int(training_step.get("num_processes") or 1),
            dataset_repo_id=", ".join(repo_id) if isinstance(repo_id, list) else repo_id,
            dataset_root=dataset.get("root"),
            dataset_episodes=tuple(int(e) for e in episodes) if episodes is not None else None,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(
            f"{folder / TRAIN_CONFIG_FILE} lacks a valid steps/batch_size ({error!r}). It was edited or truncated: "
            "copy the checkpoint again, or delete train_config.json to profile without epochs."
        ) from error


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as error:
        raise CheckpointError(
            f"Cannot read {path} ({error}). Copy the checkpoint folder again from where it was trained."
        ) from error
