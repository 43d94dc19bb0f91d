"""The app's access token: a secret in `app_token` (mode 0600) in the workspace.

Serving beyond loopback requires it (app/access.py); a browser presents it once in the URL
(`?token=...`) and gets a session cookie derived from it. `python -m core app-token` creates or
rotates it. Why: docs/security.md.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import shlex
import stat
from pathlib import Path

from core.errors import PreflightError
from core.workspace import Workspace

TOKEN_FILE = "app_token"
CREATE_COMMAND = ".venv/bin/python -m core app-token"


class AccessError(PreflightError):
    """The app cannot be served safely as configured (no token beyond loopback, a token file others can read)."""


def token_path(workspace: Workspace) -> Path:
    return workspace.root / TOKEN_FILE


def read_token(workspace: Workspace) -> str | None:
    """The token, None when there is no token file; AccessError for a file that is not the user's own and 0600."""
    path = token_path(workspace)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise AccessError(
            f"Cannot read the app token {path} ({error}). Recreate it: {CREATE_COMMAND} --rotate"
        ) from error
    with os.fdopen(fd) as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            raise AccessError(
                f"The app token {path} must be a file of your own that only you can read (mode 0600). Fix it with "
                f"chmod 600 {shlex.quote(str(path))}, or recreate it: {CREATE_COMMAND} --rotate"
            )
        token = handle.read().strip()
    if len(token) < 32:
        raise AccessError(f"The app token {path} is too short to be secret. Recreate it: {CREATE_COMMAND} --rotate")
    return token


def create_token(workspace: Workspace, rotate: bool = False) -> str:
    """The existing token, or a new one written 0600 (always new with `rotate`; old cookies stop working)."""
    if not rotate and (existing := read_token(workspace)) is not None:
        return existing
    path = token_path(workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    tmp = path.with_name(f".{TOKEN_FILE}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    tmp.replace(path)
    return token


def session_value(token: str) -> str:
    """The cookie a browser holds once it presented the token: derived, so the token itself never sits in a cookie."""
    return hmac.new(token.encode(), b"preflight-session", hashlib.sha256).hexdigest()


def matches(presented: str | None, expected: str) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())
