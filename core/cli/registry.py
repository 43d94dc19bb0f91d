"""`python -m core registry ...`: export, list and re-tag deployed episodes, copy a registry into another."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "export, list or re-tag the deployed episodes kept in the registry, or copy it into PostgreSQL"

NOTE_WIDTH = 40
DB_HELP = (
    "database URL: sqlite:///relative.sqlite, sqlite:////absolute.sqlite or postgresql+psycopg://USER@HOST/DB "
    "(default: $PREFLIGHT_DATABASE_URL, else the workspace's registry.sqlite)"
)


def configure(parser: argparse.ArgumentParser) -> None:
    db_help = DB_HELP
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    export = actions.add_parser("export", help="write one CSV row per episode (columns: docs/registry.md)")
    export.add_argument("--out", type=Path, required=True, help="CSV file to write")
    export.add_argument("--station", help="only this station's episodes")
    export.add_argument("--database-url", "--db", dest="db", metavar="URL", help=db_help)

    listing = actions.add_parser("list", help="show the most recent episodes and their tags")
    listing.add_argument("--last", type=int, default=20, help="how many episodes (default: 20)")
    listing.add_argument("--station", help="only this station's episodes")
    listing.add_argument("--database-url", "--db", dest="db", metavar="URL", help=db_help)

    tag = actions.add_parser("tag", help="decide about an episode, or change the decision (earlier ones are kept)")
    tag.add_argument("episode_id", type=int, help="the episode's id, as `list` shows it")
    tag.add_argument("outcome", choices=("success", "failure", "untagged"))
    tag.add_argument("--score", type=int, help="0 to 100 (optional)")
    tag.add_argument("--note", default="", help="free text (optional)")
    tag.add_argument("--database-url", "--db", dest="db", metavar="URL", help=db_help)

    copy = actions.add_parser("copy", help="copy every row into an empty registry (SQLite into PostgreSQL), counted")
    copy.add_argument("--to", required=True, help="the target database URL, e.g. postgresql+psycopg://USER@HOST/DB")
    copy.add_argument("--database-url", "--db", dest="db", metavar="URL", help=db_help + "; the source")


def run(args: argparse.Namespace) -> int:
    from core.registry import Registry

    registry = Registry.open(args.db)
    if args.action == "copy":
        from core.registry.copy import copy_registry

        counts = copy_registry(registry, args.to)
        copied = ", ".join(f"{count} {table}" for table, count in counts.items())
        print(f"copied {copied} from {registry.url} to {Registry.open(args.to).url}; counts checked")
    elif args.action == "export":
        count = registry.export_csv(args.out, station=args.station)
        print(f"wrote {count} episodes to {args.out} (from {registry.url})")
    elif args.action == "list":
        rows = registry.episode_rows(station=args.station, last=args.last)
        print(f"registry: {registry.url}")
        print(format_table(rows) if rows else "no episodes recorded yet")
    elif args.action == "tag":
        tag = registry.tag_episode(args.episode_id, args.outcome, score=args.score, note=args.note)
        history = registry.tag_history(args.episode_id)
        score = "" if tag.score is None else f", score {tag.score}"
        print(f"episode {tag.episode_id}: {tag.outcome}{score} (decision {len(history)}; earlier ones kept)")
    return 0


def format_table(rows: list) -> str:
    """A fixed-width table of `EpisodeRow`s, one line each, for a terminal."""
    from core.registry.records import policy_name

    header = ("id", "ended", "station", "policy", "recording", "status", "start pose", "outcome", "score", "note")
    lines = [header] + [
        (
            str(row.episode_id),
            row.ended_at.astimezone().strftime("%Y-%m-%d %H:%M") if row.ended_at else "",
            row.station,
            policy_name(row.policy_path),
            f"{Path(row.dataset_root).name} #{row.episode_index}",
            row.status if row.status != "aborted" else f"aborted: {row.abort_reason}",
            "" if row.start_pose_distance_deg is None else f"{row.start_pose_distance_deg:.1f} deg",
            row.outcome or "AWAITING DECISION",
            "" if row.score is None else str(row.score),
            shorten(row.note or "", NOTE_WIDTH),
        )
        for row in rows
    ]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines)


def shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
