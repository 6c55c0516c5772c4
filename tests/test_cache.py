"""The per-user cache: compiled templates and parsed hyphenation patterns are reused, and never required; the
built-in templates' compiled code is kept beside them."""

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
    """Build the sample's HTML and PDF with a user's template folder, whose compiled code the cache keeps (the
    built-in templates' is kept beside them): it overrides the article partial with one extending the built-in."""
    override = tmp_path / "user-templates" / "partials"
    override.mkdir(parents=True, exist_ok=True)
    (override / "article.html.j2").write_text('{% extends "builtin/partials/article.html.j2" %}\n', encoding="utf-8")
    env = {**os.environ, "PUBLISH_CACHE_DIR": cache_dir, "SOURCE_DATE_EPOCH": "1700000000"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the built-in templates compiled beside them if they are not yet
    return subprocess.run([sys.executable, "-m", "publish", "build", str(ROOT / "samples" / "dar-bishkek.txt"),
                           "--to", "html,pdf", "--templates", str(override.parent), "--out", str(tmp_path / out)],
                          env=env, capture_output=True, text=True, timeout=120)


def test_a_second_build_uses_the_cache_and_writes_the_same_files(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    assert _build(tmp_path, str(cache_dir), "first").returncode == 0
    templates = list(cache_dir.glob("templates-*/*.code"))
    patterns = list(cache_dir.glob("hyphenation-*/en*.json"))
    assert len(templates) == 1 and patterns  # the user's template; the built-in ones are compiled beside them
    beside = ROOT / "templates" / templating.BESIDE
    assert {"partials/article.html.j2", "print.css.j2"} <= {_compiled_template(p) for p in beside.glob("*.j2c")}
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


def _compiled_template(compiled: Path) -> str:
    """The name a compiled file beside the built-in templates was compiled from (its code's file name)."""
    import jinja2

    bucket = jinja2.bccache.Bucket(jinja2.Environment(), "", "")
    with compiled.open("rb") as handle:
        handle.read(len(jinja2.bccache.bc_magic))
        pickle.load(handle)  # the source's checksum
        bucket.code = marshal.load(handle)
    assert bucket.code is not None
    return Path(bucket.code.co_filename).relative_to(ROOT / "templates").as_posix()


def _environment(builtin: Path) -> tuple[object, templating.TemplateCache]:
    import jinja2

    bytecode = templating.TemplateCache(cache.folder("templates"), builtin)
    return jinja2.Environment(loader=jinja2.FileSystemLoader(builtin), bytecode_cache=bytecode,
                              autoescape=True), bytecode


def test_built_in_templates_are_compiled_beside_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A built-in template's code is written beside it, and loaded from there by a build with a new cache folder
    (planted code with Jinja2's genuine header runs, so the file is what is loaded), unless the file or its folder
    is writable by others; a template changed since is compiled again."""
    import jinja2

    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    builtin = tmp_path / "builtin"
    builtin.mkdir()
    (builtin / "page.html").write_text("<p>{{ words }}</p>", encoding="utf-8")
    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(tmp_path / "first-cache"))
    environment, bytecode = _environment(builtin)
    assert isinstance(environment, jinja2.Environment)
    assert environment.get_template("page.html").render(words="kept") == "<p>kept</p>"
    compiled = list((builtin / templating.BESIDE).glob("*.j2c"))
    assert len(compiled) == 1 and not list(tmp_path.glob("first-cache/templates-*/*.code"))
    assert compiled[0].stat().st_mode & 0o777 == 0o644
    source, filename, _ = environment.loader.get_source(environment, "page.html")  # type: ignore[union-attr]
    bucket = bytecode.get_bucket(environment, "page.html", filename, source)
    assert bucket.code is not None  # read back from beside the template
    bucket.code = environment.compile("planted", name="page.html", filename=filename)
    compiled[0].write_bytes(bucket.bytecode_to_string())

    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(tmp_path / "second-cache"))
    environment, _ = _environment(builtin)
    assert isinstance(environment, jinja2.Environment)
    assert environment.get_template("page.html").render(words="kept") == "planted"

    compiled[0].chmod(0o664)  # writable by its group: not trusted, compiled again and written anew
    environment, _ = _environment(builtin)
    assert isinstance(environment, jinja2.Environment)
    assert environment.get_template("page.html").render(words="kept") == "<p>kept</p>"
    assert compiled[0].stat().st_mode & 0o777 == 0o644

    (builtin / "page.html").write_text("<p>{{ words }}!</p>", encoding="utf-8")  # changed since it was compiled
    environment, _ = _environment(builtin)
    assert isinstance(environment, jinja2.Environment)
    assert environment.get_template("page.html").render(words="new") == "<p>new!</p>"
    assert len(list((builtin / templating.BESIDE).glob("*.j2c"))) == 1


@pytest.mark.parametrize("why", ["a file in the way", "PYTHONDONTWRITEBYTECODE"])
def test_built_in_templates_not_written_beside_them_are_kept_in_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, why: str) -> None:
    import jinja2

    monkeypatch.setattr(sys, "dont_write_bytecode", why == "PYTHONDONTWRITEBYTECODE")
    builtin = tmp_path / "builtin"
    builtin.mkdir()
    (builtin / "page.html").write_text("<p>{{ words }}</p>", encoding="utf-8")
    if why == "a file in the way":
        (builtin / templating.BESIDE).write_text("a file where the folder would be", encoding="utf-8")
    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(tmp_path / "cache"))
    for _ in range(2):
        environment, _ = _environment(builtin)
        assert isinstance(environment, jinja2.Environment)
        assert environment.get_template("page.html").render(words="kept") == "<p>kept</p>"
        assert len(list(tmp_path.glob("cache/templates-*/*.code"))) == 1
    assert not list(builtin.glob(f"{templating.BESIDE}/*.j2c"))


def test_setup_compiles_every_built_in_template_beside_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """What `scripts/setup` runs leaves a compiled file beside the built-in templates for each one a build asks for
    (it only reads those already compiled beside them by this code), and so does it with PYTHONDONTWRITEBYTECODE,
    even when the per-user cache holds their code (a build with PYTHONDONTWRITEBYTECODE kept it there)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(tmp_path / "cache"))
    for path in (ROOT / "templates" / templating.BESIDE).glob("*.j2c"):
        path.unlink(missing_ok=True)
    build = templating.environment.__wrapped__(())  # a build with PYTHONDONTWRITEBYTECODE: its code in the cache
    for name in ("theme.css.j2", "article.html.j2"):
        build.get_template(name)
    assert len(list(tmp_path.glob("cache/templates-*/*.code"))) >= 2
    for path in (ROOT / "templates" / templating.BESIDE).glob("*.j2c"):
        path.unlink(missing_ok=True)  # a build running meanwhile compiles what it needs again, or keeps its copy
    count = templating.compile_builtin_templates()
    names = {path.relative_to(ROOT / "templates").as_posix() for path in (ROOT / "templates").rglob("*.j2")
             if "themes" not in path.relative_to(ROOT / "templates").parts}
    assert count == len(names) > 10
    compiled = {_compiled_template(path) for path in (ROOT / "templates" / templating.BESIDE).glob(
        f"*.{templating._compiled_tag()}.j2c")}
    assert names <= compiled


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


def test_a_folders_hash_is_worked_out_again_only_when_a_file_under_it_changes(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A process keeps the templates' hash (a piece's key) while no file under them changes: an edit of the same
    size, a new file, a removed one and a replaced one each give the hash of the files as they are now; compiled
    templates written beside them do not count."""
    (tmp_path / "partials").mkdir()
    page, partial = tmp_path / "page.html.j2", tmp_path / "partials" / "a.j2"
    page.write_text("one", encoding="utf-8")
    partial.write_text("two", encoding="utf-8")
    folders = (tmp_path,)
    worked_out = []
    real = cache._folder_contents
    monkeypatch.setattr(cache, "_folder_contents", lambda f: worked_out.append(f) or real(f))

    first = cache.folder_contents(folders)
    assert cache.folder_contents(folders) == first and len(worked_out) == 1
    (tmp_path / templating.BESIDE).mkdir()
    (tmp_path / templating.BESIDE / "x.j2c").write_bytes(b"code")
    assert cache.folder_contents(folders) == first and len(worked_out) == 1
    seen = {first}
    def edit() -> None:  # the same size, a later time (set: two writes may fall in one tick of the file clock)
        later = partial.stat().st_mtime_ns + 1_000_000_000
        partial.write_text("TWO", encoding="utf-8")
        os.utime(partial, ns=(later, later))

    for change in (edit,
                   lambda: (tmp_path / "new.j2").write_text("new", encoding="utf-8"),
                   lambda: (tmp_path / "new.j2").unlink(),
                   lambda: os.replace(tmp_path / "partials" / "a.j2", page)):
        before = len(worked_out)
        change()
        now = cache.folder_contents(folders)
        assert len(worked_out) == before + 1
        assert now == real(folders)
        seen.add(now)
    assert len(seen) == 4  # removing the new file gives back the hash before it came
