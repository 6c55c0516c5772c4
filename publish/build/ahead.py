"""Per-article work done ahead by forked processes, for the cache: a cold build of a collection reads (and, for
an EPUB, renders) its articles on every core.

`in_order(items, work)` gives `work(item)` for each item in order, computed in this process, exactly as a loop
would. When the first item's work misses the cache (`cache.misses()` went up: a cold build) and enough items are
left, the rest is cut into consecutive shares, one per core: this process keeps the first and forks a process
for each of the others, which does its share's work only to store the results in the cache and exits. When this
process reaches a share, it waits for the process doing it, and its own `work` then finds every result in the
cache.

So nothing a forked process computes is taken on trust from it: it can only have filled the cache, whose entries
are signed and keyed by everything they depend on. What the build prints is what a sequential build prints: a
forked process says nothing (an entry records the warnings its reading gave, said again when it is used, and a
piece whose making warned is not stored, so it is made again here and warns here), and an item that fails there
fails again here, with the same one-line error. A warm build (the first item hits the cache) never forks, nor
does a build without a cache, a daemonic process (a batch worker, already one of many), a process running other
threads (`publish serve`), or a machine with one core.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import os
import signal
from collections.abc import Callable, Generator, Sequence
from typing import Any, TypeVar

from publish.build import cache, processes

T = TypeVar("T")
R = TypeVar("R")

MINIMUM_LEFT = 8
"""Fork only with at least this many items left: fewer are done before a process would have started."""
MAX_PROCESSES = 7
"""Forked processes at most (each of one share), whatever the cores."""


def in_order(items: Sequence[T], work: Callable[[T], R], ahead: Callable[[T], bool] | None = None,
             cost: Callable[[T], float] | None = None) -> Generator[R, None, None]:
    """`work(item)` for each item, in order; the later items' work done ahead by forked processes when the first
    item's misses the cache (see the module). `ahead(item)` says whether a forked process may do an item's work
    (a remote page is not fetched twice, for example); by default every item may be. `cost(item)` is how long an
    item's work takes against the others' (1 by default): the shares are cut so that each has as much to do."""
    shares: list[tuple[int, Any]] = []  # (first index of a share, the process doing it), in order
    try:
        for index, item in enumerate(items):
            while shares and shares[0][0] <= index:
                shares.pop(0)[1].join()
            missed = cache.misses()
            result = work(item)
            if index == 0 and cache.misses() > missed:
                shares = _fork_shares(items, index + 1, work, ahead, cost)
            yield result
    finally:  # a failure here (or a consumer that stops) stops the processes still working
        for _, process in shares:
            _stop(process)


def _fork_shares(items: Sequence[T], start: int, work: Callable[[T], Any], ahead: Callable[[T], bool] | None,
                 cost: Callable[[T], float] | None = None) -> list[tuple[int, Any]]:
    left = len(items) - start
    count = min(processes.cores(), MAX_PROCESSES + 1, left // MINIMUM_LEFT)
    if count < 2 or not processes.can_fork() or cache.root() is None:
        return []
    import multiprocessing as mp  # here: a warm build does not import it

    context = mp.get_context("fork")
    bounds = _balanced_bounds([1.0 if cost is None else cost(item) for item in items[start:]], start, count)
    shares = []
    for first, end in itertools.pairwise(bounds[1:]):  # this process keeps bounds[0]..bounds[1]
        if first == end:
            continue
        process = context.Process(target=_share, args=(items[first:end], work, ahead, os.getpid()), daemon=True)
        try:
            process.start()
        except OSError:  # out of processes or memory: this process does the rest itself
            break
        shares.append((first, process))
    return shares


def _balanced_bounds(costs: list[float], start: int, count: int) -> list[int]:
    """Where `count` consecutive shares of the items from `start` begin (and the last ends), each holding as near a
    `count`th of the total cost as a cut between two items allows."""
    totals = list(itertools.accumulate(costs, initial=0.0))
    bounds = [0]
    for share in range(1, count):
        target = totals[-1] * share / count
        after = bisect.bisect_left(totals, target, lo=bounds[-1])  # the first cut at or past the target
        before = max(after - 1, bounds[-1])
        after = min(after, len(costs))
        bounds.append(before if target - totals[before] <= totals[after] - target else after)
    return [start + bound for bound in (*bounds, len(costs))]


def _share(items: Sequence[T], work: Callable[[T], Any], ahead: Callable[[T], bool] | None, parent: int) -> None:
    """A forked process: do each item's work for the cache, silently; a failure is left for the parent to meet."""
    processes.die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops this process
    for name in ("SIGTERM", "SIGHUP"):  # the build's own handlers are not this process's
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    silent = os.open(os.devnull, os.O_WRONLY)  # the cache's recorder still hears a reader's warnings
    os.dup2(silent, 1)
    os.dup2(silent, 2)
    with cache.deferred():  # all written as one when the share is done, which is when the build reads them
        for item in items:
            if ahead is None or ahead(item):
                with contextlib.suppress(Exception):
                    work(item)


def _stop(process: Any) -> None:
    if process.is_alive():
        process.kill()
    process.join()
