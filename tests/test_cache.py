"""The per-user cache: compiled templates and parsed hyphenation patterns are reused, and never required."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyphen
import pytest

from publish import cache

ROOT = Path(__file__).resolve().parent.parent


def _build(tmp_path: Path, cache_dir: str, out: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PUBLISH_CACHE_DIR": cache_dir, "SOURCE_DATE_EPOCH": "1700000000"}
    return subprocess.run([sys.executable, "-m", "publish", "build", str(ROOT / "samples" / "dar-bishkek.txt"),
                           "--to", "html,pdf", "--out", str(tmp_path / out)], env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_second_build_uses_the_cache_and_writes_the_same_files(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    assert _build(tmp_path, str(cache_dir), "first").returncode == 0
    templates = list(cache_dir.glob("templates-*/__jinja2_*"))
    patterns = list(cache_dir.glob("hyphenation-*/en*.pickle"))
    assert templates and patterns
    stamps = {p: p.stat().st_mtime_ns for p in [*templates, *patterns]}
    assert _build(tmp_path, str(cache_dir), "second").returncode == 0
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # read, not written again
    for name in ("dar-bishkek.html", "dar-bishkek.pdf"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()


def test_no_cache_when_turned_off_or_unwritable(tmp_path: Path) -> None:
    assert _build(tmp_path, "off", "off").returncode == 0
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")  # a cache "folder" that is a file: nothing can be created under it
    done = _build(tmp_path, str(blocked), "blocked")
    assert done.returncode == 0 and done.stderr.count("wrote") == 2 and "Traceback" not in done.stderr


def test_hyphenation_patterns_load_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(tmp_path))
    dictionary = Path(pyphen.LANGUAGES[pyphen.language_fallback("de")])
    monkeypatch.delitem(pyphen.hdcache, dictionary, raising=False)
    cache.load_hyphenation({"de"})
    entry = next(tmp_path.glob("hyphenation-*/de*.pickle"))
    first = pyphen.hdcache.pop(dictionary)
    cache.load_hyphenation({"de"})
    second = pyphen.hdcache[dictionary]
    assert first is not second and second.patterns == first.patterns  # the same patterns, read back
    assert pyphen.Pyphen(lang="de").inserted("Zeitungsartikel") == "Zei-tungs-ar-ti-kel"
    entry.write_bytes(b"not a pickle")  # a damaged entry is parsed again, not trusted
    pyphen.hdcache.pop(dictionary)
    cache.load_hyphenation({"de"})
    assert pyphen.hdcache[dictionary].patterns == first.patterns
