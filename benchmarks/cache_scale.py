"""Benchmark the per-article cache's store at archive scale, this checkout against another git revision.

A desk that re-renders an archive keeps hundreds of thousands of entries (a model and a piece per format per story).
For each side, a new process fills an empty cache folder with N entries of 3 KB (an EPUB chapter's size) through
publish's own `cache.put`, then times what every build and `publish cache` pay for the store's size:

  fill        the N puts (signing included), one after another
  scan        `cache.prune()` under the cap: what a build pays every five minutes (`prune_now_and_then`) to learn
              the cache's size
  info        `cache.info()`, as `publish cache info`
  prune       `cache.prune(cap)` with the cap at half the entries' size: the least recently used removed to 80 %
              of it, the space given back

and counts the files the folder holds and its size on disk (`du`). The sides run one after the other, --repeat
times, interleaved; medians are printed, CPU time beside wall time.

Usage: python3 benchmarks/cache_scale.py --old REV [--entries 50000] [--repeat 3] [--folder DIR]

The cache folders are made in --folder (default: a new folder under the home directory's cache, where a user's
cache is; the cost of making a file differs from one file system, and one folder, to another).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PROBE = r"""
import json, os, subprocess, sys, time
checkout, folder, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]  # this checkout's code, not
sys.path.insert(0, checkout)                                                          # the installed one
os.environ["PUBLISH_CACHE_DIR"] = folder
import importlib
cache = importlib.import_module("publish.build.cache")
payload = os.urandom(1500) * 2

def timed(work):
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return [time.perf_counter() - wall, time.process_time() - cpu], result

fill, _ = timed(lambda: [cache.put("pieces", cache.fingerprint(str(n)), payload) for n in range(count)])
scan, removed = timed(cache.prune)
assert removed == 0, "the entries are under the default cap"
info, _ = timed(cache.info)
prune, removed = timed(lambda: cache.prune(cap=count * len(payload) // 2))
files = sum(len(names) for _, _, names in os.walk(folder))
disk = int(subprocess.run(["du", "-sk", folder], capture_output=True, text=True, check=True).stdout.split()[0])
print(json.dumps({"fill": fill, "scan": scan, "info": info, "prune": prune, "removed": removed, "files": files,
                  "disk_mib": disk / 1024}))
"""


def run(checkout: Path, folder: Path, count: int) -> dict[str, object]:
    shutil.rmtree(folder, ignore_errors=True)
    done = subprocess.run([sys.executable, "-P", "-c", PROBE, str(checkout), str(folder), str(count)],
                          capture_output=True, text=True)
    shutil.rmtree(folder, ignore_errors=True)
    if done.returncode:
        raise SystemExit(f"the probe failed on {checkout}:\n{done.stderr}")
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", required=True, help="the git revision to compare this checkout with")
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=None, help="where the cache folders are made")
    args = parser.parse_args()
    base = args.folder or Path.home() / ".cache"
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="publish-cache-scale-", dir=base) as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(old), args.old], check=True)
        try:
            sides = {f"{args.old} (before)": old, "this checkout": REPO}
            runs: dict[str, list[dict[str, object]]] = {name: [] for name in sides}
            for _ in range(args.repeat):
                for name, checkout in sides.items():
                    runs[name].append(run(checkout, Path(tmp) / "cache", args.entries))
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)], check=False)
    print(f"{args.entries} entries of 3 KB in {base}; median of {args.repeat}, wall s / CPU s")
    print(f"{'side':<28}{'fill':>14}{'scan':>14}{'info':>14}{'prune':>14}{'files':>8}{'MiB':>7}")
    for name, results in runs.items():
        cells = []
        for step in ("fill", "scan", "info", "prune"):
            walls = [r[step][0] for r in results]  # type: ignore[index]
            cpus = [r[step][1] for r in results]  # type: ignore[index]
            cells.append(f"{statistics.median(walls):.3f}/{statistics.median(cpus):.3f}")
        files = statistics.median(r["files"] for r in results)  # type: ignore[misc]
        disk = statistics.median(r["disk_mib"] for r in results)  # type: ignore[misc]
        print(f"{name:<28}" + "".join(f"{cell:>14}" for cell in cells) + f"{files:>8.0f}{disk:>7.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
