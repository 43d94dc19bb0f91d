"""`python -m core merge`: merge deployment recordings into the training set with lerobot's merge."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.cli import registry

HELP = (
    "Merge deployment recordings into a new training set (lerobot's merge_datasets); prints the lerobot-train command."
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--training", required=True, type=Path, help="training dataset folder (LeRobot v3.0)")
    parser.add_argument(
        "--add", required=True, nargs="+", type=Path, metavar="DIR", help="deployment recordings to merge in"
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--name", help="name of the merged dataset, stored in <workspace>/merged/NAME (default: <training>_mixed)"
    )
    target.add_argument("--out", type=Path, help="write the merged dataset to this new folder instead")
    parser.add_argument(
        "--all-episodes",
        action="store_true",
        help="merge every recorded episode; by default only episodes tagged success in the registry are merged",
    )
    parser.add_argument(
        "--exclude-training",
        type=int,
        nargs="+",
        default=None,
        metavar="EPISODE",
        help="training episodes to leave out (default: those excluded on the Overview page for this dataset)",
    )
    parser.add_argument(
        "--database-url", "--db", dest="db", metavar="URL", help=registry.DB_HELP + "; where the success tags are read"
    )
    parser.add_argument(
        "--epochs", type=float, default=5.0, help="target epochs for the printed lerobot-train command (default 5)"
    )
    parser.add_argument("--batch-size", type=int, default=8, help="batch size for the printed command (default 8)")
    parser.add_argument("--policy-type", default="act", help="policy type for the printed command (default act)")


def run(args: argparse.Namespace) -> int:
    from core.registry import Registry
    from core.training import planner

    output = args.out or planner.merged_root(args.name or f"{args.training.name}_mixed")
    successes = None
    if not args.all_episodes:
        successes = planner.successful_episodes(Registry.open(args.db), args.add)
    excluded = args.exclude_training
    if excluded is None:
        from core.training.exclusions import load_exclusions
        from core.training.profile import profile_name
        from core.workspace import Workspace

        excluded = load_exclusions(Workspace.default(), profile_name(args.training))
    result = planner.merge_recordings(
        args.training,
        args.add,
        output,
        keep="all" if args.all_episodes else "success",
        successes=successes,
        exclude_training=excluded,
    )
    if result.excluded_training:
        print(f"training episodes left out: {list(result.excluded_training)}")
    print(
        f"merged {len(result.sources)} datasets into {result.root}: {result.episodes} episodes, {result.frames} frames"
    )
    for root, indices in result.kept_episodes.items():
        print(f"  from {root}: episodes {', '.join(map(str, indices))}")
    for skipped in result.skipped:
        print(f"  left out {skipped}")
    plan = planner.plan_training(
        result.frames, args.batch_size, target_epochs=args.epochs, policy_type=args.policy_type
    )
    print(
        planner.train_command(
            result.root, result.repo_id, steps=plan.steps, batch_size=args.batch_size, policy_type=args.policy_type
        )
    )
    return 0
