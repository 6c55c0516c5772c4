"""The build: read every input, render each into the asked formats, and write each file atomically."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from publish.backends import BACKENDS, RenderContext, backends_for
from publish.errors import InputError, PublishError
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
        rendered: list[tuple[Path, bytes | str, float]] = []
        for spec in specs:
            started = time.perf_counter()
            try:
                data = spec.load().render(reading.article, context)
            except PublishError as exc:
                if exc.path is None:
                    exc.path = str(path)
                raise
            rendered.append((options.out_dir / f"{path.stem}{spec.extension}", data, time.perf_counter() - started))
        for target, data, seconds in rendered:  # every format of this article rendered: now write them all
            size = write_atomic(target, data)
            written.append(Written(target, size, seconds))
            progress(written[-1])
    return written


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
