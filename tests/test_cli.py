"""The command line: one clear line and a non-zero exit for every user mistake, no traceback, no partial output."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from publish import __version__
from publish.cli import main

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _bad_inputs(folder: Path) -> dict[str, tuple[list[str], str]]:
    (folder / "empty.txt").write_text("")
    (folder / "blank.md").write_text("  \n\n")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "latin1.txt").write_bytes("Headline\n\nCaf\xe9 society.\n".encode("latin-1"))
    (folder / "broken.md").write_text("---\ntitle: Fine\nauthor: [unclosed\n---\n\nBody.\n")
    (folder / "listy.md").write_text("---\n- a\n---\n\nBody.\n")
    (folder / "noimage.md").write_text("---\ntitle: T\n---\n\n![A photo](missing.png)\n")
    (folder / "ok.md").write_text("---\ntitle: T\n---\n\nBody.\n")
    (folder / "ok.odt").write_text("Headline\n\nBody text.\n")
    return {
        "missing": (["missing.txt"], "missing.txt: no such file"),
        "empty": (["empty.txt"], "empty.txt: is empty"),
        "blank": (["blank.md"], "blank.md: is empty"),
        "binary": (["binary.txt"], "binary.txt:3: is a binary file"),
        "latin1": (["latin1.txt"], "latin1.txt:3: is not UTF-8 text"),
        "broken front matter": (["broken.md"], "broken.md:3: front matter is not valid YAML"),
        "front matter list": (["listy.md"], "listy.md:1: front matter must be a mapping"),
        "missing image": (["noimage.md"], "noimage.md: image 'missing.png' not found"),
        "unknown format": (["ok.md", "--to", "odt"], "unknown output format 'odt'; known: html, pdf, docx, epub, md"),
        "unknown extension": (["ok.odt"], "ok.odt: cannot tell the input format"),
        "folder": (["."], ".: is a folder"),
    }


BAD_CASES = ["missing", "empty", "blank", "binary", "latin1", "broken front matter", "front matter list",
             "missing image", "unknown format", "unknown extension", "folder"]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_is_one_line_and_no_output(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    args, message = _bad_inputs(tmp_path)[case]
    code = main(["build", *args, "--out", "out"])
    err = capsys.readouterr().err
    assert code == 1
    assert len(err.splitlines()) == 1 and err.startswith(f"publish: error: {message}"), err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_real_process_shows_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "broken.md").write_text("---\ntitle: [x\n---\n")
    done = subprocess.run([sys.executable, "-m", "publish", "build", "broken.md"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("publish: error: broken.md:") and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_failed_build_keeps_the_earlier_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("story.md").write_text("---\ntitle: First\n---\n\nBody.\n")
    assert main(["build", "story.md", "--to", "html"]) == 0
    before = Path("out/story.html").read_bytes()
    Path("story.md").write_text("---\ntitle: [broken\n---\n\nBody.\n")
    assert main(["build", "story.md", "--to", "html"]) == 1
    assert Path("out/story.html").read_bytes() == before
    assert [p.name for p in Path("out").iterdir()] == ["story.html"]  # no temporary file left behind


def test_build_reports_each_file_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(SAMPLES / "feature-tour.md"), "--to", "html,pdf", "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" (")[0] for line in lines] == [f"wrote {tmp_path / 'feature-tour.html'}",
                                                       f"wrote {tmp_path / 'feature-tour.pdf'}"]
    assert (tmp_path / "feature-tour.pdf").read_bytes().startswith(b"%PDF-")


def test_inspect_prints_the_model_and_the_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "a.md"
    source.write_text("---\ntitle: T\nflavour: mint\n---\n\nBody.\n")
    assert main(["inspect", str(source)]) == 0
    out = capsys.readouterr()
    data = json.loads(out.out)
    assert data["meta"]["headline"] == "T" and data["blocks"] == [
        {"type": "paragraph", "content": [{"type": "text", "text": "Body."}]}]
    assert f"{source}:3: dropped (front matter key publish does not use): 'flavour: mint'" in out.err


def test_inspect_output_builds_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(SAMPLES / "feature-tour.md")]) == 0
    (tmp_path / "tour.json").write_text(capsys.readouterr().out)
    assert main(["build", str(tmp_path / "tour.json"), "--to", "html", "--out", str(tmp_path / "o")]) == 1
    # the JSON sits outside the samples folder, so its relative images are (rightly) not found there
    assert "image 'ferry-icon.png' not found" in capsys.readouterr().err  # the tour's first image, inline


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.strip() == f"publish {__version__}"
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    assert "--to FORMATS" in capsys.readouterr().out


def test_weasyprint_is_imported_only_for_a_pdf(tmp_path: Path) -> None:
    probe = ("import sys; from publish.cli import main; code = main(sys.argv[1:]); "
             "print(code, 'weasyprint' in sys.modules)")
    args = [str(SAMPLES / "feature-tour.md"), "--out", str(tmp_path)]
    without = subprocess.run([sys.executable, "-c", probe, "build", *args, "--to", "html,docx,epub"],
                             capture_output=True, text=True, timeout=120)
    assert without.stdout.split() == ["0", "False"], without.stderr
    with_pdf = subprocess.run([sys.executable, "-c", probe, "build", *args, "--to", "pdf"],
                              capture_output=True, text=True, timeout=120)
    assert with_pdf.stdout.split() == ["0", "True"], with_pdf.stderr


def test_errors_keep_file_and_line_across_processes() -> None:
    from publish.errors import InputError

    error = pickle.loads(pickle.dumps(InputError("front matter is not valid YAML", path="a.md", line=3)))
    assert isinstance(error, InputError) and str(error) == "a.md:3: front matter is not valid YAML"


def test_parallel_pdf_matches_a_pdf_built_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # font subsetting may otherwise stamp the time
    source = str(SAMPLES / "feature-tour.md")
    assert main(["build", source, "--to", "pdf", "--out", str(tmp_path / "alone")]) == 0
    assert main(["build", source, "--to", "html,pdf,docx", "--out", str(tmp_path / "together")]) == 0
    assert (tmp_path / "alone" / "feature-tour.pdf").read_bytes() == (tmp_path / "together" / "feature-tour.pdf"
                                                                      ).read_bytes()


@pytest.mark.parametrize(("argv", "code"), [(["formats"], 0), (["build", "missing.md"], 1)])
def test_the_command_ends_at_once_yet_runs_exit_handlers_and_flushes_its_output(tmp_path: Path, argv: list[str],
                                                                                code: int) -> None:
    """`publish` (cli.run) skips Python's teardown, not what a normal exit does for others: the exit code, every
    line written to a pipe, the exit handlers (multiprocessing's, logging's, a temporary folder's) run once."""
    program = ("import atexit, sys, tempfile\n"
               "from publish.cli import run\n"
               f"folder = tempfile.TemporaryDirectory(dir={str(tmp_path)!r})\n"
               "atexit.register(lambda: print('handler ran', flush=True))\n"
               f"sys.argv = ['publish', *{argv!r}]\n"
               "run()\n")
    done = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == code, done.stderr
    assert done.stdout.count("handler ran") == 1 and done.stdout.rstrip().endswith("handler ran")
    if code == 0:
        assert "Input formats" in done.stdout and "Output formats" in done.stdout
    else:
        assert done.stderr.strip() == "publish: error: missing.md: no such file"
    assert list(tmp_path.iterdir()) == [], "the temporary folder is removed at exit"


def test_the_command_under_a_profiler_exits_as_usual_so_that_the_profile_is_written(tmp_path: Path) -> None:
    profile = tmp_path / "formats.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "publish", "formats"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    import pstats

    assert any(name == "main" and file.endswith("cli.py") for file, _, name in pstats.Stats(str(profile)).stats)
