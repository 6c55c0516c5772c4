"""Batch builds: many inputs in a process pool, a bad one reported while the others are built, the same bytes as
single builds, a progress bar on a terminal and plain lines elsewhere."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

from publish.build.batch import BatchOptions, build_many, build_one
from publish.build.jobs import BuildOptions, build
from publish.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def _stories(folder: Path, count: int) -> list[str]:
    names = []
    for number in range(1, count + 1):
        path = folder / f"story-{number:02d}.md"
        path.write_text(f"---\ntitle: Story {number}\nlanguage: en\ndate: 2024-06-{number % 28 + 1:02d}\n---\n\n"
                        f"Paragraph one of story {number} says the harbour opened.\n\n"
                        f"## Later\n\nStory {number} ends with {number * 7} boats.\n")
        names.append(path.name)
    return names


def test_a_bad_input_is_reported_and_the_others_are_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PUBLISH_CACHE_DIR", "off")
    good = _stories(tmp_path, 4)
    Path("broken.md").write_text("---\ntitle: [unclosed\n---\n\nBody.\n")
    code = main(["build", good[0], good[1], "broken.md", good[2], good[3], "--to", "html,docx", "-j", "2",
                 "--out", "out"])
    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert [line for line in err if "error" in line] == [
        "publish: error: broken.md:2: front matter is not valid YAML: did not find expected ',' or ']'",
        f"publish: error: built 4 of 5 inputs (8 files) in {err[-1].split(' in ')[1].split(';')[0]}; "
        "1 failed: broken.md"]
    assert sorted(line.split(" (")[0] for line in err if line.startswith("wrote ")) == sorted(
        f"wrote out/{Path(name).stem}.{ext}" for name in good for ext in ("html", "docx"))
    assert sorted(p.name for p in Path("out").iterdir()) == sorted(
        f"{Path(name).stem}.{ext}" for name in good for ext in ("html", "docx"))  # no temporary file left


def test_a_batch_writes_the_same_bytes_as_single_builds(tmp_path: Path) -> None:
    environment = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "PUBLISH_CACHE_DIR": "off"}
    inputs = [str(SAMPLES / name) for name in ("feature-tour.md", "urdu-library.md", "morning-brief.yaml")]
    batch = subprocess.run([sys.executable, "-m", "publish", "build", *inputs, "--to", "html,docx,epub", "-j", "2",
                            "--out", str(tmp_path / "batch")], env=environment, capture_output=True, text=True,
                           timeout=600)
    assert batch.returncode == 0, batch.stderr
    assert batch.stderr.splitlines()[-1].startswith("publish: built 3 of 3 inputs (9 files) in ")
    for source in inputs:
        single = subprocess.run([sys.executable, "-m", "publish", "build", source, "--to", "html,docx,epub",
                                 "--out", str(tmp_path / "single")], env=environment, capture_output=True,
                                text=True, timeout=600)
        assert single.returncode == 0, single.stderr
    for path in (tmp_path / "single").iterdir():
        assert (tmp_path / "batch" / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.parametrize("jobs", [1, 2])
def test_recycled_workers_build_every_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    """Workers replaced after every two inputs still build each input once, reported in the order given (one
    worker too: Python 3.11's own max_tasks_per_child hung there)."""
    monkeypatch.chdir(tmp_path)
    names = _stories(tmp_path, 5)
    report = build_many(names, BuildOptions(formats=("epub",), out_dir=Path("out")),
                        BatchOptions(jobs=jobs, tasks_per_worker=2, use_cache=False))
    assert [outcome.source for outcome in report.outcomes] == [Path(name) for name in names]
    assert not report.failed and [w.path for w in report.written] == [Path("out") / f"{Path(n).stem}.epub"
                                                                       for n in names]


def test_the_same_file_twice_is_built_once_and_two_files_of_one_name_are_refused(tmp_path: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                                 capsys: pytest.CaptureFixture[str],
                                                                                 ) -> None:
    monkeypatch.chdir(tmp_path)
    (name,) = _stories(tmp_path, 1)
    assert main(["build", name, f"./{name}", "--to", "html", "--out", "out", "--no-cache", "--batch"]) == 0
    assert capsys.readouterr().err.count("wrote ") == 1
    Path("other").mkdir()
    (Path("other") / name).write_text("---\ntitle: Other\n---\n\nBody.\n")
    assert main(["build", name, f"other/{name}", "--to", "html", "--out", "out2", "--no-cache", "--batch"]) == 1
    assert capsys.readouterr().err == (f"publish: error: other/{name}: would write the same output files as "
                                       f"{name}; rename one of them\n")
    assert not Path("out2").exists()


def test_a_batch_of_one_collection_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "a.md", "b.md", "--collection", "Brief", "-j", "2"]) == 1
    assert capsys.readouterr().err == ("publish: error: --collection renders all inputs as one document; it cannot be "
                                       "built as a batch (--batch, -j, --scheduler)\n")


def test_a_killed_batch_leaves_no_worker_building(tmp_path: Path) -> None:
    """SIGKILL to the batch: its pool workers stop too (none goes on to write its input's files)."""
    slow = "---\ntitle: A Slow Page\n---\n\n" + ("*a* b " * 90 + "\n\n") * 60
    for number in range(4):
        (tmp_path / f"slow-{number}.md").write_text(slow)
    run = subprocess.Popen([sys.executable, "-m", "publish", "build", *(f"slow-{n}.md" for n in range(4)), "--to",
                            "pdf", "-j", "2", "--timeout", "0", "--no-cache"], cwd=tmp_path, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    deadline = time.monotonic() + 120
    while not _group_members(run.pid, working=True) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _group_members(run.pid, working=True), "no worker got under way"
    run.kill()
    run.wait()
    deadline = time.monotonic() + 30
    while _group_members(run.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _group_members(run.pid) == []
    # an input finished before the kill keeps its file; nothing is half written
    for written in (tmp_path / "out").iterdir() if (tmp_path / "out").exists() else ():
        if not written.name.endswith(".tmp"):
            data = written.read_bytes()
            assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), written.name


def _group_members(group: int, working: bool = False) -> list[int]:
    """Live processes of a process group (other than its leader), those with 1 s of CPU if `working`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == group:
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        if fields[0] != "Z" and int(fields[2]) == group and (cpu >= 1.0 or not working):
            found.append(int(entry.name))
    return found


def test_jobs_must_be_a_count(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["build", "a.md", "b.md", "-j", "0"])
    assert stopped.value.code == 2
    assert "argument -j/--jobs: '0' is not a number of processes (1 or more)" in capsys.readouterr().err


def test_a_terminal_sees_a_progress_bar_with_counts(tmp_path: Path) -> None:
    names = _stories(tmp_path, 3)
    leader, follower = pty.openpty()
    environment = {**os.environ, "PUBLISH_CACHE_DIR": "off", "COLUMNS": "100", "TERM": "xterm"}
    run = subprocess.Popen([sys.executable, "-m", "publish", "build", *names, "--to", "html", "-j", "2", "--out",
                            "out"], cwd=tmp_path, env=environment, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the build is over
            break
        if not chunk:
            break
        shown += chunk
    assert run.wait(timeout=120) == 0
    os.close(leader)
    text = shown.decode("utf-8", "replace")
    assert "3/3" in text and "building" in text  # the bar, with its counts
    assert "wrote " not in text  # on a terminal the bar replaces the per-file lines
    assert "publish: built 3 of 3 inputs (3 files)" in text


def test_the_warm_up_loads_what_every_worker_would_and_leaves_nothing(tmp_path: Path) -> None:
    """Before a pool forks its workers, the batch's process builds a small article (`warm_up`): the reader's and
    the backends' libraries, the compiled templates and the DOCX's styled template are loaded once, in it, for
    every worker. It writes nothing outside its temporary folder, keeps nothing in the cache, says nothing, and
    leaves WeasyPrint unloaded (a PDF is not built in a process that will fork)."""
    probe = """
import sys, tempfile
from pathlib import Path
from publish.build import batch, jobs
before = set(sys.modules)
batch.warm_up(jobs.BuildOptions(formats=("html", "pdf", "docx", "epub"), out_dir=Path("out")))
loaded = set(sys.modules) - before
print(sorted(name for name in ("docx", "ebooklib", "markdown_it", "langcodes", "jinja2", "weasyprint")
             if name in loaded))
from publish.backends.docx import styles
print(len(styles._styled))
print(list(Path(tempfile.gettempdir()).glob("publish-warm-up-*")))
"""
    environment = {**os.environ, "PUBLISH_CACHE_DIR": str(tmp_path / "cache"), "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["['docx', 'ebooklib', 'jinja2', 'langcodes', 'markdown_it']", "1", "[]"]
    assert done.stderr == ""
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "cache").exists() or not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


def _dead_pid() -> int:
    """The id of a process that has ended (reaped, so no process has it for a while)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(done.stdout)


def test_a_batch_removes_what_killed_builds_left_in_its_folder_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   ) -> None:
    """A killed build's temporary files (".NAME.PID.XXXX.tmp", its process gone) in the output folder are removed
    by the batch, whatever output they were for; a running build's, and other files, are left. The batch lists the
    folder once, before its workers start, and a worker's build of one input does not list it again: a listing per
    input made a batch's time grow with the square of its inputs (2 ms a listing of 3,000 outputs)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PUBLISH_CACHE_DIR", "off")
    names = _stories(tmp_path, 3)
    out = tmp_path / "out"
    out.mkdir()
    dead, alive = _dead_pid(), os.getpid()
    stale = [f".story-01.html.{dead}.abc123.tmp", f".an.older.story.docx.{dead}.x_y9.tmp"]
    kept = [f".story-02.html.{alive}.k2j3.tmp", ".notes.tmp", f".story-03.html.{dead}.tmp", "story-09.html"]
    for name in (*stale, *kept):
        (out / name).write_text("left")
    options = BuildOptions(formats=("html",), out_dir=out)
    report = build_many(names, options, BatchOptions(jobs=1))
    assert not report.failed
    assert sorted(p.name for p in out.iterdir()) == sorted([*kept, "story-01.html", "story-02.html", "story-03.html"])

    left = out / f".story-01.html.{dead}.def456.tmp"  # as if left after the batch's sweep
    left.write_text("left")
    assert not build_one(names[0], options).error  # what a worker runs: the batch swept its folder
    assert left.exists()
    build([Path(names[0])], options)  # a build of its own sweeps its targets' folder
    assert not left.exists()


def test_a_single_build_removes_only_its_targets_leftovers(tmp_path: Path) -> None:
    from publish.build.jobs import remove_stale

    dead = _dead_pid()
    for name in (f".a.b.html.{dead}.q1.tmp", f".c.html.{dead}.q2.tmp", f".a.b.html.{os.getpid()}.q3.tmp"):
        (tmp_path / name).write_text("left")
    remove_stale(tmp_path, {"a.b.html"})
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".a.b.html.{os.getpid()}.q3.tmp", f".c.html.{dead}.q2.tmp"]
    remove_stale(tmp_path / "missing")  # no folder: nothing to do, no error
