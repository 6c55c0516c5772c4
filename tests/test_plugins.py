"""Plugins: a package installed beside publish adds a reader, a backend and a theme through entry points, and the
command line and the API use them; a plugin loads only when used. (A plugin that clashes with another, or cannot
be loaded: tests/test_bad_inputs_api.py.)

The example package (tests/plugin_example) is built and installed with pip into a folder of the test's own, offline
(`--no-index --no-build-isolation`: its build backend, flit_core, is in the test extra), and that folder is put on
PYTHONPATH for a real `python -m publish` process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cached

EXAMPLE = Path(__file__).parent / "plugin_example"
SAMPLES = Path(__file__).resolve().parent.parent / "samples"
NOTE = "Harbour reopens after the storm\n\nThe harbour reopened on Tuesday\nafter three days of gales.\n\n" \
       "Fishing boats returned at dawn, and the ferry ran on time.\n"


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
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("__pycache__"))  # build outside the repository
    return _install(source, tmp_path_factory.mktemp("site"))


def _publish(args: list[str], cwd: Path, *paths: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in paths)}
    return subprocess.run([sys.executable, "-m", "publish", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_a_plugin_reader_backend_and_theme_build_from_the_command_line(plugin_path: Path, tmp_path: Path) -> None:
    (tmp_path / "harbour.note").write_text(NOTE, encoding="utf-8")
    done = _publish(["build", "harbour.note", "--to", "plaintext,html", "--theme", "example-theme", "--check"],
                    tmp_path, plugin_path)
    assert done.returncode == 0, done.stdout + done.stderr
    # --check validates the HTML and says, in one line, that nothing checks the plugin's format
    assert "ok     out/harbour.html: all 26 words in order" in done.stdout
    assert "publish: warning: out/harbour.txt: not checked: publish checks .html, .pdf, .docx, .epub, .json files" \
        in done.stderr.splitlines()
    assert (tmp_path / "out" / "harbour.txt").read_text(encoding="utf-8") == (
        "Harbour reopens after the storm\n\nThe harbour reopened on Tuesday after three days of gales.\n\n"
        "Fishing boats returned at dawn, and the ferry ran on time.\n")
    html = (tmp_path / "out" / "harbour.html").read_text(encoding="utf-8")
    assert "<h1" in html and "Harbour reopens after the storm</h1>" in html
    assert "#0b6e4f" in html  # the plugin theme's green, which no built-in theme uses
    assert "Press brief" in html  # ...over the brief it extends, found by name from inside the plugin's theme
    # every word of the note is in the HTML, checked by publish check with the note read by the plugin's reader
    checked = _publish(["check", "out/harbour.html", "--source", "harbour.note", "--skip", "html-checker"], tmp_path,
                       plugin_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_formats_and_themes_list_what_plugins_add(plugin_path: Path, tmp_path: Path) -> None:
    formats = _publish(["formats"], tmp_path, plugin_path)
    assert formats.returncode == 0, formats.stderr
    rows = {line.split()[0]: line for line in formats.stdout.splitlines() if line.startswith("  ")}
    assert rows["note"].split()[1] == ".note" and rows["note"].endswith("from publish-note-example")
    assert "the first line is the headline" in rows["note"]
    assert rows["plaintext"].split()[1] == ".txt" and rows["plaintext"].endswith("from publish-note-example")
    assert rows["markdown"].endswith("from publish") and rows["pdf"].endswith("from publish")
    assert formats.stdout.index("plaintext") > formats.stdout.index("Output formats")
    themes = _publish(["themes"], tmp_path, plugin_path)
    assert themes.returncode == 0, themes.stderr
    listed = {line.split()[0]: line for line in themes.stdout.splitlines() if line.strip()}
    assert list(listed) == ["brief", "default", "digest", "example-theme"]
    assert listed["example-theme"].endswith("the press brief in green. (from publish-note-example)")


def test_unknown_formats_name_the_plugins_formats_too(plugin_path: Path, tmp_path: Path) -> None:
    (tmp_path / "harbour.note").write_text(NOTE, encoding="utf-8")
    (tmp_path / "harbour.odt").write_text(NOTE, encoding="utf-8")
    done = _publish(["build", "harbour.note", "--to", "odt"], tmp_path, plugin_path)
    assert (done.returncode, done.stderr) == (
        1, "publish: error: unknown output format 'odt'; known: html, pdf, docx, epub, md, ninjs, plaintext\n")
    done = _publish(["build", "harbour.odt"], tmp_path, plugin_path)
    assert (done.returncode, done.stderr) == (
        1, "publish: error: harbour.odt: cannot tell the input format from the extension '.odt'; use --from "
           "scraped|markdown|json|html|feed|ninjs|docx|note or one of .txt, .text, .md, .markdown, .json, .html, .htm, "
           ".rss, .atom, .xml, .docx, .docm, .dotx, .doc, .note\n")
    done = _publish(["build", "harbour.note", "--theme", "nope"], tmp_path, plugin_path)
    assert (done.returncode, done.stderr) == (
        1, "publish: error: unknown theme 'nope'; built-in themes: brief, default, digest; plugin themes: "
           "example-theme (or give a folder holding a theme.toml)\n")


def test_a_plugin_is_imported_only_when_its_format_is_used(plugin_path: Path, tmp_path: Path) -> None:
    (tmp_path / "harbour.note").write_text(NOTE, encoding="utf-8")
    probe = ("import sys, publish\n"
             "def loaded(): return sorted(m for m in sys.modules if m.startswith('publish_note_example'))\n"
             f"publish.build([{str(SAMPLES / 'feature-tour.md')!r}], 'html', 'out')\n"
             "print(loaded())\n"
             "publish.read('harbour.note')\n"
             "print(loaded())\n")
    # a cache of its own: a note read before comes from the cache, without its reader
    env = {**os.environ, "PYTHONPATH": str(plugin_path), "PUBLISH_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    # building Markdown to HTML loads the plugin's specs (to know every reader's extensions), never its reader
    # or backend; reading a note loads its reader, still not the backend
    assert done.stdout.splitlines() == ["['publish_note_example']",
                                        "['publish_note_example', 'publish_note_example.reader']"]


def test_the_entry_points_kept_in_the_cache_follow_the_installed_packages(plugin_path: Path, tmp_path: Path) -> None:
    """The table of publish's entry points comes from the cache while no package's metadata on the import path
    changed; a package added, or its entry_points.txt edited in place, is seen on the next run."""
    site = tmp_path / "site"
    shutil.copytree(plugin_path, site)
    env = {**os.environ, "PYTHONPATH": str(site), "PUBLISH_CACHE_DIR": str(tmp_path / "cache")}

    def names() -> list[str]:
        probe = "from publish import plugins; print(*sorted(p.name for p in plugins.plugins('publish.backends')))"
        done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert names() == names() == ["plaintext"]  # read, then from the cache
    assert cached.entries(tmp_path / "cache", "plugins")
    (listing,) = site.glob("*.dist-info/entry_points.txt")
    listing.write_text(listing.read_text(encoding="utf-8").replace("plaintext=", "plain-words="), encoding="utf-8")
    assert names() == ["plain-words"]
    shutil.rmtree(next(site.glob("*.dist-info")))
    assert names() == []
