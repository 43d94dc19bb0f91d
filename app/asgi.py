"""Server wrapper: `streamlit run app/asgi.py` serves the pages and the camera streams on one port.

Live video is MJPEG (`multipart/x-mixed-replace`) from a route of the Streamlit server
itself: the browser paints each frame as it arrives, with no script reruns and no
per-frame media files, and an operator needs to forward only one port. The Deploy page's
live run panel is pushed the same way, as server-sent events (app/run_panel.py).
"""

import html
import json
import signal
from collections import Counter
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import streamlit as st
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route
from streamlit import config

import core  # noqa: F401  (environment defaults)
from app.access import AccessMiddleware, policy_from_config, token_url
from app.emergency_stop import HEADER, HEADER_VALUE
from app.run_panel import INTERVAL_S, as_event
from core.access_token import AccessError
from core.errors import StationError
from core.registry import mask_passwords_in_logs
from core.station import launcher
from core.workspace import Workspace

BOUNDARY = b"preflightframe"


MAX_FPS = 60.0  # a feed is never asked for more frames a second than cameras give
MAX_STREAMS_PER_STATION = 12  # live feeds of one station, every browser together (each costs about a third of a core)
MAX_STREAMS_PER_CLIENT = 6  # live feeds one client address may hold (browsers open about 6 connections per host)
_streams: Counter[str] = Counter()  # "station:<name>" and "client:<address>" -> open feeds
_panels: Counter[str] = Counter()  # the same keys -> open run panels, under the same caps as the feeds


def _take_place(counts: Counter[str], station: str, request: Request) -> tuple[str, str] | None:
    """The (station, client) keys of one more live response, counted from now; None when either cap is full. The
    check and the count run without an await between them, so two requests cannot both take the last place."""
    keys = (f"station:{station}", f"client:{request.client.host if request.client else ''}")
    if counts[keys[0]] >= MAX_STREAMS_PER_STATION or counts[keys[1]] >= MAX_STREAMS_PER_CLIENT:
        return None
    counts.update(keys)
    return keys


def _stream_fps(request: Request) -> float | None:
    """The `fps` query parameter within 1..MAX_FPS (None: the camera's own rate); ValueError otherwise."""
    if "fps" not in request.query_params:
        return None
    fps = float(request.query_params["fps"])
    if not 1.0 <= fps <= MAX_FPS:  # also refuses nan
        raise ValueError(fps)
    return fps


def server_exiting() -> bool:
    """True once the server was asked to exit. Uvicorn, which serves Streamlit, waits for every open response
    before it shuts down (and stops the stations), and a live feed never ends by itself: each endless stream asks
    this between two messages. Uvicorn exposes no hook for it; its SIGTERM/SIGINT handler is the bound
    `Server.handle_exit`, whose server holds `should_exit` (False where the handler is anything else)."""
    server = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)
    return getattr(server, "should_exit", False) is True


async def camera_stream(request: Request):
    station, camera = request.path_params["station"], request.path_params["camera"]
    try:
        fps = _stream_fps(request)
    except ValueError:
        return PlainTextResponse(f"fps must be a number of frames per second from 1 to {MAX_FPS:.0f}", status_code=400)
    interval_s = 1 / fps if fps else 0.0
    keys = _take_place(_streams, station, request)  # held from here
    if keys is None:
        return PlainTextResponse(
            f"Too many live feeds open (at most {MAX_STREAMS_PER_STATION} per station, {MAX_STREAMS_PER_CLIENT} per "
            "browser): close other tabs showing cameras.",
            status_code=429,
        )
    try:
        client = await anyio.to_thread.run_sync(launcher.connect, station, Workspace.default())
        if client is None:
            raise LookupError
        stream = await anyio.to_thread.run_sync(client.open_stream, camera)
    except LookupError:
        _streams.subtract(keys)
        return PlainTextResponse(f"station '{station}' is not running", status_code=404)
    except StationError as error:
        _streams.subtract(keys)
        return PlainTextResponse(str(error), status_code=503)

    async def parts():
        due = 0.0
        try:
            while not server_exiting():
                await anyio.sleep(max(0.0, due - anyio.current_time()))  # at most `fps` frames a second: the newest one
                frame = await anyio.to_thread.run_sync(stream.next, 1.0)
                if frame is None:
                    continue
                due = anyio.current_time() + interval_s
                header = b"--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % (BOUNDARY, len(frame.jpeg))
                yield header + frame.jpeg + b"\r\n"
        except StationError:
            return

    return _CountedStream(
        keys,
        stream.close,
        parts(),
        media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


class _CountedStream(StreamingResponse):
    """A feed (or run panel) that gives its place under the caps back however it ends (even before its first part)."""

    def __init__(
        self, keys: tuple[str, ...], close: Callable[[], None], *args, counts: Counter[str] = _streams, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.keys, self.close, self.counts = keys, close, counts

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.close()
            self.counts.subtract(self.keys)


async def run_panel_events(request: Request):
    """The run panel of one station, once a second, as server-sent events; ends when the station does."""
    station = request.path_params["station"]
    keys = _take_place(_panels, station, request)
    if keys is None:
        return PlainTextResponse(
            f"Too many run panels open (at most {MAX_STREAMS_PER_STATION} per station, {MAX_STREAMS_PER_CLIENT} per "
            "browser): close other tabs showing the Deploy page.",
            status_code=429,
        )
    workspace = Workspace.default()
    try:
        client = await anyio.to_thread.run_sync(launcher.connect, station, workspace)
    except BaseException:
        _panels.subtract(keys)
        raise
    if client is None:
        _panels.subtract(keys)
        return PlainTextResponse(f"station '{station}' is not running", status_code=404)

    async def events():
        while not server_exiting():
            try:
                state = await anyio.to_thread.run_sync(client.state)
            except StationError as error:
                yield f"data: {json.dumps({'html': f'<p>{html.escape(str(error))}</p>', 'moment': None})}\n\n"
                return
            event = await anyio.to_thread.run_sync(as_event, state, workspace)
            yield f"data: {json.dumps(event)}\n\n"
            await anyio.sleep(INTERVAL_S)

    return _CountedStream(
        keys,
        lambda: None,
        events(),
        counts=_panels,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def emergency_stop(request: Request):
    """POST from the sidebar's EMERGENCY STOP: the station's `estop` at once, outside any script run."""
    if request.headers.get(HEADER) != HEADER_VALUE:
        return PlainTextResponse(
            f"An emergency stop must carry the {HEADER} header (the app's button sends it).", status_code=403
        )
    station = request.path_params["station"]
    try:
        sent = await anyio.to_thread.run_sync(launcher.emergency_stop, station, Workspace.default())
    except StationError as error:
        return PlainTextResponse(f"Emergency stop failed: {error} Use the arm's power switch.", status_code=503)
    if not sent:
        return PlainTextResponse(f"Station '{station}' is not running: nothing to stop.", status_code=404)
    return PlainTextResponse("Emergency stop: the arm holds its position.")


@asynccontextmanager
async def lifespan(app):
    yield
    await anyio.to_thread.run_sync(launcher.stop_children)


mask_passwords_in_logs()  # no database password reaches the app's log, tracebacks included
try:
    ACCESS = policy_from_config(Workspace.default())  # refuses to serve beyond loopback without a token
except AccessError as error:
    raise SystemExit(f"error: {error}") from None
config.set_option("server.allowedHosts", sorted(ACCESS.hosts))  # Streamlit's own WebSocket check: the same names
if ACCESS.token is not None:
    print(f"Preflight: open {token_url(ACCESS, int(st.get_option('server.port')))} once per browser", flush=True)

app = st.App(
    str(Path(__file__).resolve().with_name("main.py")),
    middleware=[Middleware(AccessMiddleware, policy=ACCESS)],
    routes=[
        Route("/stream/{station}/{camera}", camera_stream),
        Route("/run-panel/{station}", run_panel_events),
        Route("/estop/{station}", emergency_stop, methods=["POST"]),
    ],
    lifespan=lifespan,
)
