"""The commands as an operator types them: `python -m core ...` in a subprocess, from a folder outside the checkout,
with the checkout's own code on its path; the exit status, the text and the JSON they print.

`profile` and `diagnose` are driven in tests/training/test_hygiene.py, `plan --json` in tests/training/test_planner.py
and the registry's actions in tests/registry/test_registry_cli.py; this file drives the rest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.station import launcher
from core.workspace import REPO_ROOT, WORKSPACE_ENV, Workspace
from tests.analytics.conftest import clean_dir, data_dir, training_dir  # noqa: F401  (built datasets)


def core(*arguments: str, workspace: Path, cwd: Path, timeout_s: float = 300) -> subprocess.CompletedProcess:
    """`python -m core ARGUMENTS` run from `cwd` with this checkout first on PYTHONPATH (never another copy's)."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), WORKSPACE_ENV: str(workspace), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "core", *arguments], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout_s
    )


def test_the_commands_import_this_checkout(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", "import core; print(core.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert Path(result.stdout.strip()).resolve() == (REPO_ROOT / "core" / "__init__.py").resolve()


@pytest.mark.slow
def test_station_create_start_status_list_stop(tmp_path):
    workspace = tmp_path / "workspace"
    given = ("--workspace", str(workspace))
    try:
        created = core("station", "create-demo", "--name", "bench", *given, workspace=workspace, cwd=tmp_path)
        assert created.returncode == 0, created.stderr
        assert created.stdout.startswith("saved ") and "bench" in created.stdout

        stopped = core("station", "status", "--name", "bench", *given, workspace=workspace, cwd=tmp_path)
        assert stopped.returncode == 0 and json.loads(stopped.stdout)["status"] == "stopped"

        started = core("station", "start", "--name", "bench", *given, workspace=workspace, cwd=tmp_path)
        assert started.returncode == 0, started.stdout + started.stderr
        assert started.stdout.startswith("station 'bench' running (pid ")
        pid = int(started.stdout.split("(pid ")[1].split(")")[0])

        status = json.loads(
            core("station", "status", "--name", "bench", *given, workspace=workspace, cwd=tmp_path).stdout
        )
        assert (status["name"], status["status"], status["pid"]) == ("bench", "running", pid)
        assert launcher.connect("bench", Workspace(workspace)).ping() == "pong"  # the command left it running

        listed = core("station", "list", *given, workspace=workspace, cwd=tmp_path)
        assert listed.returncode == 0 and "bench: running" in listed.stdout.splitlines()

        halted = core("station", "stop", "--name", "bench", *given, workspace=workspace, cwd=tmp_path)
        assert halted.returncode == 0 and halted.stdout.strip() == "station 'bench' stopped"
        after = json.loads(
            core("station", "status", "--name", "bench", *given, workspace=workspace, cwd=tmp_path).stdout
        )
        assert after["status"] == "stopped"
        assert launcher.connect("bench", Workspace(workspace)) is None
    finally:
        launcher.stop("bench", Workspace(workspace))


def test_station_start_of_an_unknown_station_fails_with_status_2(tmp_path):
    workspace = tmp_path / "workspace"
    result = core(
        "station", "start", "--name", "nosuch", "--workspace", str(workspace), workspace=workspace, cwd=tmp_path
    )
    assert result.returncode == 2 and result.stderr.startswith("error: ")
    assert "nosuch" in result.stderr


def test_plan_prints_the_steps_and_the_lerobot_train_command(training_dir, tmp_path):  # noqa: F811
    text = core("plan", "--dataset", str(training_dir), "--epochs", "5", workspace=tmp_path / "ws", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    report = core(
        "plan", "--dataset", str(training_dir), "--epochs", "5", "--json", workspace=tmp_path / "ws", cwd=tmp_path
    )
    plan = json.loads(report.stdout)
    assert f"{plan['steps']}" in text.stdout and "lerobot-train" in text.stdout
    assert plan["command"] in text.stdout  # the same command in both forms
    missing = core(
        "plan", "--dataset", str(tmp_path / "nowhere"), "--epochs", "5", workspace=tmp_path / "ws", cwd=tmp_path
    )
    assert missing.returncode == 2 and missing.stderr.startswith("error: ") and "nowhere" in missing.stderr


def test_plan_with_recordings_leaves_out_the_training_episodes_excluded_on_the_overview_page(
    training_dir,  # noqa: F811
    clean_dir,  # noqa: F811
    tmp_path,
):
    from core.training.dataset_files import open_dataset
    from core.training.exclusions import save_exclusions
    from core.training.profile import profile_name

    workspace = tmp_path / "ws"
    arguments = ("plan", "--dataset", str(training_dir), "--add", str(clean_dir), "--steps", "1000", "--json")
    kept = json.loads(core(*arguments, workspace=workspace, cwd=tmp_path).stdout)
    save_exclusions(Workspace(workspace), profile_name(training_dir), [0, 1])
    plan = json.loads(core(*arguments, workspace=workspace, cwd=tmp_path).stdout)
    lengths = open_dataset(training_dir).episode_table.length
    assert plan["excluded_training_episodes"] == [0, 1]
    assert plan["frames"] == kept["frames"] - int(lengths[0]) - int(lengths[1])
    text = core(*arguments[:-1], workspace=workspace, cwd=tmp_path).stdout
    assert "2 excluded training episodes left out" in text


@pytest.mark.slow
def test_merge_writes_a_dataset_lerobot_loads_and_prints_the_train_command(training_dir, clean_dir, tmp_path):  # noqa: F811
    out = tmp_path / "merged"
    result = core(
        "merge",
        "--training",
        str(training_dir),
        "--add",
        str(clean_dir),
        "--all-episodes",
        "--out",
        str(out),
        workspace=tmp_path / "ws",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    from lerobot.datasets import LeRobotDataset

    training = LeRobotDataset("local/training", root=training_dir, video_backend="pyav")
    added = LeRobotDataset("local/added", root=clean_dir, video_backend="pyav")
    merged = LeRobotDataset("local/merged", root=out, video_backend="pyav")
    assert merged.num_episodes == training.num_episodes + added.num_episodes
    assert merged.num_frames == training.num_frames + added.num_frames
    first = result.stdout.splitlines()[0]
    assert first == f"merged 2 datasets into {out}: {merged.num_episodes} episodes, {merged.num_frames} frames"
    assert "lerobot-train" in result.stdout and f"--dataset.root={out}" in result.stdout

    again = core(
        "merge", "--training", str(training_dir), "--add", str(clean_dir), "--all-episodes", "--out", str(out),
        workspace=tmp_path / "ws", cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 2 and again.stderr.startswith("error: ")  # never over an existing folder


def test_registry_exits_2_on_a_tag_for_an_episode_it_does_not_have(tmp_path):
    result = core("registry", "tag", "999", "success", workspace=tmp_path / "ws", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: ") and "999" in result.stderr


def test_compare_and_station_take_the_registry_from_database_url(tmp_path):
    from core.registry import Registry
    from tests.evaluation.conftest import tagged_plan
    from tests.registry.conftest import write_checkpoint

    lab = Registry.open(f"sqlite:///{tmp_path / 'lab' / 'registry.sqlite'}")  # not the workspace's registry
    tagged_plan(lab, write_checkpoint(tmp_path / "pretrained_model"), tmp_path / "recordings")
    given = ("compare", "--plan", "1", "--json")
    compared = core(*given, "--database-url", "sqlite:///lab/registry.sqlite", workspace=tmp_path / "ws", cwd=tmp_path)
    assert compared.returncode == 0, compared.stderr
    payload = json.loads(compared.stdout)
    assert payload["plan"]["name"] == "n15 vs n30"
    assert [condition["summary"]["successes"] for condition in payload["conditions"]] == [6, 8]
    default = core(*given, workspace=tmp_path / "ws", cwd=tmp_path)  # the workspace's own registry has no plan
    assert default.returncode == 2 and "no plan 1" in default.stderr

    refused = core("station", "list", "--database-url", "mysql://lab@db/reg", workspace=tmp_path / "ws", cwd=tmp_path)
    assert refused.returncode == 2 and "is not supported" in refused.stderr
