"""publish at two git revisions side by side, with Pandoc as the anchor: did a change make publish slower?

    python3 benchmarks/revisions.py --old d3c1701            # this checkout against that commit
    python3 benchmarks/revisions.py --old d3c1701 --repeat 5 --cases seed

The old revision is checked out into a temporary git worktree and installed into its own virtual environment
(system packages visible, publish itself from that worktree); this checkout runs with the interpreter that runs
the benchmark. For each case, every repetition runs the old publish, the new publish and Pandoc's runs, one after
another (interleaved, so a busy moment of a shared machine falls on all sides alike), each publish with a new
empty cache folder (a cold build). The report gives median wall and CPU time (user + system, with children) of
each side and the ratios new/old and each against Pandoc; CPU-time ratios are the ones to trust on a machine
whose other core is busy.

Cases: `seed` (samples/dar-bishkek.txt in all four formats; Pandoc reads the reader's Markdown of it, as in
bench.py), `digest-200` (bench.py's 200 distinct generated article files in one manifest, all four formats;
Pandoc reads the 200 files).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # the benchmark's own helpers: running, measuring, generated articles

FORMATS = ("html", "pdf", "docx", "epub")
CASES = ("seed", "digest-200")


def old_checkout(revision: str, work: Path) -> tuple[str, ...]:
    """A worktree of `revision` with its own venv; the command line prefix that runs its publish."""
    folder = work / "old"
    subprocess.run(["git", "-C", str(bench.REPO), "worktree", "add", "--detach", "-q", str(folder), revision],
                   check=True)
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(folder / ".venv")], check=True)
    subprocess.run([str(folder / ".venv" / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                    "--no-deps", "-e", str(folder)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (str(folder / ".venv" / "bin" / "python"), "-P", "-m", "publish")  # -P: not the current folder's publish


def median(samples: list[bench.Sample]) -> tuple[float, float]:
    return statistics.median(s.seconds for s in samples), statistics.median(s.cpu_seconds for s in samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", required=True, help="the git revision to compare this checkout with")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each command (default 3)")
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated: {', '.join(CASES)}")
    args = parser.parse_args()
    cases = [c for c in args.cases.split(",") if c]
    work = Path(tempfile.mkdtemp(prefix="publish-revisions-"))
    try:
        old = old_checkout(args.old, work)
        new = (sys.executable, "-P", "-m", "publish")
        tools = bench.Tools(publish=new, pandoc=bench.find_pandoc(), work=work, env=bench.environment())
        inputs: dict[str, tuple[Path, list[Path]]] = {}
        if "seed" in cases:
            inputs["seed"] = (bench.SEED, [bench.seed_markdown(tools, bench.SEED)])
        if "digest-200" in cases:
            inputs["digest-200"] = bench.write_digest(work / "digest", 200, bench.GENERATOR_SEED)
        print(f"load before: {os.getloadavg()[0]:.1f}; {args.repeat} runs each, interleaved; new = this checkout, "
              f"old = {args.old}")
        print(f"{'case':<12} {'side':<8} {'wall s':>8} {'CPU s':>8} {'CPU new/old':>12} {'CPU /Pandoc':>12} "
              f"{'wall /Pandoc':>13}")
        for case, (source, pandoc_sources) in inputs.items():
            cold = (("PUBLISH_CACHE_DIR", bench.FRESH_CACHE),)
            commands = {
                side: bench.Command(f"{case} {side}", (*prefix, "build", str(source), "--to", ",".join(FORMATS),
                                                       "--out", str(work / "out" / case / side)), env=cold)
                for side, prefix in (("old", old), ("new", new))}
            pandoc = [bench.pandoc_command(tools, f"{case} pandoc {fmt}", pandoc_sources if len(pandoc_sources) > 1
                                           else pandoc_sources[0], fmt, source.parent) for fmt in FORMATS]
            samples: dict[str, list[bench.Sample]] = {"old": [], "new": [], "pandoc": []}
            for _ in range(args.repeat + 1):  # the first round warms the disk cache and is not counted
                found = {side: bench.run(command, tools.env, work) for side, command in commands.items()}
                runs = [bench.run(command, tools.env, work) for command in pandoc]
                found["pandoc"] = bench.Sample(sum(r.seconds for r in runs), max(r.peak_kib for r in runs),
                                               sum(r.cpu_seconds for r in runs))
                for side, sample in found.items():
                    samples[side].append(sample)
            medians = {side: median(found[1:]) for side, found in samples.items()}
            for side in ("old", "new", "pandoc"):
                wall, cpu = medians[side]
                versus_old = f"{cpu / medians['old'][1]:.2f}" if side == "new" else ""
                versus_pandoc = f"{cpu / medians['pandoc'][1]:.2f}" if side != "pandoc" else ""
                wall_pandoc = f"{wall / medians['pandoc'][0]:.2f}" if side != "pandoc" else ""
                print(f"{case:<12} {side:<8} {wall:>8.2f} {cpu:>8.2f} {versus_old:>12} {versus_pandoc:>12} "
                      f"{wall_pandoc:>13}")
        print(f"load after: {os.getloadavg()[0]:.1f}")
    except bench.BenchError as exc:
        print(f"revisions: {exc}", file=sys.stderr)
        return 1
    finally:
        subprocess.run(["git", "-C", str(bench.REPO), "worktree", "remove", "--force", str(work / "old")],
                       check=False, stderr=subprocess.DEVNULL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
