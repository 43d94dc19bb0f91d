"""`python -m core diagnose`: why a deployment recording fails, compared with the training data (and checkpoint)."""

from __future__ import annotations

import argparse
import json
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


def run(args: argparse.Namespace) -> int:
    from core.analytics.diagnosis import diagnose_paths, diagnosis_json, format_diagnosis

    diagnosis = diagnose_paths(args.training, args.deployment, args.policy, with_frames=not args.no_frames)
    print(
        json.dumps(diagnosis_json(diagnosis), indent=1) if args.json else format_diagnosis(diagnosis),
        end="\n" if args.json else "",
    )
    return 0
