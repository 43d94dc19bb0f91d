"""A checkpoint's processor steps, checked before lerobot builds them: a checkpoint must not run code.

lerobot builds a pipeline by importing whatever `"class"` a step of `policy_preprocessor.json` /
`policy_postprocessor.json` names and calling it. Every step must name a step registered in
lerobot's `ProcessorStepRegistry`, or a `ProcessorStep` class defined in lerobot's own package;
a step that would load remote code (`trust_remote_code`) needs a recorded override
(`python -m core trust-checkpoint`). Why and how: docs/security.md.
"""

from __future__ import annotations

import dataclasses
import getpass
import hashlib
import importlib
import json
import os
import re
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import CheckpointError
from core.workspace import Workspace

PROCESSOR_FILES = ("policy_preprocessor.json", "policy_postprocessor.json")
LEROBOT_PACKAGE = "lerobot"
TRUST_FILE = "trusted_checkpoints.json"  # in the workspace: the recorded trust-remote-code overrides
_POLICY_TYPE = re.compile(r"[a-z0-9_]{1,64}")


@dataclass(frozen=True)
class ProcessorStep:
    """One step entry of a processor file, as written (nothing imported)."""

    file: str
    index: int
    registry_name: str | None
    class_path: str | None
    config: dict

    @property
    def label(self) -> str:
        name = self.registry_name or self.class_path or "(unnamed)"
        return f"step {self.index} '{name}' of {self.file}"


@dataclass(frozen=True)
class TrustRecord:
    """An operator's decision to let one checkpoint's processor files load remote code."""

    checkpoint: str
    sha256: str  # of the processor files as they were when trusted; an edit voids the record
    reason: str
    user: str
    at: float


def processor_steps(folder: Path) -> Iterator[ProcessorStep]:
    """Every step entry of the checkpoint's processor files; `CheckpointError` for a file that is not a pipeline."""
    for name in PROCESSOR_FILES:
        path = folder / name
        if not path.is_file():
            continue
        try:
            pipeline = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError, OSError) as error:
            raise CheckpointError(f"Cannot read {path} ({error}). Copy the checkpoint folder again.") from error
        steps = pipeline.get("steps") if isinstance(pipeline, dict) else None
        if not isinstance(steps, list) or not all(isinstance(step, dict) for step in steps):
            raise CheckpointError(f"{path} is not a lerobot processor pipeline (no list of steps).")
        for index, step in enumerate(steps):
            registry_name, class_path = step.get("registry_name"), step.get("class")
            yield ProcessorStep(
                name,
                index,
                str(registry_name) if registry_name is not None else None,
                str(class_path) if class_path is not None else None,
                step.get("config") if isinstance(step.get("config"), dict) else {},
            )


def check_step_names(folder: Path) -> None:
    """Cheap, nothing imported: each step has a registry name or a class path inside lerobot's package."""
    for step in processor_steps(folder):
        if step.registry_name is None and not _in_lerobot(step.class_path):
            raise _refused(folder, step, "names neither a registered lerobot step nor a class of lerobot's package")
        if step.config.get("trust_remote_code") is True and not is_trusted(folder):
            raise _refused_remote_code(folder, step)


def verify_processors(folder: Path, workspace: Workspace | None = None) -> None:
    """Before lerobot builds the pipelines: every step resolves, without importing anything outside lerobot, to a
    registered step or a lerobot `ProcessorStep` class; remote code only with a recorded override."""
    from lerobot.processor import ProcessorStep as LerobotStep
    from lerobot.processor import ProcessorStepRegistry

    check_step_names(folder)
    _register_policy_steps(folder)
    for step in processor_steps(folder):
        if step.registry_name is not None:
            try:
                cls = ProcessorStepRegistry.get(step.registry_name)
            except KeyError:
                raise _refused(folder, step, "is not registered in lerobot's processor registry") from None
        else:
            cls = _lerobot_class(folder, step, LerobotStep)
        if _loads_remote_code(cls, step.config) and not is_trusted(folder, workspace):
            raise _refused_remote_code(folder, step)


def trust(folder: Path, reason: str, workspace: Workspace | None = None) -> TrustRecord:
    """Record that the operator lets this checkpoint, as its processor files are now, load remote code."""
    if not reason.strip():
        raise CheckpointError("Say why this checkpoint may run remote code (--reason): the reason is recorded.")
    workspace = workspace or Workspace.default()
    record = TrustRecord(str(folder.resolve()), _fingerprint(folder), reason.strip(), getpass.getuser(), time.time())
    records = [*_trust_records(workspace), dataclasses.asdict(record)]
    path = workspace.root / TRUST_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(records, handle, indent=2)
    tmp.replace(path)
    return record


def is_trusted(folder: Path, workspace: Workspace | None = None) -> bool:
    """A recorded override for this checkpoint with its processor files unchanged since."""
    key, fingerprint = str(folder.resolve()), _fingerprint(folder)
    return any(
        record.get("checkpoint") == key and record.get("sha256") == fingerprint
        for record in _trust_records(workspace or Workspace.default())
    )


def _trust_records(workspace: Workspace) -> list[dict[str, Any]]:
    try:
        records = json.loads((workspace.root / TRUST_FILE).read_text())
    except (OSError, ValueError):
        return []
    return [record for record in records if isinstance(record, dict)] if isinstance(records, list) else []


def _fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in PROCESSOR_FILES:
        path = folder / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"") + b"\0")
    return digest.hexdigest()


def _in_lerobot(class_path: str | None) -> bool:
    return bool(class_path) and class_path.startswith(f"{LEROBOT_PACKAGE}.")


def _lerobot_class(folder: Path, step: ProcessorStep, base: type) -> type:
    module_name, _, class_name = str(step.class_path).rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        raise _refused(folder, step, "names a class that lerobot does not have") from None
    module = getattr(cls, "__module__", "") or ""
    if not (isinstance(cls, type) and issubclass(cls, base) and module.split(".")[0] == LEROBOT_PACKAGE):
        raise _refused(folder, step, "names something other than a processor step defined in lerobot")
    return cls


def _register_policy_steps(folder: Path) -> None:
    """Import lerobot's processor module of the checkpoint's policy type (it registers that policy's steps)."""
    try:
        policy_type = str(json.loads((folder / "config.json").read_text()).get("type", ""))
    except (OSError, ValueError, AttributeError):
        return
    if not _POLICY_TYPE.fullmatch(policy_type):
        return
    try:
        importlib.import_module(f"{LEROBOT_PACKAGE}.policies.{policy_type}.processor_{policy_type}")
    except ImportError:
        pass  # a policy type lerobot lacks: its steps stay unregistered and are refused by name


def _loads_remote_code(cls: type, config: dict) -> bool:
    if "trust_remote_code" in config:
        return config["trust_remote_code"] is True
    fields = {field.name: field for field in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else {}
    return "trust_remote_code" in fields and fields["trust_remote_code"].default is True


def _refused(folder: Path, step: ProcessorStep, why: str) -> CheckpointError:
    return CheckpointError(
        f"Refused to load {folder}: {step.label} {why}. A checkpoint's processor steps are code that runs when the "
        "policy loads; only lerobot's own steps are allowed. Re-save the checkpoint with lerobot, or do not use a "
        "checkpoint from outside the lab."
    )


def _refused_remote_code(folder: Path, step: ProcessorStep) -> CheckpointError:
    return CheckpointError(
        f"Refused to load {folder}: {step.label} would run remote code (trust_remote_code). If you have read that "
        "code and trust it, record the override: python -m core trust-checkpoint --policy "
        f"{shlex.quote(str(folder))} --reason '...'"
    )
