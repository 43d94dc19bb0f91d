"""Who may use the app server: the Host and Origin checks and the token, as one ASGI middleware on `st.App`.

Every HTTP request and WebSocket (Streamlit's own and the custom routes of app/asgi.py) passes
`AccessMiddleware`: a foreign Host header (DNS rebinding) and a cross-site request (Origin,
Sec-Fetch-Site) are refused; beyond loopback a browser must first present the workspace's token
(`?token=`), exchanged for a session cookie. The threats and tests: docs/security.md.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode, urlsplit

from streamlit import config

from core.access_token import AccessError, matches, read_token, session_value, token_path
from core.workspace import Workspace

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_ADDRESSES = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 - names, not a bind
COOKIE = "preflight_session"
TOKEN_PARAMETER = "token"
OPEN_PATHS = frozenset({"/_stcore/health"})  # liveness only: answered without the token
APP_ROUTES = ("/stream/", "/run-panel/", "/estop/")  # app/asgi.py: never from another site, even as a navigation


@dataclass(frozen=True)
class AccessPolicy:
    """The names the server answers to, the extra origins allowed, and the token when one is required."""

    hosts: frozenset[str]  # lowercase hostnames without port
    origins: frozenset[str]  # scheme://host[:port] allowed besides the page's own origin
    token: str | None  # None: loopback without a token file
    address: str  # the configured bind address

    def host_allowed(self, host_header: str | None) -> bool:
        hostname = _hostname(host_header)
        return hostname is not None and hostname in self.hosts

    def origin_allowed(self, origin: str, host_header: str) -> bool:
        """The page's own origin (its scheme, name and port equal to the Host it was served as), or a listed one."""
        if origin in self.origins:
            return True
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and parts.netloc.lower() == host_header.lower()


def is_loopback(address: str) -> bool:
    """127.0.0.0/8, ::1 or localhost; a wildcard or any other address reaches the network."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def policy_from_config(workspace: Workspace) -> AccessPolicy:
    """The policy for the configured server; AccessError when it would serve beyond loopback without a token."""
    address = str(config.get_option("server.address") or "")
    hosts = {name.strip().lower().rstrip(".") for name in config.get_option("server.allowedHosts") or []}
    if address not in WILDCARD_ADDRESSES:
        hosts.add(address.lower())
    token = read_token(workspace)
    if token is None and not is_loopback(address):
        raise AccessError(
            f"Refusing to serve on {address or 'every address'}: beyond loopback the app needs a token, or anyone on "
            f"the network could drive the arm. Create it with `.venv/bin/python -m core app-token` (it goes to "
            f"{token_path(workspace)}, mode 0600), then start again; better, serve on 127.0.0.1 behind a reverse "
            "proxy with TLS (docs/security.md)."
        )
    if "*" in hosts:
        raise AccessError("server.allowedHosts may not be '*': list the names the lab uses to reach this computer.")
    origins = frozenset(str(origin).rstrip("/") for origin in config.get_option("server.corsAllowedOrigins") or [])
    return AccessPolicy(frozenset(hosts | LOOPBACK_NAMES), origins, token, address)


def _hostname(host_header: str | None) -> str | None:
    """The name of a Host header without its port; None for one that is not a plain host[:port]."""
    if not host_header:
        return None
    try:
        parts = urlsplit(f"//{host_header}")
        _ = parts.port  # validates the port
    except ValueError:
        return None
    if parts.hostname is None or parts.username or parts.password or parts.path or parts.query or parts.fragment:
        return None
    return parts.hostname.lower().rstrip(".")


def token_url(policy: AccessPolicy, port: int) -> str:
    host = policy.address if policy.address not in WILDCARD_ADDRESSES else "<this computer's name>"
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}/?{TOKEN_PARAMETER}={policy.token}"


class AccessMiddleware:
    """Pure ASGI (so it covers WebSockets and streaming responses alike); refusals are short plain-text answers."""

    def __init__(self, app, policy: AccessPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            return await _refuse(scope, send, *refusal)
        if self.policy.token is not None and scope["type"] == "http":
            presented = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))).get(TOKEN_PARAMETER)
            if presented is not None:
                return await self._exchange(scope, send, presented)
        return await self.app(scope, receive, send)

    def _refusal(self, scope, headers: dict[str, str]) -> tuple[int, str] | None:
        host = headers.get("host")
        if not self.policy.host_allowed(host):
            return 421, f"This server does not answer to the name {host!r}. Open it by its own address."
        origin = headers.get("origin")
        if origin is not None and not self.policy.origin_allowed(origin, host or ""):
            return 403, "Requests from another site are refused."
        site = headers.get("sec-fetch-site")
        if site in ("cross-site", "same-site") and not self._navigation(scope, headers):
            return 403, "Requests from another site are refused."
        server = scope.get("server")
        if self.policy.token is None and server and not is_loopback(str(server[0])):
            return 403, "This server has no token and refuses connections beyond loopback (docs/security.md)."
        if self.policy.token is not None and scope["path"] not in OPEN_PATHS and not self._has_session(headers):
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            if scope["type"] == "websocket" or TOKEN_PARAMETER not in query:
                return 401, (
                    "Open the app with the URL printed when it started (it carries the token once); the token is in "
                    "the workspace's app_token file."
                )
        return None

    def _navigation(self, scope, headers: dict[str, str]) -> bool:
        """A top-level page load from a link elsewhere: allowed for pages, never for the app's routes."""
        return (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and headers.get("sec-fetch-mode") == "navigate"
            and headers.get("sec-fetch-dest") == "document"
            and not scope["path"].startswith(APP_ROUTES)
        )

    def _has_session(self, headers: dict[str, str]) -> bool:
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed cookie header is no session
            return False
        held = cookie.get(COOKIE)
        return held is not None and matches(held.value, session_value(str(self.policy.token)))

    async def _exchange(self, scope, send, presented: str) -> None:
        """The token presented once: a session cookie, and the same page again without the token in its URL."""
        if not matches(presented, str(self.policy.token)):
            return await _refuse(scope, send, 401, "Wrong token: use the URL printed when the app started.")
        query = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1")) if k != TOKEN_PARAMETER]
        location = scope["path"] + (f"?{urlencode(query)}" if query else "")
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = f"{COOKIE}={session_value(str(self.policy.token))}; Path=/; HttpOnly; SameSite=Strict{secure}"
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [
                    (b"location", location.encode("latin-1")),
                    (b"set-cookie", cookie.encode("latin-1")),
                    (b"cache-control", b"no-store"),
                    (b"referrer-policy", b"no-referrer"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})


async def _refuse(scope, send, status: int, message: str) -> None:
    if scope["type"] == "websocket":  # closing before accepting answers the upgrade with 403
        await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
        return
    body = message.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
