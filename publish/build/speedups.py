"""Switches for publish's speed hacks, for the benchmark only: PUBLISH_SPEEDUPS_OFF=cache,library-patch turns the
named ones off for a whole process (read once; nothing sets it during a render), so that `benchmarks/bench.py` can
measure each on and off side by side. Each stays only while it pays there (benchmarks/README.md)."""

from __future__ import annotations

import functools
import os

from publish.errors import PublishError

SPEEDUPS = {
    "cache": "the per-user cache of compiled templates and parsed hyphenation patterns (publish/build/cache.py)",
    "library-patch": "WeasyPrint's C libraries loaded by soname, without ctypes' search "
                     "(publish/backends/pdfengine.py)",
}
ENV = "PUBLISH_SPEEDUPS_OFF"


@functools.cache
def turned_off() -> frozenset[str]:
    """The speed hacks this process runs without."""
    names = frozenset(name.strip() for name in os.environ.get(ENV, "").split(",") if name.strip())
    unknown = sorted(names - set(SPEEDUPS))
    if unknown:
        raise PublishError(f"{ENV}: unknown speed hack {unknown[0]!r}; known: {', '.join(SPEEDUPS)}")
    return names


def on(name: str) -> bool:
    """Whether the named speed hack is in use."""
    return name not in turned_off()
