"""`python -m core profile`: compute the training profile of a dataset (and its checkpoint), print or save it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.cli.diagnose import add_gate_arguments

HELP = "Training profile of a dataset (and checkpoint): tasks, cameras, start pose, gripper, action jumps, epochs."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset", required=True, type=Path, help="LeRobot v3.0 dataset folder (the one holding meta/)"
    )
    parser.add_argument(
        "--policy",
        type=Path,
        help="checkpoint: its pretrained_model folder, checkpoints/NNN/, or the lerobot-train output folder",
    )
    parser.add_argument(
        "--out", type=Path, help="also write the profile JSON, with its provenance, to this file (as --json prints it)"
    )
    parser.add_argument(
        "--save", action="store_true", help="also store the profile in the workspace, where the app finds it"
    )
    parser.add_argument("--json", action="store_true", help="print the profile as JSON instead of a summary")
    parser.add_argument(
        "--no-frames", action="store_true", help="skip decoding reference frames (faster; no appearance signatures)"
    )
    add_gate_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from core import codec
    from core.analytics.provenance import provenance_of
    from core.analytics.reports import fails, profile_severities, write_report
    from core.training.profile import build_profile, save_profile
    from core.training.profile_summary import format_profile

    profile = build_profile(args.dataset, args.policy, reference_frames=not args.no_frames)
    provenance = provenance_of([profile.dataset_dir])
    report = {**codec.to_json(profile), "provenance": codec.to_json(provenance)}  # TrainingProfile.load reads it
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1))
        print(f"profile written to {args.out}", file=sys.stderr)
    if args.save:
        print(f"profile stored as {save_profile(profile)}", file=sys.stderr)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(format_profile(profile) + f"\nprovenance: {provenance.line()}")
    if args.report:
        print(f"report written to {write_report(args.report, provenance, profile)}", file=sys.stderr)
    return 1 if fails(profile_severities(profile), args.fail_on) else 0
