"""The build's processes: the render time limit, stopping cleanly on a signal, and workers that die with their parent.

SIGTERM and SIGHUP stop the build as Ctrl-C does, so its temporary files are removed before it exits. No process
outlives the build: a worker it forks (the PDF's parts) asks the kernel to kill it when its parent dies (Linux's
PR_SET_PDEATHSIG, for SIGKILL too), and elsewhere watches its parent.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType

from publish.errors import RenderError

DEFAULT_TIMEOUT = 300.0
"""Seconds one document's PDF may take to lay out before the build stops (`--timeout`; 0 for no limit)."""
_PR_SET_PDEATHSIG = 1


def timeout_error(seconds: float) -> RenderError:
    """The one line for a PDF that ran past its time limit."""
    return RenderError(f"the PDF took longer than {seconds:g} s to lay out; give a longer --timeout (0 for no "
                       "limit), or split the document into smaller ones")


class _Expired(BaseException):
    """Raised by the limit's alarm; a BaseException, so no `except Exception` inside the renderer swallows it."""


EXPIRED_AGAIN = 1.0
"""Seconds between the time limit's later rings, while the block has not stopped."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Stop the block with a RenderError after `seconds` of wall time (0: no limit).

    An interval timer's SIGALRM interrupts the layout between two Python steps; it works in a process's main
    thread only, so elsewhere the block runs without a limit. Once the time is up it rings again every
    EXPIRED_AGAIN seconds: CPython ignores an exception raised where nothing can receive it (a garbage collector's
    callback, a `__del__`), and a limit that rang there once would never stop the block. A ring that comes while
    the first one's exception is still on its way out (through the block's `finally` clauses: a PDF's worker
    processes stopped and waited for) lets that cleanup finish.
    """
    if seconds <= 0 or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        if not isinstance(sys.exc_info()[1], _Expired):  # else a cleanup runs on the way out: not cut short
            raise _Expired

    reported = sys.unraisablehook

    def unraisable(info: sys.UnraisableHookArgs) -> None:
        """A ring lost where nothing could receive it is not printed as "Exception ignored in ...": the next
        ring stops the block. Anything else goes to the hook that was there."""
        if not isinstance(info.exc_value, _Expired):
            reported(info)

    previous = signal.signal(signal.SIGALRM, expire)
    sys.unraisablehook = unraisable
    signal.setitimer(signal.ITIMER_REAL, seconds, EXPIRED_AGAIN)
    try:
        yield
    except _Expired:
        raise timeout_error(seconds) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if sys.unraisablehook is unraisable:
            sys.unraisablehook = reported


class Stopped(KeyboardInterrupt):
    """The build received SIGTERM or SIGHUP: it stops as it does for Ctrl-C."""


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGHUP raise Stopped, so cleanup code runs (a no-op outside the main
    thread, where signal handlers cannot be set)."""
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


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def can_fork() -> bool:
    """Whether this process may fork workers: the "fork" start method exists, and this is not a daemonic process
    (which may not have children: a batch worker) nor one running other threads (a server: forking it can copy a
    lock another thread holds)."""
    import multiprocessing as mp  # here: a build that forks nothing does not import it

    return ("fork" in mp.get_all_start_methods() and not mp.current_process().daemon
            and threading.active_count() == 1)


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


# --- ending at once ---------------------------------------------------------------------------------------------

_ending_at_once = 0
"""The process that will end without Python's teardown of its objects (`publish.cli.run`), or 0."""
_kept: object = None


def end_at_once() -> None:
    """Say that this process ends without Python's teardown of its objects (`publish.cli.run`): `outlive` keeps
    what it is given until then (a process forked from this one frees its objects as usual)."""
    global _ending_at_once
    _ending_at_once = os.getpid()


def outlive(done_with: object) -> None:
    """Keep a large object that a build is done with (a stitched PDF's parts: freeing their pikepdf documents
    takes a few hundredths of a second) until this process ends, when it ends at once and so never frees it. One
    at a time: the one kept before is freed now, so a process that builds many documents holds one more at most.
    Anywhere else, nothing: the object is freed as usual."""
    global _kept
    if _ending_at_once == os.getpid():
        _kept = done_with
