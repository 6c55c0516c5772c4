"""Benchmark a collection's PDF laid out in parts and stitched against the single pass and WeasyPrint alone.

The brief is the generated digest of `bench.py` (N distinct ~600-word Markdown articles in a manifest of 2-4
sections), written to a temporary folder. Per mode (`sections`: parts are sections, as a brief without
--article-break is cut; `articles`: with --article-break, parts are runs of articles), three commands run
interleaved, each as its own process, after one warm-up of each unless --no-warm-up:

  parted      publish build MANIFEST --to pdf --pdf-parts on, with a new empty cache each run (cold)
  single      publish build MANIFEST --to pdf --pdf-parts off, cold
  weasyprint  WeasyPrint's own command line on the HTML publish writes for the same manifest (made once, untimed)
  parted, warm       the parted build again with the cache of the builds before (nothing changed: the whole PDF
                     comes from the cache)
  parted, 1 changed  the same after a sentence was added to the middle article (a new one before each run)
  parted, 1 grown    the same after eight paragraphs were added to an article of the first section (eight more
                     before each run): its section grows by a page or more, so every later part is numbered anew

The last two columns set each row against the cold parted build (the rebuild after one change: goal 0.1).

With --baseline DIR (another checkout's folder, holding its `publish/` and `templates/`, such as
`git worktree add /tmp/before main`), each parted command also runs with that checkout's code just before it
(rows "..., before", with a cache and a copy of the inputs of their own, edited as this side's are; "×cold" against
the baseline's cold build), and both sides start through bench.py's launcher, each from its own checkout: before
and after, side by side, interleaved.

Wall time is taken around the process; CPU time is its user + system time and that of every descendant it waited
for (the part workers), from os.wait4. Medians are printed with ratios to WeasyPrint alone.

Usage: python3 benchmarks/pdf_parts.py [--articles 200] [--repeat 1] [--modes sections,articles] [--no-warm-up]
                                      [--keep DIR] [--cpus LIST] [--baseline DIR]

With --cpus 0 every command runs on one CPU (taskset), as on a machine of one core: the brief is laid out in parts
there too, one after another.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import BASELINE_LAUNCHER, REPO, write_digest  # noqa: E402  (bench.py's generated articles)

MODES = {"sections": [], "articles": ["--article-break"]}


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run a command to completion: its wall time and CPU time (its own and its waited-for descendants')."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=env)
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
    parser.add_argument("--cpus", metavar="LIST",
                        help="run every command on these CPUs alone (taskset -c LIST; 0: a machine of one core)")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="run each parted command with this checkout's code too, just before it")
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # publish runs as installed: bytecode compiled once, not every run
    pinned = ["taskset", "-c", args.cpus] if args.cpus else []
    publish = [*pinned, sys.executable, "-m", "publish", "build"]
    if args.baseline is not None:  # both sides through the same launcher, each from its own checkout
        publish = [*pinned, sys.executable, "-c", BASELINE_LAUNCHER, str(REPO), "build"]
        before = [*pinned, sys.executable, "-c", BASELINE_LAUNCHER, str(args.baseline.resolve()), "build"]
    cores = len(os.sched_getaffinity(0)) if not args.cpus else f"CPUs {args.cpus} of {os.cpu_count()}"
    print(f"{args.articles} articles, {cores} cores, {args.repeat} timed run(s) per command, "
          f"load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="publish-parts-") as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        manifest, _ = write_digest(work, args.articles, seed=7)
        if args.baseline is not None:  # the baseline's own copy of the inputs, edited as this side's are
            theirs, _ = write_digest(work / "before", args.articles, seed=7)
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
                "weasyprint": [*pinned, sys.executable, "-m", "weasyprint", "--presentational-hints", str(html),
                               str(work / f"{mode}-weasyprint.pdf")],
            }
            commands["parted, warm"] = commands["parted"]
            commands["parted, 1 changed"] = commands["parted"]
            commands["parted, 1 grown"] = commands["parted"]
            if args.baseline is not None:  # each parted command's twin with the baseline's code, just before it,
                def twin(argv: list[str], mode: str = mode) -> list[str]:  # its own copy of the inputs, own folder
                    return [*before, *(str(theirs) if arg == str(manifest) else f"{arg}-before"
                                       if arg.startswith(str(work / mode)) else arg for arg in argv[len(publish):])]

                commands = {name: argv for key, argv in commands.items() for name, argv in (
                    ((f"{key}, before", twin(argv)), (key, argv)) if key.startswith("parted") else ((key, argv),))}
            warm = work / f"{mode}-cache"
            stories = sorted((work / manifest.stem).glob("*.md"))
            story, grown = stories[args.articles // 2], stories[args.articles // 8]  # grown: in the first section
            edits = iter(range(1, 1_000_000))

            def environment(key: str, story: Path = story, grown: Path = grown, warm: Path = warm,
                            edits: Iterator[int] = edits) -> dict[str, str]:
                """A new empty cache for the cold runs; one kept between runs for the warm and edited ones (one for
                each side with --baseline)."""
                if key.endswith(", before"):
                    warm = warm.with_name(warm.name + "-before")
                    story, grown = (work / "before" / path.relative_to(work) for path in (story, grown))
                    key = key.removesuffix(", before")
                if key.startswith("parted,"):
                    if key.endswith("changed"):  # a different sentence each run: exactly one article changed
                        with story.open("a", encoding="utf-8") as out:
                            out.write(f"\n\nThe desk added sentence number {next(edits)} here.\n")
                    if key.endswith("grown"):  # eight paragraphs more each run: a page or more
                        with grown.open("a", encoding="utf-8") as out:
                            out.write("".join(
                                f"\n\nThe desk added paragraph {next(edits)}: the council debated the proposal at "
                                "length, with members raising questions about costs, timelines and the effect on "
                                "neighbouring districts, before agreeing to return to it next month. " * 3
                                for _ in range(8)) + "\n")
                    return {**os.environ, "PUBLISH_CACHE_DIR": str(warm)}
                return {**os.environ, "PUBLISH_CACHE_DIR": tempfile.mkdtemp(prefix="cold-", dir=work)}

            timed(commands["parted"], environment("parted, warm"))  # fills the warm cache
            if args.baseline is not None:
                timed(commands["parted, before"], environment("parted, warm, before"))
            if args.warm_up:
                for key, argv in commands.items():
                    timed(argv, environment(key))
            samples: dict[str, list[tuple[float, float]]] = {key: [] for key in commands}
            for _ in range(args.repeat):
                for key, argv in commands.items():
                    samples[key].append(timed(argv, environment(key)))
            base_wall = statistics.median(w for w, _ in samples["weasyprint"])
            base_cpu = statistics.median(c for _, c in samples["weasyprint"])
            print(f"\n{mode}: build {manifest.name} {' '.join(extra)}")
            print(f"{'command':<27}{'wall s':>9}{'cpu s':>9}{'wall ×WP':>10}{'cpu ×WP':>9}{'wall ×cold':>12}"
                  f"{'cpu ×cold':>11}")
            for key, runs in samples.items():
                wall = statistics.median(w for w, _ in runs)
                cpu = statistics.median(c for _, c in runs)
                cold = samples["parted, before"] if key.endswith(", before") else samples["parted"]
                cold_wall = statistics.median(w for w, _ in cold)
                cold_cpu = statistics.median(c for _, c in cold)
                print(f"{key:<27}{wall:>9.2f}{cpu:>9.2f}{wall / base_wall:>10.2f}{cpu / base_cpu:>9.2f}"
                      f"{wall / cold_wall:>12.2f}{cpu / cold_cpu:>11.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
