"""`python -m core station ...`: run a station in this terminal, or start, stop and inspect one."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

HELP = "run, start, stop or inspect a station process (the one process that drives an arm)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("run", "start", "stop", "status", "list", "create-demo"))
    parser.add_argument("--name", default="demo", help="station name (default: demo)")
    parser.add_argument(
        "--workspace", type=Path, help="workspace folder (default: $PREFLIGHT_WORKSPACE or ./workspace)"
    )
    parser.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from core.station import launcher
    from core.station.config import StationConfig, demo_station_config, list_stations
    from core.workspace import Workspace

    workspace = (Workspace(args.workspace.resolve()) if args.workspace else Workspace.default()).ensure()
    if args.action == "run":
        from core.registry import MaskPasswords
        from core.station.server import serve

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for handler in logging.getLogger().handlers:
            handler.addFilter(MaskPasswords())  # no database password reaches station.log
        return serve(args.name, workspace, parent_pid=args.parent_pid)
    if args.action == "create-demo":
        path = demo_station_config(args.name).save(workspace)
        print(f"saved {path}")
    elif args.action == "start":
        client = launcher.start(StationConfig.load(workspace, args.name), workspace, stop_with_this_process=False)
        print(f"station '{args.name}' running (pid {client.address.pid})")
    elif args.action == "stop":
        launcher.stop(args.name, workspace)
        print(f"station '{args.name}' stopped")
    elif args.action == "status":
        process = launcher.status(args.name, workspace)
        print(
            json.dumps(
                {"name": process.name, "status": process.status, "pid": process.pid, "message": process.message},
                indent=2,
            )
        )
    elif args.action == "list":
        for name in list_stations(workspace):
            print(f"{name}: {launcher.status(name, workspace).status}")
    return 0
