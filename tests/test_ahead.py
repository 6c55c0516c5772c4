"""Work done ahead by forked processes on a cold cache (publish.build.ahead): the results and their order are a
sequential loop's, a forked process only fills the cache, a failure or a warning meets the user once and in place,
and nothing forks when the cache is warm, off, or the process may not fork."""

from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from publish.build import ahead, cache, processes
from publish.errors import InputError

TWO_CORES = pytest.mark.skipif(processes.cores() < 2 or not processes.can_fork(),
                               reason="needs two cores and forking processes")


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


class Work:
    """An item's result, "ITEM:PID" (the process that made it), from the cache when it is there."""

    def __init__(self, tag: str, bad: int | None = None) -> None:
        self.tag, self.bad = tag, bad

    def __call__(self, item: int) -> str:
        key = f"ahead-test-{self.tag}-{item}"
        found = cache.get("pieces", key)
        if found is None:
            cache._missed()
            if item == self.bad:
                raise InputError(f"item {item} is bad")
            found = f"{item}:{os.getpid()}".encode()
            cache.put("pieces", key, found)
        return found.decode()


def _pids(results: list[str]) -> set[int]:
    return {int(result.split(":")[1]) for result in results}


@TWO_CORES
def test_a_cold_run_gives_a_loops_results_in_order_with_the_later_share_made_ahead(cache_dir: Path) -> None:
    items = list(range(40))
    results = list(ahead.in_order(items, Work("cold")))
    assert [int(result.split(":")[0]) for result in results] == items
    assert os.getpid() in _pids(results) and len(_pids(results)) > 1  # some made here, the rest by forked processes
    assert not mp.active_children()
    again = list(ahead.in_order(items, Work("cold")))  # warm: all from the cache, nothing forked
    assert again == results and not mp.active_children()


@TWO_CORES
def test_the_shares_are_cut_by_what_the_items_cost(cache_dir: Path) -> None:
    """An item that costs more than all the others together (a digest's drawn cover) is a forked share of its own;
    the others are done here, whatever the number of cores."""
    items = list(range(40))
    results = list(ahead.in_order(items, Work("costly"), cost=lambda item: 1000 if item == 39 else 1))
    assert [int(result.split(":")[0]) for result in results] == items
    here = [int(result.split(":")[0]) for result in results if int(result.split(":")[1]) == os.getpid()]
    assert here == items[:39] and len(_pids(results)) == 2


def test_nothing_forks_without_a_cache_few_items_or_in_a_threaded_process(cache_dir: Path) -> None:
    with cache.turned_off():
        assert _pids(list(ahead.in_order(range(40), Work("off")))) == {os.getpid()}
    assert _pids(list(ahead.in_order(range(ahead.MINIMUM_LEFT), Work("few")))) == {os.getpid()}
    started = threading.Event()
    stop = threading.Event()

    def wait() -> None:
        started.set()
        stop.wait(30)

    other = threading.Thread(target=wait)
    other.start()
    try:
        started.wait(10)
        assert _pids(list(ahead.in_order(range(40), Work("threads")))) == {os.getpid()}
    finally:
        stop.set()
        other.join()


@TWO_CORES
def test_a_failure_in_a_forked_share_is_met_here_in_its_place(cache_dir: Path) -> None:
    done: list[str] = []
    with pytest.raises(InputError, match="item 35 is bad"):
        for result in ahead.in_order(range(40), Work("bad", bad=35)):
            done.append(result)
    assert [int(result.split(":")[0]) for result in done] == list(range(35))
    assert not mp.active_children()


@TWO_CORES
def test_items_not_to_do_ahead_are_done_here(cache_dir: Path) -> None:
    results = list(ahead.in_order(range(40), Work("odd"), ahead=lambda item: item % 2 == 0))
    odd = [result for result in results if int(result.split(":")[0]) % 2]
    assert _pids(odd) == {os.getpid()} and len(_pids(results)) > 1


@TWO_CORES
def test_a_consumer_that_stops_early_stops_the_forked_processes(cache_dir: Path) -> None:
    class Slow(Work):
        def __call__(self, item: int) -> str:
            if os.getpid() != parent:
                threading.Event().wait(0.2)
            return super().__call__(item)

    parent = os.getpid()
    made = ahead.in_order(range(200), Slow("slow"))
    assert next(made).startswith("0:") and mp.active_children()
    made.close()
    assert not mp.active_children()


def _manifest(folder: Path, count: int, untitled: int, bad: int | None = None) -> Path:
    (folder / "stories").mkdir(parents=True)
    lines = ["title: Ahead", "edition: 2024-06-12", "sections:", "  - title: News", "    articles:"]
    for number in range(1, count + 1):
        path = folder / "stories" / f"{number:02d}.md"
        words = " ".join(f"word{number}x{w}" for w in range(60))
        if number == bad:
            path.write_text("---\ntitle: [unclosed\n---\n\nText.\n", encoding="utf-8")
        elif number == untitled:
            path.write_text(f"## Heading of story {number}\n\nBody of story {number}: {words}.\n", encoding="utf-8")
        else:
            path.write_text(f"---\ntitle: Story {number}\n---\n\nBody of story {number}: {words}.\n",
                            encoding="utf-8")
        lines.append(f"      - stories/{number:02d}.md")
    (folder / "ahead.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / "ahead.yaml"


def _build(manifest: Path, out: Path, cache_dir: Path | str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PUBLISH_CACHE_DIR": str(cache_dir), "SOURCE_DATE_EPOCH": "1700000000"}
    return subprocess.run([sys.executable, "-m", "publish", "build", str(manifest), "--to", "epub,docx,html",
                           "--out", str(out)], env=env, capture_output=True, text=True, timeout=300)


@TWO_CORES
def test_a_cold_collection_build_says_what_a_sequential_one_says_and_writes_the_same_bytes(tmp_path: Path) -> None:
    """A warning from an article read ahead is said once, in its place; the files are those of a build without
    the cache, which reads everything in one process."""
    manifest = _manifest(tmp_path / "in", 40, untitled=33)
    cold = _build(manifest, tmp_path / "cold", tmp_path / "cache")
    none = _build(manifest, tmp_path / "none", "off")
    assert cold.returncode == none.returncode == 0, cold.stderr + none.stderr
    assert cold.stderr.count("no title") == 1 and "33.md:1: no title" in cold.stderr
    assert cold.stderr.splitlines()[:-3] == none.stderr.splitlines()[:-3]  # the same words, before "wrote ..."
    for name in ("ahead.epub", "ahead.docx", "ahead.html"):
        assert (tmp_path / "cold" / name).read_bytes() == (tmp_path / "none" / name).read_bytes(), name


@TWO_CORES
def test_a_bad_article_read_ahead_is_one_line_naming_it(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path / "in", 40, untitled=0, bad=31)
    done = _build(manifest, tmp_path / "out", tmp_path / "cache")
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "31.md" in errors[0] and "Traceback" not in done.stderr, done.stderr
    assert not list((tmp_path / "out").glob("ahead.*"))
