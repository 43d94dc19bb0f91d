"""The command line: `python -m core <command>`, one module per command in this package.

Each command module defines `HELP` (one line), `configure(parser)` and `run(args) -> int`,
and imports heavy libraries (torch, mujoco, lerobot) inside `run`, so `--help` stays fast.
A `PreflightError` is printed as it is, without a traceback, and exits with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from core.errors import PreflightError

COMMANDS: tuple[str, ...] = (
    "app-token",
    "compare",
    "convert",
    "demo",
    "diagnose",
    "merge",
    "plan",
    "profile",
    "registry",
    "station",
    "trust-checkpoint",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core", description="Preflight: get trained robot policies working on real arms."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"core.cli.{name.replace('-', '_')}")
        sub = subparsers.add_parser(name, help=module.HELP, description=module.HELP)
        module.configure(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except PreflightError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
