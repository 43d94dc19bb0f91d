"""Server wrapper: `streamlit run app/asgi.py` serves the pages and the camera streams on one port.

Live video is MJPEG (`multipart/x-mixed-replace`) from a route of the Streamlit server
itself: the browser paints each frame as it arrives, with no script reruns and no
per-frame media files, and an operator needs to forward only one port.
"""

from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import streamlit as st
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route

import core  # noqa: F401  (environment defaults)
from core.errors import StationError
from core.station import launcher
from core.workspace import Workspace

BOUNDARY = b"preflightframe"


async def camera_stream(request: Request):
    station, camera = request.path_params["station"], request.path_params["camera"]
    client = await anyio.to_thread.run_sync(launcher.connect, station, Workspace.default())
    if client is None:
        return PlainTextResponse(f"station '{station}' is not running", status_code=404)
    try:
        stream = await anyio.to_thread.run_sync(client.open_stream, camera)
    except StationError as error:
        return PlainTextResponse(str(error), status_code=503)

    async def parts():
        try:
            while True:
                frame = await anyio.to_thread.run_sync(stream.next, 1.0)
                if frame is None:
                    continue
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


@asynccontextmanager
async def lifespan(app):
    yield
    await anyio.to_thread.run_sync(launcher.stop_children)


app = st.App(
    str(Path(__file__).resolve().with_name("main.py")),
    routes=[Route("/stream/{station}/{camera}", camera_stream)],
    lifespan=lifespan,
)
