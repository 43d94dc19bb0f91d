"""`python -m core diagnose`: why a deployment recording fails, compared with the training data (and checkpoint)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HELP = "Diagnose a deployment recording against its training data: findings with ids, evidence and fixes."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--training",
        required=True,
        type=Path,
        help="training dataset folder, or a saved profile (profile.json or its folder)",
    )
    parser.add_argument(
        "--deployment", required=True, type=Path, help="deployment recording: a LeRobot v3.0 dataset folder"
    )
    parser.add_argument(
        "--policy", type=Path, help="checkpoint (pretrained_model, checkpoints/NNN or the lerobot-train output folder)"
    )
    parser.add_argument("--json", action="store_true", help="print the diagnosis as JSON (schema in docs/diagnosis.md)")
    parser.add_argument(
        "--no-frames", action="store_true", help="skip decoding frames (no camera_swap / visual_shift checks)"
    )
    add_gate_arguments(parser)


def add_gate_arguments(parser: argparse.ArgumentParser) -> None:
    """--fail-on and --report, shared with `profile`."""
    parser.add_argument(
        "--fail-on",
        choices=("critical", "warning", "info"),
        help="exit 1 when a finding at or above this severity is present (default: exit 0; 2: input unreadable)",
    )
    parser.add_argument(
        "--report", type=Path, metavar="PATH", help="also write the report: PATH.md (Markdown) or PATH.html"
    )


def run(args: argparse.Namespace) -> int:
    from core.analytics.diagnosis import diagnose_paths, diagnosis_json, format_diagnosis, training_profile
    from core.analytics.provenance import provenance_of
    from core.analytics.reports import fails, write_report
    from core.codec import to_json

    profile = training_profile(args.training, args.policy, with_frames=not args.no_frames)
    diagnosis = diagnose_paths(profile, args.deployment, args.policy, with_frames=not args.no_frames)
    provenance = provenance_of(
        [root for root in (profile.dataset_dir, str(args.deployment)) if Path(root).expanduser().is_dir()]
    )
    if args.json:
        print(json.dumps({**diagnosis_json(diagnosis), "provenance": to_json(provenance)}, indent=1))
    else:
        print(format_diagnosis(diagnosis) + f"provenance: {provenance.line()}")
    if args.report:
        print(f"report written to {write_report(args.report, provenance, profile, diagnosis)}", file=sys.stderr)
    return 1 if fails((finding.severity for finding in diagnosis.findings), args.fail_on) else 0
