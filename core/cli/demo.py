"""`python -m core demo`: generate (once) the demo dataset and ACT checkpoint from the simulated lab."""

from __future__ import annotations

import argparse
import time

HELP = "Generate the demo assets if missing: a 'Grab the brain' dataset from the simulated lab and an ACT checkpoint."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--train-policy",
        action="store_true",
        help="replace the checkpoint with the 15-minute CPU training recipe and evaluate it in the simulated lab",
    )


def run(args: argparse.Namespace) -> int:
    from core.sim.demo_assets import ensure_demo_assets, train_demo_policy
    from core.workspace import Workspace

    started = time.monotonic()

    def report(message: str) -> None:
        print(f"[demo {time.monotonic() - started:5.0f} s] {message}", flush=True)

    workspace = Workspace.default()
    assets = train_demo_policy(workspace, report) if args.train_policy else ensure_demo_assets(workspace, report)
    print(f"Demo dataset:    {assets.dataset_root}")
    print(f"Demo checkpoint: {assets.checkpoint_dir} ({'trained' if assets.checkpoint.trained else 'UNTRAINED'})")
    print(f"  {assets.checkpoint.note}")
    return 0
