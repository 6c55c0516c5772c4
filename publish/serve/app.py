"""The preview's web application: one page, the build's outputs by name, and a stream of change events."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.resources
import json
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from publish.serve.preview import Preview

MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "epub": "application/epub+zip",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
OUTPUT_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; frame-ancestors 'self'"
"""The built HTML runs no script and loads nothing: the browser is told so, whatever the article holds."""
EPUB_POLICY = "default-src 'self'; script-src 'none'; frame-ancestors 'self'"


class Changes:
    """Wakes every open page's event stream when the preview changes (called from the build thread)."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.waiters: set[asyncio.Event] = set()

    def notify(self) -> None:
        """Wake every stream; safe from any thread."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        for event in self.waiters:
            event.set()


def application(preview: Preview, changes: Changes) -> Starlette:
    """The routes: nothing else is served, and no request names a path on disk."""
    page = importlib.resources.files("publish.serve").joinpath("page.html").read_bytes()

    async def index(request: Request) -> Response:
        return Response(page, media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)

    async def state(request: Request) -> Response:
        with preview.lock:
            data = preview.state.as_json()
        data["source"] = preview.source.name
        return JSONResponse(data, headers=SECURITY_HEADERS)

    async def output(request: Request) -> Response:
        name = request.path_params["format"]
        path = preview.output(name) if name in MEDIA else None
        if path is None or not path.is_file():
            return _not_found()
        headers = dict(SECURITY_HEADERS)
        if name == "html":
            headers["Content-Security-Policy"] = OUTPUT_POLICY
        else:
            headers["Content-Disposition"] = f'attachment; filename="{path.name}"'
        return FileResponse(path, media_type=MEDIA[name], headers=headers)

    async def page_image(request: Request) -> Response:
        path = preview.page_image(request.path_params["kind"], request.path_params["number"])
        if path is None or not path.is_file():
            return _not_found()
        return FileResponse(path, media_type="image/png", headers=SECURITY_HEADERS)

    async def epub_part(request: Request) -> Response:
        part = preview.epub_part(request.path_params["href"])
        if part is None:
            return _not_found()
        data, media = part
        headers = {**SECURITY_HEADERS, "Content-Security-Policy": EPUB_POLICY}
        return Response(data, media_type=media, headers=headers)

    async def events(request: Request) -> Response:
        async def stream() -> AsyncIterator[str]:
            event = asyncio.Event()
            changes.waiters.add(event)
            try:
                yield f"data: {json.dumps({'version': preview.state.version})}\n\n"
                while not await request.is_disconnected():
                    try:
                        await asyncio.wait_for(event.wait(), timeout=15)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
                        continue
                    event.clear()
                    yield f"data: {json.dumps({'version': preview.state.version})}\n\n"
            finally:
                changes.waiters.discard(event)

        return StreamingResponse(stream(), media_type="text/event-stream", headers=SECURITY_HEADERS)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        changes.loop = asyncio.get_running_loop()
        yield

    routes = [
        Route("/", index),
        Route("/state", state),
        Route("/events", events),
        Route("/out/{format:str}", output),
        Route("/pages/{kind:str}/{number:int}.png", page_image),
        Route("/epub/{href:path}", epub_part),
    ]
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: _handle_404})


def _not_found() -> Response:
    return PlainTextResponse("not found", status_code=404, headers=SECURITY_HEADERS)


async def _handle_404(request: Request, exc: Exception) -> Response:
    return _not_found()
