"""`python -m core convert`: a v3.0 copy of a LeRobot v2.1 dataset, offline, through lerobot's own converter."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

HELP = "Convert a LeRobot v2.1 dataset to v3.0 into a new folder (the source is untouched; no Hub access)."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, type=Path, help="the v2.1 dataset folder (the one holding meta/)")
    parser.add_argument("--out", type=Path, help="folder for the v3.0 copy (default: beside it, <name>_v30)")


def run(args: argparse.Namespace) -> int:
    from core.training.conversion import convert_v21

    def progress(done: int, total: int, stage: str) -> None:
        print(f"[{done}/{total}] {'converted' if stage == 'done' else 'converting the ' + stage}", file=sys.stderr)

    target = convert_v21(args.dataset, args.out, progress)
    print(f"v3.0 copy written to {target}: profile it with python -m core profile --dataset {shlex.quote(str(target))}")
    return 0
