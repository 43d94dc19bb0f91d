"""The training profile as readable text: what the CLI prints and the Overview page shows.

Plain text with markdown tables, so it reads the same in a terminal and rendered by `st.markdown`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from core.policy.checkpoint import CheckpointInfo
from core.policy.inference_settings import supports_rtc
from core.policy.vlm_backbone import backbone_status
from core.training.profile import TrainingProfile


def format_profile(profile: TrainingProfile, literal: Callable[[str], str] = str) -> str:
    """The summary; `literal` shows strings from the data (tasks, the folder): `core.text.markdown_literal` where
    the text is rendered as markdown, so a task can never be a link or an image."""
    units = profile.joint_units.units
    lines = [
        f"# Training profile {profile.name}",
        "",
        f"Dataset: {literal(str(profile.dataset_dir))}",
        f"Robot type: {profile.robot_type or 'not recorded'}, {profile.fps:g} fps, {profile.total_episodes} episodes, "
        f"{profile.total_frames} frames ({profile.total_frames / profile.fps:.0f} s)",
        "",
        "## Tasks (exact strings)",
        "",
        _table(
            ["episodes", "frames", "task"],
            [[t.episodes, t.frames, literal(json.dumps(t.task, ensure_ascii=False))] for t in profile.tasks],
        ),
        "",
        "## Cameras",
        "",
        _table(
            ["camera", "key", "resolution", "fps", "codec", "reference frames"],
            [
                [c.name, c.key, f"{c.width_px}x{c.height_px}", f"{c.fps:g}", c.codec or "?", len(c.reference_frames)]
                for c in profile.cameras
            ],
        )
        if profile.cameras
        else "No cameras.",
        "",
        f"## Start pose (first observation.state of each episode; units: {units})",
        "",
        _table(
            ["joint", "mean", "std", "min", "max"],
            [[j.joint, *(_joint(profile, v) for v in (j.mean, j.std, j.min, j.max))] for j in profile.start_pose],
        ),
        "",
        "## Gripper",
        "",
        *_gripper_lines(profile),
        "",
        f"## Action jumps |a(t) - a(t-1)| within episodes (units per frame: {units})",
        "",
        _table(
            ["joint", "p50", "p95", "max"],
            [[j.joint, *(_joint(profile, v) for v in (j.p50, j.p95, j.max))] for j in profile.action_jumps],
        ),
        "",
        "## Joint units",
        "",
        f"{units}: {profile.joint_units.reason}.",
        "",
        "## Checkpoint",
        "",
        *_checkpoint_lines(profile),
        "",
        "## Hygiene (episodes worth a look before training)",
        "",
        *_hygiene_lines(profile),
    ]
    if profile.warnings:
        lines += ["", "## Warnings", "", *(f"- {warning}" for warning in profile.warnings)]
    return "\n".join(lines) + "\n"


def _gripper_lines(profile: TrainingProfile) -> list[str]:
    gripper = profile.gripper
    if gripper is None:
        return ["No gripper joint in the state/action names."]
    threshold = gripper.closed_threshold
    return [
        f"- closed when {gripper.joint} <= {_num(threshold.value)} "
        f"(rule: {threshold.rule}, separability {threshold.separability:.2f}; SO-101: 0 = closed)",
        f"- closed in {gripper.closed_fraction_action:.1%} of action frames, {gripper.closed_fraction_state:.1%} of "
        "state frames",
        f"- mean gripper action {_num(gripper.mean_action)}",
    ]


def _hygiene_lines(profile: TrainingProfile) -> list[str]:
    """The flags, then the checks that ran and those skipped with why: no flag claims only what was checked."""
    hygiene = profile.hygiene
    if hygiene is None:
        return ["Not checked (profile built without hygiene)."]
    if not hygiene.coverage_known:
        head = ["Which checks ran was not recorded (a profile saved by an older Preflight): build it again."]
    elif not hygiene.checked:
        head = ["Nothing could be checked (see why below), so no flag does not mean the episodes are fine."]
    elif not hygiene.flags:
        head = ["No episode flagged by the checks that ran."]
    else:
        head = []
    flags = [
        f"- {flag.severity} {flag.id}"
        + (
            f" (episodes {', '.join(map(str, flag.episodes[:20]))}{' ...' if len(flag.episodes) > 20 else ''})"
            if flag.episodes
            else ""
        )
        + f": {flag.reason}"
        for flag in hygiene.flags
    ]
    coverage = (
        [f"- checks run: {', '.join(hygiene.checked) or 'none'}"]
        + [f"- not checked: {skip.id} ({skip.reason})" for skip in hygiene.skipped]
        if hygiene.coverage_known
        else []
    )
    return [*head, *([""] if head and (flags or coverage) else []), *flags, *coverage]


def _checkpoint_lines(profile: TrainingProfile) -> list[str]:
    checkpoint = profile.checkpoint
    if checkpoint is None:
        return ["None given (pass --policy to add chunk settings, image keys and epochs)."]
    rename = ", ".join(f"{source} -> {target}" for source, target in checkpoint.rename_map.items()) or "none"
    lines = [
        f"- policy: {checkpoint.policy_type} ({checkpoint.path})",
        f"- chunk_size {checkpoint.chunk_size}, n_action_steps "
        f"{checkpoint.n_action_steps}{_chunk_seconds(checkpoint, profile.fps)}",
        f"- image keys: {', '.join(checkpoint.image_keys) or 'none'}",
        f"- rename_map in its processors: {rename}",
        *_feature_lines(profile),
        *_smolvla_lines(checkpoint),
    ]
    training = checkpoint.training
    if training is None:
        return [*lines, "- no train_config.json: steps, batch size and epochs unknown"]
    at_step = (
        f"step {training.checkpoint_step} of {training.steps}"
        if training.checkpoint_step is not None
        else f"{training.steps} steps"
    )
    processes = f" x {training.num_processes} processes" if training.num_processes != 1 else ""
    epochs = f"{profile.epochs:.1f} epochs" if profile.epochs is not None else "epochs unknown"
    frames = f" over {profile.training_frames} frames" if profile.training_frames is not None else ""
    lines.append(f"- trained {at_step} x batch {training.batch_size}{processes}{frames} = {epochs}")
    if profile.dataset_match is not None:
        lines.append(f"- training dataset: {profile.dataset_match.status}: {profile.dataset_match.detail}")
    return lines


def _feature_lines(profile: TrainingProfile) -> list[str]:
    check = profile.feature_check
    if check is None:
        return []
    if check.matches:
        return [
            f"- features: observation.state {check.expected_state_size}, action {check.expected_action_size}: "
            "this dataset has them and feeds every image key"
        ]
    return [f"- features: MISMATCH (feature_mismatch): the policy expects {check.describe()}"]


def _chunk_seconds(checkpoint: CheckpointInfo, fps: float) -> str:
    if not checkpoint.chunk_size or not checkpoint.n_action_steps or fps <= 0:
        return ""
    return (
        f" ({checkpoint.chunk_size / fps:.2f} s planned, {checkpoint.n_action_steps / fps:.2f} s executed per "
        f"inference at {fps:g} fps)"
    )


def _smolvla_lines(checkpoint: CheckpointInfo) -> list[str]:
    """Empty cameras, the task sentence's way in, the backbone (checked now, on this machine) and RTC."""
    lines = []
    if checkpoint.empty_cameras:
        lines.append(f"- empty_cameras {checkpoint.empty_cameras}: blank image slots no camera fills")
    language = checkpoint.language
    if language is None:
        lines.append("- task sentence: not read by this policy")
    else:
        newline = "appends a newline, then " if language.appends_newline else ""
        lines.append(
            f"- task sentence: {newline}tokenised by {language.tokenizer_name} "
            f"(tokenizer max length {language.max_length}, padding {language.padding})"
        )
    status = backbone_status(checkpoint)
    if status is not None:
        weights = ", its weights too (load_vlm_weights)" if checkpoint.load_vlm_weights else ""
        lines.append(
            f"- vision-language backbone {status.vlm_model_name} (config, processor, tokenizer{weights}): "
            f"{status.summary}"
        )
        lines += [f"  {line}" for line in status.message.splitlines()]
    lines.append(
        "- inference: "
        f"sync{', or RTC (real-time chunking)' if supports_rtc(checkpoint) else ' only (no RTC for this policy type)'}"
    )
    return lines


def _num(value: float) -> str:
    return f"{value:.2f}"


def _joint(profile: TrainingProfile, value: float) -> str:
    """A joint value at the precision of the profile's units (radians need three decimals, not two)."""
    return f"{value:.4f}" if profile.joint_units.units == "radians" else _num(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [list(map(str, header)), *[[str(cell) for cell in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    numeric = [all(_is_number(row[i]) for row in cells[1:]) and len(cells) > 1 for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(row, widths, numeric)) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if n else ("-" * (w + 2)) for w, n in zip(widths, numeric)) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
