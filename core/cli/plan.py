"""`python -m core plan`: epochs from steps (or steps for a target of epochs) and the lerobot-train command line."""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

GUIDANCE_KEYS = ("policy_type", "typical_low", "typical_high", "warn_above")  # the --json report's guidance summary
HELP = "Plan training: epochs from steps and batch size, steps for a target of epochs, and the lerobot-train command."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, type=Path, help="training dataset folder (LeRobot v3.0)")
    parser.add_argument(
        "--add",
        nargs="+",
        type=Path,
        default=[],
        metavar="DIR",
        help=(
            "deployment recordings to merge in (frames counted as if every recorded episode were kept, the training "
            "episodes excluded on the Overview page left out, as `python -m core merge` does)"
        ),
    )
    amount = parser.add_mutually_exclusive_group(required=True)
    amount.add_argument("--epochs", type=float, help="target epochs: the steps follow")
    amount.add_argument("--steps", type=int, help="planned steps: the epochs follow")
    parser.add_argument("--batch-size", type=int, default=8, help="batch size per process (lerobot's default: 8)")
    parser.add_argument("--processes", type=int, default=1, help="training processes (GPUs), default 1")
    policy = parser.add_mutually_exclusive_group()
    policy.add_argument("--policy-type", default=None, help="train from scratch: act (default), smolvla, ...")
    policy.add_argument("--policy", type=Path, help="fine-tune this checkpoint instead (--policy.path)")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")


def run(args: argparse.Namespace) -> int:
    from core import codec
    from core.policy.checkpoint import read_checkpoint
    from core.training import planner

    policy_type = read_checkpoint(args.policy).policy_type if args.policy else (args.policy_type or "act")
    excluded: tuple[int, ...] = ()
    if args.add:
        from core.training.exclusions import load_exclusions
        from core.training.profile import profile_name
        from core.workspace import Workspace

        excluded = load_exclusions(Workspace.default(), profile_name(args.dataset))  # as `merge` leaves them out
        check = planner.check_merge(args.dataset, args.add, excluded)
        frames, root = check.frames, planner.merged_root(args.dataset.name + "_mixed")
        repo_id = planner.local_repo_id(root.name)
    else:
        check, frames, root = None, planner.dataset_frames(args.dataset), args.dataset
        repo_id = planner.local_repo_id(args.dataset.name)
    plan = planner.plan_training(
        frames,
        args.batch_size,
        steps=args.steps,
        target_epochs=args.epochs,
        policy_type=policy_type,
        processes=args.processes,
    )
    command = planner.train_command(
        root,
        repo_id,
        steps=plan.steps,
        batch_size=args.batch_size,
        policy_type=None if args.policy else policy_type,
        policy_path=args.policy,
    )
    if args.json:
        guidance = {key: getattr(plan.guidance, key) for key in GUIDANCE_KEYS}
        report = {**codec.to_json(plan), "verdict": plan.verdict, "guidance": guidance, "dataset_root": str(root)}
        problems, notes = (list(check.problems), list(check.notes)) if check else ([], [])
        report |= {"repo_id": repo_id, "command": command, "merge_problems": problems, "merge_notes": notes}
        report["excluded_training_episodes"] = list(excluded)
        print(json.dumps(report, indent=1))
        return 0
    guidance = plan.guidance
    left_out = f", {len(excluded)} excluded training episodes left out" if excluded else ""
    merged = f" (training set plus the recordings, every recorded episode kept{left_out})" if args.add else ""
    print(f"frames: {frames}{merged}")
    print(
        f"steps {plan.steps} x batch {args.batch_size}{f' x {args.processes} processes' if args.processes > 1 else ''} "
        f"= {plan.epochs:.2f} epochs"
    )
    print(
        f"{guidance.policy_type} guidance: {guidance.typical_low:g}-{guidance.typical_high:g} epochs, warn above "
        f"{guidance.warn_above:g}: this plan is {plan.verdict}. {guidance.basis}"
    )
    if check is not None:
        for problem in check.problems:
            print(f"cannot merge: {problem}")
        for note in check.notes:
            print(f"note: {note}")
        merge = ["python", "-m", "core", "merge", "--training", str(args.dataset), "--add", *map(str, args.add)]
        print(f"merge first: {shlex.join([*merge, '--name', root.name])}")  # quoted: paths may hold spaces, ; or $
    print(command)
    return 0
