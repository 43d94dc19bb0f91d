"""`python -m core registry ...`: an operator re-tags, lists and exports from a terminal."""

from __future__ import annotations

import argparse
import csv
import re

import pytest

from core.cli import registry as registry_command
from core.errors import RegistryError


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="python -m core registry")
    registry_command.configure(parser)
    return registry_command.run(parser.parse_args(argv))


def test_tag_from_the_terminal_edits_and_keeps_history(registry, db_url, record, capsys):
    episode = record(0)
    registry.tag_episode(episode.id, "success", score=90)

    assert cli("tag", str(episode.id), "failure", "--score", "15", "--note", "dropped in bin edge", "--db", db_url) == 0
    assert "episode 1: failure, score 15 (decision 2" in capsys.readouterr().out
    assert [t.outcome for t in registry.tag_history(episode.id)] == ["success", "failure"]

    with pytest.raises(RegistryError, match="0 to 100"):
        cli("tag", str(episode.id), "success", "--score", "150", "--db", db_url)


def test_list_shows_recent_episodes_and_who_awaits_a_decision(registry, db_url, record, capsys):
    registry.tag_episode(record(0).id, "success", score=70, note="clean")
    record(1, status="aborted", abort_reason="NaN in action", start_pose_distance_deg=21.25)

    assert cli("list", "--db", db_url) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"registry: {db_url}"
    assert lines[1].split()[:4] == ["id", "ended", "station", "policy"]
    assert (
        "act_brain@005000" in lines[2]
        and "rollout_brain #0" in lines[2]
        and re.search(r"success\s+70\s+clean$", lines[2])
    )
    assert "aborted: NaN in action" in lines[3] and "21.2 deg" in lines[3] and "AWAITING DECISION" in lines[3]

    assert cli("list", "--last", "1", "--db", db_url) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_export_writes_the_csv(db_url, record, tmp_path, capsys):
    record(0)
    out = tmp_path / "episodes.csv"
    assert cli("export", "--out", str(out), "--db", db_url) == 0
    assert "wrote 1 episodes" in capsys.readouterr().out
    with out.open(newline="") as stream:
        assert [row["episode_index"] for row in csv.DictReader(stream)] == ["0"]
