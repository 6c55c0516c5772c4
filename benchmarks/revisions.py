"""bench.py's cases for this checkout and another git revision side by side: did a change make publish slower?

    python3 benchmarks/revisions.py --old d3c1701 --cases seed --repeat 5
    python3 benchmarks/revisions.py --old d3c1701 --cases digest-200-vs-pandoc --formats html,pdf,docx,epub

The revision is checked out into a temporary git worktree and handed to `bench.py --baseline`, which runs every
publish command of the chosen cases with that checkout's code too, just before the command it mirrors
(interleaved, so a busy moment of a shared machine falls on both sides alike), on a row of its own marked
"before", against the same Pandoc runs; both sides start through the same launcher, from their own checkouts.
CPU time stands beside wall time. Every other option is bench.py's.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # the benchmark itself: cases, interleaving, the report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", required=True, help="the git revision to compare this checkout with")
    args, rest = parser.parse_known_args()
    with tempfile.TemporaryDirectory(prefix="publish-revision-") as tmp:
        folder = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(bench.REPO), "worktree", "add", "--detach", "-q", str(folder), args.old],
                       check=True)
        try:
            return bench.main([*rest, "--baseline", str(folder)])
        finally:
            subprocess.run(["git", "-C", str(bench.REPO), "worktree", "remove", "--force", str(folder)], check=False)


if __name__ == "__main__":
    sys.exit(main())
