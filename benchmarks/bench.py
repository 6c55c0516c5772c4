"""Benchmark `publish build` against the equivalent Pandoc runs: median wall time, ratio and peak memory.

Every case runs `publish` and Pandoc (from the `pypandoc-binary` wheel, PDF through WeasyPrint) in one
session, interleaved (publish, pandoc, publish, pandoc...) after one warm-up of each command, so that
machine noise hits both. Each command runs as its own process; its wall time is taken around
`subprocess.Popen` ... `os.wait4`, and its peak resident memory is the `ru_maxrss` that `wait4` returns,
which on Linux covers the process and every descendant it waited for (Pandoc's `weasyprint` child, the workers
of publish's PDF in parts): the peak of the largest single process in the tree, not the sum of those alive
together.

Cases:
  seed       samples/dar-bishkek.txt into html, pdf, docx and epub: one `publish build` process against the
             sum of four Pandoc processes fed the same article as Markdown (made via `publish inspect`).
  seed-docx  the same article into DOCX only.
  200        a generated Markdown file of 200 pseudo-news articles into all four formats, plus one row per
             format.
  digest-50, digest-200, digest-1000
             publish alone (no Pandoc side): N generated article files (about 600 words each, all distinct),
             each with YAML front matter, listed in a collection manifest of 2-4 sections; `publish build
             MANIFEST --to FMT` for each format and once for all four. A growth table follows: time and memory
             ratios 50->200->1000 per format. Without --repeat, the PDF-rendering runs of digest-200 and
             digest-1000 are timed once, unwarmed.
  digest-200-vs-pandoc
             the same 200 files: `publish build MANIFEST` for all four formats and for each, with a cold cache
             (a new folder every run) and a warm one, against `pandoc FILE1 ... FILE200 -o x.FMT`.
  edit       the 200-file manifest rebuilt after one article changed (warm cache) against a cold build.
  batch-1000 1,000 separate documents in one `publish build` batch: -j1, -j2 and a local Dask cluster (a
             scheduler and two workers started on 127.0.0.1); html, docx and epub (--batch-pdf adds PDF).
  speedups   publish alone: each speed hack (publish/build/speedups.py) on and off, on the seed, feature-tour.md,
             the morning brief and a 200-article collection, all four formats. Per input, one run with every
             hack on and one with each turned off (PUBLISH_SPEEDUPS_OFF=NAME, set for that process only) run
             interleaved, every second repetition in the reverse order; the table gives the median wall and CPU
             time (user + system of the process and the children it waited for) of each, and what the hack
             saves. All runs share one cache folder, filled by the warm-up, so the per-article cache (which is
             not a switch) is equally warm on both sides. `uptime` is printed before and after.

Usage: python3 benchmarks/bench.py [--repeat N] [--cases seed,seed-docx,200,...] [--formats html,...] [--quick]
       [--speedups-inputs seed,feature-tour,morning-brief,200-articles]
--quick makes every generated input 10 times smaller and runs each command once, without warm-up.
Results are printed as a table and written to benchmarks/results/latest.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SEED = REPO / "samples" / "dar-bishkek.txt"
RESULTS = HERE / "results" / "latest.json"
FORMATS = ("html", "pdf", "docx", "epub")
DIGEST_COUNTS = {"digest-50": 50, "digest-200": 200, "digest-1000": 1000}
"""The publish-only collection cases and their article counts (growth 50 -> 200 -> 1,000)."""
DIGEST_VS_PANDOC = "digest-200-vs-pandoc"
DIGEST_VS_PANDOC_ARTICLES = 200
SPEEDUPS_CASE = "speedups"
SPEEDUPS = ("cache", "library-patch")
"""The speed hacks publish can run without (publish/build/speedups.py), each measured on and off."""
SPEEDUPS_INPUTS = ("seed", "feature-tour", "morning-brief", "200-articles")
"""The inputs of the speedups case (--speedups-inputs chooses among them)."""
EDIT_CASE = "edit"
"""A rebuild of the 200-article manifest after one article changed, the cache warm, against a cold build."""
BATCH_CASE = "batch-1000"
BATCH_DOCUMENTS = 1000
BATCH_FORMATS = ("html", "docx", "epub")
"""The batch case's formats (a PDF each for 1,000 documents would take most of an hour here); --batch-pdf adds it."""
CASES = ("seed", "seed-docx", "200", *DIGEST_COUNTS, DIGEST_VS_PANDOC, EDIT_CASE, BATCH_CASE, SPEEDUPS_CASE)
QUICK_DIVISOR = 10
"""--quick divides every generated size by this (200 articles become 20, 1,000 become 100)."""
FRESH_CACHE = "{fresh-cache}"
"""In a command's environment, replaced by a new empty folder for every run: a cold cache."""
GENERATED_ARTICLES = 200
GENERATOR_SEED = 20240612
REPEAT = 3
"""Timed runs of each command when --repeat is not given."""
DIGEST_LONG_PDF = {"digest-200", "digest-1000"}
"""Digest cases whose PDF-rendering runs (20-90 s each here) get no warm-up and, unless --repeat is given, one
timed run, so that a default run of every case stays under 15 minutes on a two-core machine. A cold start's
fraction of a second is lost in such runs, and the runs before them have loaded Python, WeasyPrint and the
inputs into the page cache."""
DUPLICATE_WARNING = "is the same story as"
"""What publish logs for a story it finds twice in a collection (publish/build/jobs.py); a digest run must not."""


class BenchError(Exception):
    """A problem that stops the benchmark; its message is printed as one line."""


# --- running and measuring one process ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Command:
    """One process to time: an argument list and a short name for the report."""

    key: str
    """A unique name within the case, such as "publish all" or "pandoc pdf"."""
    argv: tuple[str, ...]
    """The program and its arguments."""
    fail_if_logged: str = ""
    """A phrase that fails the benchmark if the command writes it to stderr ("" checks nothing)."""
    env: tuple[tuple[str, str], ...] = ()
    """Environment variables this command's process gets besides the benchmark's own (FRESH_CACHE: a new
    empty folder for every run)."""
    edit: str = ""
    """A file to change before every run (one sentence added at its end, different each run): an edited article."""
    watch_tree: bool = False
    """Sum the CPU time of every process the command starts, found in /proc while it runs (a process pool's
    workers are children of a fork server that wait4 never sees), and take the largest peak RSS among them."""
    cluster: tuple[int, ...] = ()
    """Process ids of Dask workers and scheduler whose CPU time during the run counts as the command's."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One timed run of one command."""

    seconds: float
    """Wall time from spawn to reaping."""
    peak_kib: int
    """ru_maxrss from wait4: the largest peak RSS of the process and its waited-for descendants, in KiB."""
    cpu_seconds: float = 0.0
    """User plus system CPU time from wait4, the process's and its waited-for descendants'."""


_EDITS = [0]


def run(command: Command, env: dict[str, str], log_dir: Path) -> Sample:
    """Run the command to completion; raise BenchError with its stderr if it fails."""
    log = log_dir / f"{command.key.replace(' ', '-')}.stderr"
    extra = dict(command.env)
    for name, value in extra.items():
        if value == FRESH_CACHE:
            extra[name] = tempfile.mkdtemp(prefix="cache-", dir=log_dir)
    if command.edit:
        _EDITS[0] += 1
        with open(command.edit, "a", encoding="utf-8") as article:
            article.write(f"\nA correction was added to this story in edit {_EDITS[0]}.\n")
    cluster_before = sum(_cpu_of(pid) for pid in command.cluster)
    with log.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                env={**env, **extra})
        tree = _TreeWatch(proc.pid) if command.watch_tree else None
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        if tree is not None:
            tree.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so tell Popen not to wait again
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-8:]
        raise BenchError(f"{command.key} exited with {proc.returncode}: {' '.join(command.argv)}\n  "
                         + "\n  ".join(tail))
    if command.fail_if_logged:
        found = [line for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
                 if command.fail_if_logged in line]
        if found:
            raise BenchError(f"{command.key} reported {command.fail_if_logged!r} {len(found)} time(s), first:\n  "
                             f"{found[0]}")
    cpu = usage.ru_utime + usage.ru_stime
    peak = usage.ru_maxrss
    if tree is not None:
        cpu = max(cpu, tree.cpu)  # wait4 misses what a fork server's workers used; the poll misses the last 50 ms
        peak = max(peak, tree.peak_kib)
    cpu += sum(_cpu_of(pid) for pid in command.cluster) - cluster_before
    return Sample(seconds, peak, cpu)


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_of(pid: int) -> float:
    """A live process's user + system CPU seconds so far (from /proc), or 0."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _family(root: int) -> set[int]:
    """A process and its descendants, from each thread's list of the children it started
    (/proc/PID/task/TID/children); where the kernel has no such lists, from every process's parent. The first way
    reads a few files a poll: reading every process's cost the benchmark 5 % of a core, taken from `-j2`'s workers
    and not from `-j1`'s (which leave a core free)."""
    if not Path(f"/proc/{root}/task/{root}/children").exists():
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
        family = {root}
        grew = True
        while grew:
            grew = False
            for pid, parent in parents.items():
                if parent in family and pid not in family:
                    family.add(pid)
                    grew = True
        return family
    family, waiting = set(), [root]
    while waiting:
        pid = waiting.pop()
        family.add(pid)
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:  # gone meanwhile
            continue
        for task in tasks:
            try:
                waiting.extend(int(child) for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split())
            except (OSError, ValueError):
                continue
    return family


class _TreeWatch:
    """Polls /proc every 50 ms for a process and its descendants: the last CPU time seen of each and the largest
    peak RSS (VmHWM). A process's CPU after its last poll is lost (up to 50 ms each): an undercount."""

    def __init__(self, root: int) -> None:
        import threading

        self.root = root
        self.seen: dict[int, float] = {}
        self.peak_kib = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    @property
    def cpu(self) -> float:
        return sum(self.seen.values())

    def stop(self) -> None:
        self.done.set()
        self.thread.join()

    def _poll(self) -> None:
        while not self.done.wait(0.05):
            for pid in _family(self.root):
                cpu = _cpu_of(pid)
                if cpu:
                    self.seen[pid] = max(self.seen.get(pid, 0.0), cpu)
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                except (OSError, ValueError):
                    continue


# --- cases -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the report: publish commands against Pandoc commands, each side summed per repetition."""

    case: str
    """The case name and, for a per-format row, the format."""
    publish: tuple[str, ...]
    """Keys of the publish commands on this row."""
    pandoc: tuple[str, ...]
    """Keys of the Pandoc commands on this row; empty for a publish-only row (the digest cases)."""


@dataclass(frozen=True, slots=True)
class Case:
    """Commands in the interleaved order they run each repetition, and the rows built from their samples."""

    name: str
    """The name given to --cases."""
    schedule: tuple[Command, ...]
    """Every command, once per repetition, publish and Pandoc alternating."""
    rows: tuple[Row, ...]
    """What the report shows."""
    once: frozenset[str] = frozenset()
    """Keys of long commands: no warm-up, and one timed run unless --repeat is given."""
    alternate: bool = False
    """Run the schedule backwards in every second repetition (A B C D, D C B A, ...), so that no command always
    runs first or right after the same other one."""


@dataclass
class Tools:
    """How to call each tool, and the folder everything is written to."""

    publish: tuple[str, ...]
    """The publish command line prefix."""
    pandoc: str
    """The Pandoc binary."""
    work: Path
    """The temporary folder for inputs and outputs."""
    env: dict[str, str] = field(default_factory=dict)
    """The environment every process gets (weasyprint on PATH)."""
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)
    """Long-running helpers (a Dask cluster) to stop at the end."""
    baseline: Path | None = None
    """The checkout of --baseline, if any."""
    baseline_cluster: tuple[str, tuple[int, ...]] | None = None
    """A Dask cluster whose workers run the baseline's code (address, process ids), for the batch case's twin."""


def publish_command(tools: Tools, key: str, source: Path, formats: Sequence[str], fail_if_logged: str = "",
                    ) -> Command:
    """`publish build SOURCE --to FORMATS --out DIR`, each command with its own output folder."""
    out = tools.work / "out" / key.replace(" ", "-")
    return Command(key, (*tools.publish, "build", str(source), "--to", ",".join(formats), "--out", str(out)),
                   fail_if_logged)


def pandoc_command(tools: Tools, key: str, source: Path | Sequence[Path], fmt: str, resources: Path) -> Command:
    """The Pandoc run that corresponds to `publish build --to FMT`; images are looked up in `resources`.

    Several sources are given to Pandoc in order, which reads them as one document.
    """
    sources = (source,) if isinstance(source, Path) else tuple(source)
    out = tools.work / "out" / key.replace(" ", "-") / f"{sources[0].stem}.{fmt}"
    out.parent.mkdir(parents=True, exist_ok=True)
    extra = {"html": ("-s",), "pdf": ("--pdf-engine=weasyprint",)}.get(fmt, ())
    return Command(key, (tools.pandoc, *map(str, sources), *extra, f"--resource-path={resources}", "-o", str(out)))


def all_formats_case(name: str, tools: Tools, publish_input: Path, pandoc_input: Path, formats: Sequence[str],
                     per_format: bool) -> Case:
    """One publish process for every format against one Pandoc process per format; optionally a row per format."""
    pub_all = publish_command(tools, f"{name} publish all", publish_input, formats)
    schedule = [pub_all]
    rows = [Row(f"{name} ({'+'.join(formats)})", (pub_all.key,), tuple(f"{name} pandoc {f}" for f in formats))]
    for fmt in formats:
        schedule.append(pandoc_command(tools, f"{name} pandoc {fmt}", pandoc_input, fmt,
                                       publish_input.parent))
        if per_format:
            schedule.append(publish_command(tools, f"{name} publish {fmt}", publish_input, (fmt,)))
            rows.append(Row(f"{name} {fmt}", (f"{name} publish {fmt}",), (f"{name} pandoc {fmt}",)))
    return Case(name, tuple(schedule), tuple(rows))


def single_format_case(name: str, tools: Tools, publish_input: Path, pandoc_input: Path, fmt: str) -> Case:
    """`publish build --to FMT` against the one Pandoc run."""
    pub = publish_command(tools, f"{name} publish {fmt}", publish_input, (fmt,))
    pan = pandoc_command(tools, f"{name} pandoc {fmt}", pandoc_input, fmt, publish_input.parent)
    return Case(name, (pub, pan), (Row(name, (pub.key,), (pan.key,)),))


def digest_case(name: str, tools: Tools, manifest: Path, formats: Sequence[str]) -> Case:
    """publish alone on a generated collection: one process for all formats, then one process per format, each
    with a new empty cache (a first build: the growth is the work's, not the cache's).

    Every run fails the benchmark if publish reports a near-duplicate story, which it would otherwise drop,
    making the collection smaller than its name says. In a case of DIGEST_LONG_PDF the commands that render a
    PDF run only once by default, without warm-up.
    """
    runs = [(f"{name} all ({'+'.join(formats)})", f"{name} publish all", tuple(formats))] if len(formats) > 1 else []
    runs += [(f"{name} {fmt}", f"{name} publish {fmt}", (fmt,)) for fmt in formats]
    cold = (("PUBLISH_CACHE_DIR", FRESH_CACHE),)  # every run a first build: growth is the work, not the cache's
    schedule = tuple(dataclasses.replace(publish_command(tools, key, manifest, chosen, DUPLICATE_WARNING), env=cold)
                     for _, key, chosen in runs)
    rows = tuple(Row(label, (key,), ()) for label, key, _ in runs)
    once = frozenset(key for _, key, chosen in runs if "pdf" in chosen and name in DIGEST_LONG_PDF)
    return Case(name, schedule, rows, once)


def digest_pandoc_case(name: str, tools: Tools, manifest: Path, files: Sequence[Path], formats: Sequence[str],
                       ) -> Case:
    """The same N distinct article files: `publish build MANIFEST` against `pandoc FILE1 ... FILEN -o x.FMT`, for
    all formats at once (publish's one process against Pandoc's runs summed) and for each format, publish with a
    cold cache (a new empty folder every run) and with a warm one (every article unchanged since the warm-up).
    The cold runs that render a PDF are timed once, without warm-up, unless --repeat is given; the warm PDF run
    has its warm-up (which fills what it reuses: the whole PDF)."""
    cold = (("PUBLISH_CACHE_DIR", FRESH_CACHE),)
    warm = (("PUBLISH_CACHE_DIR", str(tools.work / f"{name}-warm-cache")),)
    schedule: list[Command] = []
    rows = []
    if len(formats) > 1:
        pub_all = dataclasses.replace(publish_command(tools, f"{name} publish all", manifest, formats,
                                                      DUPLICATE_WARNING), env=cold)
        schedule.append(pub_all)
        rows.append(Row(f"{name} all ({'+'.join(formats)}), cold cache", (pub_all.key,),
                        tuple(f"{name} pandoc {fmt}" for fmt in formats)))
    for fmt in formats:
        pub = dataclasses.replace(publish_command(tools, f"{name} publish {fmt}", manifest, (fmt,), DUPLICATE_WARNING),
                                  env=cold)
        pan = pandoc_command(tools, f"{name} pandoc {fmt}", files, fmt, manifest.parent)
        hot = dataclasses.replace(publish_command(tools, f"{name} publish {fmt} warm", manifest, (fmt,),
                                                  DUPLICATE_WARNING), env=warm)
        schedule += [pub, pan, hot]
        rows += [Row(f"{name} {fmt}, cold cache", (pub.key,), (pan.key,)),
                 Row(f"{name} {fmt}, warm cache", (hot.key,), (pan.key,))]
    once = frozenset(c.key for c in schedule if (" pdf" in c.key and not c.key.endswith(" warm"))
                     or (c.key.endswith(" all") and "pdf" in formats))  # a warm PDF run needs the warm-up
    return Case(name, tuple(schedule), tuple(rows), once)


def edit_case(tools: Tools, manifest: Path, article: Path, formats: Sequence[str]) -> Case:
    """A rebuild after one article of the manifest changed, with the cache warm from the builds before, against
    a build with a cold cache (a new folder each run). Every run of the edit command first adds a sentence to
    `article` (a different one each time), so each timed run has exactly one changed article."""
    warm = (("PUBLISH_CACHE_DIR", str(tools.work / "edit-cache")),)
    cold_build = dataclasses.replace(publish_command(tools, f"{EDIT_CASE} cold", manifest, formats, DUPLICATE_WARNING),
                                     env=(("PUBLISH_CACHE_DIR", FRESH_CACHE),))
    edited = dataclasses.replace(publish_command(tools, f"{EDIT_CASE} one article changed", manifest, formats,
                                                 DUPLICATE_WARNING), env=warm, edit=str(article))
    row = Row(f"{EDIT_CASE}: one article changed, warm cache ({'+'.join(formats)}); right side: the cold build",
              (edited.key,), (cold_build.key,))
    return Case(EDIT_CASE, (cold_build, edited), (row,))


def batch_case(tools: Tools, files: Sequence[Path], formats: Sequence[str], scheduler: str,
               cluster: tuple[int, ...]) -> Case:
    """N separate documents in one `publish build` batch: -j1, -j2, and on a local Dask cluster (a scheduler
    and two one-thread workers started for this case). No cache (PUBLISH_CACHE_DIR=off, the workers' too), so
    every run does the same work. CPU time counts every process of the pool (polled in /proc) and, for Dask, the
    CPU the scheduler and workers used during the run."""
    off = (("PUBLISH_CACHE_DIR", "off"),)
    argv = tuple(map(str, files))

    def command(key: str, *extra: str, **fields: Any) -> Command:
        out = tools.work / "out" / key.replace(" ", "-")
        return Command(key, (*tools.publish, "build", *argv, "--to", ",".join(formats), "--out", str(out), *extra),
                       env=off, **fields)

    one = command(f"{BATCH_CASE} -j1", "-j", "1", watch_tree=True)
    two = command(f"{BATCH_CASE} -j2", "-j", "2", watch_tree=True)
    schedule = [one, two]
    rows = [Row(f"{BATCH_CASE} -j1 ({len(files)} documents, {'+'.join(formats)}); right side: none", (one.key,), ()),
            Row(f"{BATCH_CASE} -j2; right side: -j1 (speed-up = 1/ratio)", (two.key,), (one.key,))]
    if scheduler:
        dask = command(f"{BATCH_CASE} dask", "--scheduler", scheduler, cluster=cluster)
        schedule.append(dask)
        rows.append(Row(f"{BATCH_CASE} local Dask cluster (2 workers); right side: -j2", (dask.key,), (two.key,)))
    return Case(BATCH_CASE, tuple(schedule), tuple(rows))


def start_cluster(tools: Tools, checkout: Path | None = None) -> tuple[str, tuple[int, ...]]:
    """A Dask scheduler and two one-thread workers on 127.0.0.1, for the batch case; stopped at the end. With
    `checkout`, the workers import publish from that checkout (the baseline's cluster: a worker runs the jobs with
    its own code, whichever client sent them)."""
    first = len(tools.started)
    info = tools.work / f"scheduler{'-baseline' if checkout else ''}.json"
    env = {**tools.env, "PUBLISH_CACHE_DIR": "off"}
    dask = (sys.executable, "-m", "dask")
    scheduler = subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(info)], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    tools.started.append(scheduler)
    deadline = time.monotonic() + 60
    while not info.exists() or not info.read_text().strip():
        if time.monotonic() > deadline or scheduler.poll() is not None:
            raise BenchError("the Dask scheduler did not start (pip install 'dask[distributed]')")
        time.sleep(0.2)
    address = json.loads(info.read_text())["address"]
    worker = (*dask, "worker") if checkout is None else (sys.executable, "-c", WORKER_LAUNCHER, str(checkout))
    for number in (1, 2):
        tools.started.append(subprocess.Popen([*worker, address, "--host", "127.0.0.1", "--nthreads", "1",
                                               "--no-nanny", "--no-dashboard", "--name", f"bench-{number}"],
                                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    from distributed import Client

    with Client(address, timeout=60) as client:  # type: ignore[no-untyped-call]
        client.wait_for_workers(2, timeout=120)
    return address, tuple(process.pid for process in tools.started[first:])


# --- inputs: the seed as Markdown, and the generated 200 articles ------------------------------------------


def seed_markdown(tools: Tools, seed: Path) -> Path:
    """Read the seed with `publish inspect` and write the same article as Markdown for Pandoc."""
    done = subprocess.run([*tools.publish, "inspect", str(seed)], capture_output=True, text=True, env=tools.env,
                          check=False)
    if done.returncode != 0:
        raise BenchError(f"publish inspect {seed} failed:\n  {done.stderr.strip()}")
    target = tools.work / "input" / f"{seed.stem}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(model_to_markdown(json.loads(done.stdout)), encoding="utf-8")
    return target


def model_to_markdown(data: dict[str, Any]) -> str:
    """The model's JSON form as Pandoc Markdown: meta as YAML front matter, subheads as ##, text verbatim."""
    meta = data["meta"]
    front = {"title": meta.get("headline"), "subtitle": meta.get("dek"), "author": meta.get("authors"),
             "date": meta.get("published"), "lang": meta.get("language")}
    lines = ["---"]
    for key, value in front.items():
        if value:  # JSON strings and lists are valid YAML flow scalars and sequences
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    lines += ["---", ""]
    return "\n".join(lines) + "\n" + "\n\n".join(_block(b) for b in data["blocks"]) + "\n"


def _block(block: dict[str, Any]) -> str:
    kind = block["type"]
    if kind == "heading":
        return "#" * (int(block["level"]) + 1) + " " + _inlines(block["content"])
    if kind == "paragraph":
        return _inlines(block["content"])
    if kind == "block_quote":
        inner = [_block(b) for b in block["blocks"]]
        if block.get("attribution"):
            inner.append("— " + _inlines(block["attribution"]).lstrip("—–- "))
        return "\n".join("> " + line if line else ">" for line in "\n\n".join(inner).splitlines())
    if kind in ("bullet_list", "ordered_list"):
        start = block.get("start", 1)
        items = []
        for n, item in enumerate(block["items"]):
            marker = "-" if kind == "bullet_list" else f"{start + n}."
            body = "\n\n".join(_block(b) for b in item).splitlines() or [""]
            pad = " " * (len(marker) + 1)
            items.append("\n".join([f"{marker} {body[0]}", *(pad + line if line else "" for line in body[1:])]))
        return "\n".join(items)
    if kind == "code_block":
        return f"```{block.get('language', '')}\n{block['text']}\n```"
    if kind == "figure":
        caption = _inlines(block.get("caption", [])) or block["alt"]
        return f"![{caption}]({block['src']})"
    if kind == "table":
        header = [_inlines(c) for c in block["header"]]
        align = block.get("align") or [""] * len(header)
        rules = {"": "---", "left": ":--", "center": ":-:", "right": "--:"}
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rules[a] for a in align) + "|"]
        lines += ["| " + " | ".join(_inlines(c) for c in row) + " |" for row in block["rows"]]
        if block.get("caption"):
            lines += ["", ": " + _inlines(block["caption"])]
        return "\n".join(lines)
    if kind == "rule":
        return "* * *"
    raise BenchError(f"the Markdown converter has no case for block type {kind!r}")


def _inlines(inlines: Iterable[dict[str, Any]]) -> str:
    out = []
    for node in inlines:
        kind = node["type"]
        if kind == "text":
            out.append(str(node["text"]))
        elif kind == "emphasis":
            out.append(f"*{_inlines(node['content'])}*")
        elif kind == "strong":
            out.append(f"**{_inlines(node['content'])}**")
        elif kind == "link":
            title = f' "{node["title"]}"' if node.get("title") else ""
            out.append(f"[{_inlines(node['content'])}]({node['url']}{title})")
        elif kind == "code":
            fence = "``" if "`" in node["text"] else "`"
            out.append(f"{fence}{node['text']}{fence}")
        elif kind == "line_break":
            out.append("\\\n")
        else:
            raise BenchError(f"the Markdown converter has no case for inline type {kind!r}")
    return "".join(out)


_PLACES = ("Bishkek", "Karachi", "Almaty", "Dushanbe", "Tashkent", "Lahore", "Osh", "Astana", "Quetta", "Herat",
           "Samarkand", "Gwadar", "Khujand", "Peshawar", "Naryn", "Multan")
_PEOPLE = ("the finance minister", "the city council", "a spokeswoman for the ministry", "the harbour authority",
           "opposition leaders", "the central bank", "local traders", "the regional governor", "union officials",
           "the health department", "farmers' groups", "the transport regulator", "a senior diplomat")
_VERBS = ("announced", "warned", "confirmed", "denied", "proposed", "criticised", "welcomed", "postponed",
          "approved", "questioned", "promised", "reviewed")
_THINGS = ("a new rail link", "the water tariff", "emergency funding", "the border crossing", "a trade agreement",
           "winter fuel subsidies", "the hospital expansion", "the textile export quota", "visa rules",
           "a bridge repair programme", "the grain reserve", "school meal funding", "the airport tender")
_WHEN = ("on Monday", "on Tuesday", "late on Wednesday", "on Thursday", "after a three-hour meeting",
         "this week", "before the holiday", "in a statement on Friday", "at a press briefing")
_CLAUSES = ("citing rising costs", "after weeks of protests", "despite objections from business groups",
            "in a move analysts had expected", "ahead of next month's budget", "following a court ruling",
            "as prices climbed for a third month", "under pressure from donors")
_SUBHEADS = ("What changes", "Reaction", "The numbers", "Background", "What comes next", "Questions remain",
             "Who is affected", "A long dispute")


def _sentence(rng: random.Random) -> str:
    who = rng.choice(_PEOPLE)
    text = f"{who[0].upper()}{who[1:]} in {rng.choice(_PLACES)} {rng.choice(_VERBS)} {rng.choice(_THINGS)} "
    text += f"{rng.choice(_WHEN)}, {rng.choice(_CLAUSES)}"
    if rng.random() < 0.3:
        text += f", and said about {rng.randint(2, 95)} percent of the {rng.randint(3, 900)} million som would be spent"
    return text + "."


def _paragraph_sentences(rng: random.Random) -> list[str]:
    sentences = [_sentence(rng) for _ in range(rng.randint(2, 5))]
    if rng.random() < 0.25:
        sentences.append(f"“We will not wait {rng.randint(2, 12)} more months,” *one resident* said.")
    if rng.random() < 0.15:
        sentences.append(f"The figure is **{rng.randint(10, 99)} percent** higher than last year.")
    return sentences


def _paragraph(rng: random.Random) -> str:
    return " ".join(_paragraph_sentences(rng))


def generated_markdown(count: int, seed: int) -> str:
    """`count` pseudo-news articles as ## sections of one Markdown file, the same text for the same seed."""
    rng = random.Random(seed)
    parts = ["---", f'title: "Benchmark digest: {count} generated articles"', "lang: en", "---", ""]
    for n in range(1, count + 1):
        place = rng.choice(_PLACES)
        who = rng.choice(_PEOPLE)
        parts += [f"## {place}: {who[0].upper()}{who[1:]} {rng.choice(_VERBS)} {rng.choice(_THINGS)}", ""]
        subhead_at = set(rng.sample(range(1, 6), rng.randint(2, 3)))
        for p in range(6):
            if p in subhead_at:
                parts += [f"### {rng.choice(_SUBHEADS)}", ""]
            parts += [_paragraph(rng), ""]
            if p == 3 and n % 5 == 0:
                parts += [f"- {rng.choice(_THINGS).capitalize()} {rng.choice(_WHEN)}" for _ in range(rng.randint(3, 5))]
                parts.append("")
            if p == 4 and n % 7 == 0:
                parts += ["| City | Budget (million som) | Change |", "|:--|--:|--:|"]
                parts += [f"| {rng.choice(_PLACES)} | {rng.randint(10, 900)} | {rng.randint(-20, 30):+d}% |"
                          for _ in range(rng.randint(3, 6))]
                parts.append("")
    return "\n".join(parts)


_FIRST_NAMES = ("Aziza", "Omar", "Dilnoza", "Bakyt", "Amina", "Farrukh", "Gulnara", "Imran", "Nodira", "Timur",
                "Saule", "Kamran", "Zarina", "Rustam", "Malika", "Yusuf", "Aigerim", "Bilal", "Feruza", "Daniyar")
_LAST_NAMES = ("Karimova", "Farooq", "Usmanov", "Qureshi", "Abdyldaeva", "Rahimov", "Siddiqui", "Nurlanov",
               "Tursunova", "Baig", "Sadykov", "Yusupova", "Mirza", "Kasymov", "Akhmedova", "Hashmi")
_SECTIONS = ("Region", "City", "Business", "World")
DIGEST_FIRST_DATE = dt.date(2024, 1, 1)


def generated_article(number: int, seed: int) -> str:
    """Article `number` of a digest as one Markdown file with YAML front matter (title, author, date, keywords).

    Each article has its own random generator (seeded with `seed` and `number`), so the same call always gives
    the same text while articles differ from one another as much as the shared vocabulary allows: about 600
    words (counting list items and table cells), 2-3 `##` subheads, a bullet list in every fifth article and a
    table in every seventh, as in `generated_markdown`.
    """
    rng = random.Random(f"{seed}:{number}")
    place, thing = rng.choice(_PLACES), rng.choice(_THINGS)
    who = rng.choice(_PEOPLE)
    title = f"{place}: {who[0].upper()}{who[1:]} {rng.choice(_VERBS)} {thing}"
    author = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
    date = DIGEST_FIRST_DATE + dt.timedelta(days=number % 366)
    keywords = [place, thing.removeprefix("a ").removeprefix("the "), rng.choice(_PLACES)]
    extras: dict[int, list[str]] = {}  # blocks after the paragraph with that index
    if number % 5 == 0:
        extras[3] = [f"- {rng.choice(_THINGS).capitalize()} {rng.choice(_WHEN)}" for _ in range(rng.randint(3, 5))]
    if number % 7 == 0:
        extras[4] = ["| City | Budget (million som) | Change |", "|:--|--:|--:|"]
        extras[4] += [f"| {rng.choice(_PLACES)} | {rng.randint(10, 900)} | {rng.randint(-20, 30):+d}% |"
                      for _ in range(rng.randint(3, 6))]
    subheads = rng.sample(_SUBHEADS, rng.randint(2, 3))
    words = sum(_word_count(line) for line in (*subheads, *(x for block in extras.values() for x in block)))
    target = rng.randint(590, 610)
    paragraphs: list[str] = []
    while words < target:
        sentences = []
        for sentence in _paragraph_sentences(rng):
            if words >= target:
                break
            sentences.append(sentence)
            words += _word_count(sentence)
        paragraphs.append(" ".join(sentences))
    paragraphs[0] = f"{place.upper()} — {paragraphs[0]}"
    subhead_at = dict(zip(sorted(rng.sample(range(1, len(paragraphs)), len(subheads))), subheads, strict=True))
    front = {"title": title, "author": author, "date": date.isoformat(), "keywords": keywords, "lang": "en"}
    parts = ["---", *(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in front.items()), "---", ""]
    for index, paragraph in enumerate(paragraphs):
        if index in subhead_at:
            parts += [f"## {subhead_at[index]}", ""]
        parts += [paragraph, ""]
        for after in sorted(extras):  # a short article still gets its list and table, after its last paragraph
            if after == index or (index == len(paragraphs) - 1 and after > index):
                parts += [*extras.pop(after), ""]
    return "\n".join(parts)


def _word_count(text: str) -> int:
    return len(re.findall(r"\w+", text))


def write_digest(folder: Path, count: int, seed: int) -> tuple[Path, list[Path]]:
    """Write `count` article files and a manifest listing them in 2-4 sections; return the manifest and files.

    The manifest is `folder/digest-COUNT.yaml` (so publish's outputs are `digest-COUNT.*`); the articles are
    `folder/digest-COUNT/NNN.md`, in reading order. Fewer than 200 articles make two sections, 200-399 three and
    400 or more four, each a consecutive run of the articles of about equal length.
    """
    articles = folder / f"digest-{count}"
    articles.mkdir(parents=True, exist_ok=True)
    files = []
    for number in range(1, count + 1):
        files.append(articles / f"{number:03d}.md")
        files[-1].write_text(generated_article(number, seed), encoding="utf-8")
    sections = min(len(_SECTIONS), 2 + count // 200)
    bounds = [round(i * count / sections) for i in range(sections + 1)]
    lines = [f'title: "Benchmark digest: {count} generated articles"', "edition: 2024-06-12",
             "publisher: Benchmark Daily", "language: en", "sections:"]
    for title, start, end in zip(_SECTIONS, bounds, bounds[1:], strict=False):
        lines += [f"  - title: {title}", "    articles:"]
        lines += [f"      - {file.relative_to(folder).as_posix()}" for file in files[start:end]]
    manifest = folder / f"digest-{count}.yaml"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest, files


# --- the run -----------------------------------------------------------------------------------------------


@dataclass
class Result:
    """The samples of every command of one case, in run order."""

    case: Case
    """What was run."""
    samples: dict[str, list[Sample]]
    """Per command key, one sample per repetition."""

    def side(self, keys: Sequence[str]) -> tuple[float, int, list[float]]:
        """Median over repetitions of the summed wall time, the peak RSS over all runs, and the sums."""
        repeats = min(len(self.samples[k]) for k in keys)
        sums = [sum(self.samples[k][i].seconds for k in keys) for i in range(repeats)]
        peak = max(s.peak_kib for k in keys for s in self.samples[k])
        return statistics.median(sums), peak, sums

    def cpu(self, keys: Sequence[str]) -> float:
        """Median over repetitions of the summed CPU time (user + system, with waited-for children)."""
        repeats = min(len(self.samples[k]) for k in keys)
        return statistics.median(sum(self.samples[k][i].cpu_seconds for k in keys) for i in range(repeats))


def measure(case: Case, tools: Tools, repeat: int | None, warm_up: bool) -> Result:
    """Warm every command up once, then run the schedule `repeat` times (default REPEAT), interleaved.

    The case's `once` commands are left out of the warm-up and, when `repeat` is None, timed only in the first
    repetition.
    """
    logs = tools.work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    if warm_up:
        _status(f"{case.name}: warm-up")
        for command in case.schedule:
            if command.key not in case.once:
                run(command, tools.env, logs)
    runs = {c.key: repeat or (1 if c.key in case.once else REPEAT) for c in case.schedule}
    samples: dict[str, list[Sample]] = {c.key: [] for c in case.schedule}
    for i in range(max(runs.values())):
        _status(f"{case.name}: repetition {i + 1}/{max(runs.values())}")
        order = case.schedule[::-1] if case.alternate and i % 2 else case.schedule
        for command in order:
            if i < runs[command.key]:
                samples[command.key].append(run(command, tools.env, logs))
    return Result(case, samples)


def _status(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def find_pandoc() -> str:
    """The Pandoc binary from the pypandoc-binary wheel, or a BenchError saying how to install it."""
    hint = "pandoc is needed for the benchmark: pip install pypandoc-binary"
    try:
        import pypandoc  # type: ignore[import-untyped]
    except ImportError:
        raise BenchError(hint) from None
    try:
        path = str(pypandoc.get_pandoc_path())
    except OSError:
        raise BenchError(hint) from None
    if not path or not os.access(path, os.X_OK):
        raise BenchError(hint)
    return path


def environment() -> dict[str, str]:
    """This environment with this interpreter's scripts folder first on PATH, so Pandoc finds `weasyprint`."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # publish runs as installed: bytecode compiled once, not every run
    folders = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
    env["PATH"] = os.pathsep.join([*dict.fromkeys(folders), env.get("PATH", "")])
    if shutil.which("weasyprint", path=env["PATH"]) is None:
        raise BenchError("weasyprint's command is not on PATH; Pandoc needs it for PDF: pip install weasyprint")
    return env


def uptime() -> str:
    """What `uptime` prints (the load averages over 1, 5 and 15 minutes), "" where it is missing: the machine may
    be shared, and its load says how far the wall times can be trusted."""
    try:
        done = subprocess.run(["uptime"], capture_output=True, text=True, check=False, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


def version(argv: Sequence[str], env: dict[str, str]) -> str:
    """The first line a tool prints for --version."""
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "unknown"


COUNTS: dict[str, int] = {}
"""The article count each digest case ran with (smaller under --quick), for the growth table."""


def sized(count: int, quick: bool) -> int:
    """A generated size: as given, or divided by QUICK_DIVISOR under --quick (at least 5)."""
    return max(5, count // QUICK_DIVISOR) if quick else count


def build_cases(names: Sequence[str], tools: Tools, formats: Sequence[str], quick: bool = False,
                batch_pdf: bool = False, speedups_inputs: Sequence[str] = SPEEDUPS_INPUTS) -> list[Case]:
    """Write the inputs each named case needs and describe its commands (--quick makes every generated input
    QUICK_DIVISOR times smaller and leaves the 200-article collection out of the speedups case)."""
    cases = []
    if {"seed", "seed-docx"} & set(names):
        seed_md = seed_markdown(tools, SEED)
    digests: dict[int, tuple[Path, list[Path]]] = {}

    def digest(count: int) -> tuple[Path, list[Path]]:
        if count not in digests:
            _status(f"writing {count} article files and a manifest")
            digests[count] = write_digest(tools.work / "input", count, GENERATOR_SEED)
        return digests[count]

    for name in names:
        if name == "seed":
            cases.append(all_formats_case("seed", tools, SEED, seed_md, formats, per_format=False))
        elif name == "seed-docx":
            if "docx" not in formats:
                _status("seed-docx skipped: docx is not among --formats")
                continue
            cases.append(single_format_case("seed-docx", tools, SEED, seed_md, "docx"))
        elif name == "200":
            count = sized(GENERATED_ARTICLES, quick)
            source = tools.work / "input" / f"one-file-{count}.md"
            source.parent.mkdir(parents=True, exist_ok=True)
            source.write_text(generated_markdown(count, GENERATOR_SEED), encoding="utf-8")
            cases.append(all_formats_case("200", tools, source, source, formats, per_format=True))
        elif name in DIGEST_COUNTS:
            COUNTS[name] = sized(DIGEST_COUNTS[name], quick)
            manifest, _ = digest(COUNTS[name])
            cases.append(digest_case(name, tools, manifest, formats))
        elif name == DIGEST_VS_PANDOC:
            manifest, files = digest(sized(DIGEST_VS_PANDOC_ARTICLES, quick))
            cases.append(digest_pandoc_case(name, tools, manifest, files, formats))
        elif name == EDIT_CASE:
            manifest, files = digest(sized(DIGEST_VS_PANDOC_ARTICLES, quick))
            edit_folder = tools.work / "input" / "edit"  # a copy: the edits must not reach the other cases' files
            if edit_folder.exists():
                shutil.rmtree(edit_folder)
            shutil.copytree(manifest.parent, edit_folder)
            copy = edit_folder / manifest.name
            cases.append(edit_case(tools, copy, edit_folder / files[len(files) // 2].relative_to(manifest.parent),
                                   formats))
        elif name == BATCH_CASE:
            _, files = digest(sized(BATCH_DOCUMENTS, quick))
            chosen = [f for f in formats if f != "pdf" or batch_pdf]
            address, pids = start_cluster(tools)
            if tools.baseline is not None:
                tools.baseline_cluster = start_cluster(tools, tools.baseline)
            cases.append(batch_case(tools, files, chosen, address, pids))
        elif name == SPEEDUPS_CASE:
            large = not quick and "200-articles" in speedups_inputs
            cases.append(speedups_case(tools, digest(GENERATED_ARTICLES)[0] if large else None, speedups_inputs))
    return cases


_FROM_CHECKOUT = """\
import importlib.util, runpy, sys
folder = sys.argv.pop(1)
sys.meta_path[:] = [finder for finder in sys.meta_path if "editable" not in repr(finder).lower()]
sys.path.insert(0, folder)
import publish
spec = importlib.util.spec_from_file_location("publish.templates", f"{folder}/templates/__init__.py",
                                              submodule_search_locations=[f"{folder}/templates"])
sys.modules["publish.templates"] = templates = importlib.util.module_from_spec(spec)
spec.loader.exec_module(templates)
"""
"""publish imported from the checkout in argv[1] (its publish/ and templates/, which the installed package maps to
publish.templates), whatever publish is installed: the start of each launcher below."""
BASELINE_LAUNCHER = _FROM_CHECKOUT + """\
sys.argv[0] = "publish"
runpy.run_module("publish", run_name="__main__", alter_sys=True)
"""
"""Runs `python -m publish` from the checkout in argv[1]."""
WORKER_LAUNCHER = _FROM_CHECKOUT + """\
sys.argv[0] = "dask-worker"
from distributed.cli.dask_worker import main
main()
"""
"""Runs a Dask worker (`dask worker ARGS`) whose jobs import publish from the checkout in argv[1]."""


def with_baseline(case: Case, tools: Tools, folder: Path) -> Case:
    """The case with every publish command also run from the checkout in `folder`, just before the command it
    mirrors, and a row "..., before" beside each row (against the same Pandoc runs; where the right side is
    another publish command, as in the batch case, against the baseline's). Both sides start through the same
    launcher (this checkout's command from this checkout), so neither pays for an import hook the other does not
    (an editable install's finder looks up every module of publish). A Dask command's twin sends its jobs to a
    cluster whose workers run the baseline's code (`Tools.baseline_cluster`)."""
    schedule: list[Command] = []
    twins: dict[str, str] = {}
    for command in case.schedule:
        if command.argv[:len(tools.publish)] == tools.publish:
            arguments = command.argv[len(tools.publish):]
            twin_arguments, cluster = arguments, command.cluster
            if "--scheduler" in arguments:  # the baseline's own cluster: its workers run the baseline's code
                if tools.baseline_cluster is None:
                    raise BenchError("no Dask cluster runs the baseline's code")
                at = arguments.index("--scheduler") + 1
                address, cluster = tools.baseline_cluster
                twin_arguments = (*arguments[:at], address, *arguments[at + 1:])
            twin = dataclasses.replace(command, key=f"{command.key} before", cluster=cluster, argv=(
                sys.executable, "-c", BASELINE_LAUNCHER, str(folder), *twin_arguments))
            twins[command.key] = twin.key
            schedule.append(twin)
            command = dataclasses.replace(command, argv=(sys.executable, "-c", BASELINE_LAUNCHER, str(REPO),
                                                         *arguments))
        schedule.append(command)
    rows: list[Row] = []
    for row in case.rows:
        if row.publish and all(key in twins for key in row.publish):
            rows.append(dataclasses.replace(row, case=f"{row.case}, before",
                                            publish=tuple(twins[key] for key in row.publish),
                                            pandoc=tuple(twins.get(key, key) for key in row.pandoc)))
        rows.append(row)
    once = case.once | {twins[key] for key in case.once if key in twins}
    return dataclasses.replace(case, schedule=tuple(schedule), rows=tuple(rows), once=frozenset(once))


def speedups_case(tools: Tools, collection: Path | None, chosen: Sequence[str] = SPEEDUPS_INPUTS) -> Case:
    """Per input, every hack on, then each one off, interleaved; all four formats, each in one process."""
    inputs = {"seed": SEED, "feature-tour": REPO / "samples" / "feature-tour.md",
              "morning-brief": REPO / "samples" / "morning-brief.yaml"}
    if collection is not None:
        inputs["200-articles"] = collection
    inputs = {label: source for label, source in inputs.items() if label in chosen}
    cache = (("PUBLISH_CACHE_DIR", str(tools.work / "speedups-cache")),)
    schedule = []
    for label, source in inputs.items():
        base = publish_command(tools, f"{SPEEDUPS_CASE} {label} all-on", source, FORMATS)
        schedule.append(dataclasses.replace(base, env=cache))
        for hack in SPEEDUPS:
            command = publish_command(tools, f"{SPEEDUPS_CASE} {label} {hack}-off", source, FORMATS)
            schedule.append(dataclasses.replace(command, env=(*cache, ("PUBLISH_SPEEDUPS_OFF", hack))))
    return Case(SPEEDUPS_CASE, tuple(schedule), (), alternate=True)


def speedups_report(results: list[Result]) -> list[dict[str, Any]]:
    """Per input and hack: median wall and CPU seconds with it on and off, and the share of the time it saves
    (positive: the hack pays; negative: it costs)."""
    rows = []
    for result in results:
        if result.case.name != SPEEDUPS_CASE:
            continue
        for key in result.samples:
            if not key.endswith("all-on"):
                continue
            label = key.removeprefix(f"{SPEEDUPS_CASE} ").removesuffix(" all-on")
            on = result.samples[key]
            for hack in SPEEDUPS:
                off = result.samples[f"{SPEEDUPS_CASE} {label} {hack}-off"]
                wall = (statistics.median(s.seconds for s in on), statistics.median(s.seconds for s in off))
                cpu = (statistics.median(s.cpu_seconds for s in on), statistics.median(s.cpu_seconds for s in off))
                rows.append({"input": label, "hack": hack, "wall_on_s": round(wall[0], 3),
                             "wall_off_s": round(wall[1], 3), "wall_saved": round(1 - wall[0] / wall[1], 3),
                             "cpu_on_s": round(cpu[0], 3), "cpu_off_s": round(cpu[1], 3),
                             "cpu_saved": round(1 - cpu[0] / cpu[1], 3) if cpu[1] else None,
                             "wall_on_runs_s": [round(s.seconds, 3) for s in on],
                             "wall_off_runs_s": [round(s.seconds, 3) for s in off],
                             "cpu_on_runs_s": [round(s.cpu_seconds, 3) for s in on],
                             "cpu_off_runs_s": [round(s.cpu_seconds, 3) for s in off]})
    return rows


def speedups_table(rows: list[dict[str, Any]]) -> str:
    head = ("input", "speed hack", "wall on", "wall off", "saves", "CPU on", "CPU off", "saves")
    body = [(r["input"], r["hack"], _cell(r["wall_on_s"], 2), _cell(r["wall_off_s"], 2), f"{r['wall_saved']:+.0%}",
             _cell(r["cpu_on_s"], 2), _cell(r["cpu_off_s"], 2),
             "" if r["cpu_saved"] is None else f"{r['cpu_saved']:+.0%}") for r in rows]
    return _aligned(head, body)


def report(results: list[Result]) -> list[dict[str, Any]]:
    """One dict per row: medians, ratio, peaks, and every repetition's time (Pandoc's None on publish-only rows)."""
    rows = []
    for result in results:
        for row in result.case.rows:
            pub_s, pub_kib, pub_all = result.side(row.publish)
            pan_s, pan_kib, pan_all = result.side(row.pandoc) if row.pandoc else (None, None, [])
            pub_cpu = result.cpu(row.publish)
            pan_cpu = result.cpu(row.pandoc) if row.pandoc else None
            rows.append({
                "case": row.case,
                "publish_median_s": round(pub_s, 3),
                "pandoc_median_s": None if pan_s is None else round(pan_s, 3),
                "ratio": None if pan_s is None else round(pub_s / pan_s, 2),
                "publish_cpu_s": round(pub_cpu, 3),
                "pandoc_cpu_s": None if pan_cpu is None else round(pan_cpu, 3),
                "cpu_ratio": None if not pan_cpu else round(pub_cpu / pan_cpu, 2),
                "publish_peak_mib": round(pub_kib / 1024, 1),
                "pandoc_peak_mib": None if pan_kib is None else round(pan_kib / 1024, 1),
                "publish_runs_s": [round(s, 3) for s in pub_all],
                "pandoc_runs_s": [round(s, 3) for s in pan_all],
                "publish_commands": len(row.publish),
                "pandoc_commands": len(row.pandoc),
            })
    return rows


def growth(results: list[Result]) -> list[dict[str, Any]]:
    """For each digest row (all formats, html, ...), how publish's time and peak memory grow with the articles.

    Each step goes from one article count that ran to the next (50 to 200, 200 to 1,000): the ratios of the median
    times and of the peaks, against the ratio of article counts (4 and 5), and the extra milliseconds per extra
    article, which leaves out the fixed cost of starting Python and importing (equal per-article figures in both
    steps mean the growth is linear).
    """
    measured: dict[str, dict[int, tuple[float, int]]] = {}
    for result in results:
        count = COUNTS.get(result.case.name)
        if count is None:
            continue
        for row in result.case.rows:
            seconds, kib, _ = result.side(row.publish)
            label = row.case.removeprefix(result.case.name).strip()
            measured.setdefault(label, {})[count] = (seconds, kib)
    out = []
    for label, by_count in measured.items():
        counts = sorted(by_count)
        for small, large in pairwise(counts):
            (s_small, k_small), (s_large, k_large) = by_count[small], by_count[large]
            out.append({
                "format": label,
                "from": small,
                "to": large,
                "articles_ratio": round(large / small, 2),
                "time_ratio": round(s_large / s_small, 2),
                "memory_ratio": round(k_large / k_small, 2),
                "ms_per_added_article": round((s_large - s_small) / (large - small) * 1000, 1),
                "mib_per_100_added_articles": round((k_large - k_small) / 1024 / (large - small) * 100, 1),
            })
    return out


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a plain-text table; "-" where a publish-only row has no Pandoc side."""
    head = ("case", "publish s", "pandoc s", "publish/pandoc", "publish CPU s", "pandoc CPU s", "CPU ratio",
            "publish peak MiB", "pandoc peak MiB")
    body = [(r["case"], f"{r['publish_median_s']:.3f}", _cell(r["pandoc_median_s"], 3), _cell(r["ratio"], 2),
             f"{r['publish_cpu_s']:.3f}", _cell(r["pandoc_cpu_s"], 3), _cell(r["cpu_ratio"], 2),
             f"{r['publish_peak_mib']:.1f}", _cell(r["pandoc_peak_mib"], 1)) for r in rows]
    return _aligned(head, body)


def growth_table(steps: list[dict[str, Any]]) -> str:
    """The growth figures, one line per format and step: the ratios of articles, time and memory, then the cost
    of each added article (linear growth: time and memory ratios near the article ratio once the fixed cost of
    a run is small, and the same per-article cost in both steps)."""
    head = ("format", "articles", "x articles", "x time", "x memory", "ms/added article", "MiB/100 added articles")
    body = [(s["format"], f"{s['from']}->{s['to']}", f"{s['articles_ratio']:.2f}", f"{s['time_ratio']:.2f}",
             f"{s['memory_ratio']:.2f}", f"{s['ms_per_added_article']:.1f}", f"{s['mib_per_100_added_articles']:.1f}")
            for s in steps]
    return ("growth with the number of articles (x = larger / smaller, of the times and peaks above):\n"
            + _aligned(head, body))


def _cell(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _aligned(head: tuple[str, ...], body: Sequence[tuple[str, ...]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned, a rule under the header."""
    widths = [max(len(line[i]) for line in (head, *body)) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True)))
             for line in (head, *body)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=None, metavar="N",
                        help=f"timed runs of each command (default {REPEAT}; 1 for the PDF runs of "
                             f"{' and '.join(sorted(DIGEST_LONG_PDF))})")
    parser.add_argument("--cases", default=",".join(CASES), metavar="LIST",
                        help=f"comma-separated cases to run: {', '.join(CASES)} (default: all)")
    parser.add_argument("--formats", default=",".join(FORMATS), metavar="LIST",
                        help="formats for the all-formats cases (default: html,pdf,docx,epub)")
    parser.add_argument("--quick", action="store_true",
                        help=f"inputs {QUICK_DIVISOR} times smaller, one timed run and no warm-up (a smoke test)")
    parser.add_argument("--batch-pdf", action="store_true", help=f"render PDFs in {BATCH_CASE} too")
    parser.add_argument("--baseline", type=Path, default=None, metavar="DIR",
                        help="another checkout of publish (a folder holding publish/ and templates/, such as "
                             "`git worktree add DIR main`): every publish command also runs with its code, "
                             "interleaved, on a row of its own marked 'before'")
    parser.add_argument("--speedups-inputs", default=",".join(SPEEDUPS_INPUTS), metavar="LIST",
                        help=f"the inputs of the {SPEEDUPS_CASE} case: {', '.join(SPEEDUPS_INPUTS)} (default: all)")
    args = parser.parse_args(argv)
    if args.baseline is not None and not (args.baseline / "publish" / "__main__.py").is_file():
        parser.error(f"--baseline {args.baseline}: no publish/__main__.py there")
    args.cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    args.formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    args.speedups_inputs = [i.strip() for i in args.speedups_inputs.split(",") if i.strip()]
    for name in args.speedups_inputs:
        if name not in SPEEDUPS_INPUTS:
            parser.error(f"unknown speedups input {name!r}; known: {', '.join(SPEEDUPS_INPUTS)}")
    for name in args.cases:
        if name not in CASES:
            parser.error(f"unknown case {name!r}; known: {', '.join(CASES)}")
    for fmt in args.formats:
        if fmt not in FORMATS:
            parser.error(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    if not args.cases or not args.formats:
        parser.error("give at least one case and one format")
    if args.quick:
        args.repeat = 1
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return 0, or 1 with a one-line reason."""
    args = parse_args(argv)
    try:
        pandoc = find_pandoc() if set(args.cases) - {SPEEDUPS_CASE, EDIT_CASE, BATCH_CASE, *DIGEST_COUNTS} \
            else ""  # publish-only cases
        env = environment()
        with tempfile.TemporaryDirectory(prefix="publish-bench-") as tmp:
            tools = Tools(publish=(sys.executable, "-m", "publish"), pandoc=pandoc, work=Path(tmp), env=env,
                          baseline=None if args.baseline is None else args.baseline.resolve())
            try:
                cases = build_cases(args.cases, tools, args.formats, quick=args.quick, batch_pdf=args.batch_pdf,
                                    speedups_inputs=args.speedups_inputs)
                if args.baseline is not None:
                    cases = [with_baseline(case, tools, args.baseline.resolve()) for case in cases]
                load = [os.getloadavg()[0]]
                uptimes = [uptime()]
                results = [measure(case, tools, args.repeat, warm_up=not args.quick) for case in cases]
                load.append(os.getloadavg()[0])
                uptimes.append(uptime())
            finally:
                for process in reversed(tools.started):
                    process.terminate()
                for process in tools.started:
                    try:
                        process.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
            rows = report(results)
            steps = growth(results)
            speedup_rows = speedups_report(results)
            versions = {"publish": version([*tools.publish, "--version"], env),
                        "pandoc": version([pandoc, "--version"], env) if pandoc else "pandoc not used",
                        "weasyprint": version(["weasyprint", "--version"], env)}
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    command = "python3 benchmarks/bench.py" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    print(f"{command}\n{versions['publish']}; {versions['pandoc']}; {versions['weasyprint']}; "
          f"Python {platform.python_version()}; {os.cpu_count()} CPUs; median of {args.repeat or REPEAT} run(s)"
          f"{'' if args.quick else ' after one warm-up'}{_once_note(cases, args.repeat, args.quick)}\n"
          f"load average (1 min) {load[0]:.2f} before the first run, {load[1]:.2f} after the last (the benchmark "
          f"itself adds about 1; more is other work on the machine, which slows the runs)\n"
          f"uptime before: {uptimes[0]}\nuptime after:  {uptimes[1]}\n")
    if rows:
        print(table(rows))
    if speedup_rows:
        print("\nEach speed hack on and off (medians; \"saves\" is 1 - on/off, negative when it costs):\n"
              + speedups_table(speedup_rows))
    if steps:
        print("\n" + growth_table(steps))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "command": command,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": versions,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_1min": {"start": round(load[0], 2), "end": round(load[1], 2)},
        "uptime": {"start": uptimes[0], "end": uptimes[1]},
        "repeat": args.repeat or REPEAT,
        "warm_up": not args.quick,
        "not_warmed_up": [] if args.quick else sorted(key for case in cases for key in case.once),
        "timed_once": [] if args.repeat else sorted(key for case in cases for key in case.once),
        "memory": "peak RSS per process from os.wait4 ru_maxrss (includes reaped descendants such as "
                  "Pandoc's weasyprint and the workers of publish's PDF in parts: the largest single process of "
                  "the tree, not the sum); a row with several processes reports the largest",
        "rows": rows,
        "growth": steps,
        "speedups": speedup_rows,
    }, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(REPO)}")
    return 0


def _once_note(cases: list[Case], repeat: int | None, quick: bool) -> str:
    """What the long PDF runs of the digest cases did differently, for the header ("" if nothing)."""
    names = [case.name for case in cases if case.once]
    if not names or quick:
        return ""
    return f"; the PDF runs of {' and '.join(names)}: {'' if repeat else 'one run, '}no warm-up"


if __name__ == "__main__":
    sys.exit(main())
