"""The task sentence (cause: task_mismatch): any difference from every training task is a different input.

A policy that reads the task (its checkpoint has a language input, e.g. SmolVLA) given another
sentence is critical, unless its preprocessor turns both into the same tokens (info); a policy that
ignores it (ACT) only labels its recording with the sentence, which then merges into the next training
set as a task of its own (info). With no checkpoint the policy is assumed to read it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from core.policy.checkpoint import CheckpointInfo
from core.policy.task_check import TaskCheck, render_diff
from core.rules.finding import CannotJudge, Evidence, Finding

FINDING_ID = "task_mismatch"
TITLE = "The task sentence is not a training task"


def reads_language(checkpoint: CheckpointInfo | None) -> bool | None:
    """Whether the policy reads the task, from its checkpoint; None when there is no checkpoint."""
    return None if checkpoint is None else checkpoint.language is not None


def judge_task(check: TaskCheck, checkpoint: CheckpointInfo | None, *, episodes_share: float | None = None) -> Finding:
    """Judge a comparison from `core.policy.task_check.check_task`; `episodes_share`: of the recorded episodes using
    it."""
    if check.closest_task is None:
        raise CannotJudge("the training profile lists no task sentence to compare with")
    nearest = check.closest_task
    numbers = {
        "deployment_task": check.sentence,
        "nearest_training_task": nearest,
        "difference": difference(check.sentence, nearest),
        "similarity": round(SequenceMatcher(None, check.sentence, nearest).ratio(), 4),
        "training_tasks": list(check.training_tasks),
        "policy_type": checkpoint.policy_type if checkpoint else None,
    }
    if episodes_share is not None:
        numbers["episodes_share"] = round(episodes_share, 4)
    if check.exact:
        return Finding(
            FINDING_ID,
            "ok",
            "Task sentence matches a training task exactly",
            Evidence("The sentence is a training task, character for character.", numbers),
        )
    shown = render_diff(check.diff)
    fix = f"Use the training sentence exactly: {json.dumps(nearest, ensure_ascii=False)}" + (
        f" (the training tasks: {', '.join(json.dumps(t, ensure_ascii=False) for t in check.training_tasks)})."
        if len(check.training_tasks) > 1
        else "."
    )
    reads = reads_language(checkpoint)
    if reads is False:
        sentence = (
            f"The {checkpoint.policy_type} policy does not read the task, so the run is not affected; the sentence "
            f"only labels the recording, and differs from the training task: {shown}. Recordings with another sentence "
            "merge into the next training set as another task."
        )
        fix = (
            f"{fix} Relabel recordings made with another sentence before merging them into a training set "
            "(lerobot-edit-dataset --operation.type=modify_tasks)."
        )
        return Finding(FINDING_ID, "info", TITLE, Evidence(sentence, numbers), fix)
    if check.model_view is not None and check.model_view.same:
        sentence = (
            f"The sentence differs from the training task ({shown}), but the policy's preprocessor turns both into the "
            "same tokens. The recording is labelled with the different sentence."
        )
        return Finding(FINDING_ID, "info", TITLE, Evidence(sentence, numbers), fix)
    if check.model_view is not None:
        tokens = (
            f" The policy sees different tokens from position {check.model_view.first_difference} on "
            f"({len(check.model_view.rows)} positions compared)."
        )
    elif check.tokenizer_problem:
        tokens = f" The tokenizer is not available, so the tokens cannot be shown: {check.tokenizer_problem}"
    else:
        tokens = " (Policies that read the task, like SmolVLA, tokenise it verbatim; ACT ignores it.)"
    sentence = (
        f"The sentence {check.sentence!r} is not a training task (nearest {nearest!r}, they differ "
        f"{numbers['difference']}): {shown}.{tokens} A language-conditioned policy given a sentence it was not trained "
        "on may reach without grasping."
    )
    return Finding(FINDING_ID, "critical", TITLE, Evidence(sentence, numbers), fix)


def difference(task: str, nearest: str) -> str:
    """How two sentences differ, in words: spaces, letter case, punctuation or wording."""
    if task.strip() == nearest.strip():
        return "only in leading or trailing spaces"
    if " ".join(task.split()) == " ".join(nearest.split()):
        return "only in spaces"
    if task.casefold() == nearest.casefold():
        return "only in letter case"
    if re.sub(r"[\W_]+", "", task.casefold()) == re.sub(r"[\W_]+", "", nearest.casefold()):
        return "only in punctuation and spaces"
    return "in wording"


def most_used_unknown_task(used: Sequence[str], training_tasks: Sequence[str]) -> tuple[str, float] | None:
    """Of the tasks of recorded episodes (one entry per episode, '; '-joined), the most used one that is not a
    training task, with the share of episodes that used an unknown task; None when every task is known."""
    unknown_per_episode = [[t for t in tasks.split("; ") if t and t not in training_tasks] for tasks in used]
    counts: dict[str, int] = {}
    for tasks in unknown_per_episode:
        for task in tasks:
            counts[task] = counts.get(task, 0) + 1
    if not counts:
        return None
    share = sum(1 for tasks in unknown_per_episode if tasks) / max(1, len(used))
    return max(counts, key=lambda t: counts[t]), share
