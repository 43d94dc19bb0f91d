"""The task sentence, exactly and as the policy reads it: SmolVLA's newline, its tokenizer, the tokens side by side."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from core.policy.checkpoint import CheckpointInfo
from core.policy.task_check import check_task, model_view, text_diff
from core.rules.task import judge_task
from tests.policy.conftest import TASK

LONG_TASK = "Grasp a brain and put it in the bin."


def tokens(check, side: str) -> list[str]:
    return [getattr(row, f"{side}_token") for row in check.model_view.rows if getattr(row, f"{side}_token") is not None]


def test_the_training_sentence_passes(smolvla_info: CheckpointInfo) -> None:
    check = check_task(TASK, [TASK], smolvla_info)
    finding = judge_task(check, smolvla_info)
    assert finding.severity == "ok" and finding.fix == "" and check.closest_task == TASK


def test_a_trailing_space_is_a_different_input(smolvla_info: CheckpointInfo) -> None:
    check = check_task(f"{TASK} ", [TASK], smolvla_info)
    finding = judge_task(check, smolvla_info)
    assert finding.severity == "critical"
    assert check.diff_text == "Grab the brain{+␣+}"
    view = check.model_view
    assert (view.training_text, view.operator_text) == ("Grab the brain\n", "Grab the brain \n")  # SmolVLA's newline
    assert tokens(check, "training") == ["Grab", "␣the", "␣brain", "⏎"]
    assert tokens(check, "operator") == ["Grab", "␣the", "␣brain", "␣", "⏎"]
    assert view.first_difference == 3
    assert "different tokens from position 3" in finding.evidence.sentence
    assert finding.fix == 'Use the training sentence exactly: "Grab the brain".'


def test_another_wording_differs_from_the_first_token(smolvla_info: CheckpointInfo) -> None:
    check = check_task(LONG_TASK, [TASK], smolvla_info)
    assert judge_task(check, smolvla_info).severity == "critical"
    assert check.model_view.first_difference == 0
    assert tokens(check, "operator")[:3] == ["Grasp", "␣a", "␣brain"] and tokens(check, "operator")[-1] == "⏎"
    assert "[-Grab-]" in check.diff_text and "bin.+}" in check.diff_text


def test_the_closest_of_several_training_tasks_is_compared(smolvla_info: CheckpointInfo) -> None:
    check = check_task("Grasp a brain and put it in the bin", [TASK, LONG_TASK], smolvla_info)
    assert check.closest_task == LONG_TASK
    assert check.diff_text == "Grasp a brain and put it in the bin[-.-]"
    fix = judge_task(check, smolvla_info).fix
    assert LONG_TASK in fix and TASK in fix


def test_a_trailing_newline_reaches_the_model_unchanged(smolvla_info: CheckpointInfo) -> None:
    """The newline step adds none when there is one: same tokens, but the recording is labelled differently."""
    check = check_task(f"{TASK}\n", [TASK], smolvla_info)
    assert judge_task(check, smolvla_info).severity == "info" and check.model_view.same
    assert check.diff_text == "Grab the brain{+⏎+}"


def test_act_does_not_read_the_task(act_info: CheckpointInfo) -> None:
    check = check_task(f"{TASK} ", [TASK], act_info)
    finding = judge_task(check, act_info)
    assert finding.severity == "info" and check.model_view is None
    assert "does not read the task" in finding.evidence.sentence


def test_a_sentence_longer_than_the_tokenizer_limit_is_cut(smolvla_info: CheckpointInfo) -> None:
    view = model_view(smolvla_info, TASK, " ".join([TASK] * 20))
    assert view.cut_after_tokens == 48
    assert len([row for row in view.rows if row.operator_id is not None]) == 48


def test_an_unavailable_tokenizer_still_gives_the_exact_check(smolvla_info: CheckpointInfo, tmp_path: Path) -> None:
    gone = dataclasses.replace(
        smolvla_info, path=str(_copy_with_tokenizer(smolvla_info, tmp_path, str(tmp_path / "no-such-backbone")))
    )
    check = check_task(f"{TASK} ", [TASK], gone)
    finding = judge_task(check, gone)
    assert finding.severity == "critical" and check.model_view is None
    assert "tokenizer is not available" in finding.evidence.sentence


def test_tokens_are_the_ones_lerobots_own_preprocessor_gives(
    smolvla_checkpoint: Path, smolvla_info: CheckpointInfo
) -> None:
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.policies.factory import make_pre_post_processors
    from lerobot.policies.utils import prepare_observation_for_inference

    config = PreTrainedConfig.from_pretrained(smolvla_checkpoint)
    preprocessor, _ = make_pre_post_processors(config, pretrained_path=smolvla_checkpoint)
    frame = {"observation.state": np.zeros(6, dtype=np.float32)}
    frame |= {f"observation.images.{c}": np.zeros((48, 64, 3), dtype=np.uint8) for c in ("front", "wrist")}
    for sentence in (f"{TASK} ", LONG_TASK):
        with torch.inference_mode():
            batch = preprocessor(
                prepare_observation_for_inference(dict(frame), torch.device("cpu"), sentence, "so_follower")
            )
        view = model_view(smolvla_info, TASK, sentence)
        assert [row.operator_id for row in view.rows if row.operator_id is not None] == batch[
            "observation.language.tokens"
        ][0].tolist()


@pytest.mark.parametrize(
    ("training", "operator"),
    [(TASK, f"{TASK} "), (TASK, LONG_TASK), (TASK, "grab the Brain!"), (TASK, "Grab  the brain\n"), ("", TASK)],
)
def test_the_diff_rebuilds_both_sentences_exactly(training: str, operator: str) -> None:
    segments = text_diff(training, operator)
    assert "".join(s.training for s in segments) == training
    assert "".join(s.operator for s in segments) == operator


def _copy_with_tokenizer(info: CheckpointInfo, folder: Path, tokenizer_name: str) -> Path:
    import json
    import shutil

    copy = folder / "pretrained_model"
    shutil.copytree(info.path, copy)
    preprocessor = json.loads((copy / "policy_preprocessor.json").read_text())
    for step in preprocessor["steps"]:
        if step["registry_name"] == "tokenizer_processor":
            step["config"]["tokenizer_name"] = tokenizer_name
    (copy / "policy_preprocessor.json").write_text(json.dumps(preprocessor))
    return copy
