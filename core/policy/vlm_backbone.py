"""Is the vision-language backbone a SmolVLA checkpoint needs on this machine? Checked on disk, never online.

A fine-tuned SmolVLA carries its own weights, but lerobot still builds the backbone it was
made from every time it loads the policy: `AutoConfig` and `AutoProcessor` read
`vlm_model_name` (SmolVLM2-500M for `lerobot/smolvla_base`), the preprocessor's tokenizer
step reads its `tokenizer_name`, and with `load_vlm_weights` the backbone's own weights are
read first. Each name is a Hub repo id, looked up in the Hugging Face cache, or a local
folder. On an offline lab PC a missing file makes lerobot fail deep inside transformers;
this module names the files, the command that fetches them on a connected machine, and
how to bring the cache over.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core.errors import CheckpointError
from core.policy.checkpoint import CheckpointInfo

# Each need is met by any one of its alternatives (every file of it present).
ALTERNATIVES: dict[str, tuple[tuple[str, ...], ...]] = {
    "config": (("config.json",),),
    "processor": (("preprocessor_config.json",), ("processor_config.json",)),
    "tokenizer": (("tokenizer_config.json", "tokenizer.json"), ("tokenizer_config.json", "vocab.json", "merges.txt")),
    "weights": (("model.safetensors",), ("model.safetensors.index.json",)),
}
# What to fetch for an unmet need: the files SmolVLM2's repositories hold for it.
FETCH_FILES: dict[str, tuple[str, ...]] = {
    "config": ("config.json",),
    "processor": ("preprocessor_config.json", "processor_config.json", "chat_template.json"),
    "tokenizer": (
        "tokenizer_config.json",
        "tokenizer.json",
        "vocab.json",
        "merges.txt",
        "added_tokens.json",
        "special_tokens_map.json",
    ),
    "weights": ("model.safetensors", "generation_config.json"),
}
NEEDED_FOR: dict[str, str] = {
    "config": "the backbone's architecture",
    "processor": "its image processor",
    "tokenizer": "the tokenizer that reads the task sentence",
    "weights": "its pretrained weights (load_vlm_weights is true)",
}


@dataclass(frozen=True)
class BackboneSource:
    """One name lerobot loads from (`vlm_model_name`, the tokenizer's name) and what it must provide."""

    name: str  # as written in the checkpoint: a Hub repo id or a folder
    kind: Literal["folder", "hub"]
    location: str  # the folder, or the repo's folder in the Hugging Face cache
    needs: tuple[str, ...]  # of "config", "processor", "tokenizer", "weights"
    unmet: tuple[str, ...]  # needs no file alternative satisfies
    missing_files: tuple[str, ...]  # what to fetch (hub) or copy (folder) to meet them

    @property
    def available(self) -> bool:
        return not self.unmet


@dataclass(frozen=True)
class BackboneStatus:
    vlm_model_name: str
    sources: tuple[BackboneSource, ...]
    offline: bool  # HF_HUB_OFFLINE: lerobot cannot fetch what is missing
    cache_dir: str  # the Hugging Face hub cache this process reads

    @property
    def available(self) -> bool:
        return all(source.available for source in self.sources)

    @property
    def blocking(self) -> bool:
        """Loading the policy will fail: files are missing and nothing may download them."""
        return not self.available and (
            self.offline or any(s.kind == "folder" and not s.available for s in self.sources)
        )

    @property
    def summary(self) -> str:
        """One line for a profile or a page header."""
        places = ", ".join(
            f"{s.name} ({'folder' if s.kind == 'folder' else 'Hugging Face cache'})" for s in self.sources
        )
        if self.available:
            return f"available: {places}"
        missing = ", ".join(f for s in self.sources for f in s.missing_files)
        if self.blocking:
            return f"MISSING on this machine: {missing}"
        return f"not cached yet, lerobot downloads it at first load (online): {missing}"

    @property
    def message(self) -> str:
        """What is missing and how to get it here; empty when everything is present."""
        if self.available:
            return ""
        parts = []
        for source in self.sources:
            if source.available:
                continue
            needs = "; ".join(NEEDED_FOR[need] for need in source.unmet)
            if source.kind == "folder":
                parts.append(
                    f"SmolVLA loads its vision-language backbone from the folder {source.name} ({needs}), "
                    "and that folder "
                    + (
                        f"lacks {', '.join(source.missing_files)}. "
                        if Path(source.name).is_dir()
                        else "does not exist on this machine. "
                    )
                    + "Copy the backbone folder from the machine the policy was trained on to the same path, or edit "
                    "`vlm_model_name` in the checkpoint's config.json and `tokenizer_name` in "
                    "policy_preprocessor.json to where it is."
                )
                continue
            parts.append(
                f"SmolVLA loads its vision-language backbone {source.name} every time the policy is built ({needs}), "
                f"even though the fine-tuned weights are in the checkpoint. The Hugging Face cache {self.cache_dir} "
                f"lacks: {', '.join(source.missing_files)}."
                + (
                    " This machine is offline (HF_HUB_OFFLINE=1), so lerobot cannot fetch them. On a connected "
                    "machine run:\n"
                    f"  {fetch_command(source)}\n"
                    f"then copy the folder it fills, {cache_folder_name(source.name)} in that machine's Hugging Face "
                    "cache ($HF_HOME/hub, by default ~/.cache/huggingface/hub), into "
                    f"{self.cache_dir} here, e.g.\n"
                    f"  rsync -a ~/.cache/huggingface/hub/{cache_folder_name(source.name)} "
                    f"<this-pc>:{self.cache_dir}/\n"
                    "or copy that machine's whole cache and point HF_HOME at the copy before starting Preflight."
                    if self.offline
                    else " lerobot will download them when it first loads the policy (HF_HUB_OFFLINE is off)."
                )
            )
        return "\n".join(parts)


def cache_folder_name(repo_id: str) -> str:
    """The repo's folder in the Hugging Face cache: models--<org>--<name>."""
    return "models--" + repo_id.replace("/", "--")


def fetch_command(source: BackboneSource) -> str:
    """The huggingface_hub 1.x command that puts the missing files into a connected machine's cache."""
    return f"hf download {source.name} {' '.join(source.missing_files)}"


def backbone_status(
    checkpoint: CheckpointInfo, cache_dir: str | Path | None = None, offline: bool | None = None
) -> BackboneStatus | None:
    """Where each backbone file lerobot will read lies, or what is missing; None for policies without a backbone.

    `cache_dir` and `offline` default to what huggingface_hub (and so lerobot) use in this process.
    """
    from huggingface_hub import constants

    if not checkpoint.vlm_model_name:
        return None
    cache_dir = Path(cache_dir) if cache_dir is not None else Path(constants.HF_HUB_CACHE)
    offline = constants.HF_HUB_OFFLINE if offline is None else offline
    needs: dict[str, list[str]] = {checkpoint.vlm_model_name: ["config", "processor"]}
    if checkpoint.load_vlm_weights:
        needs[checkpoint.vlm_model_name].append("weights")
    tokenizer = (
        checkpoint.language.tokenizer_name if checkpoint.language and checkpoint.language.tokenizer_name else None
    )
    needs.setdefault(tokenizer or checkpoint.vlm_model_name, []).append("tokenizer")
    return BackboneStatus(
        vlm_model_name=checkpoint.vlm_model_name,
        sources=tuple(
            _source(name, sorted(source_needs, key=list(ALTERNATIVES).index), cache_dir)
            for name, source_needs in needs.items()
        ),
        offline=offline,
        cache_dir=str(cache_dir),
    )


def require_backbone(checkpoint: CheckpointInfo, cache_dir: str | Path | None = None) -> None:
    """Raise `CheckpointError` (what is missing, how to fetch it) when loading the policy would fail for want of
    files."""
    status = backbone_status(checkpoint, cache_dir)
    if status is not None and status.blocking:
        raise CheckpointError(status.message)


def _is_folder_name(name: str) -> bool:
    """transformers reads a name as a folder when one exists there; absolute, ~ and ./ names can only be folders."""
    return Path(name).expanduser().is_dir() or name.startswith(("/", "~", ".")) or name.count("/") > 1


def _source(name: str, needs: Sequence[str], cache_dir: Path) -> BackboneSource:
    is_folder = _is_folder_name(name)
    candidates = {file for need in needs for alternative in ALTERNATIVES[need] for file in alternative}
    if is_folder:
        state = {file: "present" if (Path(name).expanduser() / file).is_file() else "missing" for file in candidates}
    else:
        state = {file: _cache_state(name, file, cache_dir) for file in candidates}
    unmet = tuple(need for need in needs if not _met(need, state, name, cache_dir))
    if is_folder:  # name the files of the usual layout that are not there
        missing = [file for need in unmet for file in ALTERNATIVES[need][0] if state[file] != "present"]
    else:  # everything the need's files on the Hub could be, less what the cache has or knows the repo lacks
        missing = [
            file for need in unmet for file in FETCH_FILES[need] if _cache_state(name, file, cache_dir) == "missing"
        ]
    return BackboneSource(
        name=name,
        kind="folder" if is_folder else "hub",
        location=str(Path(name).expanduser()) if is_folder else str(cache_dir / cache_folder_name(name)),
        needs=tuple(needs),
        unmet=unmet,
        missing_files=tuple(dict.fromkeys(missing)),
    )


def _met(need: str, state: Mapping[str, str], name: str, cache_dir: Path) -> bool:
    for alternative in ALTERNATIVES[need]:
        if all(state.get(file) == "present" for file in alternative):
            if alternative == ("processor_config.json",) and not _embeds_image_processor(name, cache_dir):
                continue  # an old-style processor_config.json holds only image_seq_len; the image processor is
                # elsewhere
            return True
    return False


def _embeds_image_processor(name: str, cache_dir: Path) -> bool:
    path = _local_path(name, "processor_config.json", cache_dir)
    try:
        return path is not None and "image_processor" in json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError):
        return False


def _local_path(name: str, file: str, cache_dir: Path) -> str | None:
    if _is_folder_name(name):
        path = Path(name).expanduser() / file
        return str(path) if path.is_file() else None
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(name, file, cache_dir=cache_dir)
    return found if isinstance(found, str) else None


def _cache_state(repo_id: str, file: str, cache_dir: Path) -> str:
    """ "present", "absent" (the Hub answered that the repo has no such file, and the cache remembers) or "missing"."""
    from huggingface_hub import _CACHED_NO_EXIST, try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, file, cache_dir=cache_dir)
    if isinstance(found, str) and os.path.isfile(found):
        return "present"
    return "absent" if found is _CACHED_NO_EXIST else "missing"
