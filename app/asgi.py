"""Server wrapper: `streamlit run app/asgi.py` serves the pages and the camera streams on one port.

Live video is MJPEG (`multipart/x-mixed-replace`) from a route of the Streamlit server
itself: the browser paints each frame as it arrives, with no script reruns and no
per-frame media files, and an operator needs to forward only one port. The Deploy page's
live run panel is pushed the same way, as server-sent events (app/run_panel.py).
"""

import html
import json
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import streamlit as st
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route

import core  # noqa: F401  (environment defaults)
from app.emergency_stop import HEADER, HEADER_VALUE
from app.run_panel import INTERVAL_S, as_event
from core.errors import StationError
from core.station import launcher
from core.workspace import Workspace

BOUNDARY = b"preflightframe"


async def camera_stream(request: Request):
    station, camera = request.path_params["station"], request.path_params["camera"]
    try:
        interval_s = 1 / float(request.query_params["fps"]) if "fps" in request.query_params else 0.0
    except (ValueError, ZeroDivisionError):
        return PlainTextResponse("fps must be a positive number of frames per second", status_code=400)
    client = await anyio.to_thread.run_sync(launcher.connect, station, Workspace.default())
    if client is None:
        return PlainTextResponse(f"station '{station}' is not running", status_code=404)
    try:
        stream = await anyio.to_thread.run_sync(client.open_stream, camera)
    except StationError as error:
        return PlainTextResponse(str(error), status_code=503)

    async def parts():
        due = 0.0
        try:
            while True:
                await anyio.sleep(max(0.0, due - anyio.current_time()))  # at most `fps` frames a second: the newest one
                frame = await anyio.to_thread.run_sync(stream.next, 1.0)
                if frame is None:
                    continue
                due = anyio.current_time() + interval_s
                header = b"--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % (BOUNDARY, len(frame.jpeg))
                yield header + frame.jpeg + b"\r\n"
        except StationError:
            return
        finally:
            stream.close()

    return StreamingResponse(
        parts(),
        media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def run_panel_events(request: Request):
    """The run panel of one station, once a second, as server-sent events; ends when the station does."""
    station = request.path_params["station"]
    workspace = Workspace.default()
    client = await anyio.to_thread.run_sync(launcher.connect, station, workspace)
    if client is None:
        return PlainTextResponse(f"station '{station}' is not running", status_code=404)

    async def events():
        while True:
            try:
                state = await anyio.to_thread.run_sync(client.state)
            except StationError as error:
                yield f"data: {json.dumps({'html': f'<p>{html.escape(str(error))}</p>', 'moment': None})}\n\n"
                return
            event = await anyio.to_thread.run_sync(as_event, state, workspace)
            yield f"data: {json.dumps(event)}\n\n"
            await anyio.sleep(INTERVAL_S)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
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


app = st.App(
    str(Path(__file__).resolve().with_name("main.py")),
    routes=[
        Route("/stream/{station}/{camera}", camera_stream),
        Route("/run-panel/{station}", run_panel_events),
        Route("/estop/{station}", emergency_stop, methods=["POST"]),
    ],
    lifespan=lifespan,
)
