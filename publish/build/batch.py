"""Batch builds: many inputs built one by one, apart, in a process pool or on a Dask cluster; a bad input is
reported with its error and the others are still built.

Each input is a build of its own (`publish.build.jobs.build`): it is read whole before any of its files is written,
and its files are put in place together. Across inputs there is no such promise: a batch of 1,000 files where
one is broken writes the other 999. Workers are recycled after a number of inputs, so memory stays bounded
however long the batch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publish.backends import backends_for
from publish.build import cache, speedups
from publish.build.jobs import BuildOptions, Written, build, remove_stale
from publish.errors import InputError, PublishError

log = logging.getLogger("publish")

TASKS_PER_WORKER = 50
"""Inputs a pool worker builds before it is replaced by a fresh process (bounds what a long batch can leak)."""
STOP_GRACE = 5.0
"""Seconds a worker whose batch is gone gives its build to stop cleanly before it exits."""
POOL_RESTARTS = 2
"""How often an input may take its worker down (killed, out of memory) before it counts as failed."""


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """How a batch runs."""

    jobs: int = 0
    """Worker processes on this machine (`-j`); 0: one per core."""
    scheduler: str = ""
    """A Dask scheduler's address (`--scheduler tcp://HOST:PORT`); "" runs the batch on this machine."""
    ship: bool = False
    """On Dask: send each input's bytes to the workers and their outputs back, for workers that do not share
    this machine's files (each input must then stand alone: an article without local images)."""
    tasks_per_worker: int = TASKS_PER_WORKER
    """Inputs a local worker builds before it is replaced."""
    keep_documents: bool = False
    """Bring each input's model back with its files (for `--check`)."""
    use_cache: bool = True
    """Use the cache in the workers (`--no-cache` turns it off)."""

    def worker_count(self) -> int:
        """The local worker processes to start."""
        return self.jobs if self.jobs > 0 else (os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What building one input gave: its files, or the one-line error that stopped it."""

    source: Path
    """The input."""
    written: tuple[Written, ...] = ()
    """The files written (their `document` is the model only when asked for, else the model's placeholder)."""
    error: str = ""
    """The error, as `publish: error:` shows it, or "" when it was built."""
    said: tuple[tuple[str, int, str], ...] = ()
    """The warnings its build gave (logger, level, message), said again where the batch is watched."""
    outputs: tuple[tuple[str, bytes], ...] = ()
    """For a shipped input: each output's file name and bytes, for the client to write."""


@dataclass(frozen=True, slots=True)
class BatchReport:
    """Every input's outcome, in the order the inputs were given."""

    outcomes: tuple[Outcome, ...]
    """One per input."""
    seconds: float
    """How long the batch took."""

    @property
    def failed(self) -> tuple[Outcome, ...]:
        """The inputs that were not built."""
        return tuple(outcome for outcome in self.outcomes if outcome.error)

    @property
    def written(self) -> list[Written]:
        """Every file written, input by input."""
        return [w for outcome in self.outcomes for w in outcome.written]

    def summary(self) -> str:
        """One line: how many inputs were built, how many failed, how long it took."""
        total, failed = len(self.outcomes), len(self.failed)
        files = len(self.written)
        line = f"built {total - failed} of {total} inputs ({files} file{'' if files == 1 else 's'}) in " \
               f"{self.seconds:.1f} s"
        if failed:
            names = ", ".join(str(o.source) for o in self.failed[:3]) + (", ..." if failed > 3 else "")
            line += f"; {failed} failed: {names}"
        return line


# --- one input, in a worker --------------------------------------------------------------------------------


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.said: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.said.append((record.name, record.levelno, record.getMessage()))


@contextlib.contextmanager
def _recorded() -> Iterator[_Recorder]:
    """Keep the warnings of one input's build (instead of printing them in the worker)."""
    recorder = _Recorder()
    saved = []
    for name in ("publish", "weasyprint"):
        logger = logging.getLogger(name)
        saved.append((logger, logger.handlers[:], logger.level, logger.propagate))
        logger.handlers[:] = [recorder]
        logger.setLevel(logging.WARNING)
        logger.propagate = False
    try:
        yield recorder
    finally:
        for logger, handlers, level, propagate in saved:
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate


def _one_of_many(options: BuildOptions) -> BuildOptions:
    """The options for one input of a batch, which already keeps every core busy: a collection's PDF in parts only
    when asked for with `--pdf-parts on` (not `auto`)."""
    return dataclasses.replace(options, pdf_parts="off" if options.pdf_parts == "auto" else options.pdf_parts)


def build_one(source: str, options: BuildOptions, keep_documents: bool = False, use_cache: bool = True,
              shipped: bytes | None = None) -> Outcome:
    """Build one input as `publish build INPUT` would; never raises: an error is the outcome's one line.

    With `shipped`, the input's bytes were sent from elsewhere: they are built in a private folder and the
    outputs come back as bytes."""
    if not use_cache:
        cache.turn_off()
    path = Path(source)
    with _recorded() as recorder:
        try:
            if shipped is None:
                written = build([path], _one_of_many(options), swept=frozenset({options.out_dir}))  # (by build_many)
                outputs: tuple[tuple[str, bytes], ...] = ()
            else:
                written, outputs = _build_shipped(source, shipped, options)
        except PublishError as exc:
            return Outcome(path, error=str(exc), said=tuple(recorder.said))
        except Exception as exc:  # a bug: reported for this input, the batch goes on
            where = traceback.extract_tb(exc.__traceback__)[-1]
            return Outcome(path, error=f"{source}: unexpected {type(exc).__name__} (a bug in publish, at "
                                       f"{Path(where.filename).name}:{where.lineno}): {exc}",
                           said=tuple(recorder.said))
    if not keep_documents:
        written = [dataclasses.replace(w, document=_NO_DOCUMENT) for w in written]
    return Outcome(path, tuple(written), said=tuple(recorder.said), outputs=outputs)


def build_each(inputs: Sequence[tuple[str, bytes | None]], options: BuildOptions, keep_documents: bool = False,
               use_cache: bool = True) -> list[Outcome]:
    """`build_one` for each input (a path, and its bytes when shipped), in order: one Dask job of several inputs."""
    return [build_one(source, options, keep_documents, use_cache, shipped) for source, shipped in inputs]


def _build_shipped(name: str, data: bytes, options: BuildOptions,
                   ) -> tuple[list[Written], tuple[tuple[str, bytes], ...]]:
    """Build an input sent as bytes in a private folder; errors name the input as the client knows it."""
    with tempfile.TemporaryDirectory(prefix="publish-shipped-") as folder:
        source = Path(folder) / Path(name).name
        source.write_bytes(data)
        out = Path(folder) / "out"
        try:
            written = build([source], dataclasses.replace(_one_of_many(options), out_dir=out))
        except PublishError as exc:
            if exc.path is not None:
                exc.path = exc.path.replace(str(source), name)
            raise
        outputs = tuple((str(w.path.relative_to(out)), w.path.read_bytes()) for w in written)
    return written, outputs


_NO_DOCUMENT: Any = None  # the model is not brought back unless asked for (memory)


def _start_worker(use_cache: bool, batch: int) -> None:
    """A pool worker's start: the cache as the batch wants it, and a watch on the batch's process (`batch`): when
    it is gone (killed, even with SIGKILL) the worker stops too, as a build stops on SIGTERM (its temporary files
    removed), so a killed batch leaves no worker building on."""
    if not use_cache:
        cache.turn_off()
    threading.Thread(target=_watch_batch, args=(batch,), name="publish-batch-watch", daemon=True).start()


def _watch_batch(batch: int) -> None:
    while _running(batch):
        time.sleep(0.2)
    os.kill(os.getpid(), signal.SIGTERM)  # a build in hand stops and removes its temporary files...
    time.sleep(STOP_GRACE)
    os._exit(1)  # ...and the worker, which would wait for work forever, ends


def _running(pid: int) -> bool:
    """Whether the process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc: alive as far as can be told


# --- many inputs -------------------------------------------------------------------------------------------


def build_many(inputs: Sequence[str | os.PathLike[str]], options: BuildOptions, batch: BatchOptions,
               on_outcome: Callable[[Outcome, int, int], None] = lambda outcome, done, total: None) -> BatchReport:
    """Build every input on its own, in a local process pool or on the Dask cluster `batch.scheduler` names;
    `on_outcome(outcome, done, total)` is called as each finishes. Mistakes that would fail every input (an
    unknown format, a bad theme) stop the batch before it starts, as one error."""
    unique = {Path(path).resolve(): Path(path) for path in reversed(list(inputs))}  # each file built once
    paths = list(reversed(unique.values()))
    if not paths:
        raise PublishError("no input given")
    backends_for(list(options.formats))
    speedups.turned_off()
    options.load_theme()
    _check_distinct_names(paths)
    started = time.perf_counter()
    if not batch.ship:  # the outputs' folder, where every worker writes (shared storage, for a cluster)
        remove_stale(options.out_dir)
    if batch.scheduler:  # workers elsewhere: every path made absolute
        from publish.build import cluster

        sources = [path.resolve() for path in paths]
        outcomes = cluster.run(sources, paths, _absolute(options), batch, on_outcome)
    else:  # workers here, in this folder: paths as given, as messages should name them
        sources = list(paths)
        outcomes = _run_local(sources, options, batch, on_outcome)
    by_source = {outcome.source: outcome for outcome in outcomes}
    ordered = tuple(dataclasses.replace(by_source[source], source=given) for source, given in zip(sources, paths,
                                                                                                  strict=True))
    cache.prune_now_and_then()
    return BatchReport(ordered, time.perf_counter() - started)


def _run_local(sources: list[Path], options: BuildOptions, batch: BatchOptions,
               on_outcome: Callable[[Outcome, int, int], None]) -> list[Outcome]:
    """The batch in pools of forked worker processes, one pool per round of
    `tasks_per_worker` inputs per worker, so no worker lives longer than that (Python 3.11's own
    `max_tasks_per_child` can hang when a worker is replaced); an input whose worker dies is tried again in a
    fresh pool, then counted as failed."""
    # Forked workers start with publish imported and leave no helper process behind (a fork server and its
    # resource tracker would outlive the batch in its caller); the pool forks them before it starts its own
    # thread, and the display draws without one, so nothing is forked mid-lock.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    if context.get_start_method() == "fork":
        warm_up(options)
    total = len(sources)
    outcomes: list[Outcome] = []
    pending = list(sources)
    breaks: dict[Path, int] = {}
    while pending:
        workers = min(batch.worker_count(), len(pending))
        round_size = workers * max(1, batch.tasks_per_worker)
        this_round, pending = pending[:round_size], pending[round_size:]
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                                 initargs=(batch.use_cache, os.getpid())) as pool:
            futures: dict[Future[Outcome], Path] = {
                pool.submit(build_one, str(source), options, batch.keep_documents, batch.use_cache): source
                for source in this_round}
            try:
                waiting = set(futures)
                while waiting:
                    done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
                    for future in done:
                        source = futures[future]
                        try:
                            outcome = future.result()
                        except BrokenProcessPool:
                            breaks[source] = breaks.get(source, 0) + 1
                            if breaks[source] <= POOL_RESTARTS:
                                pending.append(source)
                                continue
                            outcome = Outcome(source, error=f"{source}: its worker process stopped while building "
                                                            "it (killed, or out of memory)")
                        outcomes.append(outcome)
                        on_outcome(outcome, len(outcomes), total)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    return outcomes


WARM_UP = """---
title: Warm-up
author: publish
date: 2024-06-12
language: en
---

A paragraph with *emphasis*, **strong** words, a [link](https://example.org/) and a quotation:

> Words said.

## A subhead

- one
- two
"""
"""The article `warm_up` builds: a little of what every article holds."""


def warm_up(options: BuildOptions) -> None:
    """Build a small article in this process, in a temporary folder, before a pool forks its workers from it: each
    worker then starts with what any build loads once (the Markdown reader and the backends' libraries, the theme,
    the compiled templates, the DOCX's styled template, langcodes' tables) instead of loading it again for its first
    input, a third of a second a worker, and twenty workers in a batch of 1,000 (benchmarks/README.md). Nothing is
    written outside that folder, nothing is said and nothing is kept in the cache; a failure only leaves more to
    load. A PDF is not built: WeasyPrint's C libraries are not loaded in a process that will fork."""
    formats = tuple(name for name in options.formats if name != "pdf")
    if not formats:
        return
    with tempfile.TemporaryDirectory(prefix="publish-warm-up-") as folder, _recorded(), cache.turned_off():
        source = Path(folder) / "warm-up.md"
        source.write_text(WARM_UP, encoding="utf-8")
        warm = dataclasses.replace(_one_of_many(options), formats=formats, out_dir=Path(folder) / "out",
                                   input_format=None, collection=None, docx_per_article=None)
        with contextlib.suppress(Exception):  # a strict build's warning, a theme's template error: met again later
            build([source], warm)


def write_shipped(outcome: Outcome, out_dir: Path) -> Outcome:
    """Put a shipped input's returned outputs in place (each through a temporary file and a rename)."""
    written = []
    for (name, data), made in zip(outcome.outputs, outcome.written, strict=True):
        target = out_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            return dataclasses.replace(outcome, outputs=(), written=(),
                                       error=f"{target}: cannot write: {exc.strerror}")
        written.append(dataclasses.replace(made, path=target))
    return dataclasses.replace(outcome, written=tuple(written), outputs=())


def _absolute(options: BuildOptions) -> BuildOptions:
    """The options with every path made absolute, so workers in other folders (or on other machines sharing
    the files) find the same files."""
    theme = str(Path(options.theme).resolve()) if os.sep in options.theme or Path(options.theme).is_dir() \
        else options.theme
    return dataclasses.replace(options, out_dir=options.out_dir.resolve(), theme=theme,
                               templates=tuple(t.resolve() for t in options.templates),
                               logo=options.logo.resolve() if options.logo is not None else None)


def _check_distinct_names(inputs: list[Path]) -> None:
    """Refuse, before anything runs, two inputs that would write the same output files."""
    seen: dict[str, Path] = {}
    for path in inputs:
        if path.stem in seen and seen[path.stem].resolve() != path.resolve():
            raise InputError(f"would write the same output files as {seen[path.stem]}; rename one of them",
                             path=path)
        seen[path.stem] = path


def new_token() -> str:
    """A short random name part for one batch's tasks."""
    return uuid.uuid4().hex[:12]


# --- what the person running the batch sees ----------------------------------------------------------------


class Display:
    """Progress of a batch on stderr: a bar with counts and time left (rich) on a terminal, else one plain line
    per file written and per error, as a single build prints them."""

    def __init__(self, total: int, *, show_written: Callable[[Written], None]) -> None:
        self.total = total
        self.show_written = show_written
        self.progress: Any = None
        self.task: Any = None
        self.failed = 0

    def __enter__(self) -> Display:
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(TextColumn("building"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("{task.fields[failed]}"),
                                     TextColumn("left"), TimeRemainingColumn(),
                                     console=Console(file=sys.stderr), transient=True,
                                     auto_refresh=False)  # drawn on each outcome: no thread in a forking process
            self.progress.start()
            self.task = self.progress.add_task("batch", total=self.total, failed="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def line(self, text: str) -> None:
        """A line above the bar (or on its own, without one)."""
        if self.progress is not None:
            self.progress.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=sys.stderr)

    def __call__(self, outcome: Outcome, done: int, total: int) -> None:
        for name, level, message in outcome.said:
            if self.progress is None:
                logging.getLogger(name).log(level, "%s", message)
            else:
                self.line(f"publish: {logging.getLevelName(level).lower()}: {message}")
        if outcome.error:
            self.failed += 1
            self.line(f"publish: error: {outcome.error}")
        elif self.progress is None:
            for written in outcome.written:
                self.show_written(written)
        if self.progress is not None:
            self.progress.update(self.task, completed=done, failed=f"{self.failed} failed" if self.failed else "",
                                 refresh=True)

