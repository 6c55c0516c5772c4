"""Benchmark a collection's PDF laid out in parts and stitched against the single pass and WeasyPrint alone.

The brief is the generated digest of `bench.py` (N distinct ~600-word Markdown articles in a manifest of 2-4
sections), written to a temporary folder. Per mode (`sections`: parts are sections, as a brief without
--article-break is cut; `articles`: with --article-break, parts are runs of articles), three commands run
interleaved, each as its own process, after one warm-up of each unless --no-warm-up:

  parted      publish build MANIFEST --to pdf --pdf-parts on
  single      publish build MANIFEST --to pdf --pdf-parts off
  weasyprint  WeasyPrint's own command line on the HTML publish writes for the same manifest (made once, untimed)

Wall time is taken around the process; CPU time is its user + system time and that of every descendant it waited
for (the part workers), from os.wait4. Medians are printed with ratios to WeasyPrint alone.

Usage: python3 benchmarks/pdf_parts.py [--articles 200] [--repeat 1] [--modes sections,articles] [--no-warm-up]
                                      [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import write_digest  # noqa: E402  (the same generated articles as bench.py's digest cases)

MODES = {"sections": [], "articles": ["--article-break"]}


def timed(argv: list[str]) -> tuple[float, float]:
    """Run a command to completion: its wall time and CPU time (its own and its waited-for descendants')."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        error = process.stderr.read().decode(errors="replace") if process.stderr else ""
        raise SystemExit(f"{' '.join(argv)} exited with {process.returncode}:\n{error}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false")
    parser.add_argument("--keep", metavar="DIR", help="write inputs and outputs here and keep them")
    args = parser.parse_args()
    publish = [sys.executable, "-m", "publish", "build"]
    print(f"{args.articles} articles, {os.cpu_count()} cores, {args.repeat} timed run(s) per command, "
          f"load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="publish-parts-") as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        manifest, _ = write_digest(work, args.articles, seed=7)
        for mode in args.modes.split(","):
            extra = MODES[mode]
            html_dir = work / f"{mode}-html"
            subprocess.run([*publish, str(manifest), "--to", "html", "--out", str(html_dir), *extra], check=True,
                           capture_output=True)
            html = html_dir / f"{manifest.stem}.html"
            commands = {
                "parted": [*publish, str(manifest), "--to", "pdf", "--pdf-parts", "on", "--out",
                           str(work / f"{mode}-parted"), *extra],
                "single": [*publish, str(manifest), "--to", "pdf", "--pdf-parts", "off", "--out",
                           str(work / f"{mode}-single"), *extra],
                "weasyprint": [sys.executable, "-m", "weasyprint", "--presentational-hints", str(html),
                               str(work / f"{mode}-weasyprint.pdf")],
            }
            if args.warm_up:
                for argv in commands.values():
                    timed(argv)
            samples: dict[str, list[tuple[float, float]]] = {key: [] for key in commands}
            for _ in range(args.repeat):
                for key, argv in commands.items():
                    samples[key].append(timed(argv))
            base_wall = statistics.median(w for w, _ in samples["weasyprint"])
            base_cpu = statistics.median(c for _, c in samples["weasyprint"])
            print(f"\n{mode}: {' '.join(commands['parted'][3:5])} {' '.join(extra)}")
            print(f"{'command':<12}{'wall s':>9}{'cpu s':>9}{'wall ×WP':>10}{'cpu ×WP':>9}")
            for key, runs in samples.items():
                wall = statistics.median(w for w, _ in runs)
                cpu = statistics.median(c for _, c in runs)
                print(f"{key:<12}{wall:>9.2f}{cpu:>9.2f}{wall / base_wall:>10.2f}{cpu / base_cpu:>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
