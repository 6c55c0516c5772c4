"""The build's processes: a build stopped by SIGTERM, SIGKILL or Ctrl-C leaves no process and no file behind; the
PDF's time limit stops a slow layout with one line; a full disk leaves the earlier outputs whole."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import cached

ROOT = Path(__file__).resolve().parent.parent
EARLIER = b"an earlier, good output that a stopped build must leave alone\n"
FORMATS = ("html", "pdf", "docx", "epub")


def _stat(pid: int) -> tuple[str, int, int, float] | None:
    """A process's state, parent pid, process group and CPU seconds, from /proc; None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return fields[0], int(fields[1]), int(fields[2]), (int(fields[11]) + int(fields[12])) / ticks


def _running(predicate: object) -> list[int]:
    """Pids of live (not zombie) processes whose (ppid, pgrp) satisfy the predicate."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            info = _stat(int(entry.name))
            if info is not None and info[0] != "Z" and predicate(info[1], info[2]):  # type: ignore[operator]
                pids.append(int(entry.name))
    return pids


def _start_build(tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    """A build, in a session of its own, of an article whose PDF takes seconds of CPU to lay out (a morning
    brief would do on an idle machine; on a busy one it may be done before the signal comes)."""
    _slow(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    for fmt in FORMATS:
        (out / f"slow.{fmt}").write_bytes(EARLIER)
    env = {**os.environ, "PUBLISH_CACHE_DIR": str(tmp_path / "cache")}
    build = subprocess.Popen([sys.executable, "-m", "publish", "build", "slow.md", "--timeout", "0"], cwd=tmp_path,
                             env=env, stderr=subprocess.PIPE, text=True, start_new_session=True)
    return build, out


def _mid_pdf(build: subprocess.Popen[str], cpu: float = 2.0) -> None:
    """Wait until the build has imported WeasyPrint, rendered the other formats (about 1.5 s of CPU in all) and is
    laying out the PDF (`cpu` seconds of its CPU time in all, of about 6.5)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert build.poll() is None, f"the build ended before its PDF was under way: {build.stderr.read()}"  # type: ignore[union-attr]
        info = _stat(build.pid)
        if info is not None and info[3] >= cpu:
            return
        time.sleep(0.05)
    raise AssertionError("the PDF never got under way")


def _gone(pids: list[int], group: int) -> bool:
    """Whether these processes and everything in the build's process group have ended (zombies count as ended:
    a container's first process may not reap them)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if not any(_stat(pid) and _stat(pid)[0] != "Z" for pid in pids) \
                and not _running(lambda ppid, pgrp: pgrp == group):
            return True
        time.sleep(0.05)
    return False


def _untouched(out: Path) -> None:
    assert sorted(p.name for p in out.iterdir()) == [f"slow.{fmt}" for fmt in sorted(FORMATS)]
    assert all((out / f"slow.{fmt}").read_bytes() == EARLIER for fmt in FORMATS)


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT to the group (Ctrl-C)"])
def test_a_stopped_build_leaves_no_process_and_no_file(tmp_path: Path, how: str) -> None:
    build, out = _start_build(tmp_path)
    _mid_pdf(build)
    if how == "SIGTERM":
        build.send_signal(signal.SIGTERM)
    else:
        os.killpg(build.pid, signal.SIGINT)
    _, err = build.communicate(timeout=60)
    assert build.returncode == 130
    assert err == "publish: interrupted\n"
    assert _gone([build.pid], build.pid)
    _untouched(out)


def test_a_killed_build_leaves_the_earlier_outputs_whole(tmp_path: Path) -> None:
    build, out = _start_build(tmp_path)
    _mid_pdf(build)
    build.kill()  # SIGKILL: the build runs no code of its own; its files are stored only once all are rendered
    build.communicate(timeout=60)
    assert _gone([build.pid], build.pid)
    _untouched(out)


def test_the_next_build_removes_what_a_killed_batch_left(tmp_path: Path) -> None:
    """A batch stores each document's files as it goes: killed while laying out a later PDF, it leaves the earlier
    document's temporary files (hidden, beside the untouched outputs); the next build removes them."""
    _slow(tmp_path)
    (tmp_path / "quick.md").write_text("---\ntitle: Quick\n---\n\nA short story.\n", encoding="utf-8")
    out = tmp_path / "out"
    build = subprocess.Popen([sys.executable, "-m", "publish", "build", "quick.md", "slow.md", "--timeout", "0"],
                             cwd=tmp_path, stderr=subprocess.PIPE, text=True, start_new_session=True)
    _mid_pdf(build, cpu=3.5)  # the quick article's four files are stored; the slow PDF is under way
    build.kill()
    build.communicate(timeout=60)
    assert _gone([build.pid], build.pid)
    left = sorted(p.name for p in out.iterdir())
    assert left and all(name.startswith(".quick.") and name.endswith(".tmp") for name in left), left
    done = subprocess.run([sys.executable, "-m", "publish", "build", "quick.md"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"quick.{fmt}" for fmt in sorted(FORMATS)]


def _slow(folder: Path) -> Path:
    """An article whose PDF takes about 5 s of CPU to lay out: 60 paragraphs of 90 marks each (under the cap)."""
    path = folder / "slow.md"
    path.write_text("---\ntitle: A Slow Page\n---\n\n" + ("*a* b " * 90 + "\n\n") * 60, encoding="utf-8")
    return path


@pytest.mark.parametrize("formats", ["pdf", "html,pdf"], ids=["the PDF alone", "beside another format"])
def test_the_time_limit_stops_a_slow_pdf_with_one_line(tmp_path: Path, formats: str) -> None:
    _slow(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    for fmt in formats.split(","):
        (out / f"slow.{fmt}").write_bytes(EARLIER)
    done = subprocess.run([sys.executable, "-m", "publish", "build", "slow.md", "--to", formats, "--timeout", "1"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr == ("publish: error: slow.md: the PDF took longer than 1 s to lay out; give a longer --timeout "
                           "(0 for no limit), or split the document into smaller ones\n")
    assert sorted(p.name for p in out.iterdir()) == sorted(f"slow.{fmt}" for fmt in formats.split(","))
    assert all(p.read_bytes() == EARLIER for p in out.iterdir())
    assert not _running(lambda ppid, pgrp: ppid == os.getpid())  # no process left behind by the failed build


def test_the_time_limit_from_the_project_file(tmp_path: Path) -> None:
    _slow(tmp_path)
    (tmp_path / "publish.toml").write_text("timeout = 1\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "publish", "build", "slow.md", "--to", "pdf"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (1, "publish: error: slow.md: the PDF took longer than 1 s to lay out; "
                                                 "give a longer --timeout (0 for no limit), or split the document into "
                                                 "smaller ones\n")
    assert not (tmp_path / "out").exists()  # the output folder the failed build would have made is not left
    (tmp_path / "publish.toml").write_text('timeout = "soon"\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "publish", "build", "slow.md", "--to", "pdf"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (1, f"publish: error: {tmp_path}/publish.toml: timeout = 'soon' must be "
                                                 "the seconds one document's PDF may take to lay out, 0 or more (0 for "
                                                 "no limit)\n")


def test_a_bad_timeout_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "publish", "build", "x.md", "--timeout", "soon"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == ("publish build: error: argument --timeout: 'soon' is not a number of "
                                            "seconds (0 or more; 0 for no limit)")


# --- a full disk -----------------------------------------------------------------------------------------------

_DRIVER = textwrap.dedent('''
    """Build an article, fill the disk but for a little room, change the article and build again."""
    import hashlib, io, json, os, shutil, subprocess, sys
    from pathlib import Path

    article, out, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    command = [sys.executable, "-m", "publish", "build", str(article), "--out", str(out)]

    def digests():
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir())
                if p.name != "filler"}

    first = subprocess.run(command, capture_output=True, text=True)
    before = digests()
    article.write_text(article.read_text(encoding="utf-8").replace("Bishkek", "Bishkek, again"), encoding="utf-8")
    room = 40 * 1024  # room for the HTML, not for all four files
    if mode == "tmpfs":
        filler = os.open(out / "filler", os.O_WRONLY | os.O_CREAT)  # fill the disk, then give back `room` bytes
        try:
            while True:
                os.write(filler, bytes(4096))
        except OSError:
            pass
        finally:
            os.close(filler)
        size = (out / "filler").stat().st_size
        os.truncate(out / "filler", max(0, size - room))
        second = subprocess.run(command, capture_output=True, text=True)
    else:  # no tmpfs can be mounted here: a disk with `room` bytes free, simulated at os.fdopen's writes
        import errno
        from contextlib import redirect_stderr
        from publish.cli import main
        real_fdopen = os.fdopen
        left = [room]

        class Full(io.BufferedWriter):
            def write(self, data):
                if len(data) > left[0]:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                left[0] -= len(data)
                return super().write(data)

        def fdopen(fd, mode="r", *args, **kwargs):
            if mode == "wb":
                return Full(io.FileIO(fd, "wb"))
            return real_fdopen(fd, mode, *args, **kwargs)

        os.fdopen = fdopen
        err = io.StringIO()
        with redirect_stderr(err):
            code = main(command[3:])
        second = subprocess.CompletedProcess(command, code, "", err.getvalue())
    print(json.dumps({"first": [first.returncode, first.stderr], "second": [second.returncode, second.stderr],
                      "before": before, "after": digests(),
                      "left": sorted(p.name for p in out.iterdir() if p.name != "filler")}))
''')


def _can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None or not sys.platform.startswith("linux"):
        return False
    done = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                           "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True, timeout=30)
    return done.returncode == 0


@pytest.mark.parametrize("mode", ["tmpfs", "injected"])
def test_a_full_disk_leaves_the_earlier_outputs_whole(tmp_path: Path, mode: str) -> None:
    if mode == "tmpfs" and not _can_mount_tmpfs():
        pytest.skip("no user namespace to mount a small tmpfs in; the injected case covers it")
    article = tmp_path / "dar-bishkek.txt"
    shutil.copy(ROOT / "samples" / "dar-bishkek.txt", article)
    out = tmp_path / "out"
    out.mkdir()
    driver = tmp_path / "driver.py"
    driver.write_text(_DRIVER, encoding="utf-8")
    env = {**os.environ, "PUBLISH_CACHE_DIR": "off"}
    run = [sys.executable, str(driver), str(article), str(out), mode]
    if mode == "tmpfs":  # a 1 MiB disk of its own, in a mount namespace of its own
        run = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
               f'mount -t tmpfs -o size=1m tmpfs "{out}" && exec "$@"', "sh", *run]
    done = subprocess.run(run, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["first"][0] == 0 and sorted(result["before"]) == [f"dar-bishkek.{f}" for f in sorted(FORMATS)]
    code, err = result["second"]
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("publish: error: ") and lines[0].endswith(
        ": cannot write: No space left on device; the earlier outputs are left as they were"), err
    assert "dar-bishkek.html" not in lines[0]  # the failure came after some files were stored, not before
    assert result["after"] == result["before"]  # every earlier output whole, none replaced
    assert result["left"] == sorted(result["before"])  # and no temporary file left


def test_the_speed_hacks_switched_off_give_the_same_files(tmp_path: Path) -> None:
    """The benchmark's switches (PUBLISH_SPEEDUPS_OFF) change how long a build takes, never what it writes."""
    base = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "PUBLISH_CACHE_DIR": str(tmp_path / "cache")}
    source = str(ROOT / "samples" / "dar-bishkek.txt")
    for out, off in (("off", "cache,library-patch"), ("on", "")):
        done = subprocess.run([sys.executable, "-m", "publish", "build", source, "--out", str(tmp_path / out)],
                              env={**base, "PUBLISH_SPEEDUPS_OFF": off}, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr
        kept = sorted(cached.kinds(tmp_path / "cache"))
        assert {"models", "pieces"} <= set(kept), kept  # the per-article cache is not a speed hack: always there
        hack = {"hyphenation", "templates"} & set(kept)
        assert hack == ({"hyphenation", "templates"} if out == "on" else set()), kept
    for fmt in FORMATS:
        assert (tmp_path / "on" / f"dar-bishkek.{fmt}").read_bytes() == (tmp_path / "off" / f"dar-bishkek.{fmt}") \
            .read_bytes()
    done = subprocess.run([sys.executable, "-m", "publish", "build", source, "--out", str(tmp_path / "x")],
                          env={**base, "PUBLISH_SPEEDUPS_OFF": "turbo"}, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (1, "publish: error: PUBLISH_SPEEDUPS_OFF: unknown speed hack 'turbo'; "
                                                 "known: cache, library-patch\n")


def test_a_process_that_ends_at_once_keeps_one_finished_object_and_no_other_process_does(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """processes.outlive (a stitched PDF's parts): kept until the end only by the process that ends without
    Python's teardown (cli.run), one at a time; anywhere else freed as usual."""
    import weakref

    from publish.build import processes

    class Parts:
        pass

    monkeypatch.setattr(processes, "_ending_at_once", 0)
    monkeypatch.setattr(processes, "_kept", None)
    first = Parts()
    gone = weakref.ref(first)
    processes.outlive(first)
    del first
    assert gone() is None
    processes.end_at_once()
    second, third = Parts(), Parts()
    kept, then = weakref.ref(second), weakref.ref(third)
    processes.outlive(second)
    del second
    assert kept() is not None
    processes.outlive(third)
    del third
    assert kept() is None and then() is not None
    monkeypatch.setattr(processes, "_ending_at_once", os.getpid() + 1)  # a process forked from it
    fourth = Parts()
    other = weakref.ref(fourth)
    processes.outlive(fourth)
    del fourth
    assert other() is None and then() is not None


def test_the_time_limit_stops_a_block_even_when_its_first_ring_was_lost() -> None:
    """CPython ignores an exception raised in a garbage collector's callback or a `__del__` (a test run's
    hypothesis times the collector with one): if the limit's first ring lands there, the next one stops the
    block."""
    import contextlib

    from publish.build import processes
    from publish.errors import RenderError

    started = time.monotonic()
    with pytest.raises(RenderError, match=r"longer than 0\.2 s"), processes.time_limit(0.2):
        with contextlib.suppress(processes._Expired):  # the first ring, lost as CPython loses it there
            time.sleep(10)
        time.sleep(10)
    assert time.monotonic() - started < 5
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_ring_lost_in_a_garbage_collector_callback_is_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ring that lands in a garbage collector's callback, where CPython ignores the exception and reports it as
    "Exception ignored in ..." on stderr, is not reported while the limit runs (the next ring stops the block);
    what else goes unraisable meanwhile still is, and the hook is the caller's again afterwards."""
    import gc

    from publish.build import processes
    from publish.errors import RenderError

    reported: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda info: reported.append(info.exc_value))
    own = sys.unraisablehook
    slowed: list[bool] = []

    def slow_once(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and not slowed:
            slowed.append(True)
            time.sleep(3)  # the first ring lands here

    class Loud:
        def __del__(self) -> None:
            raise ValueError("not the limit's")

    gc.callbacks.append(slow_once)
    try:
        with pytest.raises(RenderError, match=r"longer than 0\.2 s"), processes.time_limit(0.2):
            gc.collect()
            Loud()
            time.sleep(10)
    finally:
        gc.callbacks.remove(slow_once)
    assert slowed == [True]
    assert len(reported) == 1 and isinstance(reported[0], ValueError)
    assert sys.unraisablehook is own


def test_the_time_limit_lets_the_blocks_cleanup_finish() -> None:
    """The limit's later rings never cut short what runs on the way out (a PDF's worker processes stopped and
    waited for, in a `finally`), even when it takes longer than the time between rings."""
    from publish.build import processes
    from publish.errors import RenderError

    cleaned = []
    with pytest.raises(RenderError, match=r"longer than 0\.2 s"), processes.time_limit(0.2):
        try:
            time.sleep(10)
        finally:
            time.sleep(processes.EXPIRED_AGAIN * 1.5)
            cleaned.append(True)
    assert cleaned == [True]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
