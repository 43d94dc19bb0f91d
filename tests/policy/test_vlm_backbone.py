"""Is SmolVLA's backbone on this machine? Judged on disk; when it is not and the machine is offline, the message says
how to get it."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import CheckpointError
from core.policy.checkpoint import CheckpointInfo, read_checkpoint
from core.policy.vlm_backbone import backbone_status, require_backbone

REPO = "HuggingFaceTB/SmolVLM2-500M-Video-Instruct"
SMALL_FILES = (
    "config.json",
    "preprocessor_config.json",
    "processor_config.json",
    "chat_template.json",
    "tokenizer_config.json",
    "tokenizer.json",
    "vocab.json",
    "merges.txt",
    "added_tokens.json",
    "special_tokens_map.json",
)


def naming(info: CheckpointInfo, folder: Path, backbone: str) -> Path:
    """A copy of the checkpoint whose config and tokenizer step name `backbone`, as a real smolvla_base fine-tune names
    the Hub repo."""
    copy = folder / "pretrained_model"
    shutil.copytree(info.path, copy)
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, "vlm_model_name": backbone}))
    preprocessor = json.loads((copy / "policy_preprocessor.json").read_text())
    for step in preprocessor["steps"]:
        if step["registry_name"] == "tokenizer_processor":
            step["config"]["tokenizer_name"] = backbone
    (copy / "policy_preprocessor.json").write_text(json.dumps(preprocessor))
    return copy


def hub_cache(root: Path, backbone_dir: Path, drop: tuple[str, ...] = ()) -> Path:
    """A Hugging Face hub cache holding the stand-in backbone under REPO, in the cache's on-disk layout
    (refs/main -> a commit, snapshots/<commit>/<file>; .no_exist/<commit>/<file> marks a file the Hub said the repo
    lacks)."""
    commit = "0" * 40
    repo = root / ("models--" + REPO.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for file in backbone_dir.iterdir():
        if file.name not in drop:
            shutil.copy(file, snapshot / file.name)
    (repo / ".no_exist" / commit).mkdir(parents=True)
    for absent in (
        "preprocessor_config.json",
        "vocab.json",
        "merges.txt",
        "chat_template.json",
        "added_tokens.json",
        "special_tokens_map.json",
    ):
        (repo / ".no_exist" / commit / absent).touch()
    return root


def test_a_local_backbone_folder_is_available(smolvla_info: CheckpointInfo, backbone_dir: Path) -> None:
    status = backbone_status(smolvla_info)
    assert status.available and not status.blocking and status.message == ""
    assert [(s.kind, s.location, s.needs) for s in status.sources] == [
        ("folder", str(backbone_dir.resolve()), ("config", "processor", "tokenizer"))
    ]
    assert status.summary.startswith("available")


def test_act_has_no_backbone(act_info: CheckpointInfo) -> None:
    assert backbone_status(act_info) is None
    require_backbone(act_info)  # nothing to require


def test_a_backbone_folder_that_is_not_here_blocks(smolvla_info: CheckpointInfo, tmp_path: Path) -> None:
    gone = str(tmp_path / "elsewhere" / "backbone")
    info = dataclasses.replace(
        smolvla_info, vlm_model_name=gone, language=dataclasses.replace(smolvla_info.language, tokenizer_name=gone)
    )
    status = backbone_status(info, offline=False)  # a folder is never downloaded
    assert status.blocking
    assert f"from the folder {gone}" in status.message and "does not exist on this machine" in status.message
    with pytest.raises(CheckpointError, match="vlm_model_name"):
        require_backbone(info)


def test_a_folder_without_its_tokenizer_names_the_file(
    smolvla_info: CheckpointInfo, backbone_dir: Path, tmp_path: Path
) -> None:
    partial = shutil.copytree(backbone_dir, tmp_path / "backbone")
    (partial / "tokenizer.json").unlink()
    info = dataclasses.replace(
        smolvla_info,
        vlm_model_name=str(partial),
        language=dataclasses.replace(smolvla_info.language, tokenizer_name=str(partial)),
    )
    source = backbone_status(info).sources[0]
    assert source.unmet == ("tokenizer",) and source.missing_files == ("tokenizer.json",)


def test_offline_with_an_empty_cache_names_the_repo_the_files_and_the_fetch_command(
    smolvla_info: CheckpointInfo, tmp_path: Path
) -> None:
    info = read_checkpoint(naming(smolvla_info, tmp_path, REPO))
    status = backbone_status(info, cache_dir=tmp_path / "hub", offline=True)
    assert status.blocking
    assert status.sources[0].missing_files == SMALL_FILES  # no weights: load_vlm_weights is false
    message = status.message
    assert REPO in message and "HF_HUB_OFFLINE=1" in message
    assert f"hf download {REPO} {' '.join(SMALL_FILES)}" in message
    assert "models--HuggingFaceTB--SmolVLM2-500M-Video-Instruct" in message and str(tmp_path / "hub") in message
    assert "HF_HOME" in message
    with pytest.raises(CheckpointError) as raised:
        require_backbone(info, cache_dir=tmp_path / "hub")
    assert str(raised.value) == message


def test_online_the_missing_files_are_left_to_lerobot(smolvla_info: CheckpointInfo, tmp_path: Path) -> None:
    info = read_checkpoint(naming(smolvla_info, tmp_path, REPO))
    status = backbone_status(info, cache_dir=tmp_path / "hub", offline=False)
    assert not status.available and not status.blocking
    assert "downloads it at first load" in status.summary


def test_backbone_weights_are_needed_with_load_vlm_weights(smolvla_info: CheckpointInfo, tmp_path: Path) -> None:
    info = dataclasses.replace(read_checkpoint(naming(smolvla_info, tmp_path, REPO)), load_vlm_weights=True)
    source = backbone_status(info, cache_dir=tmp_path / "hub", offline=True).sources[0]
    assert "weights" in source.unmet and source.missing_files[-2:] == ("model.safetensors", "generation_config.json")


def test_a_cached_backbone_is_available(smolvla_info: CheckpointInfo, backbone_dir: Path, tmp_path: Path) -> None:
    info = read_checkpoint(naming(smolvla_info, tmp_path, REPO))
    assert backbone_status(info, cache_dir=hub_cache(tmp_path / "hub", backbone_dir), offline=True).available
    without_tokenizer = backbone_status(
        info, cache_dir=hub_cache(tmp_path / "hub2", backbone_dir, drop=("tokenizer.json",)), offline=True
    )
    assert without_tokenizer.sources[0].missing_files == (
        "tokenizer.json",
    )  # the files the repo lacks are not asked for


def test_the_fetch_command_exists_in_this_huggingface_hub() -> None:
    hf = Path(sys.executable).parent / "hf"
    result = subprocess.run(
        [str(hf), "download", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=120,
    )
    assert result.returncode == 0 and "REPO_ID [FILENAMES]" in result.stdout


LOAD_SCRIPT = """
import sys
import core
from core.policy.checkpoint import read_checkpoint
from core.policy.vlm_backbone import backbone_status
info = read_checkpoint(sys.argv[1])
print("CHECK", backbone_status(info).summary)
try:
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.policies.factory import get_policy_class, make_pre_post_processors
    config = PreTrainedConfig.from_pretrained(sys.argv[1])
    get_policy_class("smolvla").from_pretrained(sys.argv[1], config=config)
    make_pre_post_processors(config, pretrained_path=sys.argv[1])
    print("LEROBOT loaded")
except Exception as error:
    print("LEROBOT failed", type(error).__name__)
"""


@pytest.mark.slow
def test_the_check_agrees_with_lerobot_loading_from_the_cache(
    smolvla_info: CheckpointInfo, backbone_dir: Path, tmp_path: Path
) -> None:
    """Both ways, in processes whose HF_HOME is the cache: the check's verdict is what lerobot then does."""
    checkpoint = naming(smolvla_info, tmp_path, REPO)
    hub_cache(tmp_path / "full" / "hub", backbone_dir)
    (tmp_path / "empty" / "hub").mkdir(parents=True)
    for home, check, lerobot in (
        ("full", "CHECK available", "LEROBOT loaded"),
        ("empty", "CHECK MISSING", "LEROBOT failed"),
    ):
        env = {**os.environ, "HF_HOME": str(tmp_path / home), "HF_HUB_OFFLINE": "1"}
        env.pop("HF_HUB_CACHE", None)
        result = subprocess.run(
            [sys.executable, "-c", LOAD_SCRIPT, str(checkpoint)], capture_output=True, text=True, env=env, timeout=600
        )
        lines = result.stdout.splitlines()
        assert any(line.startswith(check) for line in lines), result.stdout + result.stderr
        assert any(line.startswith(lerobot) for line in lines), result.stdout + result.stderr


def test_the_profile_command_prints_the_fetch_instructions(
    smolvla_info: CheckpointInfo, dataset_root: Path, tmp_path: Path
) -> None:
    checkpoint = naming(smolvla_info, tmp_path, REPO)
    env = {**os.environ, "HF_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"}
    env.pop("HF_HUB_CACHE", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "profile",
            "--dataset",
            str(dataset_root),
            "--policy",
            str(checkpoint),
            "--no-frames",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert f"vision-language backbone {REPO}" in result.stdout and "MISSING on this machine" in result.stdout
    assert f"hf download {REPO} config.json" in result.stdout
    assert str(tmp_path / "home" / "hub") in result.stdout
