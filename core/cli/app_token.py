"""`python -m core app-token`: create (or rotate) the token that serving the app beyond loopback requires."""

from __future__ import annotations

import argparse

HELP = "Create the app's access token (workspace/app_token, mode 0600), or replace it with --rotate."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rotate", action="store_true", help="replace the token: browsers must present the new one")


def run(args: argparse.Namespace) -> int:
    from core.access_token import create_token, token_path
    from core.workspace import Workspace

    workspace = Workspace.default()
    create_token(workspace, rotate=args.rotate)
    print(
        f"The app token is in {token_path(workspace)} (mode 0600). The app prints the URL that carries it when it "
        "starts; open that URL once per browser."
    )
    return 0
