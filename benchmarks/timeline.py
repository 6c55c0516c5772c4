"""Where one build's wall time goes: a `publish` command with the entry and exit of chosen functions stamped.

The command runs as its own process (`python3 -m publish ARGS`), started by this script; each stamp is printed to
stderr as the seconds since that process was started, so Python's own start and publish's imports count. Functions
run in forked processes (the PDF's part workers, a cold build's readers) are stamped there too, each line with its
process id, so the lines of the parent and of its workers interleave in time.

Usage: python3 benchmarks/timeline.py [--at MODULE:FUNCTION | MODULE:CLASS.METHOD]... -- build ARGS...

For example, a rebuild of the brief's PDF after one article changed:

  python3 benchmarks/timeline.py --at publish.backends.pdfparts:render --at publish.backends.pdfparts:stitch \\
      --at publish.backends.pdfparts:_Schedule._settle --at publish.backends.pdfparts:_PartLayout.make \\
      -- build digest-200.yaml --to pdf --article-break

This is how `benchmarks/README.md` ("the eleventh session") says where a rebuild's 1.1 s went.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

RUN = r"""
import functools, importlib, os, sys, time
START = float(os.environ["PUBLISH_TIMELINE_START"])
def stamp(what):
    print(f"{time.time() - START:7.3f} {os.getpid():>7} {what}", file=sys.stderr, flush=True)
stamp("python started")
import publish.cli
stamp("publish.cli imported")
for spec in sys.argv[1].split(","):
    if not spec:
        continue
    module_name, _, path = spec.partition(":")
    owner = importlib.import_module(module_name)
    *classes, name = path.split(".")
    for part in classes:
        owner = getattr(owner, part)
    original = getattr(owner, name)
    def stamped(*args, _original=original, _name=path, **kwargs):
        stamp(f"> {_name}")
        try:
            return _original(*args, **kwargs)
        finally:
            stamp(f"< {_name}")
    setattr(owner, name, functools.wraps(original)(stamped))
sys.argv = ["publish", *sys.argv[2:]]
try:
    code = publish.cli.main()
finally:
    stamp("end")
sys.exit(code)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--at", action="append", default=[], metavar="MODULE:FUNCTION",
                        help="stamp this function's entry and exit (repeat; a method as MODULE:CLASS.METHOD)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="-- then publish's arguments")
    options = parser.parse_args()
    args = options.args[1:] if options.args[:1] == ["--"] else options.args
    if not args:
        parser.error("give publish's arguments after --")
    environment = {**os.environ, "PUBLISH_TIMELINE_START": repr(time.time())}
    return subprocess.run([sys.executable, "-c", RUN, ",".join(options.at), *args], env=environment,
                          check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
