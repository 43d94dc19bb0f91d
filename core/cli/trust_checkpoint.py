"""`python -m core trust-checkpoint`: record the override that lets a checkpoint's processor steps load remote code."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "Record that a checkpoint whose processor steps load remote code (trust_remote_code) may run, and why."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", required=True, type=Path, help="the checkpoint folder (pretrained_model/)")
    parser.add_argument("--reason", required=True, help="why it may run code (recorded with your user name)")


def run(args: argparse.Namespace) -> int:
    from core.policy.checkpoint import find_pretrained_model
    from core.policy.processor_safety import TRUST_FILE, trust

    record = trust(find_pretrained_model(args.policy), args.reason)
    print(
        f"Recorded in the workspace's {TRUST_FILE}: {record.checkpoint} may load remote code ({record.reason}, "
        f"{record.user}). Editing its processor files voids the record."
    )
    return 0
