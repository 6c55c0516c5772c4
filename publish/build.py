"""The build: read every input, render each into the asked formats, and write each file atomically."""

from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from publish.backends import BACKENDS, BackendSpec, RenderContext, backends_for
from publish.errors import InputError, PublishError
from publish.model import Article
from publish.readers import Reading, read_file
from publish.resources import Resources
from publish.theme import load_theme

DEFAULT_FORMATS = tuple(BACKENDS)


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """What to build and where."""

    formats: tuple[str, ...] = DEFAULT_FORMATS
    """Output format names, in the order they are written."""
    out_dir: Path = Path("out")
    """The folder outputs are written to (created if missing)."""
    input_format: str | None = None
    """A reader name that overrides the inputs' extensions."""
    theme: str = "default"
    """A built-in theme name or a theme folder."""
    allow_remote: bool = False
    """Let the PDF renderer fetch http(s) resources."""


@dataclass(frozen=True, slots=True)
class Written:
    """One output file written."""

    path: Path
    """Where it is."""
    size: int
    """Its size in bytes."""
    seconds: float
    """How long rendering it took."""


def build(inputs: list[Path], options: BuildOptions, progress: Callable[[Written], None] = lambda w: None,
          ) -> list[Written]:
    """Read all inputs first (a bad one stops the build before anything is written), then render and write."""
    specs = backends_for(list(options.formats))
    theme = load_theme(options.theme)
    _check_distinct_stems(inputs)
    readings: list[tuple[Path, Reading]] = [(path, read_file(path, options.input_format)) for path in inputs]
    written: list[Written] = []
    for path, reading in readings:
        context = RenderContext(theme=theme, resources=Resources(base_dir=path.parent.resolve(), roots=(theme.folder,)),
                                allow_remote=options.allow_remote)
        try:
            rendered = _render_formats(specs, reading.article, context)
        except PublishError as exc:
            if exc.path is None:
                exc.path = str(path)
            raise
        for spec, (data, seconds) in zip(specs, rendered, strict=True):  # all rendered: now write them all
            target = options.out_dir / f"{path.stem}{spec.extension}"
            written.append(Written(target, write_atomic(target, data), seconds))
            progress(written[-1])
    return written


def _render_formats(specs: list[BackendSpec], article: Article, context: RenderContext,
                    ) -> list[tuple[bytes | str, float]]:
    """Every format's output and render time, in the order of `specs`.

    The PDF is by far the slowest format (WeasyPrint's import and layout). With other formats to render and a
    second core, it renders in a forked worker process while this process renders the rest.
    """
    slow = next((spec for spec in specs if spec.name == "pdf"), None)
    if slow is None or len(specs) == 1 or (os.cpu_count() or 1) < 2 or "fork" not in mp.get_all_start_methods():
        return [_render_timed(spec, article, context) for spec in specs]
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("fork")) as pool:
        pdf = pool.submit(_render_timed, slow, article, context)
        others = {spec.name: _render_timed(spec, article, context) for spec in specs if spec is not slow}
        others[slow.name] = pdf.result()
    return [others[spec.name] for spec in specs]


def _render_timed(spec: BackendSpec, article: Article, context: RenderContext) -> tuple[bytes | str, float]:
    started = time.perf_counter()
    data = spec.load().render(article, context)
    return data, time.perf_counter() - started


def write_atomic(target: Path, data: bytes | str) -> int:
    """Write through a temporary file in the same folder and rename it into place; return the size in bytes."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise PublishError(f"cannot write here: {exc.strerror}", path=target.parent) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(payload)


def _check_distinct_stems(inputs: list[Path]) -> None:
    seen: dict[str, Path] = {}
    for path in inputs:
        if path.stem in seen and seen[path.stem] != path:
            raise InputError(f"would write the same output files as {seen[path.stem]}; rename one of them", path=path)
        seen[path.stem] = path
