"""Batch builds on a Dask cluster (`--scheduler tcp://HOST:PORT`): the same one-input jobs as the local pool.

Inputs are read where they are when the workers share this machine's files (paths are sent, made absolute), or
sent as bytes with `--ship` (their outputs then come back and are written here). A worker lost mid-batch has its
inputs built again elsewhere by the scheduler; an input is written by one finished job only, through a temporary
file and a rename, so every output appears once and whole. Workers that share the cache folder share its entries.
Run workers as processes with one thread each (`dask worker ADDRESS --nworkers N --nthreads 1`): a build keeps
its warnings in process-wide loggers, and a PDF's time limit needs the process's main thread.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from publish.build.batch import BatchOptions, Outcome, build_each, new_token, write_shipped
from publish.build.jobs import BuildOptions
from publish.errors import PublishError
from publish.readers import load_bytes

CONNECT_SECONDS = 20
"""How long to wait for the scheduler to answer, unless Dask's own configuration (`distributed.comm.timeouts.connect`,
in a Dask YAML file or DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT) says otherwise."""
DASK_CONNECT_DEFAULT = "30s"
"""distributed's own default for that setting: left as it is, publish waits CONNECT_SECONDS."""
RETRIES = 2
"""How often a job that failed in Dask itself (not in publish: that is its outcome) is tried again."""
JOB_INPUTS = 8
"""Inputs one Dask job builds at most. Each job costs the cluster's scheduler, workers and client some milliseconds
of their own (7 ms of CPU for a job that does nothing, on the benchmark machine: benchmarks/README.md), as much as
a small article's build, so a large batch sends its inputs in jobs of up to this many: fewer only when that would
leave a worker fewer than JOB_INPUTS jobs, so the work still spreads evenly and ends together."""


def _job_size(total: int, workers: int) -> int:
    """How many inputs each job of a batch of `total` builds on `workers` workers."""
    return max(1, min(JOB_INPUTS, total // (max(1, workers) * JOB_INPUTS)))


def _connect_timeout() -> Any:
    """How long to wait for the scheduler: Dask's configured connect timeout when one was set, else CONNECT_SECONDS."""
    import dask.config

    configured = dask.config.get("distributed.comm.timeouts.connect", None)
    return CONNECT_SECONDS if configured in (None, DASK_CONNECT_DEFAULT) else configured


def run(sources: list[Path], given: list[Path], options: BuildOptions, batch: BatchOptions,
        on_outcome: Callable[[Outcome, int, int], None]) -> list[Outcome]:
    """Build every input on the cluster; an outcome per input, as each finishes."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise PublishError("--scheduler needs dask.distributed; install publish with the cluster extra "
                           "(pip install 'publish[cluster]')") from None
    try:
        client = Client(batch.scheduler, timeout=_connect_timeout(),  # type: ignore[no-untyped-call]
                        set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise PublishError(f"cannot reach the Dask scheduler at {batch.scheduler}: {exc}") from None
    outcomes: list[Outcome] = []
    total = len(sources)
    with client:
        token = new_token()
        given_names = dict(zip(sources, given, strict=True))
        jobs: list[tuple[str, bytes | None]] = []
        for source, name in zip(sources, given, strict=True):
            shipped = None
            if batch.ship:
                try:
                    shipped = load_bytes(name)
                except PublishError as exc:
                    outcome = Outcome(source, error=str(exc))
                    outcomes.append(outcome)
                    on_outcome(outcome, len(outcomes), total)
                    continue
            jobs.append((str(source), shipped))
        size = _job_size(len(jobs), len(client.scheduler_info().get("workers", {})))
        futures: dict[Any, list[Path]] = {}
        for number, first in enumerate(range(0, len(jobs), size)):
            part = jobs[first:first + size]
            future = client.submit(build_each, part, options, batch.keep_documents, batch.use_cache,
                                   key=f"publish-build-{token}-{number}", pure=False, retries=RETRIES)
            futures[future] = [Path(source) for source, _ in part]
        for future in as_completed(list(futures), loop=client.loop):  # type: ignore[no-untyped-call]
            try:
                built = future.result()
            except Exception as exc:  # a worker killed too often, a cluster gone: these inputs failed
                built = [Outcome(source, error=f"{source}: the cluster could not build it ({type(exc).__name__}: "
                                               f"{exc})") for source in futures[future]]
            for outcome in built:
                source = outcome.source
                if outcome.outputs:
                    outcome = write_shipped(outcome, options.out_dir)
                if outcome.error.startswith(str(source)):  # named as the user gave it, not as sent to the workers
                    rest = outcome.error[len(str(source)):]
                    outcome = dataclasses.replace(outcome, error=f"{given_names[source]}{rest}")
                outcomes.append(outcome)
                on_outcome(outcome, len(outcomes), total)
    return outcomes
