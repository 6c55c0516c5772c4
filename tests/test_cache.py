"""The per-user cache: compiled templates and parsed hyphenation patterns are reused, and never required."""

from __future__ import annotations

import json
import marshal
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pyphen
import pytest

from publish.build import cache
from publish.present import templating

ROOT = Path(__file__).resolve().parent.parent


def _build(tmp_path: Path, cache_dir: str, out: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PUBLISH_CACHE_DIR": cache_dir, "SOURCE_DATE_EPOCH": "1700000000"}
    return subprocess.run([sys.executable, "-m", "publish", "build", str(ROOT / "samples" / "dar-bishkek.txt"),
                           "--to", "html,pdf", "--out", str(tmp_path / out)], env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_second_build_uses_the_cache_and_writes_the_same_files(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    assert _build(tmp_path, str(cache_dir), "first").returncode == 0
    templates = list(cache_dir.glob("templates-*/*.code"))
    patterns = list(cache_dir.glob("hyphenation-*/en*.json"))
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
    entry = next(tmp_path.glob("hyphenation-*/de*.json"))
    first = pyphen.hdcache.pop(dictionary)
    cache.load_hyphenation({"de"})
    second = pyphen.hdcache[dictionary]
    assert first is not second and second.patterns == first.patterns  # the same patterns, read back
    assert pyphen.Pyphen(lang="de").inserted("Zeitungsartikel") == "Zei-tungs-ar-ti-kel"
    entry.write_bytes(b"not JSON")  # a damaged entry is parsed again, not trusted
    pyphen.hdcache.pop(dictionary)
    cache.load_hyphenation({"de"})
    assert pyphen.hdcache[dictionary].patterns == first.patterns


def _plant(cache_dir: Path, marker: Path) -> None:
    """Replace every entry of a filled cache with one that would run code if it were loaded: compiled template code
    with a forged signature, and a pickle where the hyphenation patterns were."""
    code = compile(f"open({str(marker)!r}, 'w').write('ran')", "<planted>", "exec")
    for entry in cache_dir.glob("templates-*/*.code"):
        data = entry.read_bytes()
        entry.write_bytes(data[:23] + bytes(32) + marshal.dumps(code))  # the cache's header, a wrong signature
    payload = pickle.dumps(_Planted(str(marker)))
    for entry in cache_dir.glob("hyphenation-*/*.json"):
        entry.write_bytes(payload)
        entry.with_suffix(".pickle").write_bytes(payload)  # where the cache once kept them


class _Planted:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, (f"open({self.marker!r}, 'w').write('ran')",))


def test_a_planted_entry_never_runs(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    assert _build(tmp_path, str(cache_dir), "first").returncode == 0
    marker = tmp_path / "ran"
    _plant(cache_dir, marker)
    assert list(cache_dir.glob("templates-*/*.code")) and list(cache_dir.glob("hyphenation-*/*.json"))
    done = _build(tmp_path, str(cache_dir), "second")
    assert done.returncode == 0 and done.stderr.count("wrote") == 2 and "publish:" not in done.stderr
    assert not marker.exists()
    for name in ("dar-bishkek.html", "dar-bishkek.pdf"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()


@pytest.mark.parametrize("signed", [False, True], ids=["forged signature", "the cache's own signature"])
def test_only_code_the_cache_signed_is_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signed: bool) -> None:
    """Planted template code is loaded only with the cache's own signature (so the test above can fail)."""
    import jinja2

    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(tmp_path / "cache"))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.html").write_text("<p>{{ words }}</p>", encoding="utf-8")
    bytecode = templating.template_cache()
    assert bytecode is not None
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(templates), bytecode_cache=bytecode,
                                     autoescape=True)
    assert environment.get_template("page.html").render(words="kept") == "<p>kept</p>"
    source, filename, _ = environment.loader.get_source(environment, "page.html")  # type: ignore[union-attr]
    bucket = bytecode.get_bucket(environment, "page.html", filename, source)
    entry, context = bytecode._entry(bucket)
    assert entry.is_file()
    planted = marshal.dumps(environment.compile("planted", name="page.html", filename=filename))
    if signed:
        cache.write_signed(entry, context, planted)
    else:
        entry.write_bytes(entry.read_bytes()[:55] + planted)  # the genuine header and signature, other code
    environment.cache = None  # type: ignore[assignment]  # forget the compiled template: load it from the cache
    assert environment.get_template("page.html").render(words="kept") == ("planted" if signed else "<p>kept</p>")


@pytest.mark.parametrize("damage", ["truncated", "wrong type", "bad signature", "empty"])
def test_a_damaged_entry_is_a_miss(tmp_path: Path, damage: str) -> None:
    cache_dir = tmp_path / "cache"
    assert _build(tmp_path, str(cache_dir), "first").returncode == 0
    entries = [*cache_dir.glob("templates-*/*.code"), *cache_dir.glob("hyphenation-*/*.json")]
    for entry in entries:
        data = entry.read_bytes()
        if damage == "truncated":
            entry.write_bytes(data[: len(data) // 2])
        elif damage == "wrong type":
            entry.write_bytes(json.dumps({"maxlen": "four", "patterns": [["ab", 0, ["x"]]]}).encode()
                              if entry.suffix == ".json" else data[:55] + marshal.dumps(["not", "code"]))
        elif damage == "bad signature":
            entry.write_bytes(data[:30] + bytes([data[30] ^ 1]) + data[31:])
        else:
            entry.write_bytes(b"")
    done = _build(tmp_path, str(cache_dir), "second")
    assert done.returncode == 0 and done.stderr.count("wrote") == 2 and "publish:" not in done.stderr
    for name in ("dar-bishkek.html", "dar-bishkek.pdf"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()


@pytest.mark.parametrize("unsafe", ["writable by other users", "owned by another user"])
def test_an_unsafe_cache_folder_is_ignored_with_one_warning(tmp_path: Path, unsafe: str) -> None:
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    if unsafe == "writable by other users":
        cache_dir.chmod(0o777)
    else:
        if os.geteuid() != 0:
            pytest.skip("only root can give a folder to another user")
        shutil.chown(cache_dir, "nobody")
        cache_dir.chmod(0o755)
    done = _build(tmp_path, str(cache_dir), "out")
    assert done.returncode == 0 and done.stderr.count("wrote") == 2
    assert [line for line in done.stderr.splitlines() if not line.startswith("wrote ")] == [
        f"publish: warning: the cache folder {cache_dir} is {unsafe}, so it is not used (an entry planted there "
        "could run code); make it yours and private (chmod go-w), or point PUBLISH_CACHE_DIR elsewhere"]
    assert list(cache_dir.iterdir()) == []
