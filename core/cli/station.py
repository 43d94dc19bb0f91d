"""`python -m core station ...`: run a station in this terminal, or start, stop and inspect one."""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path

from core.cli import registry

HELP = "run, start, stop or inspect a station process (the one process that drives an arm)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("run", "start", "stop", "status", "list", "create-demo"))
    parser.add_argument("--name", default="demo", help="station name (default: demo)")
    parser.add_argument(
        "--workspace", type=Path, help="workspace folder (default: $PREFLIGHT_WORKSPACE or ./workspace)"
    )
    parser.add_argument(
        "--database-url",
        "--db",
        dest="db",
        metavar="URL",
        help="run, start: the station's registry, as $PREFLIGHT_DATABASE_URL sets it; " + registry.DB_HELP,
    )
    parser.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from core.station import launcher
    from core.station.config import StationConfig, demo_station_config, list_stations
    from core.workspace import Workspace

    workspace = (Workspace(args.workspace.resolve()) if args.workspace else Workspace.default()).ensure()
    if args.db:  # the station process (started here or by `start`) opens its registry from the environment
        from core.registry.database import DATABASE_URL_ENV, normalized_url

        os.environ[DATABASE_URL_ENV] = normalized_url(args.db)
    if args.action == "run":
        from core.registry import mask_passwords_in_logs
        from core.station.server import serve

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        mask_passwords_in_logs()  # no database password reaches station.log, tracebacks included
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
