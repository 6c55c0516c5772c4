"""The build's processes: the forked PDF worker, the render time limit, and stopping cleanly on a signal.

No process outlives the build: the worker asks the kernel to kill it when its parent dies (Linux's
PR_SET_PDEATHSIG, for SIGKILL too), and elsewhere watches its parent; it ignores Ctrl-C, which the build
handles for both; SIGTERM and SIGHUP stop the build as Ctrl-C does, so temporary files are removed and the
worker is stopped before the build exits.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import FrameType
from typing import Any

from publish.errors import PublishError, RenderError

DEFAULT_TIMEOUT = 300.0
"""Seconds one document's PDF may take to lay out before the build stops (`--timeout`; 0 for no limit)."""
GRACE = 30.0
"""Seconds past the limit the build waits for a worker stuck in C code (where the limit's alarm cannot act)
before it kills the worker."""
_PR_SET_PDEATHSIG = 1


def timeout_error(seconds: float) -> RenderError:
    """The one line for a PDF that ran past its time limit."""
    return RenderError(f"the PDF took longer than {seconds:g} s to lay out; give a longer --timeout (0 for no "
                       "limit), or split the document into smaller ones")


class _Expired(BaseException):
    """Raised by the limit's alarm; a BaseException, so no `except Exception` inside the renderer swallows it."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Stop the block with a RenderError after `seconds` of wall time (0: no limit).

    An interval timer's SIGALRM interrupts the layout between two Python steps; it works in a process's main
    thread only, so elsewhere the block runs without a limit (and the worker's parent enforces it instead).
    """
    if seconds <= 0 or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Expired:
        raise timeout_error(seconds) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Stopped(KeyboardInterrupt):
    """The build received SIGTERM or SIGHUP: it stops as it does for Ctrl-C."""


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGHUP raise Stopped, so cleanup code runs and the worker is stopped
    (a no-op outside the main thread, where signal handlers cannot be set)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Stopped(signal.Signals(signum).name)

    names = [name for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {name: signal.signal(getattr(signal, name), stop) for name in names}
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP while the block runs (the renames that put a build's files in place), so
    a signal cannot leave half the new set beside half the old; one that came meanwhile acts after the block."""
    names = [name for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {getattr(signal, name) for name in names})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


Render = Callable[..., tuple[bytes | str, float]]
"""What the worker runs for each request: a function of the request's arguments giving (output, seconds)."""


@dataclass(slots=True)
class PdfWorker:
    """A second process for the PDF, by far the slowest format (WeasyPrint's import and layout).

    It is forked when the build starts, so WeasyPrint loads while the build reads its inputs; then each
    document's PDF renders there while the build renders the other formats. Requests and results cross one
    pipe; the worker ends when the pipe closes, and dies with the build on any signal.
    """

    process: Any
    """The forked process (a multiprocessing Process of the fork context)."""
    connection: Connection
    """The build's end of the pipe."""

    @classmethod
    def start(cls, render: Render, warm_up: Callable[[], object]) -> PdfWorker | None:
        """Fork the worker, which runs `warm_up` (loading the PDF backend) and then serves `render` calls; None
        where processes cannot fork, or the system will not make one now."""
        if "fork" not in mp.get_all_start_methods():
            return None
        ours, theirs = mp.get_context("fork").Pipe()
        process = mp.get_context("fork").Process(target=_serve, args=(theirs, ours, os.getpid(), render, warm_up),
                                                 name="publish-pdf-worker", daemon=True)
        try:
            process.start()
        except OSError:  # no memory or process slot for a second process: the build renders the PDF itself
            ours.close()
            theirs.close()
            return None
        theirs.close()  # so the build sees EOF when the worker dies
        return cls(process, ours)

    def submit(self, *request: Any) -> None:
        """Send one render request (the arguments of `render`)."""
        self.connection.send(request)

    def result(self, limit: float) -> tuple[bytes | str, float]:
        """The answer to the last request: the output and its render time. The worker enforces `limit` itself;
        if it has not answered `GRACE` seconds after the limit (stuck in C code), it is killed."""
        wait = None if limit <= 0 else limit + GRACE
        if not self.connection.poll(wait):
            self.stop()
            raise timeout_error(limit)
        try:
            kind, value, lines = self.connection.recv()
        except (EOFError, OSError):
            self.process.join(5)
            raise RuntimeError(f"the PDF worker stopped unexpectedly (exit code {self.process.exitcode})") from None
        for level, line in lines:  # the worker's warnings, said here, where stderr is the build's
            logging.getLogger("publish").log(level, "%s", line)
        if kind == "done":
            output: tuple[bytes | str, float] = value
            return output
        if kind == "error":
            error: PublishError = value
            raise error
        raise RuntimeError(f"the PDF worker failed:\n{value}")

    def stop(self) -> None:
        """End the worker now (it may be rendering) and wait for it, so it leaves no process behind."""
        self.connection.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()

    def close(self) -> None:
        """End an idle worker: closing the pipe tells it to exit."""
        self.connection.close()
        self.process.join(10)
        if self.process.is_alive():
            self.stop()


def _serve(connection: Connection, builds_end: Connection, parent: int, render: Render,
           warm_up: Callable[[], object]) -> None:
    """The worker's life: die with the parent, leave Ctrl-C to it, load the backend, answer requests until the
    pipe closes."""
    builds_end.close()
    die_with_parent(parent)
    mp.current_process().daemon = False  # so it may fork a collection's PDF parts (publish.backends.pdfparts),
    # which die with it as it dies with the build
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the build stops the worker
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    lines = _Lines()
    for name in ("publish", "weasyprint"):
        logging.getLogger(name).handlers[:] = [lines]
        logging.getLogger(name).propagate = False
    with contextlib.suppress(Exception):
        warm_up()  # a failure to load shows again, as an answer, when the first PDF is asked for
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        lines.said.clear()
        try:
            answer: tuple[str, Any, list[tuple[int, str]]] = ("done", render(*request), lines.said)
        except PublishError as exc:
            answer = ("error", exc, lines.said)
        except Exception:
            answer = ("bug", traceback.format_exc(), lines.said)
        try:
            connection.send(answer)
        except (OSError, ValueError):
            return


class _Lines(logging.Handler):
    """The worker's log lines, kept to be sent with its answer and said by the build."""

    def __init__(self) -> None:
        super().__init__()
        self.said: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.said.append((record.levelno, record.getMessage()))


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when its parent dies (Linux), else watch the parent from a thread."""
    armed = False
    if sys.platform.startswith("linux"):
        try:
            armed = ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent,), name="publish-parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)
