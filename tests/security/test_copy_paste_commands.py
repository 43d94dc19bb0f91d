"""A command a message offers to copy works on a path with spaces and shell characters: pasted into a shell, it acts
on that path and runs nothing else (docs/security.md, "Copy-paste commands")."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from core.access_token import AccessError, create_token, read_token
from core.errors import DatasetError, StationError
from core.station.ownership import robot_lock
from core.training.profile import TrainingProfile
from core.workspace import Workspace

FOLDER = "lab data; touch injected #"  # unquoted, a shell would run `touch injected` and drop the rest


def pasted(command: str, cwd: Path) -> None:
    """The command as an operator pastes it into bash, in `cwd`."""
    subprocess.run(["bash", "-c", command], cwd=cwd, check=True, timeout=30)


def test_the_chmod_for_a_token_file_others_can_read_fixes_that_file_and_runs_nothing_else(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / FOLDER / "workspace").ensure()
    token = create_token(workspace)
    (workspace.root / "app_token").chmod(0o644)
    with pytest.raises(AccessError) as refused:
        read_token(workspace)
    pasted(re.search(r"Fix it with (chmod 600 .*?), or recreate it", str(refused.value)).group(1), tmp_path)
    assert not (tmp_path / "injected").exists()
    assert read_token(workspace) == token  # the pasted command made it the user's own 0600 file


def test_the_chmod_for_a_lock_folder_others_can_write_to_fixes_that_folder_and_runs_nothing_else(
    tmp_path: Path,
) -> None:
    folder = tmp_path / FOLDER / "stations" / "demo"
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    with pytest.raises(StationError) as refused, robot_lock(None, folder, "demo"):
        pass
    pasted(re.search(r"Fix it with (chmod go-w .*?), or use", str(refused.value)).group(1), tmp_path)
    assert not (tmp_path / "injected").exists()
    with robot_lock(None, folder, "demo"):  # the pasted command made the folder safe to lock in
        pass


def test_the_profile_command_for_a_missing_profile_names_its_path_as_one_argument(tmp_path: Path) -> None:
    missing = tmp_path / FOLDER / "profile.json"
    with pytest.raises(DatasetError) as refused:
        TrainingProfile.load(missing)
    command = re.search(r"Build it with: (.*)$", str(refused.value)).group(1)
    assert shlex.split(command)[-2:] == ["--out", str(missing)]
