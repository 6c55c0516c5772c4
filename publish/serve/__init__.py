"""`publish serve`: a live preview of every format on 127.0.0.1, rebuilt when the input, the theme or the
templates change, pushed to the open pages as server-sent events."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import threading
import webbrowser
from dataclasses import dataclass
from pathlib import Path

import uvicorn
import watchfiles
from rich.console import Console

from publish.build.jobs import BuildOptions
from publish.errors import InputError
from publish.serve.app import Changes, application
from publish.serve.preview import Preview, timestamp

log = logging.getLogger("publish")

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif"}
"""Images an article may show: a change to one beside an article rebuilds."""
DEBOUNCE_MS = 250
"""Changes closer together than this are one rebuild (an editor's save writes several times)."""


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """Where the preview listens and how it behaves."""

    host: str = "127.0.0.1"
    """The address to bind: loopback unless the user says otherwise."""
    port: int = 8000
    """The TCP port."""
    open_browser: bool = False
    """Open the page in the user's browser once the first build is shown."""
    run_checks: bool = True
    """Run `publish check` on every build (validators and word parity) and show the results."""


def serve(source: Path, build_options: BuildOptions, options: ServeOptions = ServeOptions()) -> int:
    """Serve the preview until Ctrl-C (SIGINT) or SIGTERM; return the exit status."""
    if not source.is_file():
        raise InputError("no such file" if not source.exists() else "is not a file", path=source)
    console = Console(stderr=True, highlight=False)
    if not _is_loopback(options.host):
        log.warning("serving on %s: anyone who can reach this machine can see the preview (the default, "
                    "127.0.0.1, is only this machine)", options.host)
    changes = Changes()

    def built(timings: dict[str, float], error: str) -> None:
        if error:
            console.print(f"[dim]{timestamp()}[/] [bold red]error:[/] {error} [dim](the last good build stays "
                          "on the page)[/]")
        elif timings:
            done = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in timings.items())
            console.print(f"[dim]{timestamp()}[/] rebuilt {done}")

    preview = Preview(source, build_options, run_checks=options.run_checks, on_change=changes.notify,
                      on_built=built)
    config = uvicorn.Config(application(preview, changes), host=options.host, port=options.port,
                            log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    url = f"http://{_url_host(options.host)}:{options.port}/"
    builder = _Builder(preview)
    try:
        asyncio.run(_run(server, preview, builder, console, url, options.open_browser))
    except KeyboardInterrupt:  # Ctrl-C is how a preview ends: uvicorn has shut down cleanly and passes it on
        pass
    finally:
        builder.stop()
        preview.close()
    console.print("Stopped.")
    return 0


class _Builder:
    """One thread that rebuilds whenever asked, the newest request winning over a build in progress."""

    def __init__(self, preview: Preview) -> None:
        self.preview = preview
        self.wanted = threading.Event()
        self.stopped = False
        self.force = True
        self.thread = threading.Thread(target=self._loop, name="publish-serve-builder", daemon=True)
        self.thread.start()
        self.wanted.set()

    def request(self) -> None:
        """Build again soon; a build in progress stops at its next stage."""
        self.preview.invalidate()
        self.wanted.set()

    def _loop(self) -> None:
        while True:
            self.wanted.wait()
            self.wanted.clear()
            if self.stopped:
                return
            force, self.force = self.force, False
            self.preview.rebuild(force=force)

    def stop(self) -> None:
        """Let the thread end (a build in progress is abandoned with the process)."""
        self.stopped = True
        self.preview.invalidate()
        self.wanted.set()


async def _run(server: uvicorn.Server, preview: Preview, builder: _Builder, console: Console, url: str,
               open_browser: bool) -> None:
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            await serving  # it could not start (the port is taken...): uvicorn has said why; end here
            raise InputError(f"cannot listen on {url}")
        await asyncio.sleep(0.05)
    console.print(f"Serving [bold]{preview.source}[/] at [link={url}]{url}[/] (Ctrl-C stops)")
    if open_browser:
        webbrowser.open(url)
    stop = asyncio.Event()
    watching = asyncio.create_task(_watch(preview, builder, console, stop))
    await serving
    stop.set()
    await watching


async def _watch(preview: Preview, builder: _Builder, console: Console, stop: asyncio.Event) -> None:
    """Watch the input and the files a manifest lists (their folders, not below), and the theme's and the
    templates' folders (and below); ask for a rebuild on every relevant change. The set of folders is read again
    after each change, since a manifest may come to list files elsewhere."""
    while not stop.is_set():
        files, folders = preview.watched()
        article_folders = sorted({f.parent for f in files})
        relevant = _Relevant(set(files), folders, article_folders, preview.folder)
        restart = asyncio.Event()

        async def watch(roots: list[Path], recursive: bool, restart: asyncio.Event = restart,
                        relevant: _Relevant = relevant, files: list[Path] = files,
                        folders: list[Path] = folders) -> None:
            async for batch in watchfiles.awatch(*roots, watch_filter=relevant, debounce=DEBOUNCE_MS,
                                                 stop_event=restart, recursive=recursive):
                names = sorted({Path(p).name for _, p in batch})
                console.print(f"[dim]changed:[/] {', '.join(names)}")
                builder.request()
                if preview.watched() != (files, folders):
                    restart.set()  # watch the new set of folders

        async def until_stopped(restart: asyncio.Event = restart) -> None:
            await stop.wait()
            restart.set()

        waiter = asyncio.create_task(until_stopped())
        watchers = [watch(article_folders, False)] + ([watch(folders, True)] if folders else [])
        await asyncio.gather(*watchers)
        waiter.cancel()


class _Relevant(watchfiles.DefaultFilter):
    """Changes worth a rebuild: the input and the files it lists, anything in the theme's or the templates'
    folders, images beside the articles; not the preview's own files, nor editors' swap files and the like
    (watchfiles' default filter)."""

    def __init__(self, files: set[Path], folders: list[Path], article_folders: list[Path], own: Path) -> None:
        super().__init__()
        self.files = files
        self.folders = folders
        self.article_folders = set(article_folders)
        self.own = own

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        if not super().__call__(change, path):
            return False
        changed = Path(path)
        if changed.is_relative_to(self.own):
            return False
        if changed in self.files or any(changed.is_relative_to(folder) for folder in self.folders):
            return True
        return changed.parent in self.article_folders and changed.suffix.lower() in IMAGE_SUFFIXES


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
