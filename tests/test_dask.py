"""Batches on a real Dask cluster on 127.0.0.1 (a `dask scheduler` and two `dask worker` processes): one worker
killed mid-batch, every output still written exactly once, byte for byte as a local build writes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("distributed")

ENVIRONMENT = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "PUBLISH_CACHE_DIR": "off",
               "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}


def _stories(folder: Path, count: int) -> list[Path]:
    paths = []
    for number in range(1, count + 1):
        path = folder / f"wire-{number:02d}.md"
        words = " ".join(f"word{(number * 31 + i) % 997}" for i in range(400))
        path.write_text(f"---\ntitle: Wire story {number}\ndate: 2024-06-12\n---\n\n{words}.\n\n## More\n\n"
                        f"Story {number} closes here.\n")
        paths.append(path)
    return paths


def _wait_for(path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists() or not path.read_text().strip():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.2)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A scheduler and two single-threaded workers (no nanny, so a killed worker stays dead)."""
    started: list[subprocess.Popen[bytes]] = []
    info = tmp_path / "scheduler.json"
    try:
        started.append(subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port",
                                         "0", "--no-dashboard", "--scheduler-file", str(info)],
                                        env=ENVIRONMENT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait_for(info)
        address = json.loads(info.read_text())["address"]
        for number in (1, 2):
            started.append(subprocess.Popen([sys.executable, "-m", "dask", "worker", address, "--host", "127.0.0.1",
                                             "--nthreads", "1", "--no-nanny", "--no-dashboard", "--name",
                                             f"w{number}"], env=ENVIRONMENT, cwd=tmp_path,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address, started[1:]
    finally:  # the workers first, one by one, while the scheduler still answers their goodbye (a worker that
        for process in reversed(started):  # finds it gone retries for Dask's connect timeout, 30 s, then stops)
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.parametrize("count", [12, 40], ids=["one input a job", "two inputs a job"])
def test_a_batch_survives_a_killed_worker(tmp_path: Path, cluster: tuple[str, list[subprocess.Popen[bytes]]],
                                          count: int) -> None:
    address, workers = cluster
    assert cluster_jobs(count) == (1 if count == 12 else 2)
    stories = _stories(tmp_path, count)
    out = tmp_path / "cluster"
    run = subprocess.Popen([sys.executable, "-m", "publish", "build", *map(str, stories), "--to", "html,docx,epub",
                            "--scheduler", address, "--out", str(out)], env=ENVIRONMENT, stderr=subprocess.PIPE,
                           text=True)
    assert run.stderr is not None
    lines = []
    for line in run.stderr:
        lines.append(line.rstrip("\n"))
        if line.startswith("wrote ") and workers[0].poll() is None:
            workers[0].kill()  # mid-batch: its running input is built again on the other worker
    run.stderr.close()
    assert run.wait(timeout=600) == 0, "\n".join(lines)
    assert workers[0].poll() is not None
    written = [line.split(" (")[0].removeprefix("wrote ") for line in lines if line.startswith("wrote ")]
    expected = sorted(str(out / f"{story.stem}.{ext}") for story in stories for ext in ("html", "docx", "epub"))
    assert sorted(written) == expected  # each output reported once
    assert sorted(str(p) for p in out.iterdir()) == expected  # and there once, no temporary file left

    local = subprocess.run([sys.executable, "-m", "publish", "build", *map(str, stories), "--to", "html,docx,epub",
                            "-j", "1", "--out", str(tmp_path / "local")], env=ENVIRONMENT, capture_output=True,
                           text=True, timeout=600)
    assert local.returncode == 0, local.stderr
    for path in (tmp_path / "local").iterdir():
        assert (out / path.name).read_bytes() == path.read_bytes(), path.name


def cluster_jobs(count: int, workers: int = 2) -> int:
    from publish.build import cluster

    return cluster._job_size(count, workers)


def test_a_large_batch_goes_in_jobs_of_several_inputs() -> None:
    assert [cluster_jobs(count) for count in (1, 15, 16, 40, 100, 128, 1000, 100_000)] == [1, 1, 1, 2, 6, 8, 8, 8]
    assert cluster_jobs(1000, workers=0) == 8 and cluster_jobs(100, workers=8) == 1


def test_shipped_inputs_come_back_as_files(tmp_path: Path, cluster: tuple[str, list[subprocess.Popen[bytes]]]
                                           ) -> None:
    """--ship: the workers get each input's bytes (not its path) and the outputs come back to be written here."""
    address, _ = cluster
    stories = _stories(tmp_path, 3)
    broken = tmp_path / "broken.md"
    broken.write_text("---\ntitle: [unclosed\n---\n")
    done = subprocess.run([sys.executable, "-m", "publish", "build", *map(str, stories), str(broken), "--to", "epub",
                           "--scheduler", address, "--ship", "--out", str(tmp_path / "shipped")], env=ENVIRONMENT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 1
    assert f"publish: error: {broken}:2: front matter is not valid YAML" in done.stderr
    assert sorted(p.name for p in (tmp_path / "shipped").iterdir()) == sorted(f"{s.stem}.epub" for s in stories)


def test_an_unreachable_scheduler_is_one_line(tmp_path: Path) -> None:
    (story,) = _stories(tmp_path, 1)
    environment = {**ENVIRONMENT, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}
    done = subprocess.run([sys.executable, "-m", "publish", "build", str(story), "--scheduler", "tcp://127.0.0.1:9",
                           "--out", str(tmp_path / "o")], env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("publish: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
