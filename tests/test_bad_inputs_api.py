"""Bad inputs from the plugin environment, in the catalogue's style (tests/test_bad_inputs.py): a plugin package
that claims a name or extension publish or another plugin has, names an object of the wrong kind, or cannot be
imported. Each is one exact line naming both sides, exit 1, and no output: earlier outputs are left as they were.

The example plugin (tests/plugin_example) and a clashing package made here are installed with pip into the test's
folders, offline, and put on PYTHONPATH for a real `python -m publish` process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parent / "plugin_example"
EARLIER = b"an earlier, good output that a failed build must leave alone\n"
NOTE = "Harbour reopens after the storm\n\nThe harbour reopened on Tuesday.\n"
SPECS = (
    '"""Specs that clash with those of publish and of the example plugin."""\n'
    "from publish import BackendSpec, ReaderSpec\n"
    'MARKDOWN = ReaderSpec("markdown", (".mdown",), "publish_clash", "another Markdown")\n'
    'WIKI = ReaderSpec("wiki", (".wiki", ".md"), "publish_clash", "wiki text")\n'
    'MEMO = ReaderSpec("memo", (".note",), "publish_clash", "memos")\n'
    'PLAINTEXT = BackendSpec("plaintext", ".text", "publish_clash", "more plain text")\n'
    'WEB = BackendSpec("web", ".html", "publish_clash", "another HTML")\n'
    'ODD = ReaderSpec("odd", ("Note",), "publish_clash", "odd notes")\n')


def _install(package: Path, target: Path) -> Path:
    """pip-install a package folder into `target` (no index, no build isolation, no dependencies)."""
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "--no-deps", "--no-index", "--no-build-isolation", "--target", str(target), str(package)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return target


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "plugin_example"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("__pycache__"))
    return _install(source, tmp_path_factory.mktemp("site"))


@dataclass(frozen=True, slots=True)
class Case:
    """A clashing plugin and exactly what publish must print."""

    entry_points: str
    """The clashing package's entry point tables."""
    message: str
    """The exact line after "publish: error: "."""
    formats: str = "html"
    """--to for the build (a backend's spec loads when its format is asked for)."""
    listing: str = "formats"
    """The listing command that must report it too."""


CATALOGUE = {
    "a reader's name": Case(
        '[project.entry-points."publish.readers"]\nmarkdown = "publish_clash:MARKDOWN"\n',
        "reader 'markdown' is registered twice: built into publish, and by plugin 'markdown' from package "
        "publish-clash (publish_clash:MARKDOWN)"),
    "a reader's extension": Case(
        '[project.entry-points."publish.readers"]\nwiki = "publish_clash:WIKI"\n',
        "extension .md is claimed by readers 'markdown' (publish) and 'wiki' (publish-clash)"),
    "an extension between plugins": Case(
        '[project.entry-points."publish.readers"]\nmemo = "publish_clash:MEMO"\n',
        "extension .note is claimed by readers 'memo' (publish-clash) and 'note' (publish-note-example)"),
    "a backend's name": Case(
        '[project.entry-points."publish.backends"]\nplaintext = "publish_clash:PLAINTEXT"\n',
        "backend 'plaintext' is registered twice: by plugin 'plaintext' from package publish-clash "
        "(publish_clash:PLAINTEXT), and by plugin 'plaintext' from package publish-note-example "
        "(publish_note_example:BACKEND)"),
    "a backend's extension": Case(
        '[project.entry-points."publish.backends"]\nweb = "publish_clash:WEB"\n',
        "extension .html is claimed by backends 'html' (publish) and 'web' (publish-clash)", formats="web"),
    "a theme's name": Case(
        '[project.entry-points."publish.themes"]\nbrief = "publish_clash"\n',
        "theme 'brief' is registered twice: built into publish, and by plugin 'brief' from package publish-clash "
        "(publish_clash)", listing="themes"),
    "a spec of the wrong kind": Case(
        '[project.entry-points."publish.readers"]\nweb = "publish_clash:WEB"\n',
        "plugin 'web' from package publish-clash (publish_clash:WEB) names a BackendSpec, not a ReaderSpec"),
    "an extension without its dot": Case(
        '[project.entry-points."publish.readers"]\nodd = "publish_clash:ODD"\n',
        "plugin 'odd' from package publish-clash (publish_clash:ODD) claims the extension 'Note'; write extensions "
        "in lower case with the dot, such as '.note'"),
    "a module that is not there": Case(
        '[project.entry-points."publish.readers"]\ngone = "publish_gone:READER"\n',
        "plugin 'gone' (publish.readers = 'publish_gone:READER', package publish-clash) cannot be loaded: "
        "ModuleNotFoundError: No module named 'publish_gone'"),
}


@pytest.mark.parametrize("name", CATALOGUE)
def test_a_clashing_plugin(name: str, plugin_path: Path, tmp_path: Path) -> None:
    case = CATALOGUE[name]
    package = tmp_path / "clash"
    (package / "publish_clash").mkdir(parents=True)
    (package / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["flit_core>=3.4,<5"]\nbuild-backend = "flit_core.buildapi"\n\n'
        '[project]\nname = "publish-clash"\nversion = "1.0"\ndescription = "Clashes with others."\n\n'
        + case.entry_points, encoding="utf-8")
    (package / "publish_clash" / "__init__.py").write_text(SPECS, encoding="utf-8")
    (package / "publish_clash" / "theme.toml").write_text('[theme]\nname = "brief"\n', encoding="utf-8")
    clash = _install(package, tmp_path / "site")
    (tmp_path / "harbour.note").write_text(NOTE, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    earlier = {out / "harbour.html": EARLIER, out / "harbour.txt": EARLIER}  # what a build here could write
    for path, data in earlier.items():
        path.write_bytes(data)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(plugin_path), str(clash)))}
    for args in ([case.listing], ["build", "harbour.note", "--to", case.formats, "--out", "out"]):
        done = subprocess.run([sys.executable, "-m", "publish", *args], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=300)
        assert (done.returncode, done.stderr) == (1, f"publish: error: {case.message}\n"), args
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in earlier)
    assert all(path.read_bytes() == EARLIER for path in earlier)
