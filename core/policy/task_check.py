"""Is the operator's task sentence the one the policy was trained on, as the policy will read it?

Two views. The exact one compares characters: a trailing space, a capital letter, a full
stop or a different article are all different sentences to a language-conditioned policy,
so the difference is shown with visible markers (a space as ␣, a newline as ⏎). The model's
one runs the checkpoint's own preprocessor steps on both sentences (lerobot's classes, built
from `policy_preprocessor.json`: SmolVLA appends a newline and then tokenises with its
backbone's tokenizer) and lays the token sequences side by side, with the first position
where they part. "Grab the brain " reaches SmolVLA as one more token than "Grab the brain":
a different input, which is how a gripper comes to never close.

ACT does not read the task; its sentence only labels the recording, so a mismatch there is
a warning about merging recordings into the next training set, not about the run.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from core.errors import CheckpointError
from core.policy.checkpoint import PREPROCESSOR_FILE, TOKENIZER_STEP_NAMES, CheckpointInfo
from core.policy.processor_safety import verify_processors

VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥", "\r": "␍"}
DIFF_UNITS = re.compile(r"\w+|\s|[^\w\s]")


@dataclass(frozen=True)
class DiffSegment:
    op: Literal["equal", "insert", "delete", "replace"]  # from the training sentence to the operator's
    training: str
    operator: str


@dataclass(frozen=True)
class TokenRow:
    position: int
    training_id: int | None  # None past the end of the shorter sequence
    training_token: str | None  # the token's text, whitespace made visible
    operator_id: int | None
    operator_token: str | None

    @property
    def same(self) -> bool:
        return self.training_id == self.operator_id


@dataclass(frozen=True)
class ModelView:
    """Both sentences as the policy's tokenizer receives them, and the tokens it makes of them."""

    steps: tuple[str, ...]  # what the preprocessor does to the sentence, in order
    training_text: str  # after the text steps (SmolVLA: with the newline)
    operator_text: str
    rows: tuple[TokenRow, ...]
    first_difference: int | None  # token position; None when the model sees the same input
    cut_after_tokens: int | None  # max_length when a sentence is longer and its tail is cut, else None

    @property
    def same(self) -> bool:
        return self.first_difference is None


@dataclass(frozen=True)
class TaskCheck:
    sentence: str  # the operator's
    closest_task: str | None  # the training task it is compared with (the exact one when it matches); None: no tasks
    training_tasks: tuple[str, ...]
    diff: tuple[DiffSegment, ...]  # from closest_task to sentence
    model_view: ModelView | None  # None for a policy that ignores the task, or when its tokenizer is unavailable
    tokenizer_problem: str = ""  # why the model view could not be built (the tokenizer is not on this machine)

    @property
    def exact(self) -> bool:
        return self.sentence == self.closest_task

    @property
    def diff_text(self) -> str:
        """The difference in one line: `[-removed-]`, `{+added+}`, with whitespace visible inside them."""
        return render_diff(self.diff)


def visible(text: str) -> str:
    return "".join(VISIBLE.get(char, char) for char in text)


def render_diff(segments: Sequence[DiffSegment]) -> str:
    parts = []
    for segment in segments:
        if segment.op == "equal":
            parts.append(segment.operator)
        if segment.op in ("delete", "replace"):
            parts.append(f"[-{visible(segment.training)}-]")
        if segment.op in ("insert", "replace"):
            parts.append(f"{{+{visible(segment.operator)}+}}")
    return "".join(parts)


def text_diff(training: str, operator: str) -> tuple[DiffSegment, ...]:
    """Exact differences, aligned on words: each space, newline and punctuation mark is a unit of its own.

    Joining the segments' texts gives back each sentence character for character.
    """
    a, b = DIFF_UNITS.findall(training), DIFF_UNITS.findall(operator)
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    return tuple(DiffSegment(op, "".join(a[i1:i2]), "".join(b[j1:j2])) for op, i1, i2, j1, j2 in matcher.get_opcodes())


def closest_task(sentence: str, training_tasks: Sequence[str]) -> str | None:
    """The training task equal to the sentence, else the most similar one (character ratio, ties to the first)."""
    if sentence in training_tasks:
        return sentence
    scored = [
        (difflib.SequenceMatcher(a=task, b=sentence, autojunk=False).ratio(), -i, task)
        for i, task in enumerate(training_tasks)
    ]
    return max(scored)[2] if scored else None


def check_task(sentence: str, training_tasks: Sequence[str], checkpoint: CheckpointInfo | None) -> TaskCheck:
    """Compare the operator's sentence with the training tasks, exactly and as the checkpoint's policy reads it.

    The judgement of the comparison is the task rule, `core.rules.task.judge_task`.
    """
    tasks = tuple(training_tasks)
    closest = closest_task(sentence, tasks)
    if closest is None:
        return TaskCheck(sentence, None, tasks, (), None)
    view, unavailable = None, ""
    if checkpoint is not None and checkpoint.language is not None and sentence != closest:
        try:
            view = model_view(checkpoint, closest, sentence)
        except CheckpointError as error:
            unavailable = str(error)
    return TaskCheck(sentence, closest, tasks, text_diff(closest, sentence), view, unavailable)


def model_view(checkpoint: CheckpointInfo, training: str, operator: str) -> ModelView:
    """Run the checkpoint's text steps and tokenizer (lerobot's own classes) on both sentences."""
    pipeline = _language_pipeline(checkpoint.path, _mtime(checkpoint.path))
    training_text, training_ids, training_full = pipeline.run(training)
    operator_text, operator_ids, operator_full = pipeline.run(operator)
    length = max(len(training_ids), len(operator_ids))
    rows = tuple(
        TokenRow(
            position=i,
            training_id=training_ids[i] if i < len(training_ids) else None,
            training_token=pipeline.token_text(training_ids[i]) if i < len(training_ids) else None,
            operator_id=operator_ids[i] if i < len(operator_ids) else None,
            operator_token=pipeline.token_text(operator_ids[i]) if i < len(operator_ids) else None,
        )
        for i in range(length)
    )
    first = next((row.position for row in rows if not row.same), None)
    cut = (
        pipeline.max_length if pipeline.truncation and max(training_full, operator_full) > pipeline.max_length else None
    )
    return ModelView(pipeline.describe(), training_text, operator_text, rows, first, cut)


@dataclass
class _LanguagePipeline:
    text_steps: list[Any]  # lerobot ComplementaryDataProcessorStep instances, in the preprocessor's order
    tokenizer_step: Any  # lerobot TokenizerProcessorStep

    @property
    def max_length(self) -> int:
        return self.tokenizer_step.max_length

    @property
    def truncation(self) -> bool:
        return self.tokenizer_step.truncation

    def run(self, sentence: str) -> tuple[str, list[int], int]:
        """(text the tokenizer receives, token ids the model gets without padding, untruncated token count)."""
        from lerobot.processor import TransitionKey, create_transition
        from lerobot.utils.constants import OBS_LANGUAGE_ATTENTION_MASK, OBS_LANGUAGE_TOKENS

        transition = create_transition(observation={}, complementary_data={"task": [sentence]})
        for step in self.text_steps:
            transition = step(transition)
        text = transition[TransitionKey.COMPLEMENTARY_DATA]["task"][0]
        observation = self.tokenizer_step(transition)[TransitionKey.OBSERVATION]
        ids = observation[OBS_LANGUAGE_TOKENS][0][observation[OBS_LANGUAGE_ATTENTION_MASK][0]].tolist()
        full = len(self.tokenizer_step.input_tokenizer(text)["input_ids"])
        return text, ids, full

    def token_text(self, token_id: int) -> str:
        return visible(self.tokenizer_step.input_tokenizer.decode([token_id]))

    def describe(self) -> tuple[str, ...]:
        names = {"NewLineTaskProcessorStep": "append a newline unless the sentence ends with one"}
        step = self.tokenizer_step
        return (
            *(names.get(type(s).__name__, type(s).__name__) for s in self.text_steps),
            f"tokenise with {step.tokenizer_name} (padding {step.padding} on the {step.padding_side}, "
            f"at most {step.max_length} tokens{', longer sentences cut' if step.truncation else ''})",
        )


@functools.lru_cache(maxsize=4)
def _language_pipeline(path: str, mtime: float) -> _LanguagePipeline:
    """lerobot's text and tokenizer steps of a checkpoint's preprocessor; cached per file version (loading a tokenizer
    takes a while)."""
    from lerobot.processor import ComplementaryDataProcessorStep, ProcessorStepRegistry, TokenizerProcessorStep

    verify_processors(Path(path))
    steps = json.loads((Path(path) / PREPROCESSOR_FILE).read_text()).get("steps", [])
    text_steps: list[Any] = []
    for step in steps:
        name = step.get("registry_name")
        if name is None:
            continue
        cls = ProcessorStepRegistry.get(name)
        if name in TOKENIZER_STEP_NAMES:
            try:
                return _LanguagePipeline(text_steps, TokenizerProcessorStep(**(step.get("config") or {})))
            except (OSError, ValueError) as error:
                raise CheckpointError(
                    f"Cannot load the tokenizer {step.get('config', {}).get('tokenizer_name')!r} ({error}). "
                    "See the backbone status in the checkpoint's profile for the files to fetch."
                ) from error
        if issubclass(cls, ComplementaryDataProcessorStep):
            text_steps.append(cls(**(step.get("config") or {})))
    raise CheckpointError(f"{path} has no tokenizer step in {PREPROCESSOR_FILE}: this policy does not read the task.")


def _mtime(path: str) -> float:
    return (Path(path) / PREPROCESSOR_FILE).stat().st_mtime
