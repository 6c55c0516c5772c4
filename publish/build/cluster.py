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

from publish.build.batch import BatchOptions, Outcome, build_one, new_token, write_shipped
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
        futures: dict[Any, Path] = {}
        given_names = dict(zip(sources, given, strict=True))
        for number, (source, name) in enumerate(zip(sources, given, strict=True)):
            shipped = None
            if batch.ship:
                try:
                    shipped = load_bytes(name)
                except PublishError as exc:
                    outcome = Outcome(source, error=str(exc))
                    outcomes.append(outcome)
                    on_outcome(outcome, len(outcomes), total)
                    continue
            future = client.submit(build_one, str(source), options, batch.keep_documents, batch.use_cache, shipped,
                                   key=f"publish-build-{token}-{number}", pure=False, retries=RETRIES)
            futures[future] = source
        for future in as_completed(list(futures), loop=client.loop):  # type: ignore[no-untyped-call]
            source = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:  # a worker killed too often, a cluster gone: this input failed
                outcome = Outcome(source, error=f"{source}: the cluster could not build it ({type(exc).__name__}: "
                                                f"{exc})")
            if outcome.outputs:
                outcome = write_shipped(outcome, options.out_dir)
            if outcome.error.startswith(str(source)):  # named as the user gave it, not as sent to the workers
                rest = outcome.error[len(str(source)):]
                outcome = dataclasses.replace(outcome, error=f"{given_names[source]}{rest}")
            outcomes.append(outcome)
            on_outcome(outcome, len(outcomes), total)
    return outcomes
