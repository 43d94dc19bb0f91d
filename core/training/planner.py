"""The training planner: epochs from steps, steps for a target of epochs, and mixed-dataset merges.

`EPOCH_GUIDANCE` holds each policy type's epoch range with its sources; a merge is lerobot's own
`merge_datasets`, after checking what lerobot requires (fps, robot_type, features), keeping only episodes tagged
"success" by default. The formulas, the guidance and why: docs/planner.md.
"""

from __future__ import annotations

import math
import re
import shlex
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from core.errors import PreflightError
from core.training.dataset_files import DatasetFiles, open_dataset
from core.workspace import Workspace, checked_name

MERGED_DIR = "merged"  # under the workspace: merged training sets
# The keys of a video feature's "info" that lerobot ignores when it compares features for a merge
# (lerobot.configs.video.VIDEO_ENCODER_INFO_KEYS in 0.6.1; a test keeps the two equal).
VIDEO_ENCODER_INFO_KEYS = frozenset(
    {"video.crf", "video.extra_options", "video.fast_decode", "video.g", "video.preset", "video.video_backend"}
)
Keep = Literal["success", "all"]


@dataclass(frozen=True)
class EpochGuidance:
    """A typical range of epochs for one policy type, when to warn, and where the numbers come from."""

    policy_type: str
    typical_low: float
    typical_high: float
    warn_above: float
    basis: str
    sources: tuple[str, ...]

    def verdict(self, epochs: float) -> Literal["below", "typical", "above"]:
        if epochs < self.typical_low:
            return "below"
        return "above" if epochs > self.warn_above else "typical"


ACT_GUIDANCE = EpochGuidance(
    policy_type="act",
    typical_low=3.0,
    typical_high=10.0,
    warn_above=10.0,
    basis=(
        "ACT trains from scratch (only the ResNet backbone is pretrained), so it memorises small "
        "datasets: the original recipe is about 5 epochs, lerobot's defaults give 8 at the lab's scale, "
        "and the lab's policy trained for 15.9 epochs memorised its scenes."
    ),
    sources=(
        "ACT (Zhao et al. 2023, tonyzhaozh/act): --num_epochs 2000 --batch_size 8 over 50 episodes of "
        "400 steps, one sampled timestep per episode per 'epoch': 100,000 samples over 20,000 frames = 5 epochs.",
        "lerobot 0.6.1 defaults (lerobot/configs/train.py): steps 100,000 x batch_size 8 = 800,000 samples: "
        "8 epochs on 100,000 frames, 67 on the 11,939 frames of lerobot/svla_so101_pickplace.",
        "The lab: 15.9 epochs on 241 episodes (about 100,000 frames); the policy memorised its scenes.",
    ),
)
SMOLVLA_GUIDANCE = EpochGuidance(
    policy_type="smolvla",
    typical_low=3.0,
    typical_high=15.0,
    warn_above=15.0,
    basis=(
        "The two pieces of evidence disagree, and the lab's own weighs more: a SmolVLA trained for 15.9 "
        "epochs on 241 episodes memorised its scenes, while lerobot's published fine-tuning recipe runs about "
        "107 epochs of a 50-episode set (a fixed 20,000 steps whatever the dataset size). Preflight warns "
        "from 15 epochs, a rule of thumb, so a run like the lab's is flagged before it is deployed."
    ),
    sources=(
        "The lab: SmolVLA fine-tuned for 15.9 epochs on 241 episodes (about 100,000 frames) memorised its scenes.",
        "lerobot SmolVLA docs and the lerobot/smolvla_base model card: --batch_size=64 --steps=20000 = "
        "1,280,000 samples over lerobot/svla_so101_pickplace (50 episodes, 11,939 frames) = 107 epochs.",
    ),
)
EPOCH_GUIDANCE: Mapping[str, EpochGuidance] = {"act": ACT_GUIDANCE, "smolvla": SMOLVLA_GUIDANCE}


def guidance_for(policy_type: str | None) -> EpochGuidance:
    """The policy's guidance; ACT's (the most cautious: trained from scratch) for any other type."""
    return EPOCH_GUIDANCE.get((policy_type or "").lower(), ACT_GUIDANCE)


def epochs(steps: int, batch_size: int, frames: int, processes: int = 1) -> float:
    """How many passes over `frames` frames `steps` optimiser steps make."""
    _check_positive(batch_size=batch_size, frames=frames, processes=processes)
    if steps < 0:
        raise PreflightError(f"steps must be 0 or more; got {steps}.")
    return steps * batch_size * processes / frames


def steps_for_epochs(target_epochs: float, batch_size: int, frames: int, processes: int = 1) -> int:
    """The smallest number of steps that covers `target_epochs` passes over `frames` frames."""
    _check_positive(batch_size=batch_size, frames=frames, processes=processes)
    if target_epochs <= 0:
        raise PreflightError(f"The target must be more than 0 epochs; got {target_epochs}.")
    return math.ceil(target_epochs * frames / (batch_size * processes) - 1e-9)


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if value <= 0:
            raise PreflightError(f"{name} must be at least 1; got {value}.")


@dataclass(frozen=True)
class TrainingPlan:
    frames: int
    batch_size: int
    steps: int
    epochs: float
    guidance: EpochGuidance

    @property
    def verdict(self) -> Literal["below", "typical", "above"]:
        return self.guidance.verdict(self.epochs)


def plan_training(
    frames: int,
    batch_size: int,
    *,
    steps: int | None = None,
    target_epochs: float | None = None,
    policy_type: str | None = None,
    processes: int = 1,
) -> TrainingPlan:
    """Steps and epochs for a training set: give `steps` (epochs follow) or `target_epochs` (steps follow)."""
    if (steps is None) == (target_epochs is None):
        raise PreflightError("Give either the steps or the target epochs, not both and not neither.")
    if steps is None:
        steps = steps_for_epochs(float(target_epochs), batch_size, frames, processes)
    return TrainingPlan(
        frames, batch_size, steps, epochs(steps, batch_size, frames, processes), guidance_for(policy_type)
    )


# Mixed-dataset merges


@dataclass(frozen=True)
class MergeCheck:
    """Whether lerobot can merge these datasets; each problem says what differs and what to do."""

    problems: tuple[str, ...]
    notes: tuple[str, ...]  # do not block the merge, but change what the policy learns
    frames: int  # frames of the merged set if every recorded episode were kept (excluded training episodes left out)
    episodes: int

    @property
    def ok(self) -> bool:
        return not self.problems


def check_merge(
    training_root: str | Path, recording_roots: Sequence[str | Path], exclude_training: Sequence[int] = ()
) -> MergeCheck:
    """lerobot merges only datasets with identical fps, robot_type and features: say which of these differ.
    `frames` and `episodes` leave out the `exclude_training` episodes, as the merge does."""
    if not recording_roots:
        raise PreflightError("Pick at least one deployment recording to merge into the training set.")
    training = open_dataset(training_root)
    recordings = [open_dataset(root) for root in recording_roots]
    problems, notes = [], []
    training_tasks = set(training.tasks)
    for recording in recordings:
        problems.extend(_merge_problems(training, recording))
        new_tasks = [task for task in recording.tasks if task not in training_tasks]
        if new_tasks:
            notes.append(
                f"{recording.root.name} adds task strings the training set does not have: "
                f"{', '.join(repr(task) for task in new_tasks)}. A language-conditioned policy (SmolVLA) learns them "
                "as new tasks; relabel them first if they mean the training task (lerobot-edit-dataset "
                "--operation.type=modify_tasks)."
            )
    excluded = set(map(int, exclude_training))
    return MergeCheck(
        problems=tuple(problems),
        notes=tuple(notes),
        frames=training_frames(training, excluded) + sum(recording.total_frames for recording in recordings),
        episodes=sum(int(i) not in excluded for i in training.episode_table.index)
        + sum(recording.total_episodes for recording in recordings),
    )


def _merge_problems(training: DatasetFiles, recording: DatasetFiles) -> list[str]:
    name = recording.root.name
    problems = []
    if training.fps != recording.fps:
        problems.append(
            f"{name} was recorded at {recording.fps:g} fps, the training set at {training.fps:g} fps. "
            "Record the deployment at the training fps; frames at another rate cannot be merged."
        )
    if training.robot_type != recording.robot_type:
        problems.append(
            f"{name} has robot_type {recording.robot_type!r}, the training set {training.robot_type!r}. "
            "lerobot refuses the merge; if it is the same arm under a newer lerobot name (so101_follower became "
            "so_follower in 0.4.4), check the joint units too before editing meta/info.json of a copy."
        )
    train_features, record_features = training.features, recording.features
    missing = sorted(set(train_features) - set(record_features))
    extra = sorted(set(record_features) - set(train_features))
    if missing or extra:
        parts = [f"lacks {', '.join(missing)}" if missing else "", f"adds {', '.join(extra)}" if extra else ""]
        problems.append(
            f"{name} {' and '.join(p for p in parts if p)} compared with the training set. Cameras and joints must "
            "be the same: record with the training camera names (a different name is a different feature)."
        )
    for key in sorted(set(train_features) & set(record_features)):
        if _comparable(train_features[key]) != _comparable(record_features[key]):
            problems.append(
                f"{name}: feature {key} differs ({_describe(record_features[key])} against the training set's "
                f"{_describe(train_features[key])}). Record with the training resolution and joint names."
            )
    return problems


def _comparable(feature: Mapping[str, Any]) -> dict[str, Any]:
    """A feature as lerobot compares it for a merge: video encoder settings left out, shapes as lists."""
    feature = dict(feature)
    if isinstance(feature.get("shape"), (list, tuple)):
        feature["shape"] = list(feature["shape"])
    if feature.get("dtype") == "video" and isinstance(feature.get("info"), Mapping):
        feature["info"] = {key: value for key, value in feature["info"].items() if key not in VIDEO_ENCODER_INFO_KEYS}
    return feature


def _describe(feature: Mapping[str, Any]) -> str:
    return f"dtype {feature.get('dtype')}, shape {list(feature.get('shape') or [])}, names {feature.get('names')}"


@dataclass(frozen=True)
class MergeResult:
    root: str
    repo_id: str
    episodes: int
    frames: int
    sources: tuple[str, ...]
    kept_episodes: Mapping[str, tuple[int, ...]]  # recording root -> episodes merged from it
    skipped: tuple[str, ...]  # recordings left out, and why
    excluded_training: tuple[int, ...] = ()  # training episodes left out (the operator's exclusions)


def merged_root(name: str, workspace: Workspace | None = None) -> Path:
    """Where a merged training set named `name` goes: `<workspace>/merged/<name>`."""
    return (workspace or Workspace.default()).root / MERGED_DIR / checked_name(name, "merged dataset")


def local_repo_id(name: str) -> str:
    """A repo_id lerobot accepts for a local-only dataset: `local/<name>` with unsafe characters replaced."""
    return "local/" + (re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "merged")


def merge_recordings(
    training_root: str | Path,
    recording_roots: Sequence[str | Path],
    output_root: str | Path,
    *,
    keep: Keep = "success",
    successes: Mapping[str, Sequence[int]] | None = None,
    repo_id: str | None = None,
    exclude_training: Sequence[int] = (),
) -> MergeResult:
    """Merge the training set and deployment recordings into a new dataset with lerobot's `merge_datasets`.

    `keep="success"` keeps only the episodes listed in `successes` (recording root -> episode
    indices tagged success; see `successful_episodes`); a recording with none is left out.
    `exclude_training`: training episodes left out (the operator's exclusions, core.training.exclusions).
    The output folder must not exist. Nothing is written into the sources.
    """
    output_root = Path(output_root).expanduser().resolve()
    if output_root.exists():
        raise PreflightError(
            f"{output_root} already exists. Pick a new name for the merged dataset; existing data is never overwritten."
        )
    check = check_merge(training_root, recording_roots)
    if not check.ok:
        raise PreflightError("lerobot cannot merge these datasets:\n- " + "\n- ".join(check.problems))
    training = open_dataset(training_root)
    selections, skipped = _selections(recording_roots, keep, successes)
    if not selections:
        raise PreflightError(
            "No deployment episode is tagged success in the chosen recordings, so there is nothing to merge. Tag the "
            "good episodes on the Deploy page (or `python -m core registry tag`), or merge every episode (keep: all)."
        )
    repo_id = repo_id or local_repo_id(output_root.name)
    scratch = output_root.parent / f".{output_root.name}.parts"
    try:
        return _merge(training, selections, skipped, output_root, repo_id, scratch, tuple(exclude_training))
    except (ValueError, FileNotFoundError, KeyError) as error:
        shutil.rmtree(output_root, ignore_errors=True)
        raise PreflightError(
            f"lerobot could not merge the datasets: {error}. Nothing was changed in the sources."
        ) from error
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _selections(
    recording_roots: Sequence[str | Path], keep: Keep, successes: Mapping[str, Sequence[int]] | None
) -> tuple[list[tuple[DatasetFiles, tuple[int, ...]]], list[str]]:
    selections, skipped = [], []
    for root in recording_roots:
        recording = open_dataset(root)
        indices = tuple(episode.index for episode in recording.episodes)
        if keep == "success":
            tagged = set((successes or {}).get(str(recording.root), ()))
            indices = tuple(index for index in indices if index in tagged)
            if not indices:
                skipped.append(f"{recording.root.name}: no episode tagged success")
                continue
        selections.append((recording, indices))
    return selections, skipped


def _merge(
    training: DatasetFiles,
    selections: list[tuple[DatasetFiles, tuple[int, ...]]],
    skipped: list[str],
    output_root: Path,
    repo_id: str,
    scratch: Path,
    exclude_training: tuple[int, ...] = (),
) -> MergeResult:
    from lerobot.datasets.dataset_tools import delete_episodes, merge_datasets
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    def load(root: Path, name: str) -> LeRobotDataset:
        return LeRobotDataset(local_repo_id(name), root=root, video_backend="pyav")

    sources = [load(training.root, training.root.name)]
    excluded = sorted(set(exclude_training) & {episode.index for episode in training.episodes})
    if excluded:  # lerobot writes a copy without them; the training set itself is untouched
        sources[0] = delete_episodes(
            sources[0], excluded, output_dir=scratch / "training", repo_id=local_repo_id("part_training")
        )
    for i, (recording, indices) in enumerate(selections):
        dataset = load(recording.root, recording.root.name)
        dropped = [episode.index for episode in recording.episodes if episode.index not in set(indices)]
        if dropped:  # lerobot writes a copy without them; the recording itself is untouched
            dataset = delete_episodes(
                dataset, dropped, output_dir=scratch / f"{i}_{recording.root.name}", repo_id=local_repo_id(f"part_{i}")
            )
        sources.append(dataset)
    output_root.parent.mkdir(parents=True, exist_ok=True)
    merged = merge_datasets(sources, output_repo_id=repo_id, output_dir=output_root)
    return MergeResult(
        root=str(output_root),
        repo_id=repo_id,
        episodes=int(merged.meta.total_episodes),
        frames=int(merged.meta.total_frames),
        sources=(str(training.root), *(str(recording.root) for recording, _ in selections)),
        kept_episodes={str(recording.root): indices for recording, indices in selections},
        excluded_training=tuple(excluded),
        skipped=tuple(skipped),
    )


def successful_episodes(registry: Any, recording_roots: Sequence[str | Path]) -> dict[str, tuple[int, ...]]:
    """Recording root -> indices of its kept episodes whose current tag is success (from the registry)."""
    wanted = {str(Path(root).expanduser().resolve()) for root in recording_roots}
    found: dict[str, list[int]] = {root: [] for root in wanted}
    for row in registry.episode_rows():
        if row.dataset_root in wanted and row.status != "discarded" and row.outcome == "success":
            found[row.dataset_root].append(row.episode_index)
    return {root: tuple(sorted(indices)) for root, indices in found.items()}


def train_command(
    dataset_root: str | Path,
    repo_id: str,
    *,
    steps: int,
    batch_size: int,
    policy_type: str | None = None,
    policy_path: str | Path | None = None,
    output_dir: str | Path | None = None,
    job_name: str | None = None,
    device: str = "cuda",
) -> str:
    """The `lerobot-train` command line that trains on a (merged) dataset; `policy_path` fine-tunes a checkpoint."""
    if (policy_type is None) == (policy_path is None):
        raise PreflightError(
            "Give a policy type to train from scratch (act, smolvla) or a checkpoint path to fine-tune, not both."
        )
    job_name = job_name or re.sub(r"[^A-Za-z0-9_-]+", "_", f"{policy_type or 'finetune'}_{Path(dataset_root).name}")
    output_dir = output_dir or f"outputs/train/{job_name}"
    arguments = [
        "lerobot-train",
        f"--dataset.repo_id={repo_id}",
        f"--dataset.root={Path(dataset_root).expanduser().resolve()}",
        f"--policy.path={policy_path}" if policy_path is not None else f"--policy.type={policy_type}",
        f"--steps={steps}",
        f"--batch_size={batch_size}",
        f"--output_dir={output_dir}",
        f"--job_name={job_name}",
        f"--policy.device={device}",
        "--policy.push_to_hub=false",
        "--wandb.enable=false",
    ]
    return shlex.join(arguments)


def dataset_frames(root: str | Path) -> int:
    """Frames of a dataset folder, from its metadata."""
    return open_dataset(root, check_videos=False).total_frames


def training_frames(training: str | Path | DatasetFiles, exclude_training: Sequence[int] = ()) -> int:
    """Frames of a training set without its excluded episodes (each episode's length from the metadata): what a
    plan on it, or on its merge, trains on."""
    dataset = training if isinstance(training, DatasetFiles) else open_dataset(training, check_videos=False)
    excluded = set(map(int, exclude_training))
    table = dataset.episode_table
    return sum(int(length) for index, length in zip(table.index, table.length) if int(index) not in excluded)
